import Atomics
import CUV
import GantryCore
import GantryRing

#if canImport(Glibc)
import Glibc
#endif

/// Why a runner could not start.
public enum RunnerError: Error, Equatable, Sendable, CustomStringConvertible {
    case threadCreateFailed(errno: Int32)
    case pinFailed(cpu: Int, errno: Int32)
    case eventfdFailed(errno: Int32)
    case loopInitFailed(String)

    public var description: String {
        switch self {
        case .threadCreateFailed(let e): "cannot create runner thread (errno \(e))"
        case .pinFailed(let cpu, let e): "cannot pin runner to CPU \(cpu) (errno \(e)): is the CPU online and allowed?"
        case .eventfdFailed(let e): "cannot create runner eventfd (errno \(e))"
        case .loopInitFailed(let why): "cannot initialise the libuv loop: \(why)"
        }
    }
}

/// What a runner thread is configured to be.
public struct RunnerSpec: Sendable, Equatable {
    /// Thread name, shown as `g-<name>` by `ps -L` and `top -H` (15 characters kept).
    public var name: String
    /// The CPU to pin to, or nil to float.
    public var cpu: Int?
    public var mode: RunnerMode

    public init(name: String, cpu: Int?, mode: RunnerMode) {
        self.name = name
        self.cpu = cpu
        self.mode = mode
    }
}

/// Counters a runner keeps, readable from any thread.
public struct RunnerStats: Sendable, Equatable {
    /// Times the runner parked in its loop.
    public var parks: Int
    /// Loop iterations (stage polls).
    public var polls: Int
}

/// A thread that owns a libuv loop, is pinned to a configured CPU with its memory on that CPU's NUMA
/// node, and polls its stages until stopped. Dropping the runner stops and joins the thread.
public struct Runner: ~Copyable {
    @usableFromInline let control: RunnerControl

    /// The runner's spec.
    public var spec: RunnerSpec { control.spec }

    /// Rings the runner awake when it has parked; give it to producers of rings this runner consumes.
    public var doorbell: Doorbell { control.doorbell }

    /// The runner thread's kernel thread id.
    public var threadId: Int32 { control.threadId.load(ordering: .acquiring) }

    /// True while the runner is parked (or about to park) in its loop, waiting for a wake-up.
    public var isParked: Bool { control.parked.load(ordering: .relaxed) != 0 }

    /// Counters, as of now.
    public var stats: RunnerStats {
        RunnerStats(parks: control.parks.load(ordering: .relaxed), polls: control.polls.load(ordering: .relaxed))
    }

    /// Starts a runner thread, builds its stage there with `make`, and returns once it is running.
    /// - Parameters:
    ///   - spec: Name, CPU and wait mode.
    ///   - make: Builds the stage on the runner's thread; may set up timers through the context.
    /// - Throws: `RunnerError` if the thread, its pinning or its loop cannot be set up.
    ///
    /// Inlinable, so that the closure that polls the stage is compiled where the stage's type is known: the
    /// loop itself is not generic, and a poll is a direct call, not a generic one that looks up the stage's
    /// type metadata at run time on every round (about a third of an idle poll, measured).
    @inlinable
    public init<S: Stage & ~Copyable & SendableMetatype>(
        _ spec: RunnerSpec, make: @escaping @Sendable (RunnerContext) -> S
    ) throws(RunnerError) {
        let control = try RunnerControl(spec: spec)
        let body: @Sendable (RunnerContext) -> Void = { context in
            var stage = make(context)
            context.markRunning()
            context.runLoop { stage.poll() }
            stage.finish()
            // Stop watching descriptors before the stage (which owns them) closes them.
            context.closeHandles()
        }
        try control.start(body)
        self.control = control
    }

    /// Stops the thread, waits until it has exited, and frees its loop. Idempotent.
    public func stop() { control.stopAndJoin() }

    deinit { control.stopAndJoin() }
}

extension RunnerContext {
    @usableFromInline
    func markRunning() { control.markRunning() }

    /// Calls `poll` (the stage's) until the runner is told to stop, waiting between empty polls as the mode
    /// says.
    @usableFromInline
    func runLoop(_ poll: () -> Int) { runnerLoop(poll, self) }
}

private func runnerLoop(_ poll: () -> Int, _ context: RunnerContext) {
    let control = context.control
    let loop = context.loopHandle
    var polls = 0
    switch control.spec.mode {
    case .busyPoll:
        var sinceIO = 0
        while !control.stopRequested.load(ordering: .relaxed) {
            _ = poll()
            polls &+= 1
            sinceIO &+= 1
            // epoll_wait(0) costs a system call (~0.3 µs): look at sockets every 64 polls, busy or idle, so
            // that a ring hop is never delayed by a poll of the sockets. Feed stages read their sockets directly.
            if sinceIO >= 64 {
                uv_run(loop, UV_RUN_NOWAIT)
                sinceIO = 0
            }
            if polls & 0x3FF == 0 { control.polls.store(polls, ordering: .relaxed) }
        }
    case .adaptive(let spins, let yields):
        var idle = 0
        var sinceIO = 0
        while !control.stopRequested.load(ordering: .relaxed) {
            sinceIO &+= 1
            if sinceIO >= 64 {  // as in busy-poll; parking below waits in uv_run(ONCE), which sees sockets too
                uv_run(loop, UV_RUN_NOWAIT)
                sinceIO = 0
            }
            polls &+= 1
            if polls & 0x3FF == 0 { control.polls.store(polls, ordering: .relaxed) }
            if poll() > 0 {
                idle = 0
                continue
            }
            idle &+= 1
            if idle <= spins {
                Sys.cpuRelax()
            } else if idle <= spins &+ yields {
                Sys.yield()
            } else {
                // Raise the flag, fence, look once more, then sleep: a producer that published after our
                // last look sees the flag and rings the eventfd, which ends uv_run(ONCE).
                control.parked.store(1, ordering: .sequentiallyConsistent)
                atomicMemoryFence(ordering: .sequentiallyConsistent)
                if poll() == 0 && !control.stopRequested.load(ordering: .relaxed) {
                    control.parks.wrappingIncrement(ordering: .relaxed)
                    uv_run(loop, UV_RUN_ONCE)
                }
                control.parked.store(0, ordering: .relaxed)
                idle = 0
            }
        }
    }
    control.polls.store(polls, ordering: .relaxed)
}

/// The runner thread's view of itself: its loop, timers and doorbell. Used only on the runner's thread.
public final class RunnerContext {
    let control: RunnerControl
    let loopHandle: UnsafeMutablePointer<uv_loop_t>
    /// Timers and watchers, as their common `uv_handle_t` head, to close at stop.
    private var handles: [UnsafeMutablePointer<uv_handle_t>] = []

    init(control: RunnerControl, loop: UnsafeMutablePointer<uv_loop_t>) {
        self.control = control
        self.loopHandle = loop
    }

    /// The runner's spec.
    public var spec: RunnerSpec { control.spec }

    /// This runner's doorbell (for stages that hand it to producers elsewhere).
    public var doorbell: Doorbell { control.doorbell }

    /// The libuv loop (`uv_loop_t *`), for the network layer's handles.
    public var loop: UnsafeMutableRawPointer { UnsafeMutableRawPointer(loopHandle) }

    /// True once `stop()` was called; long stage work may check it.
    public var stopRequested: Bool { control.stopRequested.load(ordering: .relaxed) }

    /// Calls `body` on this runner's thread every `interval` (first after one interval) until the runner stops.
    public func every(_ interval: Nanos, _ body: @escaping () -> Void) {
        let timer = UnsafeMutablePointer<uv_timer_t>.allocate(capacity: 1)
        uv_timer_init(loopHandle, timer)
        timer.pointee.data = Unmanaged.passRetained(CallbackBox(body)).toOpaque()
        let ms = UInt64(max(1, interval.raw / 1_000_000))
        uv_timer_start(timer, { t in
            guard let data = t?.pointee.data else { return }
            Unmanaged<CallbackBox>.fromOpaque(data).takeUnretainedValue().body()
        }, ms, ms)
        handles.append(UnsafeMutableRawPointer(timer).assumingMemoryBound(to: uv_handle_t.self))
    }

    /// Calls `body` on this runner's thread whenever `fd` is readable (or hung up), and wakes a parked runner
    /// for it: the way a socket read directly by a stage gets its wake-up. Watched until `unwatch(fd:)` or until
    /// the runner stops.
    /// - Returns: false if libuv refuses the descriptor.
    @discardableResult
    public func watch(fd: Int32, _ body: @escaping () -> Void) -> Bool {
        let poll = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
        guard uv_poll_init(loopHandle, poll, fd) == 0 else {
            poll.deallocate()
            return false
        }
        poll.pointee.data = Unmanaged.passRetained(CallbackBox(body)).toOpaque()
        uv_poll_start(poll, Int32(UV_READABLE.rawValue | UV_DISCONNECT.rawValue)) { handle, _, _ in
            guard let data = handle?.pointee.data else { return }
            Unmanaged<CallbackBox>.fromOpaque(data).takeUnretainedValue().body()
        }
        handles.append(UnsafeMutableRawPointer(poll).assumingMemoryBound(to: uv_handle_t.self))
        return true
    }

    /// Stops watching `fd` (call it before the descriptor is closed: libuv must not poll a closed or reused
    /// descriptor). Nothing happens if it is not watched.
    public func unwatch(fd: Int32) {
        guard let k = handles.firstIndex(where: { $0.pointee.type == UV_POLL && $0.withMemoryRebound(to: uv_poll_t.self, capacity: 1) { Int32($0.pointee.io_watcher.fd) } == fd }) else {
            return
        }
        let handle = handles.remove(at: k)
        if let data = handle.pointee.data { Unmanaged<CallbackBox>.fromOpaque(data).release() }
        handle.pointee.data = nil
        // SAFETY: the handle was allocated by `watch` and is freed once, after libuv is done with it.
        uv_close(handle) { UnsafeMutableRawPointer($0)?.deallocate() }
    }

    /// Closes the timers and descriptor watchers (on the runner thread, before the loop is closed).
    @usableFromInline
    func closeHandles() {
        for handle in handles {
            if let data = handle.pointee.data { Unmanaged<CallbackBox>.fromOpaque(data).release() }
            handle.pointee.data = nil
            // SAFETY: each handle was allocated by `every` or `watch` and is freed once, after libuv is done.
            uv_close(handle) { UnsafeMutableRawPointer($0)?.deallocate() }
        }
        handles.removeAll()
    }
}

/// A callback kept alive in a libuv handle's `data` (timers and watchers).
private final class CallbackBox {
    let body: () -> Void
    init(_ body: @escaping () -> Void) { self.body = body }
}

/// Where a runner's thread is.
@usableFromInline
enum RunnerPhase: Int, AtomicValue {
    /// Created; pinning, naming and building its loop.
    case starting
    /// Its stage is built and polled.
    case running
    /// It could not pin or build its loop (`startErrno` says why) and has returned.
    case failed
    /// Its stage is finished and its loop closed.
    case exited
}

/// What a runner's doorbell rings: the runner's eventfd and its "parked" flag. Owned by the runner's control and
/// by every copy of its doorbell, never by the runner itself, so that a doorbell a producer still holds keeps a
/// valid descriptor to write to, and a stopped runner's control is freed (a doorbell that held the control kept
/// it, and its eventfd, alive forever: the control holds the doorbell).
///
/// `@unchecked Sendable`: `fd` is set in `init` and closed in `deinit` only; `parked` is atomic; `box` holds
/// `fd` for the C callback and never changes.
final class RunnerWakeup: @unchecked Sendable {
    let parked: UnsafeAtomic<Int>
    /// The eventfd, in memory of its own: the doorbell's C callback gets its address.
    let box: UnsafeMutablePointer<Int32>

    init() throws(RunnerError) {
        let fd = Sys.eventfd()
        guard fd >= 0 else { throw .eventfdFailed(errno: -fd) }
        box = .allocate(capacity: 1)
        box.initialize(to: fd)
        parked = .create(0)
    }

    var fd: Int32 { box.pointee }

    /// A doorbell that rings this eventfd while `parked` is up, and keeps this object alive.
    var doorbell: Doorbell {
        Doorbell(
            parked: parked, context: UnsafeMutableRawPointer(box),
            function: { context in Sys.signal(eventfd: context!.load(as: Int32.self)) }, owner: self)
    }

    deinit {
        Sys.close(box.pointee)
        box.deallocate()
        parked.destroy()
    }
}

/// State shared by a runner's owner and its thread.
///
/// `@unchecked Sendable`: the mutable state is atomics (`stopRequested`, `phase`, counters, the wake-up's
/// `parked`), or `thread`, which `start` writes before the `Runner` exists (so before anyone can call
/// `stopAndJoin`) and `stopAndJoin` reads at most once (the `joined` exchange admits one caller); `wakeup` is set
/// in `init` and never changes.
@usableFromInline
final class RunnerControl: @unchecked Sendable {
    let spec: RunnerSpec
    let stopRequested = ManagedAtomic<Bool>(false)
    let threadId = ManagedAtomic<Int32>(0)
    let parks = ManagedAtomic<Int>(0)
    let polls = ManagedAtomic<Int>(0)
    let phase = ManagedAtomic<RunnerPhase>(.starting)
    let startErrno = ManagedAtomic<Int32>(0)
    let joined = ManagedAtomic<Bool>(false)
    let wakeup: RunnerWakeup
    var thread: pthread_t = pthread_t()

    @usableFromInline
    init(spec: RunnerSpec) throws(RunnerError) {
        self.spec = spec
        wakeup = try RunnerWakeup()
    }

    var parked: UnsafeAtomic<Int> { wakeup.parked }
    var doorbell: Doorbell { wakeup.doorbell }

    func markRunning() { phase.store(.running, ordering: .releasing) }

    @usableFromInline
    func start(_ body: @escaping @Sendable (RunnerContext) -> Void) throws(RunnerError) {
        let box = Unmanaged.passRetained(ThreadStart(control: self, body: body)).toOpaque()
        let rc = pthread_create(&thread, nil, runnerThreadEntry, box)
        guard rc == 0 else {
            Unmanaged<ThreadStart>.fromOpaque(box).release()
            joined.store(true, ordering: .relaxed)
            throw .threadCreateFailed(errno: rc)
        }
        while phase.load(ordering: .acquiring) == .starting { Sys.yield() }
        if phase.load(ordering: .acquiring) == .failed {
            stopAndJoin()
            let e = startErrno.load(ordering: .relaxed)
            if e < 0 { throw .loopInitFailed(Sys.uvError(e)) }
            throw .pinFailed(cpu: spec.cpu ?? -1, errno: e)
        }
    }

    func stopAndJoin() {
        guard joined.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        stopRequested.store(true, ordering: .releasing)
        Sys.signal(eventfd: wakeup.fd)
        pthread_join(thread, nil)
    }
}

private final class ThreadStart: @unchecked Sendable {
    // `@unchecked Sendable`: immutable; handed to the new thread once through pthread_create.
    let control: RunnerControl
    let body: @Sendable (RunnerContext) -> Void
    init(control: RunnerControl, body: @escaping @Sendable (RunnerContext) -> Void) {
        self.control = control
        self.body = body
    }
}

/// The runner thread: pin, name, loop, stage, run, tear down. Not in main.swift: it runs on our own pthread.
private let runnerThreadEntry: @convention(c) (UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? = { raw in
    let start = Unmanaged<ThreadStart>.fromOpaque(raw!).takeRetainedValue()
    runRunnerThread(start)
    return nil
}

private func runRunnerThread(_ start: ThreadStart) {
    let control = start.control
    control.threadId.store(Sys.threadId(), ordering: .releasing)
    Sys.setThreadName(String(("g-" + control.spec.name).prefix(15)))
    if let cpu = control.spec.cpu {
        let rc = Sys.pin(toCPU: cpu)
        if rc != 0 {
            control.startErrno.store(rc, ordering: .relaxed)
            control.phase.store(.failed, ordering: .releasing)
            return
        }
        NumaTopology.preferMemory(onNode: NumaTopology.node(ofCPU: cpu))
    }
    let loop = UnsafeMutablePointer<uv_loop_t>.allocate(capacity: 1)
    let rc = uv_loop_init(loop)
    guard rc == 0 else {
        loop.deallocate()
        control.startErrno.store(rc, ordering: .relaxed)
        control.phase.store(.failed, ordering: .releasing)
        return
    }
    let poll = UnsafeMutablePointer<uv_poll_t>.allocate(capacity: 1)
    uv_poll_init(loop, poll, control.wakeup.fd)
    // SAFETY: the wake-up (and its box) outlives the loop: the control holds it, and `start.control` holds the
    // control until this function returns, after the poll handle is closed.
    poll.pointee.data = UnsafeMutableRawPointer(control.wakeup.box)
    uv_poll_start(poll, Int32(UV_READABLE.rawValue)) { handle, _, _ in
        guard let data = handle?.pointee.data else { return }
        Sys.drain(eventfd: data.load(as: Int32.self))
    }
    let context = RunnerContext(control: control, loop: loop)
    start.body(context)  // builds the stage, runs it until stopped, destroys it
    context.closeHandles()
    uv_close(UnsafeMutableRawPointer(poll).assumingMemoryBound(to: uv_handle_t.self)) { handle in
        UnsafeMutableRawPointer(handle)?.assumingMemoryBound(to: uv_poll_t.self).deallocate()
    }
    uv_run(loop, UV_RUN_DEFAULT)  // runs the close callbacks; returns when no handle is left
    uv_loop_close(loop)
    loop.deallocate()
    control.phase.store(.exited, ordering: .releasing)
}
