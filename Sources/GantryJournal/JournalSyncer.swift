import Dispatch
import GantryCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The `.interval` sync policy's background fdatasync: a Dispatch timer every interval syncs the writer's current
/// file if bytes were written since the last sync, so that the writer never waits for the disk (an fdatasync of a
/// few MB takes 1–5 ms on these VMs).
///
/// The writer publishes the file descriptor and the running count of bytes written; on rotation it syncs the old
/// file itself, then publishes the new descriptor, then closes the old one. A sync that meets a descriptor closed
/// (EBADF) or reused by something that cannot be synced (EINVAL) in that window is harmless: the old file was
/// synced by the writer. Any other failure is kept for the writer to throw at its next flush.
///
/// `@unchecked Sendable`: everything shared is an atomic; `queue` and `timer` are set in `init` and never change,
/// and Dispatch objects are thread-safe.
final class JournalSyncer: @unchecked Sendable {
    /// The descriptor of the file being written.
    let fd: Atomic<Int32>
    /// Bytes written so far (all files), stored by the writer after each batch's write.
    let written = Atomic<Int>(0)
    /// Bytes known to be on disk; only the timer's handler stores it.
    private let synced = Atomic<Int>(0)
    /// The errno of a failed sync, 0 if none since the writer last looked.
    private let failure = Atomic<Int32>(0)
    /// fdatasyncs done.
    let syncs = Atomic<Int>(0)
    private let queue: DispatchQueue
    private let timer: DispatchSourceTimer

    init(fd: Int32, interval: Nanos) {
        self.fd = Atomic(fd)
        queue = DispatchQueue(label: "gantry.journal.sync")
        timer = DispatchSource.makeTimerSource(queue: queue)
        let step = DispatchTimeInterval.nanoseconds(Int(max(interval.raw, 1_000_000)))
        timer.schedule(deadline: .now() + step, repeating: step, leeway: .microseconds(500))
        timer.setEventHandler { [weak self] in self?.syncIfWritten() }
        timer.resume()
    }

    private func syncIfWritten() {
        let target = written.load(ordering: .acquiring)
        guard target != synced.load(ordering: .relaxed) else { return }
        let rc = Sys.dataSync(fd.load(ordering: .acquiring))
        if rc == 0 || rc == EBADF || rc == EINVAL {
            synced.store(target, ordering: .relaxed)
            syncs.add(1, ordering: .relaxed)
        } else {
            failure.store(rc, ordering: .relaxed)
        }
    }

    /// The errno of a sync that failed since the last call, or nil.
    func takeFailure() -> Int32? {
        let e = failure.exchange(0, ordering: .relaxed)
        return e == 0 ? nil : e
    }

    /// Stops the timer and waits for a sync in progress to end. Idempotent.
    func stop() {
        timer.cancel()
        queue.sync {}
    }

    deinit { timer.cancel() }
}
