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

/// The symbols of `instruments` whose id is `instrument` (all of them for `.none`), as JSON strings.
func quotedSymbols(_ instruments: [FeedInstrument], _ instrument: InstrumentId) -> [String] {
    instruments.filter { instrument == .none || $0.instrument == instrument }.map { #""\#(String(decoding: $0.symbol, as: UTF8.self))""# }
}

/// Bybit v5 `orderbook.{depth}.{symbol}` for the configured instruments.
public struct BybitFeed: FeedHandler, ~Copyable {
    public let venue: VenueId
    public let depth: Int
    public var books: BookTable<BybitBookSync>
    /// Bybit asks clients to send `{"op":"ping"}` every 20 s to keep the connection (answered with
    /// `"ret_msg":"pong"`, a control message).
    public let keepAlive: KeepAlive?

    /// - Parameters:
    ///   - depth: The subscribed depth (1, 50, 200 or 1000).
    ///   - pingEvery: How often to send Bybit's heartbeat.
    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int = 200, pingEvery: Nanos = .seconds(20)) {
        self.venue = venue
        self.depth = depth
        keepAlive = KeepAlive(text: #"{"op":"ping"}"#, every: pingEvery)
        books = BookTable(instruments) {
            BybitBookSync(venue: venue, instrument: $0.instrument, priceScale: $0.priceScale, quantityScale: $0.quantityScale, depth: depth)
        }
    }

    public mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome {
        let m: Bybit.BookMessage
        do throws(DecodeError) { m = try Bybit.decodeBook(message) } catch { return decodeFailure(error, message, Bybit.classifyOther) }
        guard let i = books.index(of: m.symbol, heardAt: receiveTime) else { return .unknownInstrument }
        let venue = self.venue
        return books.with(i) { sync, top in
            let wasLive = sync.book.state == .live
            let instrument = sync.book.instrument
            let mark = batch.count
            do throws(DecodeError) {
                _ = try sync.apply(m) { side, price, quantity in
                    batch.levelChange(
                        venue: venue, instrument: instrument, sequence: m.updateId, side, price, quantity, exchangeTime: m.time,
                        receiveTime: receiveTime)
                }
            } catch {
                _ = batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: m.time, receiveTime: receiveTime)
                return .malformed(error, stale: sync.book.state == .live ? nil : instrument)
            }
            return batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: m.action == .snapshot || m.updateId == 1, exchangeTime: m.time,
                receiveTime: receiveTime)
        }
    }

    public mutating func connectionLost(at time: Nanos, into batch: inout EventBatch) { books.markAllStale(at: time, into: &batch) }

    public mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        books.resubscribeSilent(now: now, limit: limit, into: &batch, resync)
    }

    public mutating func restartSilenceClocks(at now: Nanos) { books.restartSilenceClocks(at: now) }

    /// The subscribe request for every configured instrument (sent on each connect).
    public var subscriptions: [[UInt8]] { [request("subscribe", books.instruments)] }

    func request(_ op: String, _ instruments: [FeedInstrument]) -> [UInt8] {
        let topics = instruments.map { #""orderbook.\#(depth).\#(String(decoding: $0.symbol, as: UTF8.self))""# }
        return Array(#"{"op":"\#(op)","args":[\#(topics.joined(separator: ","))]}"#.utf8)
    }

    /// Unsubscribe and subscribe again: Bybit answers a subscription with a snapshot.
    public func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void) {
        let which = books.instruments.filter { instrument == .none || $0.instrument == instrument }
        guard !which.isEmpty else { return }
        request("unsubscribe", which).withUnsafeBytes(send)
        request("subscribe", which).withUnsafeBytes(send)
    }
}

/// OKX v5 `books` for the configured instruments.
public struct OKXFeed: FeedHandler, ~Copyable {
    public let venue: VenueId
    public var books: BookTable<OKXBookSync>
    /// OKX drops a connection that hears nothing for 30 s and asks clients to send the text `ping` well within
    /// that (answered with the text `pong`, a control message).
    public let keepAlive: KeepAlive?

    /// - Parameter pingEvery: How often to send OKX's heartbeat (under 30 s).
    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int = 5_000, pingEvery: Nanos = .seconds(20)) {
        self.venue = venue
        keepAlive = KeepAlive(text: "ping", every: pingEvery)
        books = BookTable(instruments) {
            OKXBookSync(venue: venue, instrument: $0.instrument, priceScale: $0.priceScale, quantityScale: $0.quantityScale, depth: depth)
        }
    }

    public mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome {
        let m: OKX.BookMessage
        do throws(DecodeError) { m = try OKX.decodeBook(message) } catch {
            // The answer to the heartbeat is the bare text `pong`, not JSON.
            if OKX.isPong(message) { return .control }
            return decodeFailure(error, message, OKX.classifyOther)
        }
        guard let i = books.index(of: m.instrument, heardAt: receiveTime) else { return .unknownInstrument }
        let venue = self.venue
        let sequence = UInt64(max(m.seqId ?? 0, 0))
        return books.with(i) { sync, top in
            let wasLive = sync.book.state == .live
            let instrument = sync.book.instrument
            let mark = batch.count
            do throws(DecodeError) {
                _ = try sync.apply(m) { side, price, quantity in
                    batch.levelChange(
                        venue: venue, instrument: instrument, sequence: sequence, side, price, quantity, exchangeTime: m.time,
                        receiveTime: receiveTime)
                }
            } catch {
                _ = batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: m.time, receiveTime: receiveTime)
                return .malformed(error, stale: sync.book.state == .live ? nil : instrument)
            }
            return batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: m.action == .snapshot, exchangeTime: m.time, receiveTime: receiveTime)
        }
    }

    public mutating func connectionLost(at time: Nanos, into batch: inout EventBatch) { books.markAllStale(at: time, into: &batch) }

    public mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        books.resubscribeSilent(now: now, limit: limit, into: &batch, resync)
    }

    public mutating func restartSilenceClocks(at now: Nanos) { books.restartSilenceClocks(at: now) }

    /// The `books` subscription for every configured instrument (sent on each connect).
    public var subscriptions: [[UInt8]] { [request("subscribe", .none)] }

    func request(_ op: String, _ instrument: InstrumentId) -> [UInt8] {
        let args = quotedSymbols(books.instruments, instrument).map { #"{"channel":"books","instId":\#($0)}"# }
        return Array(#"{"op":"\#(op)","args":[\#(args.joined(separator: ","))]}"#.utf8)
    }

    /// Unsubscribe and subscribe again: OKX answers a subscription with a snapshot.
    public func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void) {
        guard !quotedSymbols(books.instruments, instrument).isEmpty else { return }
        request("unsubscribe", instrument).withUnsafeBytes(send)
        request("subscribe", instrument).withUnsafeBytes(send)
    }
}

/// Kraken v2 `book` for the configured pairs (scales = the pairs' `price_precision` and `qty_precision`).
public struct KrakenV2Feed: FeedHandler, ~Copyable {
    public let venue: VenueId
    public let depth: Int
    public var books: BookTable<KrakenV2BookSync>

    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int) {
        self.venue = venue
        self.depth = depth
        books = BookTable(instruments) {
            KrakenV2BookSync(venue: venue, instrument: $0.instrument, priceScale: $0.priceScale, quantityScale: $0.quantityScale, depth: depth)
        }
    }

    public mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome {
        let m: KrakenV2.BookMessage
        do throws(DecodeError) { m = try KrakenV2.decodeBook(message) } catch {
            guard error != .unknownMessage else { return otherMessage(message, KrakenV2.classifyOther) }
            // A book message that cannot be read is an update lost for a pair it does not say. Kraken numbers
            // nothing, and its checksum covers only the top 10, so a loss deeper down would go unnoticed:
            // every book is made stale and resubscribed.
            books.markAllStale(at: receiveTime, into: &batch)
            return .malformed(error, stale: InstrumentId.none)
        }
        guard let i = books.index(of: m.symbol, heardAt: receiveTime) else { return .unknownInstrument }
        let venue = self.venue
        return books.with(i) { sync, top in
            let wasLive = sync.book.state == .live
            let instrument = sync.book.instrument
            let mark = batch.count
            do throws(DecodeError) {
                _ = try sync.apply(m) { side, price, quantity in
                    batch.levelChange(
                        venue: venue, instrument: instrument, sequence: 0, side, price, quantity, exchangeTime: .zero,
                        receiveTime: receiveTime)
                }
            } catch {
                _ = batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: .zero, receiveTime: receiveTime)
                return .malformed(error, stale: sync.book.state == .live ? nil : instrument)
            }
            return batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: m.isSnapshot, exchangeTime: .zero, receiveTime: receiveTime)
        }
    }

    public mutating func connectionLost(at time: Nanos, into batch: inout EventBatch) { books.markAllStale(at: time, into: &batch) }

    public mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        books.resubscribeSilent(now: now, limit: limit, into: &batch, resync)
    }

    public mutating func restartSilenceClocks(at now: Nanos) { books.restartSilenceClocks(at: now) }

    /// The `book` subscription for every configured pair at the feed's depth (sent on each connect).
    public var subscriptions: [[UInt8]] { [request("subscribe", .none)] }

    func request(_ method: String, _ instrument: InstrumentId) -> [UInt8] {
        let symbols = quotedSymbols(books.instruments, instrument).joined(separator: ",")
        // The depth in both: Kraken's unsubscribe takes it too (10 when left out), and an unsubscribe at another
        // depth than the subscription's would leave it in place, so that the subscribe after it is refused.
        return Array(#"{"method":"\#(method)","params":{"channel":"book","symbol":[\#(symbols)],"depth":\#(depth)}}"#.utf8)
    }

    /// Unsubscribe and subscribe again: Kraken answers a subscription with a snapshot.
    public func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void) {
        guard !quotedSymbols(books.instruments, instrument).isEmpty else { return }
        request("unsubscribe", instrument).withUnsafeBytes(send)
        request("subscribe", instrument).withUnsafeBytes(send)
    }
}

/// Coinbase Advanced Trade `level2` for the configured products; the connection's `sequence_num` is checked
/// and a gap makes every book of the connection stale.
public struct CoinbaseFeed: FeedHandler, ~Copyable {
    public let venue: VenueId
    public var books: BookTable<CoinbaseBookSync>
    public private(set) var sequence = CoinbaseSequence()

    public init(venue: VenueId, instruments: [FeedInstrument], depth: Int = 5_000) {
        self.venue = venue
        books = BookTable(instruments) {
            CoinbaseBookSync(venue: venue, instrument: $0.instrument, priceScale: $0.priceScale, quantityScale: $0.quantityScale, depth: depth)
        }
    }

    public mutating func handle(_ message: UnsafeRawBufferPointer, receiveTime: Nanos, into batch: inout EventBatch) -> FeedOutcome {
        let m: CoinbaseAdvanced.Message
        do throws(DecodeError) { m = try CoinbaseAdvanced.decode(message) } catch { return decodeFailure(error, message, CoinbaseAdvanced.classifyOther) }
        var outcome = FeedOutcome.control
        // A gap in `sequence_num` makes every book stale: whatever this message's own events do, every product
        // is resubscribed (an outcome per product below must not narrow that to one).
        var gap = false
        switch sequence.check(m.sequence) {
        case .next: break
        case .repeated: return .ignored
        case .gap:
            connectionLost(at: receiveTime, into: &batch)
            outcome = .resyncNeeded(.none)
            gap = true
        }
        // Another channel's message still counted in the sequence; it is control (subscriptions, heartbeats) or
        // unknown (a channel the feed did not subscribe to).
        guard m.channel == .level2 else { return gap ? outcome : m.channel == .other ? .unknown : .control }
        let venue = self.venue
        do throws(DecodeError) {
            try m.forEachBookEvent { event throws(DecodeError) in
                guard let i = books.index(of: event.product, heardAt: receiveTime) else {
                    if case .malformed = outcome {} else if !gap { outcome = .unknownInstrument }
                    return
                }
                let one: FeedOutcome = books.with(i) { sync, top in
                    let wasLive = sync.book.state == .live
                    let instrument = sync.book.instrument
                    let mark = batch.count
                    do throws(DecodeError) {
                        _ = try sync.apply(event) { side, price, quantity in
                            batch.levelChange(
                                venue: venue, instrument: instrument, sequence: m.sequence, side, price, quantity, exchangeTime: .zero,
                                receiveTime: receiveTime)
                        }
                    } catch {
                        _ = batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: false, exchangeTime: .zero, receiveTime: receiveTime)
                        return .malformed(error, stale: sync.book.state == .live ? nil : instrument)
                    }
                    return batch.conclude(sync.book, &top, since: mark, wasLive: wasLive, snapshot: event.isSnapshot, exchangeTime: .zero, receiveTime: receiveTime)
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
            connectionLost(at: receiveTime, into: &batch)
            return .malformed(error, stale: InstrumentId.none)
        }
        if gap, case .malformed(let error, _) = outcome { return .malformed(error, stale: InstrumentId.none) }
        return outcome
    }

    public mutating func connectionLost(at time: Nanos, into batch: inout EventBatch) {
        sequence.reset()
        for i in 0..<books.count {
            books.with(i) { sync, _ in
                if sync.book.state == .live { batch.stale(sync.book, receiveTime: time) }
                sync.markStale()
            }
        }
    }

    public mutating func silentBooks(now: Nanos, limit: Nanos, into batch: inout EventBatch, _ resync: (InstrumentId) -> Void) -> Int {
        books.resubscribeSilent(now: now, limit: limit, into: &batch, resync)
    }

    public mutating func restartSilenceClocks(at now: Nanos) { books.restartSilenceClocks(at: now) }

    /// The `level2` and `heartbeats` subscriptions (sent on each connect; heartbeats keep quiet channels open).
    public var subscriptions: [[UInt8]] {
        [request("subscribe", .none), Array(#"{"type":"subscribe","channel":"heartbeats"}"#.utf8)]
    }

    func request(_ type: String, _ instrument: InstrumentId) -> [UInt8] {
        let products = quotedSymbols(books.instruments, instrument).joined(separator: ",")
        return Array(#"{"type":"\#(type)","product_ids":[\#(products)],"channel":"level2"}"#.utf8)
    }

    /// Unsubscribe and subscribe again: Coinbase answers a level2 subscription with a snapshot (a gap on the
    /// connection asks for every product).
    public func resubscribe(_ instrument: InstrumentId, _ send: (UnsafeRawBufferPointer) -> Void) {
        guard !quotedSymbols(books.instruments, instrument).isEmpty else { return }
        request("unsubscribe", instrument).withUnsafeBytes(send)
        request("subscribe", instrument).withUnsafeBytes(send)
    }
}
