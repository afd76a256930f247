import GantryCore

/// What the ledger did with one log.
public enum LedgerOutcome: Equatable, Sendable {
    /// An exchange transfer was counted.
    case counted
    /// A removed log took back a transfer counted before.
    case reversed
    /// Neither party is a configured exchange address: nothing to count.
    case notExchange
    /// The same log (block hash and log index) was counted already.
    case duplicate
    /// A removed log the ledger never counted.
    case unmatchedRemoval
    /// For a block before the adapter's first block, or one that has left the window.
    case tooOld
    /// The window holds other unsealed blocks where this one would go, or the block's table of logs is full.
    case overflow
}

/// One exchange transfer the ledger counted: what identifies its log, and what it added where.
struct CountedLog {
    var amount: UInt128
    /// The first 8 bytes of the block hash, and the log's index in the block.
    var blockHash: UInt64
    var logIndex: UInt64
    /// The backfill pass that last found it (0: a notification).
    var mark: UInt32
    var token: UInt16
    /// The receiving and sending exchange, each plus one (0: not an exchange).
    var into: UInt16
    var outOf: UInt16
}

/// A block the window holds.
struct BlockSlot {
    /// `.max`: empty.
    var number: UInt64 = .max
    /// When its header arrived (monotonic; zero: not seen).
    var headAt = Nanos.zero
    var blockTime = Nanos.zero
    var logs = 0
}

/// Exchange inflow and outflow per block, per token and per exchange, from the token's transfer logs: the
/// adapter's accounting, apart from any I/O. Blocks are sealed in order — a block's events published once its
/// header has been seen for `sealDelay`, or a later header has, or a backfill has covered it — and a change to
/// a sealed block (a late log, a removed one, one a backfill adds or no longer finds) is published at once as
/// an amendment. Every counted log is kept by its block hash and log index, so that a log seen twice (a
/// notification and a backfill) counts once and a removed log takes back exactly what it added.
///
/// Fixed memory from `init` (a window of `window` blocks, `maxLogs` exchange transfers each); no allocation
/// while `events` stays within its capacity.
public struct FlowLedger {
    public let tokens: Int
    public let exchanges: Int
    public let window: Int
    public let maxLogs: Int
    /// A block is sealed this long after its header arrived (if no later header came first).
    public var sealDelay: Nanos
    let exchangeOf: [EthereumAddress: UInt16]
    var slots: [BlockSlot]
    /// Per slot, token and exchange.
    var inflow: [Int128]
    var outflow: [Int128]
    var counts: [Int32]
    /// Per slot, `maxLogs` entries.
    var counted: [CountedLog]
    /// The first block counted, and the next to seal (nil until `start`).
    public private(set) var firstBlock: UInt64 = 0
    public private(set) var nextToSeal: UInt64? = nil
    /// The highest block number the node has shown (a header or `eth_blockNumber`).
    public private(set) var lastHead: UInt64 = 0
    /// Only blocks below this are sealed (a backfill is under way or due); nil: no limit.
    public var sealBelow: UInt64? = nil
    /// Blocks up to this were covered by a backfill: sealed without waiting for their header.
    public var backfilledThrough: UInt64? = nil
    /// Events to publish, oldest first; the owner publishes and empties it.
    public var events: [FlowEvent] = []
    public private(set) var sealedBlocks = 0
    public private(set) var amendments = 0

    /// - Parameters:
    ///   - tokens: How many tokens are counted (events' `token` is an index below it).
    ///   - exchanges: For each exchange, its addresses (events' `exchange` is an index into it).
    ///   - window: Blocks kept for amendments and unsealed blocks.
    ///   - maxLogs: Exchange transfers kept per block.
    public init(tokens: Int, exchanges: [[EthereumAddress]], window: Int = 512, maxLogs: Int = 512, sealDelay: Nanos = .milliseconds(200)) {
        precondition(tokens > 0 && tokens <= Int(UInt16.max) && !exchanges.isEmpty && exchanges.count < Int(UInt16.max), "tokens and exchanges")
        precondition(window >= 4 && maxLogs > 0, "a window of blocks and room for their logs")
        self.tokens = tokens
        self.exchanges = exchanges.count
        self.window = window
        self.maxLogs = maxLogs
        self.sealDelay = sealDelay
        var map: [EthereumAddress: UInt16] = [:]
        for (e, addresses) in exchanges.enumerated() {
            for a in addresses {
                precondition(map[a] == nil, "address \(a) belongs to two exchanges")
                map[a] = UInt16(e)
            }
        }
        exchangeOf = map
        slots = Array(repeating: BlockSlot(), count: window)
        inflow = Array(repeating: 0, count: window * tokens * exchanges.count)
        outflow = inflow
        counts = Array(repeating: 0, count: inflow.count)
        let empty = CountedLog(amount: 0, blockHash: 0, logIndex: 0, mark: 0, token: 0, into: 0, outOf: 0)
        counted = Array(repeating: empty, count: window * maxLogs)
        events.reserveCapacity(4 * tokens * exchanges.count + 256)
    }

    /// Whether `start` was called.
    public var started: Bool { nextToSeal != nil }

    /// Starts counting at block `first`: what arrived for earlier blocks is dropped.
    public mutating func start(at first: UInt64) {
        precondition(nextToSeal == nil, "started once")
        firstBlock = first
        nextToSeal = first
        for i in slots.indices where slots[i].number != .max && slots[i].number < first { clear(i, number: .max) }
    }

    /// The node's head is at least `number` (its `eth_blockNumber`).
    public mutating func noteHead(_ number: UInt64) { lastHead = max(lastHead, number) }

    /// A header arrived.
    public mutating func head(_ h: NodeHead, at time: Nanos) {
        lastHead = max(lastHead, h.number)
        guard case .held(let i) = slot(h.number) else { return }
        if slots[i].headAt == .zero { slots[i].headAt = time }
        slots[i].blockTime = Self.wall(seconds: h.timestamp)
    }

    /// Counts (or, removed, takes back) one Transfer log of token `token`.
    /// - Parameters:
    ///   - mark: The backfill pass it came from (0: a notification).
    ///   - flags: Carried by the amendment events it causes.
    public mutating func apply(token: Int, _ log: NodeLog, mark: UInt32 = 0, flags: FlowEventFlags = [], at time: Nanos) -> LedgerOutcome {
        let into = exchangeOf[log.to].map { $0 + 1 } ?? 0
        let outOf = exchangeOf[log.from].map { $0 + 1 } ?? 0
        guard into != 0 || outOf != 0 else { return .notExchange }
        let i: Int
        switch slot(log.block) {
        case .held(let s): i = s
        case .refused(let why): return why
        }
        if log.blockTimestamp != 0 { slots[i].blockTime = Self.wall(seconds: log.blockTimestamp) }
        let base = i * maxLogs
        var found = -1
        for k in 0..<slots[i].logs where counted[base + k].blockHash == log.blockHash && counted[base + k].logIndex == log.logIndex {
            found = k
            break
        }
        if log.removed {
            guard found >= 0 else { return .unmatchedRemoval }
            let entry = counted[base + found]
            remove(slot: i, entry: found)
            change(slot: i, block: log.block, entry, sign: -1, flags: flags.union(.reorg), at: time)
            return .reversed
        }
        if found >= 0 {
            if mark != 0 { counted[base + found].mark = mark }
            return .duplicate
        }
        guard slots[i].logs < maxLogs else { return .overflow }
        let entry = CountedLog(
            amount: log.amount, blockHash: log.blockHash, logIndex: log.logIndex, mark: mark, token: UInt16(token), into: into, outOf: outOf)
        counted[base + slots[i].logs] = entry
        slots[i].logs += 1
        change(slot: i, block: log.block, entry, sign: 1, flags: flags, at: time)
        return .counted
    }

    /// After a backfill pass over blocks `from`…`through`: takes back every transfer counted for those blocks that
    /// the pass (`mark`) did not find, since the node's canonical chain no longer has it.
    /// - Returns: How many were taken back.
    @discardableResult
    public mutating func sweep(from: UInt64, through: UInt64, mark: UInt32, at time: Nanos) -> Int {
        var taken = 0
        guard from <= through else { return 0 }
        for n in from...through {
            let i = Int(n % UInt64(window))
            guard slots[i].number == n else { continue }
            var k = slots[i].logs - 1
            while k >= 0 {
                let entry = counted[i * maxLogs + k]
                if entry.mark != mark {
                    remove(slot: i, entry: k)
                    change(slot: i, block: n, entry, sign: -1, flags: [.reorg, .backfilled], at: time)
                    taken += 1
                }
                k -= 1
            }
        }
        return taken
    }

    /// Seals, in order, every block that is ready: its header seen `sealDelay` ago, a later header seen, or
    /// covered by a backfill; none from `sealBelow` on.
    /// - Returns: How many blocks were sealed.
    @discardableResult
    public mutating func seal(now: Nanos) -> Int {
        guard var n = nextToSeal else { return 0 }
        var sealed = 0
        while true {
            if let limit = sealBelow, n >= limit { break }
            let i = Int(n % UInt64(window))
            let held = slots[i].number == n
            let headReady = held && slots[i].headAt != .zero && now - slots[i].headAt >= sealDelay
            guard n < lastHead || headReady || (backfilledThrough.map { n <= $0 } ?? false) else { break }
            let slot: Int? = held ? i : (slots[i].number == .max || slots[i].number < n ? i : nil)
            if let slot, !held { clear(slot, number: n) }
            let time = slot.map { slots[$0].blockTime } ?? .zero
            for t in 0..<tokens {
                for e in 0..<exchanges {
                    let k = slot.map { ($0 * tokens + t) * exchanges + e }
                    var event = FlowEvent(
                        kind: .block, block: n, token: UInt16(t), exchange: UInt16(e), inflow: k.map { inflow[$0] } ?? 0,
                        outflow: k.map { outflow[$0] } ?? 0, transfers: Int16(clamping: k.map { counts[$0] } ?? 0), blockTime: time, receiveTime: now)
                    if t == tokens - 1 && e == exchanges - 1 { event.flags.insert(.lastOfBlock) }
                    events.append(event)
                }
            }
            n += 1
            nextToSeal = n
            sealed += 1
            sealedBlocks += 1
        }
        return sealed
    }

    // MARK: - Internals

    /// The slot that holds block `number`, claimed if it is free (or holds a sealed block older than it).
    /// - Returns: The slot, or why there is none (`.tooOld` or `.overflow`).
    mutating func slot(_ number: UInt64) -> SlotLookup {
        if started && number < firstBlock { return .refused(.tooOld) }
        let i = Int(number % UInt64(window))
        let holder = slots[i].number
        if holder == number { return .held(i) }
        if holder != .max {
            if number < holder { return .refused(.tooOld) }
            // The holder is older: its place may be taken once it is sealed.
            guard let next = nextToSeal, holder < next else { return .refused(.overflow) }
        }
        if let next = nextToSeal, number < next, next - number >= UInt64(window) { return .refused(.tooOld) }
        clear(i, number: number)
        return .held(i)
    }

    enum SlotLookup {
        case held(Int)
        case refused(LedgerOutcome)
    }

    mutating func clear(_ i: Int, number: UInt64) {
        slots[i] = BlockSlot(number: number)
        let base = i * tokens * exchanges
        for k in base..<(base + tokens * exchanges) {
            inflow[k] = 0
            outflow[k] = 0
            counts[k] = 0
        }
    }

    mutating func remove(slot i: Int, entry k: Int) {
        let base = i * maxLogs
        slots[i].logs -= 1
        counted[base + k] = counted[base + slots[i].logs]
    }

    /// Adds (`sign` 1) or takes back (−1) a counted transfer, and publishes an amendment if its block is sealed.
    mutating func change(slot i: Int, block: UInt64, _ entry: CountedLog, sign: Int128, flags: FlowEventFlags, at time: Nanos) {
        let amount = Int128(entry.amount) * sign
        let base = (i * tokens + Int(entry.token)) * exchanges
        if entry.into != 0 {
            inflow[base + Int(entry.into) - 1] += amount
            counts[base + Int(entry.into) - 1] += Int32(sign)
        }
        if entry.outOf != 0 {
            outflow[base + Int(entry.outOf) - 1] += amount
            if entry.outOf != entry.into { counts[base + Int(entry.outOf) - 1] += Int32(sign) }
        }
        guard let next = nextToSeal, block < next else { return }
        let blockTime = slots[i].blockTime
        func amend(_ exchange: UInt16, inflow: Int128, outflow: Int128) {
            events.append(
                FlowEvent(
                    kind: .amendment, block: block, token: entry.token, exchange: exchange - 1, inflow: inflow, outflow: outflow,
                    transfers: Int16(sign), blockTime: blockTime, receiveTime: time, flags: flags))
            amendments += 1
        }
        if entry.into != 0 && entry.into == entry.outOf {
            amend(entry.into, inflow: amount, outflow: amount)
        } else {
            if entry.into != 0 { amend(entry.into, inflow: amount, outflow: 0) }
            if entry.outOf != 0 { amend(entry.outOf, inflow: 0, outflow: amount) }
        }
    }

    /// Seconds since the epoch as wall-clock ns (clamped far beyond any block).
    static func wall(seconds: UInt64) -> Nanos { Nanos(raw: Int64(min(seconds, UInt64(Int64.max / 1_000_000_000))) * 1_000_000_000) }
}
