// Every C call of GantryRing passes through this file: errno is read once, here.
import CGantry
import CNuma

#if canImport(Glibc)
import Glibc
#endif

@usableFromInline
enum Sys {
    static var errnoValue: Int32 { errno }

    /// True if the kernel and libnuma support NUMA policy calls.
    static let numaAvailable: Bool = numa_available() >= 0

    static func numaMaxNode() -> Int { numaAvailable ? Int(numa_max_node()) : 0 }

    static func numaNode(ofCPU cpu: Int) -> Int {
        guard numaAvailable else { return 0 }
        let node = numa_node_of_cpu(Int32(cpu))
        return node < 0 ? 0 : Int(node)
    }

    /// Prefers memory on `node` for the calling thread's future allocations.
    static func preferNode(_ node: Int) {
        guard numaAvailable else { return }
        numa_set_preferred(Int32(node))
    }

    static func configuredCPUs() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_CONF))) }

    static func pageSize() -> Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// Anonymous private memory, on `node` when NUMA is available. Returns nil and sets errno on failure.
    static func allocate(bytes: Int, node: Int?) -> UnsafeMutableRawPointer? {
        if let node, numaAvailable {
            return numa_alloc_onnode(bytes, Int32(node))
        }
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        return p == MAP_FAILED ? nil : p
    }

    static func free(_ p: UnsafeMutableRawPointer, bytes: Int, numa: Bool) {
        if numa { numa_free(p, bytes) } else { munmap(p, bytes) }
    }

    /// Asks the kernel to place `bytes` at `p` on `node` (before the pages are first touched).
    static func bind(_ p: UnsafeMutableRawPointer, bytes: Int, node: Int) {
        guard numaAvailable else { return }
        numa_tonode_memory(p, bytes, Int32(node))
    }

    static func openFile(_ path: String, create: Bool) -> Int32 {
        let flags = O_RDWR | O_CLOEXEC | (create ? (O_CREAT | O_EXCL) : 0)
        return path.withCString { open($0, flags, 0o600) }
    }

    static func truncate(_ fd: Int32, bytes: Int) -> Bool { ftruncate(fd, off_t(bytes)) == 0 }

    static func fileSize(_ fd: Int32) -> Int? {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : nil
    }

    static func mapShared(_ fd: Int32, bytes: Int) -> UnsafeMutableRawPointer? {
        let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
        return p == MAP_FAILED ? nil : p
    }

    static func unmap(_ p: UnsafeMutableRawPointer, bytes: Int) { munmap(p, bytes) }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    static func unlink(_ path: String) { _ = path.withCString { Glibc.unlink($0) } }

    /// Touches every page so that no page fault happens on the hot path.
    static func prefault(_ p: UnsafeMutableRawPointer, bytes: Int) {
        let page = pageSize()
        var offset = 0
        while offset < bytes {
            // SAFETY: offset < bytes, inside the mapping.
            (p + offset).storeBytes(of: 0, as: UInt8.self)
            offset += page
        }
    }

    static func adviseHugePages(_ p: UnsafeMutableRawPointer, bytes: Int) {
        _ = madvise(p, bytes, MADV_HUGEPAGE)
    }

    @usableFromInline static func cpuRelax() { gantry_cpu_relax() }

    @usableFromInline static func yield() { _ = sched_yield() }

    /// Sleeps on a shared futex word while it equals `expected`, at most `timeoutNanos`.
    @usableFromInline static func futexWait(_ word: UnsafeMutableRawPointer, expected: UInt32, timeoutNanos: Int64) {
        _ = gantry_futex_wait(word.assumingMemoryBound(to: UInt32.self), expected, timeoutNanos)
    }

    @usableFromInline static func futexWakeAll(_ word: UnsafeMutableRawPointer) {
        _ = gantry_futex_wake(word.assumingMemoryBound(to: UInt32.self), Int32.max)
    }
}
