import Glibc
import Synchronization

/// What the control plane's server asks of the thread that owns the gateway's state.
public enum OperatorRequest: String, Sendable, Equatable {
    case status, metrics, kill, pause, resume
}

/// The owner's reply to a command: the answer, and for a kill, the index of the first kill-report line to stream
/// after it (to a client that follows the report).
public struct ControlReply: Sendable, Equatable {
    public var answer: ControlAnswer
    public var streamKillReportFrom: Int?

    public init(_ answer: ControlAnswer, streamKillReportFrom: Int? = nil) {
        self.answer = answer
        self.streamKillReportFrom = streamKillReportFrom
    }
}

/// The meeting point of the control server's thread and the thread that owns the gateway's state (the watching
/// thread of `gantry run`): the server submits commands, the owner answers them in its own loop (`serve`), and
/// the owner's kill-report lines are kept here for every client following the report. Nothing of the gateway is
/// read from the server's thread: the owner renders every answer.
///
/// A pipe wakes the server's `poll` when an answer or a kill-report line arrives.
public final class ControlExchange: Sendable {
    struct State {
        var pending: [(id: UInt64, command: OperatorRequest)] = []
        var replies: [UInt64: ControlReply] = [:]
        var nextId: UInt64 = 1
        var killLines: [String] = []
        var killFinished = false
        /// The last `/status` and `/metrics` answers, served when the owner is busy (closing after a kill).
        var cached: [OperatorRequest: ControlAnswer] = [:]
        /// The owner has stopped answering: the cached answers are final.
        var settled = false
    }
    let state = Mutex(State())
    /// The wake-up pipe: the server polls `wakeRead`.
    let wakeRead: Int32
    let wakeWrite: Int32

    public init() {
        var fds: [Int32] = [-1, -1]
        // A pipe the server polls; both ends non-blocking (a wake-up already pending is enough).
        precondition(pipe(&fds) == 0, "control exchange: pipe failed (errno \(errno))")
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    func wake() {
        var one: UInt8 = 1
        _ = write(wakeWrite, &one, 1)
    }

    func drainWake() {
        var sink = [UInt8](repeating: 0, count: 64)
        while sink.withUnsafeMutableBytes({ read(wakeRead, $0.baseAddress, $0.count) }) > 0 {}
    }

    // MARK: the server's side

    /// Queues a command for the owner. - Returns: its id, to collect the reply.
    func submit(_ command: OperatorRequest) -> UInt64 {
        state.withLock { s in
            let id = s.nextId
            s.nextId += 1
            s.pending.append((id, command))
            return id
        }
    }

    /// The reply to `id`, once the owner gave it.
    func take(_ id: UInt64) -> ControlReply? {
        state.withLock { $0.replies.removeValue(forKey: id) }
    }

    /// Forgets a command the server stopped waiting for; the last answer to the same command, if any.
    func abandon(_ id: UInt64, _ command: OperatorRequest) -> ControlAnswer? {
        state.withLock { s in
            s.pending.removeAll { $0.id == id }
            s.replies[id] = nil
            return s.cached[command]
        }
    }

    /// Kill-report lines from index `from`, and whether the report has ended.
    func killLines(from: Int) -> (lines: ArraySlice<String>, finished: Bool) {
        state.withLock { s in (s.killLines[min(from, s.killLines.count)...], s.killFinished) }
    }

    // MARK: the owner's side

    /// Answers every command waiting, with `answer` run on the caller's thread (outside the lock).
    /// - Returns: how many were answered.
    @discardableResult
    public func serve(_ answer: (OperatorRequest) -> ControlReply) -> Int {
        let pending = state.withLock { s in
            let p = s.pending
            s.pending.removeAll(keepingCapacity: true)
            return p
        }
        guard !pending.isEmpty else { return 0 }
        var replies: [(UInt64, OperatorRequest, ControlReply)] = []
        for (id, command) in pending { replies.append((id, command, answer(command))) }
        state.withLock { s in
            for (id, command, reply) in replies {
                s.replies[id] = reply
                if command == .status || command == .metrics { s.cached[command] = reply.answer }
            }
        }
        wake()
        return pending.count
    }

    /// Adds a line to the kill report; clients following it receive it.
    public func killLine(_ line: String) {
        state.withLock { $0.killLines.append(line) }
        wake()
    }

    /// The kill report so far.
    public var killReport: [String] { state.withLock { $0.killLines } }

    /// The owner's last answers to `/status` and `/metrics`, given as it stops answering: the server then serves
    /// them at once, and refuses commands (503), until it stops.
    public func settle(status: ControlAnswer, metrics: ControlAnswer) {
        state.withLock { s in
            s.cached[.status] = status
            s.cached[.metrics] = metrics
            s.settled = true
        }
        wake()
    }

    /// Whether the owner has settled (stopped answering).
    public var isSettled: Bool { state.withLock { $0.settled } }

    /// Whether a command waits for the owner.
    public var hasPending: Bool { state.withLock { !$0.pending.isEmpty } }

    /// Whether the kill report has ended.
    public var killReportFinished: Bool { state.withLock { $0.killFinished } }

    /// Number of kill-report lines so far (where a new follower starts to get only what comes next).
    public var killLineCount: Int { state.withLock { $0.killLines.count } }

    /// Ends the kill report: clients following it receive what remains, then their connections are closed.
    public func finishKillReport() {
        state.withLock { $0.killFinished = true }
        wake()
    }
}
