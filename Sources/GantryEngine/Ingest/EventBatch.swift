import GantryBook
import GantryCore

/// The events one venue message produced, gathered before they are published to the ring in one batch (one
/// cursor store for a whole message). Preallocated for two full book sides and more; a message that needs more
/// room (a deeper configured book, several snapshots in one message) doubles it, as often as it must (each a
/// reallocation, counted in `growths`; a grown batch keeps its room): a message's events are never dropped,
/// since a consumer's book would then be wrong while it looks live.
public struct EventBatch: ~Copyable {
    public private(set) var capacity: Int
    public internal(set) var count = 0
    var events: UnsafeMutablePointer<MarketEvent>
    /// Times the batch grew (each a reallocation; none expected at the configured depths).
    public private(set) var growths = 0

    public init(capacity: Int = 16_384) {
        precondition(capacity >= 2, "a batch holds at least one event and its messageTimes")
        self.capacity = capacity
        events = .allocate(capacity: capacity)
    }

    deinit { events.deallocate() }

    @inline(__always)
    public mutating func append(_ event: MarketEvent) {
        // The last slot is kept for the message's `messageTimes` event.
        if count >= capacity &- 1 { grow() }
        events[count] = event
        count += 1
    }

    @inline(never)
    mutating func grow() {
        let larger = UnsafeMutablePointer<MarketEvent>.allocate(capacity: capacity * 2)
        larger.initialize(from: events, count: count)
        events.deallocate()
        events = larger
        capacity *= 2
        growths += 1
    }

    /// Ends the message: appends its `messageTimes` event, the one flagged `endOfMessage`, with the message's
    /// times (`decodedAt`: its decode and book apply are done; the publisher stamps `publishedTime`). Takes
    /// the venue, instrument, sequence, exchange and receive times of the event before it. Nothing if the
    /// message produced no events, or is ended already.
    public mutating func endMessage(decodedAt: Nanos) {
        guard count > 0 else { return }
        let last = events[count - 1]
        guard last.kind != .messageTimes else { return }
        // `append` keeps the last slot free, so that an unended message always has room here.
        precondition(count < capacity, "no room for the message's times")
        var times = MarketEvent(
            kind: .messageTimes, venue: last.venue, instrument: last.instrument, flags: .endOfMessage,
            sequence: last.sequence, exchangeTime: last.exchangeTime, receiveTime: last.receiveTime)
        times.decodedTime = decodedAt
        events[count] = times
        count += 1
    }

    public var buffer: UnsafeBufferPointer<MarketEvent> { UnsafeBufferPointer(start: events, count: count) }

    public mutating func removeAll() { count = 0 }

    /// Takes back the events from `mark` on (a mark taken as `count` earlier).
    public mutating func truncate(to mark: Int) { count = min(count, max(0, mark)) }

    /// A level change of `book`.
    public mutating func level(
        _ book: borrowing L2Book, _ side: Side, _ price: Price, _ quantity: Quantity, flags: MarketEventFlags = [],
        exchangeTime: Nanos, receiveTime: Nanos
    ) {
        append(MarketEvent(
            kind: .levelChange, side: side, venue: book.venue, instrument: book.instrument, flags: flags,
            sequence: book.sequence, price: price, quantity: quantity, exchangeTime: exchangeTime, receiveTime: receiveTime))
    }

    /// A book rebuilt from a snapshot: `bookReset`, then every level (flagged `.snapshot`), best first.
    public mutating func snapshot(_ book: borrowing L2Book, exchangeTime: Nanos, receiveTime: Nanos) {
        append(MarketEvent(
            kind: .bookReset, venue: book.venue, instrument: book.instrument, flags: .snapshot, sequence: book.sequence,
            exchangeTime: exchangeTime, receiveTime: receiveTime))
        for d in 0..<book.bids.count {
            let l = book.bids.level(d)
            level(book, .buy, l.price, l.quantity, flags: .snapshot, exchangeTime: exchangeTime, receiveTime: receiveTime)
        }
        for d in 0..<book.asks.count {
            let l = book.asks.level(d)
            level(book, .sell, l.price, l.quantity, flags: .snapshot, exchangeTime: exchangeTime, receiveTime: receiveTime)
        }
    }

    /// The book may not be used until a `bookReset` follows.
    public mutating func stale(_ book: borrowing L2Book, receiveTime: Nanos) {
        append(MarketEvent(kind: .bookStale, venue: book.venue, instrument: book.instrument, sequence: book.sequence, receiveTime: receiveTime))
    }
}

/// The best bid and ask last published for one book, to publish a `topOfBook` only when they change.
public struct TopOfBook: Sendable, Equatable {
    public var bid = BookLevel(price: .zero, quantity: .zero)
    public var ask = BookLevel(price: .zero, quantity: .zero)

    public init() {}

    /// Appends a `topOfBook` event if the book's best levels differ from the last published ones (a live
    /// book only: a stale book's top is never published as fresh).
    public mutating func publishIfChanged(
        _ book: borrowing L2Book, into batch: inout EventBatch, exchangeTime: Nanos, receiveTime: Nanos
    ) {
        guard book.state == .live else { return }
        let bid = book.bids.best ?? BookLevel(price: .zero, quantity: .zero)
        let ask = book.asks.best ?? BookLevel(price: .zero, quantity: .zero)
        guard bid != self.bid || ask != self.ask else { return }
        self.bid = bid
        self.ask = ask
        batch.append(MarketEvent(
            kind: .topOfBook, venue: book.venue, instrument: book.instrument, sequence: book.sequence, price: bid.price,
            quantity: bid.quantity, price2: ask.price, quantity2: ask.quantity, exchangeTime: exchangeTime,
            receiveTime: receiveTime))
    }
}
