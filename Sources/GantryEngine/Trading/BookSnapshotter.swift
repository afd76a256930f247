import GantryBook
import GantryCore
import GantryJournal
import GantryRing

/// The journal runner's books: a mirror of every venue's books from the market rings (a reader of its own), and
/// every `interval` a snapshot of each live book into the journal — where reading a journal from the middle can
/// start. A venue's books are snapshotted between its messages only (inside one a book may be half applied).
struct BookSnapshotter: ~Copyable {
    var market: MarketFanIn
    var mirror: BookMirror
    let interval: Nanos
    var nextRound: Nanos
    /// By `VenueId.raw`: the venue's last event did not end its message.
    var inMessage: [Bool]
    /// By `InstrumentId.raw`: the book is due a snapshot this round.
    var due: [Bool]
    var pending = 0
    private(set) var snapshots = 0

    init(market: consuming MarketFanIn, universe: Universe, interval: Nanos, depth: Int = 1_000) {
        self.market = market
        mirror = BookMirror(universe: universe, depth: depth)
        self.interval = interval
        nextRound = MonotonicClock.now() + interval
        inMessage = Array(repeating: false, count: 256)
        due = Array(repeating: false, count: universe.listings.count)
    }

    mutating func poll(into stage: inout JournalStage) -> Int {
        let n = market.poll(upTo: 4_096) { batch in
            for e in batch {
                mirror.apply(e)
                inMessage[Int(e.venue.raw)] = !e.flags.contains(.endOfMessage)
            }
        }
        let now = MonotonicClock.now()
        if now >= nextRound {
            nextRound = now + interval
            for l in mirror.universe.listings where l.instrument != .none && mirror.status(l.instrument).state == .live {
                if !due[Int(l.instrument.raw)] { pending += 1 }
                due[Int(l.instrument.raw)] = true
            }
        }
        if pending > 0 { writeDue(into: &stage) }
        return n
    }

    mutating func writeDue(into stage: inout JournalStage) {
        for l in mirror.universe.listings where l.instrument != .none && due[Int(l.instrument.raw)] && !inMessage[Int(l.venue.raw)] {
            due[Int(l.instrument.raw)] = false
            pending -= 1
            let status = mirror.status(l.instrument)
            guard status.state == .live else { continue }
            mirror.withBook(l.instrument) { book in
                let bids = book.withSide(.buy) { $0.count }
                let asks = book.withSide(.sell) { $0.count }
                stage.appendBookSnapshot(
                    venue: l.venue, instrument: l.instrument, sequence: book.sequence, exchangeTime: status.exchangeTime, bidCount: bids, askCount: asks,
                    eventTime: status.lastUpdate
                ) { b, a in
                    book.withSide(.buy) { side in for d in 0..<bids { let x = side.level(d); b[d] = JournalLevel(price: x.price, quantity: x.quantity) } }
                    book.withSide(.sell) { side in for d in 0..<asks { let x = side.level(d); a[d] = JournalLevel(price: x.price, quantity: x.quantity) } }
                }
            }
            snapshots += 1
        }
    }
}
