import GantryBook
import GantryCore
import GantryNet
import GantryVenues

extension EventBatch {
    /// Appends what a message did to a book once its sync has run, and says what it was: a live book after a
    /// snapshot is published whole, a live book's top when it moved; a book that stopped being live gets a
    /// stale marker (never a fresh top), and the level changes this message appended for it (from `mark` on)
    /// are taken back first: the message was refused (a bad checksum, a crossed book, a level that did not
    /// decode), so its levels must not reach a consumer as fresh ahead of the marker. The end of the message
    /// is marked by whoever publishes the batch (once, after every book the message touched).
    mutating func conclude(
        _ book: borrowing L2Book, _ top: inout TopOfBook, since mark: Int, wasLive: Bool, snapshot: Bool, exchangeTime: Nanos,
        receiveTime: Nanos
    ) -> FeedOutcome {
        if book.state == .live {
            if snapshot {
                self.snapshot(book, exchangeTime: exchangeTime, receiveTime: receiveTime)
                top = TopOfBook()
            }
            top.publishIfChanged(book, into: &self, exchangeTime: exchangeTime, receiveTime: receiveTime)
            return .applied
        }
        truncate(to: mark)
        if wasLive || snapshot { stale(book, receiveTime: receiveTime) }
        return book.state == .stale || wasLive ? .resyncNeeded(book.instrument) : .ignored
    }

    /// A level-change appender for a sync's `onLevel`, without touching the sync (it is being mutated).
    mutating func levelChange(
        venue: VenueId, instrument: InstrumentId, sequence: UInt64, _ side: Side, _ price: Price, _ quantity: Quantity,
        exchangeTime: Nanos, receiveTime: Nanos
    ) {
        append(MarketEvent(
            kind: .levelChange, side: side, venue: venue, instrument: instrument, sequence: sequence, price: price,
            quantity: quantity, exchangeTime: exchangeTime, receiveTime: receiveTime))
    }
}

/// The outcome of a decode failure: a message that is not book data (`unknownMessage`) is what the venue's
/// `classify` says (control, the venue's error, or unknown); anything else is malformed.
func decodeFailure(
    _ error: DecodeError, _ message: UnsafeRawBufferPointer, _ classify: (UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage
) -> FeedOutcome {
    guard error == .unknownMessage else { return .malformed(error, stale: nil) }
    return otherMessage(message, classify)
}

/// The outcome of a message that is not book data, as the venue's `classify` reads it (malformed if it cannot
/// be read: it is not attributable to a book).
func otherMessage(_ message: UnsafeRawBufferPointer, _ classify: (UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage) -> FeedOutcome {
    do throws(DecodeError) {
        switch try classify(message) {
        case .control: return .control
        case .unknown: return .unknown
        case .venueError(let words): return .venueError(words)
        }
    } catch {
        return .malformed(error, stale: nil)
    }
}

/// A book update's stamps, read from its message before it is applied.
public struct UpdateStamp: Sendable {
    /// The venue's sequence for the level changes (0 where the venue numbers nothing).
    public var sequence: UInt64
    public var exchangeTime: Nanos
    /// The update replaces the book (a snapshot).
    public var isSnapshot: Bool

    public init(sequence: UInt64, exchangeTime: Nanos, isSnapshot: Bool) {
        self.sequence = sequence
        self.exchangeTime = exchangeTime
        self.isSnapshot = isSnapshot
    }
}

/// What a venue's feed is configured with and how it subscribes: copyable settings and state beside the books
/// (the depth, the heartbeat, Coinbase's connection sequence).
public protocol VenueFeedRules {
    /// The venue's application-level heartbeat (nil: none).
    var keepAlive: KeepAlive? { get }
    /// The subscribe (or unsubscribe) request for `instruments`.
    func request(subscribe: Bool, _ instruments: [FeedInstrument]) -> [UInt8]
    /// Subscriptions sent on each connect besides the books' (by default none).
    var otherSubscriptions: [[UInt8]] { get }
}

extension VenueFeedRules {
    public var keepAlive: KeepAlive? { nil }
    public var otherSubscriptions: [[UInt8]] { [] }
}

/// What one venue brings to `VenueFeed`: its book sync (this type), its rules, and how a message is handled.
/// Everything else (the books, silence, resubscription) is the feed's, written once.
public protocol FeedBookSync: BookKeeping, ~Copyable {
    associatedtype Rules: VenueFeedRules
    /// The book sync of one instrument.
    init(venue: VenueId, instrument: FeedInstrument, rules: Rules)
    /// Handles one message with the feed's books (see `FeedHandler.handle`).
    static func handle(
        _ message: UnsafeRawBufferPointer, receiveTime: Nanos, venue: VenueId, rules: inout Rules, books: inout BookTable<Self>,
        into batch: inout EventBatch
    ) -> FeedOutcome
    /// The connection dropped (by default every book is marked stale).
    static func connectionLost(at time: Nanos, rules: inout Rules, books: inout BookTable<Self>, into batch: inout EventBatch)
}

extension FeedBookSync where Self: ~Copyable {
    public static func connectionLost(at time: Nanos, rules: inout Rules, books: inout BookTable<Self>, into batch: inout EventBatch) {
        books.markAllStale(at: time, into: &batch)
    }
}

/// A venue whose book messages each carry one book's update (Bybit, OKX, Kraken v2): `handle` is written once
/// over its decode, the update's symbol and stamps, and how the sync applies it.
public protocol OneBookPerMessage: FeedBookSync, ~Copyable {
    associatedtype Update
    static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Update
    /// A message that did not decode as a book update: another message (control, the venue's error, unknown) or a
    /// malformed one.
    static func notAnUpdate(
        _ error: DecodeError, _ message: UnsafeRawBufferPointer, receiveTime: Nanos, books: inout BookTable<Self>, into batch: inout EventBatch
    ) -> FeedOutcome
    static func symbol(of update: Update) -> UnsafeRawBufferPointer
    static func stamp(of update: Update) -> UpdateStamp
    mutating func applyUpdate(_ update: Update, _ onLevel: (Side, Price, Quantity) -> Void) throws(DecodeError)
}

extension OneBookPerMessage where Self: ~Copyable {
    public static func handle(
        _ message: UnsafeRawBufferPointer, receiveTime: Nanos, venue: VenueId, rules: inout Rules, books: inout BookTable<Self>,
        into batch: inout EventBatch
    ) -> FeedOutcome {
        let update: Update
        do throws(DecodeError) { update = try decode(message) } catch {
            return notAnUpdate(error, message, receiveTime: receiveTime, books: &books, into: &batch)
        }
        guard let i = books.index(of: symbol(of: update), heardAt: receiveTime) else { return .unknownInstrument }
        return books.apply(i, venue: venue, stamp: stamp(of: update), receiveTime: receiveTime, into: &batch) { sync, onLevel throws(DecodeError) in
            try sync.applyUpdate(update, onLevel)
        }
    }
}

extension BookTable where Sync: BookKeeping & ~Copyable {
    /// Applies one update to book `i` through `body`, appending its level changes (stamped), and concludes
    /// what it did (`EventBatch.conclude`): a refused update leaves the book stale and none of its levels.
    mutating func apply(
        _ i: Int, venue: VenueId, stamp: UpdateStamp, receiveTime: Nanos, into batch: inout EventBatch,
        _ body: (inout Sync, (Side, Price, Quantity) -> Void) throws(DecodeError) -> Void
    ) -> FeedOutcome {
        with(i) { sync, top in
            let wasLive = sync.book.state == .live
            let instrument = sync.book.instrument
            let mark = batch.count
            do throws(DecodeError) {
                try body(&sync) { side, price, quantity in
                    batch.levelChange(
                        venue: venue, instrument: instrument, sequence: stamp.sequence, side, price, quantity,
                        exchangeTime: stamp.exchangeTime, receiveTime: receiveTime)
                }
            } catch {
                _ = batch.conclude(
                    sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: stamp.exchangeTime, receiveTime: receiveTime)
                return .malformed(error, stale: sync.book.state == .live ? nil : instrument)
            }
            return batch.conclude(
                sync.book, &top, since: mark, wasLive: wasLive, snapshot: stamp.isSnapshot, exchangeTime: stamp.exchangeTime,
                receiveTime: receiveTime)
        }
    }
}

/// A venue's market-data feed for the configured instruments, whose snapshots come on the WebSocket: one book
/// sync per instrument, silent books resubscribed, and the venue's own part in `rules`.
public struct VenueFeed<Sync: FeedBookSync & ~Copyable>: FeedHandler, ~Copyable {
    public let venue: VenueId
    public var books: BookTable<Sync>
    public var rules: Sync.Rules

    public init(venue: VenueId, instruments: [FeedInstrument], rules: Sync.Rules) {
        self.venue = venue
        self.rules = rules
        books = BookTable(instruments) { Sync(venue: venue, instrument: $0, rules: rules) }
    }

    public var keepAlive: KeepAlive? { rules.keepAlive }

    public mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome {
        Sync.handle(message, receiveTime: receiveTime, venue: venue, rules: &rules, books: &books, into: &batch)
    }

    public mutating func connectionLost(at time: Nanos, into batch: inout EventBatch) {
        Sync.connectionLost(at: time, rules: &rules, books: &books, into: &batch)
    }

    public mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        books.resubscribeSilent(now: now, limit: limit, into: &batch, resync)
    }

    public mutating func restartSilenceClocks(at now: Nanos) { books.restartSilenceClocks(at: now) }

    /// The subscriptions for every configured instrument (sent on each connect).
    public var subscriptions: [[UInt8]] { [rules.request(subscribe: true, books.instruments)] + rules.otherSubscriptions }

    /// Unsubscribe and subscribe again: each of these venues answers a subscription with a snapshot. `.none`
    /// asks for every instrument.
    public func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void) {
        let which = books.instruments.filter { instrument == .none || $0.instrument == instrument }
        guard !which.isEmpty else { return }
        rules.request(subscribe: false, which).withUnsafeBytes(send)
        rules.request(subscribe: true, which).withUnsafeBytes(send)
    }
}

/// The instruments' symbols as JSON strings, comma-separated.
func quotedSymbols(_ instruments: [FeedInstrument]) -> String {
    instruments.map { #""\#(String(decoding: $0.symbol, as: UTF8.self))""# }.joined(separator: ",")
}

/// Bybit v5 `orderbook.{depth}.{symbol}`.
public typealias BybitFeed = VenueFeed<BybitBookSync>

public struct BybitRules: VenueFeedRules {
    /// The subscribed depth (1, 50, 200 or 1000).
    public let depth: Int
    /// Bybit asks clients to send `{"op":"ping"}` every 20 s to keep the connection (answered with
    /// `"ret_msg":"pong"`, a control message).
    public let keepAlive: KeepAlive?

    public func request(subscribe: Bool, _ instruments: [FeedInstrument]) -> [UInt8] {
        let topics = instruments.map { #""orderbook.\#(depth).\#(String(decoding: $0.symbol, as: UTF8.self))""# }
        return Array(#"{"op":"\#(subscribe ? "subscribe" : "unsubscribe")","args":[\#(topics.joined(separator: ","))]}"#.utf8)
    }
}

extension BybitBookSync: OneBookPerMessage {
    public init(venue: VenueId, instrument: FeedInstrument, rules: BybitRules) {
        self.init(
            venue: venue, instrument: instrument.instrument, priceScale: instrument.priceScale, quantityScale: instrument.quantityScale,
            depth: rules.depth)
    }

    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> Bybit.BookMessage { try Bybit.decodeBook(message) }

    public static func notAnUpdate(
        _ error: DecodeError, _ message: UnsafeRawBufferPointer, receiveTime: Nanos, books: inout BookTable<BybitBookSync>,
        into batch: inout EventBatch
    ) -> FeedOutcome { decodeFailure(error, message, Bybit.classifyOther) }

    public static func symbol(of update: Bybit.BookMessage) -> UnsafeRawBufferPointer { update.symbol }

    public static func stamp(of m: Bybit.BookMessage) -> UpdateStamp {
        UpdateStamp(sequence: m.updateId, exchangeTime: m.time, isSnapshot: m.action == .snapshot || m.updateId == 1)
    }

    public mutating func applyUpdate(_ m: Bybit.BookMessage, _ onLevel: (Side, Price, Quantity) -> Void) throws(DecodeError) {
        _ = try apply(m, onLevel: onLevel)
    }
}

extension VenueFeed where Sync == BybitBookSync {
    /// - Parameters:
    ///   - depth: The subscribed depth (1, 50, 200 or 1000).
    ///   - pingEvery: How often to send Bybit's heartbeat.
    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int = 200, pingEvery: Nanos = .seconds(20)) {
        self.init(
            venue: venue, instruments: instruments, rules: BybitRules(depth: depth, keepAlive: KeepAlive(text: #"{"op":"ping"}"#, every: pingEvery)))
    }

    public var depth: Int { rules.depth }
}

/// OKX v5 `books`.
public typealias OKXFeed = VenueFeed<OKXBookSync>

public struct OKXRules: VenueFeedRules {
    public let depth: Int
    /// OKX drops a connection that hears nothing for 30 s and asks clients to send the text `ping` well within
    /// that (answered with the text `pong`, a control message).
    public let keepAlive: KeepAlive?

    public func request(subscribe: Bool, _ instruments: [FeedInstrument]) -> [UInt8] {
        let args = instruments.map { #"{"channel":"books","instId":"\#(String(decoding: $0.symbol, as: UTF8.self))"}"# }
        return Array(#"{"op":"\#(subscribe ? "subscribe" : "unsubscribe")","args":[\#(args.joined(separator: ","))]}"#.utf8)
    }
}

extension OKXBookSync: OneBookPerMessage {
    public init(venue: VenueId, instrument: FeedInstrument, rules: OKXRules) {
        self.init(
            venue: venue, instrument: instrument.instrument, priceScale: instrument.priceScale, quantityScale: instrument.quantityScale,
            depth: rules.depth)
    }

    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> OKX.BookMessage { try OKX.decodeBook(message) }

    public static func notAnUpdate(
        _ error: DecodeError, _ message: UnsafeRawBufferPointer, receiveTime: Nanos, books: inout BookTable<OKXBookSync>,
        into batch: inout EventBatch
    ) -> FeedOutcome {
        // The answer to the heartbeat is the bare text `pong`, not JSON.
        if OKX.isPong(message) { return .control }
        return decodeFailure(error, message, OKX.classifyOther)
    }

    public static func symbol(of update: OKX.BookMessage) -> UnsafeRawBufferPointer { update.instrument }

    public static func stamp(of m: OKX.BookMessage) -> UpdateStamp {
        UpdateStamp(sequence: UInt64(max(m.seqId ?? 0, 0)), exchangeTime: m.time, isSnapshot: m.action == .snapshot)
    }

    public mutating func applyUpdate(_ m: OKX.BookMessage, _ onLevel: (Side, Price, Quantity) -> Void) throws(DecodeError) {
        _ = try apply(m, onLevel: onLevel)
    }
}

extension VenueFeed where Sync == OKXBookSync {
    /// - Parameter pingEvery: How often to send OKX's heartbeat (under 30 s).
    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int = 5_000, pingEvery: Nanos = .seconds(20)) {
        self.init(venue: venue, instruments: instruments, rules: OKXRules(depth: depth, keepAlive: KeepAlive(text: "ping", every: pingEvery)))
    }
}

/// Kraken v2 `book` (scales = the pairs' `price_precision` and `qty_precision`).
public typealias KrakenV2Feed = VenueFeed<KrakenV2BookSync>

public struct KrakenV2Rules: VenueFeedRules {
    public let depth: Int

    public func request(subscribe: Bool, _ instruments: [FeedInstrument]) -> [UInt8] {
        // The depth in both: Kraken's unsubscribe takes it too (10 when left out), and an unsubscribe at another
        // depth than the subscription's would leave it in place, so that the subscribe after it is refused.
        let method = subscribe ? "subscribe" : "unsubscribe"
        return Array(#"{"method":"\#(method)","params":{"channel":"book","symbol":[\#(quotedSymbols(instruments))],"depth":\#(depth)}}"#.utf8)
    }
}

// Kraken's sync is generic over its message (v1 and v2): the conformances are conditional, so declared apart.
extension KrakenV2BookSync: FeedBookSync {
    public init(venue: VenueId, instrument: FeedInstrument, rules: KrakenV2Rules) {
        self.init(
            venue: venue, instrument: instrument.instrument, priceScale: instrument.priceScale, quantityScale: instrument.quantityScale,
            depth: rules.depth)
    }
}

extension KrakenV2BookSync: OneBookPerMessage {
    public static func decode(_ message: UnsafeRawBufferPointer) throws(DecodeError) -> KrakenV2.BookMessage { try KrakenV2.decodeBook(message) }

    public static func notAnUpdate(
        _ error: DecodeError, _ message: UnsafeRawBufferPointer, receiveTime: Nanos, books: inout BookTable<KrakenV2BookSync>,
        into batch: inout EventBatch
    ) -> FeedOutcome {
        guard error != .unknownMessage else { return otherMessage(message, KrakenV2.classifyOther) }
        // A book message that cannot be read is an update lost for a pair it does not say. Kraken numbers
        // nothing, and its checksum covers only the top 10, so a loss deeper down would go unnoticed:
        // every book is made stale and resubscribed.
        books.markAllStale(at: receiveTime, into: &batch)
        return .malformed(error, stale: InstrumentId.none)
    }

    public static func symbol(of update: KrakenV2.BookMessage) -> UnsafeRawBufferPointer { update.symbol }

    public static func stamp(of m: KrakenV2.BookMessage) -> UpdateStamp {
        UpdateStamp(sequence: 0, exchangeTime: .zero, isSnapshot: m.isSnapshot)
    }

    public mutating func applyUpdate(_ m: KrakenV2.BookMessage, _ onLevel: (Side, Price, Quantity) -> Void) throws(DecodeError) {
        _ = try apply(m, onLevel: onLevel)
    }
}

extension VenueFeed where Sync == KrakenV2BookSync {
    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int) {
        self.init(venue: venue, instruments: instruments, rules: KrakenV2Rules(depth: depth))
    }

    public var depth: Int { rules.depth }
}

/// Coinbase Advanced Trade `level2`; the connection's `sequence_num` is checked and a gap makes every book of
/// the connection stale.
public typealias CoinbaseFeed = VenueFeed<CoinbaseBookSync>

public struct CoinbaseRules: VenueFeedRules {
    public let depth: Int
    /// Where the connection's `sequence_num` is.
    public internal(set) var sequence = CoinbaseSequence()

    public func request(subscribe: Bool, _ instruments: [FeedInstrument]) -> [UInt8] {
        Array(#"{"type":"\#(subscribe ? "subscribe" : "unsubscribe")","product_ids":[\#(quotedSymbols(instruments))],"channel":"level2"}"#.utf8)
    }

    /// Heartbeats keep quiet channels open.
    public var otherSubscriptions: [[UInt8]] { [Array(#"{"type":"subscribe","channel":"heartbeats"}"#.utf8)] }
}

/// A Coinbase message carries events for several products, each applied as one book's update.
extension CoinbaseBookSync: FeedBookSync {
    public init(venue: VenueId, instrument: FeedInstrument, rules: CoinbaseRules) {
        self.init(
            venue: venue, instrument: instrument.instrument, priceScale: instrument.priceScale, quantityScale: instrument.quantityScale,
            depth: rules.depth)
    }

    public static func handle(
        _ message: UnsafeRawBufferPointer, receiveTime: Nanos, venue: VenueId, rules: inout CoinbaseRules,
        books: inout BookTable<CoinbaseBookSync>, into batch: inout EventBatch
    ) -> FeedOutcome {
        let m: CoinbaseAdvanced.Message
        do throws(DecodeError) { m = try CoinbaseAdvanced.decode(message) } catch { return decodeFailure(error, message, CoinbaseAdvanced.classifyOther) }
        var outcome = FeedOutcome.control
        // A gap in `sequence_num` makes every book stale: whatever this message's own events do, every product
        // is resubscribed (an outcome per product below must not narrow that to one).
        var gap = false
        switch rules.sequence.check(m.sequence) {
        case .next: break
        case .repeated: return .ignored
        case .gap:
            connectionLost(at: receiveTime, rules: &rules, books: &books, into: &batch)
            outcome = .resyncNeeded(.none)
            gap = true
        }
        // Another channel's message still counted in the sequence; it is control (subscriptions, heartbeats) or
        // unknown (a channel the feed did not subscribe to).
        guard m.channel == .level2 else { return gap ? outcome : m.channel == .other ? .unknown : .control }
        do throws(DecodeError) {
            try m.forEachBookEvent { event throws(DecodeError) in
                guard let i = books.index(of: event.product, heardAt: receiveTime) else {
                    if case .malformed = outcome {} else if !gap { outcome = .unknownInstrument }
                    return
                }
                let stamp = UpdateStamp(sequence: m.sequence, exchangeTime: .zero, isSnapshot: event.isSnapshot)
                let one = books.apply(i, venue: venue, stamp: stamp, receiveTime: receiveTime, into: &batch) { sync, onLevel throws(DecodeError) in
                    _ = try sync.apply(event, onLevel: onLevel)
                }
                // The first malformed event is what the message is counted as (and its error kept); otherwise a
                // resync or an ignored event outweighs an applied one.
                if case .malformed = outcome { return }
                if case .malformed = one {
                    outcome = one
                    return
                }
                if !gap && (outcome == .control || one != .applied) { outcome = one }
            }
        } catch {
            // The message broke off between book events (or after them): events it carried may be lost, for
            // any product. As after a gap in `sequence_num`, every book is rebuilt.
            connectionLost(at: receiveTime, rules: &rules, books: &books, into: &batch)
            return .malformed(error, stale: InstrumentId.none)
        }
        if gap, case .malformed(let error, _) = outcome { return .malformed(error, stale: InstrumentId.none) }
        return outcome
    }

    public static func connectionLost(
        at time: Nanos, rules: inout CoinbaseRules, books: inout BookTable<CoinbaseBookSync>, into batch: inout EventBatch
    ) {
        rules.sequence.reset()
        for i in 0..<books.count {
            books.with(i) { sync, _ in
                if sync.book.state == .live { batch.stale(sync.book, receiveTime: time) }
                sync.markStale()
            }
        }
    }

}

extension VenueFeed where Sync == CoinbaseBookSync {
    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int = 5_000) {
        self.init(venue: venue, instruments: instruments, rules: CoinbaseRules(depth: depth))
    }

    /// Where the connection's `sequence_num` is.
    public var sequence: CoinbaseSequence { rules.sequence }
}
