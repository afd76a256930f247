import Dispatch
import GantryCore
import Synchronization

/// The `.interval` sync policy's background fdatasync: a Dispatch timer every interval syncs the writer's current
/// file if bytes were written since the last sync, so that the writer never waits for the disk (an fdatasync of a
/// few MB takes 1–5 ms on these VMs, and tens of ms now and then).
///
/// The writer publishes the file descriptor and the running count of bytes written. At a rotation it hands the
/// old file's descriptor over (`retire`) before publishing the new one; the next sync syncs the old file and
/// closes it, then syncs the directory (the new file's entry). A sync takes the retired files after loading the
/// current descriptor, so every byte counted in `written` when the sync began is in a file it syncs. A failure
/// is kept for the writer to throw at its next flush.
///
/// `@unchecked Sendable`: what is shared is atomic or behind the mutex; `queue`, `timer` and `directoryFd` are set in
/// `init` and never change, and Dispatch objects are thread-safe.
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
    /// Files the writer has left (rotation), to sync and close. Touched once per rotation and per sync: not on the
    /// per-record path.
    private let retired = Mutex<[Int32]>([])
    private let directoryFd: Int32
    private let queue: DispatchQueue
    private let timer: DispatchSourceTimer

    init(fd: Int32, directoryFd: Int32, interval: Nanos) {
        self.fd = Atomic(fd)
        self.directoryFd = directoryFd
        queue = DispatchQueue(label: "gantry.journal.sync")
        timer = DispatchSource.makeTimerSource(queue: queue)
        let step = DispatchTimeInterval.nanoseconds(Int(max(interval.raw, 1_000_000)))
        timer.schedule(deadline: .now() + step, repeating: step, leeway: .microseconds(500))
        timer.setEventHandler { [weak self] in self?.syncIfWritten() }
        timer.resume()
    }

    /// Hands over a file the writer has finished: synced and closed by the next sync (or by `stop`).
    func retire(_ old: Int32) { retired.withLock { $0.append(old) } }

    private func syncIfWritten() {
        let target = written.load(ordering: .acquiring)
        let retiring = retired.withLock { $0.isEmpty } == false
        guard target != synced.load(ordering: .relaxed) || retiring else { return }
        var rc = Sys.dataSync(fd.load(ordering: .acquiring))
        syncs.add(1, ordering: .relaxed)
        let old = retired.withLock { list in
            defer { list.removeAll(keepingCapacity: true) }
            return list
        }
        for f in old {
            let e = Sys.dataSync(f)
            if rc == 0 { rc = e }
            Sys.close(f)
            syncs.add(1, ordering: .relaxed)
        }
        if !old.isEmpty {
            let e = Sys.sync(directoryFd)
            if rc == 0 { rc = e }
        }
        if rc == 0 {
            synced.store(target, ordering: .relaxed)
        } else {
            failure.store(rc, ordering: .relaxed)
        }
    }

    /// The errno of a sync that failed since the last call, or nil.
    func takeFailure() -> Int32? {
        let e = failure.exchange(0, ordering: .relaxed)
        return e == 0 ? nil : e
    }

    /// Stops the timer, waits for a sync in progress to end, and syncs and closes the retired files. Idempotent.
    func stop() {
        timer.cancel()
        queue.sync {}
        let old = retired.withLock { list in
            defer { list.removeAll() }
            return list
        }
        for f in old {
            let e = Sys.dataSync(f)
            if e != 0 { failure.store(e, ordering: .relaxed) }
            Sys.close(f)
        }
        if !old.isEmpty {
            let e = Sys.sync(directoryFd)
            if e != 0 { failure.store(e, ordering: .relaxed) }
        }
    }

    deinit { timer.cancel() }
}
