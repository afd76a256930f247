/// The machine's CPUs and NUMA nodes, as libnuma and sysfs report them.
public enum NumaTopology {
    /// True if NUMA policy calls work here (libnuma's `numa_available`).
    public static var isAvailable: Bool { Sys.numaAvailable }

    /// The number of NUMA nodes (1 on a machine without NUMA).
    public static var nodeCount: Int { Sys.numaMaxNode() + 1 }

    /// The number of configured CPUs.
    public static var cpuCount: Int { Sys.configuredCPUs() }

    /// Makes the calling thread prefer memory on `node` (call it after pinning the thread).
    public static func preferMemory(onNode node: Int) { Sys.preferNode(node) }

    /// The NUMA node of `cpu` (0 when unknown).
    public static func node(ofCPU cpu: Int) -> Int { Sys.numaNode(ofCPU: cpu) }
}
