/// The CPUs a thread may run on, as the kernel reports them (`sched_getaffinity`).
public enum ThreadAffinity {
    /// The CPUs the calling thread may run on.
    public static func current() -> [Int] { Sys.affinity(ofThread: 0) }

    /// The CPUs kernel thread `tid` may run on (empty if no such thread).
    public static func of(thread tid: Int32) -> [Int] { Sys.affinity(ofThread: tid) }

    /// Pins the calling thread to `cpu`.
    /// - Returns: 0, or the errno value of the failure.
    @discardableResult
    public static func pinCurrentThread(to cpu: Int) -> Int32 { Sys.pin(toCPU: cpu) }

    /// Lets the calling thread run on every CPU in `cpus` again.
    public static func unpinCurrentThread(cpus: [Int]) { Sys.allow(cpus: cpus) }

    /// The kernel thread id of the calling thread.
    public static func currentThreadId() -> Int32 { Sys.threadId() }

    /// The CPU the calling thread runs on at this instant.
    public static func currentCPU() -> Int { Sys.currentCPU() }
}
