import GantryCore
import GantryLoop
import GantryRing
import Logging

/// What a consumer has done.
public struct BusConsumerStats: Sendable, Equatable {
    /// Events handed on to the output ring.
    public var delivered = 0
    /// Entries dropped because their producer's sequence was at or below the last one handed on (a re-sent
    /// entry, or a pending entry read again after a reconnect).
    public var duplicates = 0
    /// Sequence numbers skipped between two entries of one producer handed on (events the publisher dropped or
    /// Redis refused or trimmed; in a group of several consumers, also the entries the others read).
    public var gaps: UInt64 = 0
    /// Entries refused: a missing field, a bad number, a payload of the wrong size. Acknowledged, not retried.
    public var malformed = 0
    /// Pending entries whose data `MAXLEN` had trimmed before they were read again. Acknowledged.
    public var trimmed = 0
    /// Entries read again from this consumer's pending list after a (re)connect.
    public var recovered = 0
    /// Entries acknowledged (XACK's count).
    public var acknowledged = 0
    /// The connection: connected now, reconnects, failed attempts, the last error.
    public var connection = BusConnectionStats()

    public init() {}
}

/// The consuming stage: one stream, read as `consumer` of the configured group, delivered into a ring.
///
/// Each poll claims room on the output ring, reads at most that many entries (`XREADGROUP … COUNT <room> BLOCK
/// <block>`), drops those at or below the last sequence handed on from their producer, writes the rest into the
/// ring in stream order, commits, and acknowledges all it read (`XACK`, sent ahead of the next read in one round
/// trip, or on its own when the ring is full or the stage finishes). After every (re)connect it first
/// creates the group if it is missing (`XGROUP CREATE … 0 MKSTREAM`, BUSYGROUP tolerated) and reads its own
/// pending entries (id `0`: read, perhaps handed on, not acknowledged) until there are none, then new ones
/// (`>`). Delivery is at least once from Redis and exactly once into the ring while this stage lives, for the
/// entries one consumer reads; see docs/BUS.md for a group of several.
///
/// Blocking: XREADGROUP blocks this stage's runner (its own, cold) for up to `block` when the stream is idle.
public struct BusConsumer<E: BusEvent>: Stage, ~Copyable {
    let configuration: BusConfiguration
    /// This consumer's name in its group.
    public let name: String
    let stream: [UInt8]
    let group: [UInt8]
    let consumerName: [UInt8]
    let blockDigits: [UInt8]
    var output: RingProducer<E>
    var link: BusLink
    var writer = RESPWriter(capacity: 4_096)
    /// The XACK of the last batch read, sent ahead of the next XREADGROUP (one round trip for both).
    var acks = RESPWriter(capacity: 64 * 1024)
    var acksPending = false
    /// Reading this consumer's pending entries (after a connect) rather than new ones.
    var recovering = true
    var groupReady = false
    /// The last sequence handed on, by producer.
    var last: [UInt64: UInt64] = [:]
    /// Entries published before this stage first reached Redis are never delivered (see `init`'s `fromNow`).
    let fromNow: Bool
    /// The group of an earlier run is still to be destroyed (a `fromNow` stage's first connect).
    var skipBacklog: Bool
    /// What the stage has done so far.
    public private(set) var stats = BusConsumerStats()
    var loggedMalformed = (count: 0, at: Nanos(raw: Int64.min / 2))
    let board: BusStatsBoard<BusConsumerStats>?

    /// A consumer named `name` (unique in its group) of the stream of `E`'s kind.
    /// - Parameters:
    ///   - output: Where events go; the stage reads no more than the ring has room for.
    ///   - context: The runner's context, to wake the runner every `wake` (nothing rings its doorbell); nil
    ///     when a test polls.
    ///   - board: Where the stage leaves its figures after every poll, for other threads.
    ///   - fromNow: At its first connect, the stage makes its group afresh at the stream's end (`XGROUP DESTROY`,
    ///     then `XGROUP CREATE … $`): nothing published before it first reached Redis is delivered, not even what
    ///     an earlier run of the group read and left pending. For a stream whose old entries must never act
    ///     (intents: an order decided on a stale signal); only for a group this stage is the one consumer of.
    ///     Reconnects later keep the group's place; a group that vanished is made again at the end, never at 0.
    public init(
        configuration: BusConfiguration, name: String, output: consuming RingProducer<E>, context: RunnerContext? = nil,
        wake: Nanos = .milliseconds(1), board: BusStatsBoard<BusConsumerStats>? = nil, fromNow: Bool = false,
        logger: Logger = Logger(label: "gantry.bus")
    ) {
        self.fromNow = fromNow
        skipBacklog = fromNow
        self.configuration = configuration
        self.board = board
        self.name = name
        stream = Array(configuration.stream(E.busKind).utf8)
        group = Array(configuration.group.utf8)
        consumerName = Array(name.utf8)
        blockDigits = Array(String(max(1, configuration.block.raw / 1_000_000)).utf8)
        self.output = output
        link = BusLink(configuration: configuration, role: "consumer \(name) of \(configuration.stream(E.busKind))", logger: logger)
        context?.every(wake) {}
    }

    /// Acknowledges the last batch before the stage goes (unacknowledged, it would be delivered again to the
    /// next consumer of this name, and dropped only if that one seeds its sequences).
    public mutating func finish() {
        guard acksPending, let connection = link.connection else { return }
        do throws(BusError) {
            try acknowledge(connection)
        } catch {
            link.logger.error("bus consumer \(name): acknowledging the last batch failed: \(error)")
        }
    }

    /// Seeds the last sequence handed on from `producer` (a consumer that keeps its own record across restarts).
    public mutating func seed(producer: UInt64, sequence: UInt64) { last[producer] = sequence }

    /// Connects if needed, reads once (blocking up to `block` when the stream is idle), hands events on, acknowledges.
    /// - Returns: events handed on.
    public mutating func poll() -> Int {
        let now = MonotonicClock.now()
        guard let (connection, fresh) = link.connect(now: now) else {
            stats.connection = link.stats
            board?.store(stats)
            return 0
        }
        if fresh {
            recovering = true
            groupReady = false
            acksPending = false  // those entries are still pending on the server: read again first, and acknowledged then
        }
        var n = 0
        do throws(BusError) {
            if !groupReady { try createGroup(connection) }
            n = try read(connection)
        } catch {
            if error.isRetryable {
                link.lost(error, now: now)
            } else {
                link.note(error)
                // What was read and not handed on is still pending on the server: read the pending list again.
                recovering = true
                acksPending = false
                if case .rejected(_, let reply) = error, reply.hasPrefix("NOGROUP") {
                    groupReady = false  // the stream or group went away (a Redis that lost its data): made again next poll
                }
            }
        }
        stats.connection = link.stats
        board?.store(stats)
        return n
    }

    mutating func createGroup(_ connection: RedisConnection) throws(BusError) {
        if skipBacklog {
            // The group of an earlier run goes, with its pending entries (DESTROY answers 0 when there was none).
            writer.reset()
            writer.command(arguments: 4)
            writer.bulk("XGROUP")
            writer.bulk("DESTROY")
            writer.bulk(stream)
            writer.bulk(group)
            do {
                _ = try connection.run(writer, name: "XGROUP DESTROY")
            } catch .rejected(_, let reply) where reply.hasPrefix("ERR The XGROUP subcommand requires the key to exist") {
                // No stream yet: nothing to skip.
            }
        }
        writer.reset()
        writer.command(arguments: 6)
        writer.bulk("XGROUP")
        writer.bulk("CREATE")
        writer.bulk(stream)
        writer.bulk(group)
        writer.bulk(fromNow ? "$" : "0")
        writer.bulk("MKSTREAM")
        do {
            _ = try connection.run(writer, name: "XGROUP CREATE")
        } catch .rejected(_, let reply) where reply.hasPrefix("BUSYGROUP") {
            // The group exists: another consumer or an earlier run made it.
        }
        if skipBacklog { link.logger.notice("bus consumer \(name): reading \(configuration.stream(E.busKind)) from now on (what was published before is skipped)") }
        skipBacklog = false
        groupReady = true
    }

    /// Sends the XACK of the last batch, if any, and reads its reply.
    mutating func acknowledge(_ connection: RedisConnection) throws(BusError) {
        guard acksPending else { return }
        try connection.append(acks.bytes)
        if let refused = try acknowledged(connection) { throw refused }
    }

    /// Reads the reply of the XACK sent. - Returns: Redis's refusal, if it refused (the caller reads the replies
    /// of what it pipelined behind the XACK before it throws, so that the connection stays in step).
    /// - Throws: `BusError` if the connection failed.
    mutating func acknowledged(_ connection: RedisConnection) throws(BusError) -> BusError? {
        acksPending = false
        let ack = try connection.reply()
        guard ack.root.isInteger else {
            return ack.root.isError ? .rejected(command: "XACK", reply: ack.root.text) : .unexpectedReply(command: "XACK", what: ack.root.shape)
        }
        stats.acknowledged += Int(ack.root.integer)
        return nil
    }

    /// The last batch's XACK and one XREADGROUP, pipelined; the entries into the ring; their XACK kept for the
    /// next read. - Returns: events handed on.
    mutating func read(_ connection: RedisConnection) throws(BusError) -> Int {
        let room = output.claim(upTo: configuration.batch).count
        guard room > 0 else {
            try acknowledge(connection)  // the ring is full: acknowledge now rather than after it drains
            return 0
        }
        writer.reset()
        writer.command(arguments: recovering ? 9 : 11)
        writer.bulk("XREADGROUP")
        writer.bulk("GROUP")
        writer.bulk(group)
        writer.bulk(consumerName)
        writer.bulk("COUNT")
        writer.bulk(decimal: UInt64(room))
        if !recovering {  // BLOCK means nothing for a read of the pending list
            writer.bulk("BLOCK")
            writer.bulk(blockDigits)
        }
        writer.bulk("STREAMS")
        writer.bulk(stream)
        if recovering { writer.bulk("0") } else { writer.bulk(">") }
        var refused: BusError? = nil
        if acksPending {
            try connection.append(acks.bytes)
            try connection.append(writer.bytes)
            refused = try acknowledged(connection)
        } else {
            try connection.append(writer.bytes)
        }
        let reply = try connection.reply()
        if let refused { throw refused }
        let root = reply.root
        if root.isError { throw .rejected(command: "XREADGROUP", reply: root.text) }
        if root.isNil { return 0 }  // BLOCK ran out
        guard root.isArray, root.count == 1, root[0].isArray, root[0].count == 2, root[0][1].isArray else {
            throw .unexpectedReply(command: "XREADGROUP", what: root.shape)
        }
        let entries = root[0][1]
        if entries.count == 0 {
            if recovering { recovering = false }  // the pending list is done: new entries from now on
            return 0
        }
        // Every entry's shape first: a throw after `last` moved on would make the entries, read again, duplicates.
        for i in 0..<entries.count {
            let entry = entries[i]
            guard entry.isArray, entry.count == 2, entry[0].isString else {
                throw .unexpectedReply(command: "XREADGROUP", what: "entry \(entry.shape)")
            }
        }
        if recovering { stats.recovered += entries.count }
        let slots = output.claim(upTo: entries.count)
        precondition(slots.count >= entries.count, "bus consumer: the ring lost the room it had")
        acks.reset()
        acks.command(arguments: 3 + entries.count)
        acks.bulk("XACK")
        acks.bulk(stream)
        acks.bulk(group)
        var handed = 0
        for i in 0..<entries.count {
            let entry = entries[i]
            acks.bulk(entry[0].bytes)
            let fields = entry[1]
            if fields.isNil {
                stats.trimmed += 1  // a pending entry MAXLEN has trimmed: nothing to hand on
                continue
            }
            switch Self.decode(fields) {
            case .failure(let why):
                stats.malformed += 1
                noteMalformed(.malformedEntry(stream: configuration.stream(E.busKind), why: why.description))
            case .success(let (producer, sequence, payload)):
                let previous = last[producer]
                if let previous, sequence <= previous {
                    stats.duplicates += 1
                    continue
                }
                if let previous, sequence > previous + 1 { stats.gaps += sequence - previous - 1 }
                last[producer] = sequence
                // SAFETY: `payload` has exactly `MemoryLayout<E>.size` bytes (checked by `decode`); the slot is E's.
                slots[handed] = payload.loadUnaligned(as: E.self)
                handed += 1
            }
        }
        output.commit(handed)
        stats.delivered += handed
        acksPending = true  // sent ahead of the next XREADGROUP, which Redis then runs after it (a read of the pending list too)
        return handed
    }

    /// An entry's producer, sequence and payload, or why it is not one of ours.
    static func decode(_ fields: ReplyView) -> Result<(UInt64, UInt64, UnsafeRawBufferPointer), DecodeProblem> {
        guard fields.isArray, fields.count % 2 == 0 else { return .failure(DecodeProblem("fields are \(fields.shape)")) }
        var producer: UInt64? = nil
        var sequence: UInt64? = nil
        var payload: UnsafeRawBufferPointer? = nil
        var k = 0
        while k < fields.count {
            let key = fields[k].bytes
            let value = fields[k + 1].bytes
            if key.count == 1 {
                switch key[0] {
                case UInt8(ascii: "p"): producer = parseDecimal(value)
                case UInt8(ascii: "s"): sequence = parseDecimal(value)
                case UInt8(ascii: "d"): payload = value
                default: break
                }
            }
            k += 2
        }
        guard let producer else { return .failure(DecodeProblem("no producer (p) field")) }
        guard let sequence, sequence > 0 else { return .failure(DecodeProblem("no sequence (s) field")) }
        guard let payload else { return .failure(DecodeProblem("no payload (d) field")) }
        guard payload.count == MemoryLayout<E>.size else {
            return .failure(DecodeProblem("payload of \(payload.count) bytes, a \(E.self) has \(MemoryLayout<E>.size)"))
        }
        return .success((producer, sequence, payload))
    }

    /// Logs malformed entries, at most once a second.
    mutating func noteMalformed(_ error: BusError) {
        link.note(error)
        let now = MonotonicClock.now()
        guard now - loggedMalformed.at >= .seconds(1) else { return }
        link.logger.error("bus consumer \(name): \(stats.malformed - loggedMalformed.count) malformed entries acknowledged and skipped; last: \(error)")
        loggedMalformed = (stats.malformed, now)
    }
}

/// Why an entry could not be decoded.
struct DecodeProblem: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
