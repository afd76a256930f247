import GantryRing

#if canImport(Glibc)
import Glibc
#endif

/// The CPUs this process may use, which of them the kernel keeps isolated, and their NUMA nodes.
public struct Machine: Sendable, Equatable {
    /// CPUs the process may run on (its affinity mask).
    public var cpus: [Int]
    /// CPUs listed in /sys/devices/system/cpu/isolated (isolcpus=): no other work is scheduled there.
    public var isolatedCPUs: Set<Int>
    /// NUMA node of each CPU in `cpus`.
    public var nodeOfCPU: [Int: Int]
    /// NUMA nodes.
    public var nodeCount: Int

    public init(cpus: [Int], isolatedCPUs: Set<Int>, nodeOfCPU: [Int: Int], nodeCount: Int) {
        self.cpus = cpus
        self.isolatedCPUs = isolatedCPUs
        self.nodeOfCPU = nodeOfCPU
        self.nodeCount = nodeCount
    }

    /// This machine, as the kernel and libnuma describe it now.
    public static func current() -> Machine {
        let cpus = ThreadAffinity.of(thread: 0)
        var nodes: [Int: Int] = [:]
        for cpu in cpus { nodes[cpu] = NumaTopology.node(ofCPU: cpu) }
        let isolated = parseCPUList(readFile("/sys/devices/system/cpu/isolated") ?? "")
        return Machine(cpus: cpus, isolatedCPUs: isolated, nodeOfCPU: nodes, nodeCount: NumaTopology.nodeCount)
    }

    /// Parses the kernel's CPU list format: "0-3,8,10-11".
    public static func parseCPUList(_ text: String) -> Set<Int> {
        var result = Set<Int>()
        for part in text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }) {
            let bounds = part.split(separator: "-")
            if bounds.count == 1, let a = Int(bounds[0]) {
                result.insert(a)
            } else if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a <= b {
                result.formUnion(a...b)
            }
        }
        return result
    }

    static func readFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = fread(&buffer, 1, buffer.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
