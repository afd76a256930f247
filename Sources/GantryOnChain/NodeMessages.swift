import GantryCore
import GantryVenues

/// A message from an Ethereum node over the WebSocket JSON-RPC, classified in place: where its parts lie in the
/// message's bytes (JSON-RPC 2.0; geth's docs/interacting-with-geth/rpc/pubsub.md):
/// - a response `{"jsonrpc":"2.0","id":N,"result":…}` or `{…,"error":{"code":…,"message":…}}`;
/// - a notification `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":ID,"result":…}}`.
/// Members may come in any order. Offsets point at the first byte of a value (after white space).
public struct NodeEnvelope: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A response to request `id` (nil: the node could not read the request's id): `result` at `value`.
        case result(id: UInt64?, value: Int)
        /// An error response: its code, and its message's bytes (start, count).
        case error(id: UInt64?, code: Int64, message: Range<Int>)
        /// A subscription notification: the subscription id's bytes, and its `result` at `value`.
        case notification(subscription: Range<Int>, value: Int)
    }
    public var kind: Kind
}

/// One header of a `newHeads` notification: the fields the flows need.
public struct NodeHead: Sendable, Equatable {
    public var number: UInt64
    /// Seconds since the epoch.
    public var timestamp: UInt64
    /// The first 8 bytes of the block hash.
    public var hash: UInt64

    public init(number: UInt64, timestamp: UInt64, hash: UInt64) {
        self.number = number
        self.timestamp = timestamp
        self.hash = hash
    }
}

/// One log, as far as a token transfer needs it (execution-apis `Log`): the emitting contract, whether it is an
/// ERC-20 `Transfer(address,address,uint256)` (topic 0 that event's, three topics, 32 bytes of data), its
/// parties and amount, and where it lies in the chain.
public struct NodeLog: Sendable, Equatable {
    public var address: EthereumAddress
    /// Topic 0 is the Transfer event's, with from and to indexed and the value in `data` (ERC-721's Transfer,
    /// with a fourth topic, is not).
    public var isTransfer: Bool
    public var from: EthereumAddress
    public var to: EthereumAddress
    /// The uint256 value's low and high 128 bits.
    public var amount: UInt128
    public var amountHigh: UInt128
    public var block: UInt64
    /// The first 8 bytes of the block hash.
    public var blockHash: UInt64
    public var logIndex: UInt64
    /// Taken off the chain by a reorganization (`removed: true`).
    public var removed: Bool
    /// The block's timestamp in seconds, when the node sends `blockTimestamp` (0 otherwise).
    public var blockTimestamp: UInt64

    public init(
        address: EthereumAddress, isTransfer: Bool, from: EthereumAddress, to: EthereumAddress, amount: UInt128, amountHigh: UInt128, block: UInt64,
        blockHash: UInt64, logIndex: UInt64, removed: Bool, blockTimestamp: UInt64
    ) {
        self.address = address
        self.isTransfer = isTransfer
        self.from = from
        self.to = to
        self.amount = amount
        self.amountHigh = amountHigh
        self.block = block
        self.blockHash = blockHash
        self.logIndex = logIndex
        self.removed = removed
        self.blockTimestamp = blockTimestamp
    }
}

/// Reads the node's messages in place (the venue decoders' `JSONCursor`): no tree, no String, no allocation.
public enum NodeDecoder {
    /// keccak256("Transfer(address,address,uint256)") as four big-endian words.
    public static let transferTopic: (UInt64, UInt64, UInt64, UInt64) =
        (0xddf2_52ad_1be2_c89b, 0x69c2_b068_fc37_8daa, 0x952b_a7f1_63c4_a116, 0x28f5_5a4d_f523_b3ef)
    /// The same as text, for the subscription's filter.
    public static let transferTopicText = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"

    /// Classifies a message.
    /// - Throws: `DecodeError` for what is not JSON, not one JSON-RPC object, or neither a response nor a
    ///   subscription notification.
    public static func envelope(_ bytes: UnsafeRawBufferPointer) throws(DecodeError) -> NodeEnvelope {
        var c = JSONCursor(bytes)
        var id: UInt64? = nil
        var result = -1
        var error = -1
        var params = -1
        var notification = false
        try c.object { key, first, c throws(DecodeError) in
            if key.equals("id") {
                if first == 0x6E { try c.skipValue() } else { id = try c.uint64("id") }
            } else if key.equals("result") {
                result = c.offset
                try c.skipValue()
            } else if key.equals("error") {
                error = c.offset
                try c.skipValue()
            } else if key.equals("method") {
                notification = try c.string().equals("eth_subscription")
                if !notification { throw .unknownMessage }
            } else if key.equals("params") {
                params = c.offset
                try c.skipValue()
            } else {
                try c.skipValue()
            }
        }
        try c.expectEnd()
        if notification {
            guard params >= 0 else { throw .missingField("params") }
            var p = JSONCursor(bytes, at: params)
            var subscription: Range<Int>? = nil
            var value = -1
            try p.object { key, _, p throws(DecodeError) in
                if key.equals("subscription") {
                    let s = try p.string()
                    let start = s.baseAddress! - bytes.baseAddress!
                    subscription = start..<(start + s.count)
                } else if key.equals("result") {
                    value = p.offset
                    try p.skipValue()
                } else {
                    try p.skipValue()
                }
            }
            guard let subscription else { throw .missingField("subscription") }
            guard value >= 0 else { throw .missingField("result") }
            return NodeEnvelope(kind: .notification(subscription: subscription, value: value))
        }
        if error >= 0 {
            var e = JSONCursor(bytes, at: error)
            var code: Int64 = 0
            var message = 0..<0
            try e.object { key, _, e throws(DecodeError) in
                if key.equals("code") {
                    code = try e.int64("code")
                } else if key.equals("message") {
                    let s = try e.string()
                    let start = s.baseAddress! - bytes.baseAddress!
                    message = start..<(start + s.count)
                } else {
                    try e.skipValue()
                }
            }
            return NodeEnvelope(kind: .error(id: id, code: code, message: message))
        }
        guard result >= 0 else { throw .missingField("result") }
        return NodeEnvelope(kind: .result(id: id, value: result))
    }

    /// A `newHeads` header at `c`.
    /// - Throws: `DecodeError` for a header without number, timestamp or hash, or with a bad one.
    public static func head(_ c: inout JSONCursor) throws(DecodeError) -> NodeHead {
        var number: UInt64? = nil
        var timestamp: UInt64? = nil
        var hash: UInt64? = nil
        try c.object { key, _, c throws(DecodeError) in
            if key.equals("number") {
                number = try EthereumHex.quantity(try c.string(), "number")
            } else if key.equals("timestamp") {
                timestamp = try EthereumHex.quantity(try c.string(), "timestamp")
            } else if key.equals("hash") {
                hash = try EthereumHex.hashPrefix(try c.string(), "hash")
            } else {
                try c.skipValue()
            }
        }
        guard let number else { throw .missingField("number") }
        guard let timestamp else { throw .missingField("timestamp") }
        guard let hash else { throw .missingField("hash") }
        return NodeHead(number: number, timestamp: timestamp, hash: hash)
    }

    /// A log at `c`.
    /// - Throws: `DecodeError` for a log without address, topics, blockNumber, blockHash or logIndex, or with a
    ///   bad one; for a Transfer whose topics do not hold addresses or whose data is not one 32-byte word.
    public static func log(_ c: inout JSONCursor) throws(DecodeError) -> NodeLog {
        var log = NodeLog(
            address: EthereumAddress(high: 0, middle: 0, low: 0), isTransfer: false, from: EthereumAddress(high: 0, middle: 0, low: 0),
            to: EthereumAddress(high: 0, middle: 0, low: 0), amount: 0, amountHigh: 0, block: 0, blockHash: 0, logIndex: 0, removed: false,
            blockTimestamp: 0)
        var seen: UInt8 = 0  // address, topics, block, hash, index
        var data = -1
        let bytes = c.bytes
        try c.object { key, _, c throws(DecodeError) in
            if key.equals("address") {
                log.address = try EthereumHex.address(try c.string(), "address")
                seen |= 1
            } else if key.equals("topics") {
                var n = 0
                var topic0 = false
                try c.array { c throws(DecodeError) in
                    let t = try c.string()
                    switch n {
                    case 0:
                        let (high, low) = try EthereumHex.uint256(t, "topics")
                        let w = transferTopic
                        topic0 = high == (UInt128(w.0) << 64 | UInt128(w.1)) && low == (UInt128(w.2) << 64 | UInt128(w.3))
                    case 1 where topic0: log.from = try EthereumHex.topicAddress(t, "topics")
                    case 2 where topic0: log.to = try EthereumHex.topicAddress(t, "topics")
                    default: break
                    }
                    n += 1
                }
                log.isTransfer = topic0 && n == 3
                seen |= 2
            } else if key.equals("data") {
                data = c.offset
                try c.skipValue()
            } else if key.equals("blockNumber") {
                log.block = try EthereumHex.quantity(try c.string(), "blockNumber")
                seen |= 4
            } else if key.equals("blockHash") {
                log.blockHash = try EthereumHex.hashPrefix(try c.string(), "blockHash")
                seen |= 8
            } else if key.equals("logIndex") {
                log.logIndex = try EthereumHex.quantity(try c.string(), "logIndex")
                seen |= 16
            } else if key.equals("removed") {
                log.removed = try c.bool()
            } else if key.equals("blockTimestamp") {
                log.blockTimestamp = try EthereumHex.quantity(try c.string(), "blockTimestamp")
            } else {
                try c.skipValue()
            }
        }
        if seen != 31 {
            for (bit, name) in [(1, "address"), (2, "topics"), (4, "blockNumber"), (8, "blockHash"), (16, "logIndex")] as [(UInt8, StaticString)]
            where seen & bit == 0 {
                throw .missingField("\(name)")
            }
        }
        if log.isTransfer {
            guard data >= 0 else { throw .missingField("data") }
            var d = JSONCursor(bytes, at: data)
            (log.amountHigh, log.amount) = try EthereumHex.uint256(try d.string(), "data")
        }
        return log
    }
}
