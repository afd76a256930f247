import GantryCore
import GantryVenues

/// An ERC-20 token whose transfers are counted: its contract and its decimals (the events' scale).
public struct OnChainToken: Sendable {
    public var symbol: String
    public var address: EthereumAddress
    public var decimals: Int
    public init(symbol: String, address: EthereumAddress, decimals: Int) {
        precondition((0...38).contains(decimals), "a token has 0…38 decimals")
        self.symbol = symbol
        self.address = address
        self.decimals = decimals
    }
}

/// An exchange and its deposit (and hot wallet) addresses: transfers to them are its inflow, from them its outflow.
public struct OnChainExchange: Sendable {
    public var name: String
    public var addresses: [EthereumAddress]
    public init(name: String, addresses: [EthereumAddress]) {
        self.name = name
        self.addresses = addresses
    }
}

/// What the adapter counts and how it keeps up with the node.
public struct OnChainSettings: Sendable {
    public var tokens: [OnChainToken]
    public var exchanges: [OnChainExchange]
    /// The first block counted (backfilled with `eth_getLogs` if it is past); nil: the block after the node's
    /// head at the first connect.
    public var startBlock: UInt64?
    /// A block is sealed this long after its header (or as soon as a later header arrives).
    public var sealDelay: Nanos
    /// After a reconnect, the backfill starts this many blocks below the first unsealed block, so that a reorg
    /// of sealed blocks while the connection was down is found (and amended).
    public var reorgDepth: UInt64
    /// Blocks per `eth_getLogs` request.
    public var backfillChunk: UInt64
    /// Blocks the ledger keeps, and exchange transfers per block.
    public var window: Int
    public var maxLogsPerBlock: Int
    /// A refused backfill request is sent again after this long, and one unanswered (or answered with what did
    /// not decode) after `backfillTimeout`.
    public var retryAfter: Nanos
    public var backfillTimeout: Nanos

    public init(
        tokens: [OnChainToken], exchanges: [OnChainExchange], startBlock: UInt64? = nil, sealDelay: Nanos = .milliseconds(200),
        reorgDepth: UInt64 = 2, backfillChunk: UInt64 = 100, window: Int = 512, maxLogsPerBlock: Int = 512, retryAfter: Nanos = .seconds(1),
        backfillTimeout: Nanos = .seconds(10)
    ) {
        precondition(!tokens.isEmpty && !exchanges.isEmpty && backfillChunk > 0, "tokens, exchanges and a backfill chunk")
        self.tokens = tokens
        self.exchanges = exchanges
        self.startBlock = startBlock
        self.sealDelay = sealDelay
        self.reorgDepth = reorgDepth
        self.backfillChunk = min(backfillChunk, UInt64(window / 2))
        self.window = window
        self.maxLogsPerBlock = maxLogsPerBlock
        self.retryAfter = retryAfter
        self.backfillTimeout = backfillTimeout
    }
}

/// What the adapter did, for tests, monitoring and the log.
public struct OnChainStats: Sendable, Equatable {
    public var messages = 0
    public var heads = 0
    /// Transfer logs of a configured token, and what became of them.
    public var logs = 0
    public var counted = 0
    public var reversed = 0
    public var notExchange = 0
    public var duplicates = 0
    public var unmatchedRemovals = 0
    public var tooOld = 0
    public var overflows = 0
    /// Logs of a configured token that are not an ERC-20 Transfer, and logs of another contract.
    public var notTransfer = 0
    public var otherContract = 0
    /// Transfers whose uint256 amount does not fit a signed 128-bit integer: flagged and left out.
    public var oversize = 0
    /// Messages that did not decode, and the last one's error.
    public var malformed = 0
    public var lastError: DecodeError? = nil
    /// The node's error answers, and the last one's words.
    public var nodeErrors = 0
    public var lastNodeError: String? = nil
    /// Responses and notifications for no request or subscription of this connection.
    public var unknown = 0
    public var opens = 0
    public var disconnects = 0
    public var backfillRequests = 0
    public var backfillTimeouts = 0
    public var backfilledLogs = 0
    /// Transfers a backfill no longer found on the chain (taken back).
    public var sweptBack = 0
    public var sealedBlocks = 0
    public var amendments = 0
    public var events = 0
    public init() {}
}

/// What one message was.
public enum OnChainOutcome: Equatable, Sendable {
    case head
    case log(LedgerOutcome)
    /// A subscription's id, the node's height, a backfill's logs.
    case control
    /// A log the adapter does not count: another contract's, not a Transfer, or an amount beyond 128 bits.
    case ignored
    case nodeError
    case unknown
    case malformed(DecodeError)
}

/// The adapter's protocol over one node connection, apart from the I/O: the subscriptions sent on every open
/// (`newHeads`; `logs` of the tokens' Transfer topic; `eth_blockNumber`), the messages decoded in place into
/// the `FlowLedger`, and after a reconnect the backfill of the missed blocks with `eth_getLogs`, in chunks,
/// each chunk reconciled with what was counted (a transfer it repeats counts once, one it no longer has is
/// taken back). Sealing waits while a backfill is due. Requests to send are left in `outbox`.
public struct OnChainFeed {
    public let settings: OnChainSettings
    public var ledger: FlowLedger
    public private(set) var stats = OnChainStats()
    /// Sent, in order, each time the connection opens (ids 1, 2 and 3).
    public let subscriptions: [[UInt8]]
    /// Requests to send on the open connection, oldest first: the owner sends them and empties it.
    public var outbox: [[UInt8]] = []
    var headsSubscription: [UInt8]? = nil
    var logsSubscription: [UInt8]? = nil
    struct Backfill {
        var next: UInt64
        var through: UInt64
        var pass: UInt32
        var chunkEnd: UInt64 = 0
        var request: UInt64? = nil
        var retryAt: Nanos? = nil
        var sentAt = Nanos.zero
    }
    var backfill: Backfill? = nil
    var passes: UInt32 = 0
    var nextId: UInt64 = 4
    var open = false
    let filter: String

    public init(settings: OnChainSettings) {
        self.settings = settings
        ledger = FlowLedger(
            tokens: settings.tokens.count, exchanges: settings.exchanges.map(\.addresses), window: settings.window,
            maxLogs: settings.maxLogsPerBlock, sealDelay: settings.sealDelay)
        filter = #""address":[\#(settings.tokens.map { "\"\($0.address)\"" }.joined(separator: ","))],"topics":["\#(NodeDecoder.transferTopicText)"]"#
        subscriptions = [
            Array(#"{"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]}"#.utf8),
            Array(#"{"jsonrpc":"2.0","id":2,"method":"eth_subscribe","params":["logs",{\#(filter)}]}"#.utf8),
            Array(#"{"jsonrpc":"2.0","id":3,"method":"eth_blockNumber","params":[]}"#.utf8),
        ]
        outbox.reserveCapacity(16)
    }

    /// Whether a backfill is under way.
    public var backfilling: Bool { backfill != nil }

    /// The connection opened: the subscriptions are on their way; sealing waits for the node's height.
    public mutating func opened() {
        open = true
        stats.opens += 1
        headsSubscription = nil
        logsSubscription = nil
        backfill = nil
        outbox.removeAll(keepingCapacity: true)
        if let next = ledger.nextToSeal { ledger.sealBelow = next }
    }

    /// The connection ended: its subscriptions with it; sealing waits for the next connection's backfill.
    public mutating func closed() {
        if open { stats.disconnects += 1 }
        open = false
        headsSubscription = nil
        logsSubscription = nil
        backfill = nil
        outbox.removeAll(keepingCapacity: true)
        if let next = ledger.nextToSeal { ledger.sealBelow = next }
    }

    /// One message from the node. Allocation-free for notifications.
    public mutating func handle(_ bytes: UnsafeRawBufferPointer, receivedAt: Nanos) -> OnChainOutcome {
        stats.messages += 1
        do throws(DecodeError) {
            switch try NodeDecoder.envelope(bytes).kind {
            case .notification(let subscription, let value):
                let id = UnsafeRawBufferPointer(rebasing: bytes[subscription])
                var c = JSONCursor(bytes, at: value)
                if let heads = headsSubscription, heads.elementsEqual(id) {
                    let head = try NodeDecoder.head(&c)
                    stats.heads += 1
                    ledger.head(head, at: receivedAt)
                    return .head
                }
                if let logs = logsSubscription, logs.elementsEqual(id) { return count(try NodeDecoder.log(&c), mark: 0, flags: [], at: receivedAt) }
                stats.unknown += 1
                return .unknown
            case .result(let id, let value):
                var c = JSONCursor(bytes, at: value)
                switch id {
                case 1?: headsSubscription = Array(try c.string())
                case 2?: logsSubscription = Array(try c.string())
                case 3?: height(try EthereumHex.quantity(try c.string(), "result"), at: receivedAt)
                case let id? where id == backfill?.request: try backfillArrived(&c, at: receivedAt)
                default:
                    stats.unknown += 1
                    return .unknown
                }
                return .control
            case .error(let id, let code, let message):
                stats.nodeErrors += 1
                stats.lastNodeError = "\(code) " + String(decoding: UnsafeRawBufferPointer(rebasing: bytes[message]), as: UTF8.self)
                if let id, id == backfill?.request { retryBackfill(at: receivedAt) }
                return .nodeError
            }
        } catch {
            stats.malformed += 1
            stats.lastError = error
            return .malformed(error)
        }
    }

    /// Timers: a backfill retry when due, and the blocks ready to seal.
    /// - Returns: How many blocks were sealed.
    public mutating func tick(now: Nanos) -> Int {
        if open, let b = backfill {
            if let due = b.retryAt, now >= due {
                requestChunk(at: now)
            } else if b.request != nil, now - b.sentAt >= settings.backfillTimeout {
                // No answer (or one that did not decode): ask again.
                stats.backfillTimeouts += 1
                requestChunk(at: now)
            }
        }
        let sealed = ledger.seal(now: now)
        stats.sealedBlocks = ledger.sealedBlocks
        stats.amendments = ledger.amendments
        return sealed
    }

    /// Counts the published events (the owner's).
    public mutating func published(_ count: Int) { stats.events += count }

    // MARK: - Internals

    mutating func count(_ log: NodeLog, mark: UInt32, flags: FlowEventFlags, at time: Nanos) -> OnChainOutcome {
        guard let token = settings.tokens.firstIndex(where: { $0.address == log.address }) else {
            stats.otherContract += 1
            return .ignored
        }
        guard log.isTransfer else {
            stats.notTransfer += 1
            return .ignored
        }
        guard log.amountHigh == 0, log.amount <= UInt128(Int128.max) else {
            stats.oversize += 1
            return .ignored
        }
        stats.logs += 1
        let outcome = ledger.apply(token: token, log, mark: mark, flags: flags, at: time)
        switch outcome {
        case .counted: stats.counted += 1
        case .reversed: stats.reversed += 1
        case .notExchange: stats.notExchange += 1
        case .duplicate: stats.duplicates += 1
        case .unmatchedRemoval: stats.unmatchedRemovals += 1
        case .tooOld: stats.tooOld += 1
        case .overflow: stats.overflows += 1
        }
        return .log(outcome)
    }

    /// The node's height (`eth_blockNumber`): start counting, or backfill what the connection missed.
    mutating func height(_ head: UInt64, at time: Nanos) {
        ledger.noteHead(head)
        let from: UInt64
        if let next = ledger.nextToSeal {
            from = max(ledger.firstBlock, next > settings.reorgDepth ? next - settings.reorgDepth : 0)
        } else {
            from = settings.startBlock ?? head + 1
            ledger.start(at: from)
        }
        guard from <= head else {
            ledger.sealBelow = nil
            return
        }
        passes += 1
        backfill = Backfill(next: from, through: head, pass: passes)
        requestChunk(at: time)
    }

    mutating func requestChunk(at time: Nanos) {
        guard var b = backfill else { return }
        b.sentAt = time
        b.chunkEnd = min(b.next + settings.backfillChunk - 1, b.through)
        b.request = nextId
        b.retryAt = nil
        nextId += 1
        outbox.append(
            Array(
                #"{"jsonrpc":"2.0","id":\#(b.request!),"method":"eth_getLogs","params":[{"fromBlock":"0x\#(String(b.next, radix: 16))","toBlock":"0x\#(String(b.chunkEnd, radix: 16))",\#(filter)}]}"#
                    .utf8))
        stats.backfillRequests += 1
        backfill = b
    }

    /// A chunk's logs: each counted once (marked by the pass), then what the chunk's blocks no longer hold is
    /// taken back, and its blocks may be sealed.
    mutating func backfillArrived(_ c: inout JSONCursor, at time: Nanos) throws(DecodeError) {
        guard let b = backfill else { return }
        try c.array { c throws(DecodeError) in
            let log = try NodeDecoder.log(&c)
            stats.backfilledLogs += 1
            _ = count(log, mark: b.pass, flags: .backfilled, at: time)
        }
        stats.sweptBack += ledger.sweep(from: b.next, through: b.chunkEnd, mark: b.pass, at: time)
        ledger.backfilledThrough = b.chunkEnd
        if b.chunkEnd >= b.through {
            backfill = nil
            ledger.sealBelow = nil
        } else {
            ledger.sealBelow = b.chunkEnd + 1
            backfill!.next = b.chunkEnd + 1
            requestChunk(at: time)
        }
    }

    mutating func retryBackfill(at time: Nanos) {
        backfill?.request = nil
        backfill?.retryAt = time + settings.retryAfter
    }
}
