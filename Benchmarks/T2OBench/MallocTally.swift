import MallocInterposerSwift

#if canImport(Glibc)
import Glibc
#endif

/// What the fused runner is doing, for the allocation count by phase.
enum Phase: Int, CaseIterable {
    case ingest = 0, signal, risk, orderSend, tap, runner

    var label: String {
        switch self {
        case .ingest: "ingest"
        case .signal: "signal"
        case .risk: "risk"
        case .orderSend: "order-send"
        case .tap: "bench tap"
        case .runner: "runner loop"
        }
    }
}

/// Allocations made by one thread (the fused runner's), by the phase it was in. The ordo-one malloc interposer
/// (linked into this executable, so its `malloc` is the process's) calls `allocationHook` on the allocating thread
/// for every allocation while counting is on; the hook counts those of the owning thread only (the venue's thread
/// and the simulator allocate freely, and are not Gantry's hot path).
enum MallocTally {
    // SAFETY: `owner` is written once by `start` before counting is switched on; `phase` and `counts` are written
    // only by the owning thread (the hook runs on the allocating thread and counts nothing for any other), and read
    // by `snapshot` on that thread or after it has been joined.
    nonisolated(unsafe) static var owner = pthread_t()
    nonisolated(unsafe) static var phase = Phase.runner.rawValue
    nonisolated(unsafe) static var on = false
    nonisolated(unsafe) static let counts: UnsafeMutablePointer<Int> = {
        let p = UnsafeMutablePointer<Int>.allocate(capacity: Phase.allCases.count)
        p.initialize(repeating: 0, count: Phase.allCases.count)
        return p
    }()

    /// Whether the interposer is in effect: counts an allocation made on purpose by the calling thread.
    static func works() -> Bool {
        start()
        let probe = UnsafeMutableRawPointer.allocate(byteCount: 48, alignment: 8)
        stop()
        probe.deallocate()
        let seen = counts[Phase.runner.rawValue]
        counts.update(repeating: 0, count: Phase.allCases.count)
        return seen > 0
    }

    /// Counts the calling thread's allocations from now on (from zero).
    static func start() {
        owner = pthread_self()
        phase = Phase.runner.rawValue
        counts.update(repeating: 0, count: Phase.allCases.count)
        MallocInterposerSwift.setAllocationHook(allocationHook)
        on = true
        MallocInterposerSwift.hook()
    }

    static func stop() {
        guard on else { return }
        MallocInterposerSwift.unhook()
        MallocInterposerSwift.setAllocationHook(nil)
        on = false
    }

    static func enter(_ p: Phase) { phase = p.rawValue }

    /// Where the first allocations of the count were made, for finding them (`T2O_MALLOC_STACKS=N`): up to
    /// `stackLimit` call stacks of `stackDepth` frames, taken by the hook (the first `backtrace` call, made in
    /// `prepareStacks`, is the one that may allocate).
    static let stackDepth = 24
    nonisolated(unsafe) static var stackLimit = 0
    nonisolated(unsafe) static var stacksTaken = 0
    nonisolated(unsafe) static var inHook = false
    /// Every how many allocations one stack is taken (`T2O_MALLOC_EVERY`, 1 by default), and the count so far.
    nonisolated(unsafe) static var stackEvery = 1
    nonisolated(unsafe) static var seen = 0
    nonisolated(unsafe) static var stacks = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: 1)
    nonisolated(unsafe) static var stackPhases = UnsafeMutablePointer<Int>.allocate(capacity: 1)

    typealias Backtrace = @convention(c) (UnsafeMutablePointer<UnsafeMutableRawPointer?>, Int32) -> Int32
    typealias BacktraceSymbols = @convention(c) (UnsafePointer<UnsafeMutableRawPointer?>, Int32, Int32) -> Void
    // glibc's <execinfo.h>, which the Glibc module does not bring: looked up once.
    nonisolated(unsafe) static var backtrace: Backtrace? = nil
    nonisolated(unsafe) static var backtraceSymbols: BacktraceSymbols? = nil

    static func prepareStacks(_ limit: Int, every: Int) {
        guard limit > 0, let b = dlsym(nil, "backtrace"), let s = dlsym(nil, "backtrace_symbols_fd") else { return }
        backtrace = unsafeBitCast(b, to: Backtrace.self)
        backtraceSymbols = unsafeBitCast(s, to: BacktraceSymbols.self)
        stacks = .allocate(capacity: limit * stackDepth)
        stacks.initialize(repeating: nil, count: limit * stackDepth)
        stackPhases = .allocate(capacity: limit)
        _ = backtrace!(stacks, Int32(stackDepth))
        stackLimit = limit
        stackEvery = max(1, every)
    }

    /// Writes the stacks taken to standard error (symbols as the dynamic linker knows them; pipe through
    /// `swift demangle`).
    static func printStacks() {
        for k in 0..<min(stacksTaken, stackLimit) {
            let label = "-- allocation \(k + 1), \(Phase(rawValue: stackPhases[k])!.label):\n"
            _ = Array(label.utf8).withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
            backtraceSymbols?(stacks + k * stackDepth, Int32(stackDepth), 2)
        }
    }

    /// The counts by phase.
    static func snapshot() -> [Int] { (0..<Phase.allCases.count).map { counts[$0] } }
}

/// Runs inside `malloc`: allocates nothing and takes no lock.
let allocationHook: MallocInterposerSwift.AllocationHook = { _ in
    guard pthread_equal(pthread_self(), MallocTally.owner) != 0 else { return }
    MallocTally.counts[MallocTally.phase] &+= 1
    MallocTally.seen &+= 1
    if MallocTally.stacksTaken < MallocTally.stackLimit && !MallocTally.inHook && MallocTally.seen % MallocTally.stackEvery == 0 {
        MallocTally.inHook = true
        let k = MallocTally.stacksTaken
        MallocTally.stacksTaken += 1
        MallocTally.stackPhases[k] = MallocTally.phase
        _ = MallocTally.backtrace?(MallocTally.stacks + k * MallocTally.stackDepth, Int32(MallocTally.stackDepth))
        MallocTally.inHook = false
    }
}
