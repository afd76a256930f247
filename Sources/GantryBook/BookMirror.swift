import GantryCore

/// One book's standing in a mirror.
@frozen
public struct MirroredBookStatus: Sendable, BitwiseCopyable, Equatable {
    public var state: BookState
    /// Monotonic receive time of the last message applied to the book (its snapshot or its last update).
    public var lastUpdate: Nanos
    /// The venue's time of that message (wall ns; 0 if the venue sends none).
    public var exchangeTime: Nanos
}

/// Every traded book, rebuilt from the market events on a ring: the signal stage's own copy (DESIGN: nothing reads
/// another stage's memory). A `bookReset` clears a book and its snapshot levels follow; a `bookStale` makes it
/// unusable until the next reset; level changes apply as they come; a book is live again once the message that
/// reset it has ended. Tables are indexed by `InstrumentId.raw`; no allocation after `init`.
public struct BookMirror: ~Copyable {
    public let universe: Universe
    @usableFromInline let books: UnsafeMutablePointer<L2Book>
    @usableFromInline var status: [MirroredBookStatus]
    @usableFromInline let count: Int

    /// - Parameter depth: Levels kept per side (the venues' subscribed depth or more).
    public init(universe: Universe, depth: Int = 1_000) {
        self.universe = universe
        count = universe.listings.count
        books = .allocate(capacity: count)
        for i in 0..<count {
            let listing = universe.listings[i]
            (books + i).initialize(to: L2Book(venue: listing.venue, instrument: InstrumentId(raw: UInt32(i)), depth: i == 0 ? 1 : depth))
        }
        status = Array(repeating: MirroredBookStatus(state: .empty, lastUpdate: .zero, exchangeTime: .zero), count: count)
    }

    deinit {
        books.deinitialize(count: count)
        books.deallocate()
    }

    /// Applies one market event. - Returns: true when it ends a venue message (the books it touched are
    /// consistent: strategies may look now).
    @inlinable
    @discardableResult
    public mutating func apply(_ event: MarketEvent) -> Bool {
        let i = Int(event.instrument.raw)
        guard i > 0 && i < count else { return event.flags.contains(.endOfMessage) }
        switch event.kind {
        case .levelChange:
            books[i].apply(event.side, event.price, event.quantity)
            status[i].lastUpdate = event.receiveTime
            status[i].exchangeTime = event.exchangeTime
        case .bookReset:
            books[i].clear()
            books[i].sequence = event.sequence
            status[i].state = .syncing
            status[i].lastUpdate = event.receiveTime
        case .bookStale:
            status[i].state = .stale
        case .messageTimes:
            // The message has ended: a book reset by it is whole now.
            if status[i].state == .syncing { status[i].state = books[i].isCrossed ? .stale : .live }
            if status[i].state == .live { status[i].lastUpdate = event.receiveTime }
        case .topOfBook, .trade, .synthetic:
            break
        }
        return event.flags.contains(.endOfMessage)
    }

    /// The standing of `instrument`'s book.
    @inlinable public func status(_ instrument: InstrumentId) -> MirroredBookStatus { status[Int(instrument.raw)] }

    /// Whether `instrument`'s book is live and heard from within `maxAge` of `now`.
    @inlinable
    public func isLive(_ instrument: InstrumentId, now: Nanos, maxAge: Nanos) -> Bool {
        let s = status[Int(instrument.raw)]
        return s.state == .live && now - s.lastUpdate <= maxAge
    }

    /// The best bid of `instrument`, if its book is live.
    @inlinable
    public func bestBid(_ instrument: InstrumentId) -> BookLevel? {
        status[Int(instrument.raw)].state == .live ? books[Int(instrument.raw)].bids.best : nil
    }

    /// The best ask of `instrument`, if its book is live.
    @inlinable
    public func bestAsk(_ instrument: InstrumentId) -> BookLevel? {
        status[Int(instrument.raw)].state == .live ? books[Int(instrument.raw)].asks.best : nil
    }

    /// Reads `instrument`'s book (whatever its state).
    @inlinable
    public func withBook<R>(_ instrument: InstrumentId, _ body: (borrowing L2Book) throws -> R) rethrows -> R {
        try body(books[Int(instrument.raw)])
    }

    /// The mid of `instrument` at the pair's price scale, rounded down (nil unless live with both sides).
    @inlinable
    public func pairMid(_ instrument: InstrumentId) -> Int64? {
        guard let b = bestBid(instrument), let a = bestAsk(instrument) else { return nil }
        let l = universe.listing(instrument)
        return (l.pairPrice(b.price) + l.pairPrice(a.price)) / 2
    }

    /// The consolidated mid of `pair`: the best bid and the best ask across its live books, at the pair's scale
    /// (nil unless some book has each side). A crossed consolidated book (an arbitrage) still has a mid.
    public func consolidatedMid(_ pair: PairId, now: Nanos, maxAge: Nanos) -> Int64? {
        var bid = Int64.min
        var ask = Int64.max
        for id in universe.pair(pair).instruments where isLive(id, now: now, maxAge: maxAge) {
            let l = universe.listing(id)
            if let b = books[Int(id.raw)].bids.best { bid = max(bid, l.pairPrice(b.price)) }
            if let a = books[Int(id.raw)].asks.best { ask = min(ask, l.pairPrice(a.price)) }
        }
        guard bid != .min && ask != .max else { return nil }
        return (bid + ask) / 2
    }

    /// What taking `quantity` (pair scale) on `side` of `instrument`'s book would fill, at the pair's scales:
    /// buying takes asks. - Returns: filled quantity and its notional (pair price × pair quantity), both exact.
    public func sweep(_ instrument: InstrumentId, taking side: Side, quantity: Int64, limit: Int64? = nil) -> (filled: Int64, notional: Int128) {
        let l = universe.listing(instrument)
        return books[Int(instrument.raw)].withSide(side == .buy ? .sell : .buy) { levels in
            var left = quantity
            var notional: Int128 = 0
            var d = 0
            while left > 0 && d < levels.count {
                let level = levels.level(d)
                let price = l.pairPrice(level.price)
                if let limit, side == .buy ? price > limit : price < limit { break }
                let take = min(left, l.pairQuantity(level.quantity))
                notional += Int128(price) * Int128(take)
                left -= take
                d += 1
            }
            return (quantity - left, notional)
        }
    }
}

extension L2Book {
    /// Reads one side: `.buy` the bids, `.sell` the asks.
    @inlinable
    public func withSide<R>(_ side: Side, _ body: (borrowing BookSide) -> R) -> R {
        side == .buy ? body(bids) : body(asks)
    }
}
