import GantryBook
import GantryCore
import GantryEngine
import Testing

@Suite("Coinbase feed: events read once, and a message that breaks off between events rebuilds every book")
struct CoinbaseFeedTests {
    static let btc = FeedInstrument(symbol: "BTC-USD", instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
    static let eth = FeedInstrument(symbol: "ETH-USD", instrument: InstrumentId(raw: 2), priceScale: 2, quantityScale: 8)

    static func event(_ type: String, _ product: String, _ updates: String) -> String {
        #"{"type":"\#(type)","product_id":"\#(product)","updates":[\#(updates)]}"#
    }

    static func message(_ sequence: Int, _ events: String, after: String = "") -> String {
        #"{"channel":"l2_data","client_id":"","timestamp":"2026-12-01T12:00:00Z","sequence_num":\#(sequence),"events":[\#(events)]\#(after)}"#
    }

    static let bid = #"{"side":"bid","event_time":"2026-12-01T12:00:00Z","price_level":"100.5","new_quantity":"2"}"#
    static let offer = #"{"side":"offer","event_time":"2026-12-01T12:00:00Z","price_level":"101","new_quantity":"1.5"}"#

    func handle(_ feed: inout CoinbaseFeed, _ text: String, _ batch: inout EventBatch) -> FeedOutcome {
        batch.removeAll()
        return Array(text.utf8).withUnsafeBytes { feed.handle($0, receiveTime: Nanos(raw: 1), into: &batch) }
    }

    func states(_ feed: inout CoinbaseFeed) -> [BookState] {
        (0..<feed.books.count).map { i in feed.books.with(i) { sync, _ in sync.book.state } }
    }

    /// Both books live from one snapshot message with two events.
    func liveFeed(_ batch: inout EventBatch) -> CoinbaseFeed {
        var feed = CoinbaseFeed(venue: VenueId(raw: 2), instruments: [Self.btc, Self.eth])
        let snapshots = Self.event("snapshot", "BTC-USD", Self.bid + "," + Self.offer) + "," + Self.event("snapshot", "ETH-USD", Self.bid + "," + Self.offer)
        #expect(handle(&feed, Self.message(0, snapshots), &batch) == .applied)
        #expect(states(&feed) == [.live, .live])
        return feed
    }

    @Test("one message with two full 5,000-level snapshots: every level reaches the batch (it grows), none is dropped")
    func twoDeepSnapshotsInOneMessage() {
        func levels(_ side: String, from: Int, step: Int) -> String {
            (0..<5_000).map { k in #"{"side":"\#(side)","event_time":"t","price_level":"\#(from + step * k)","new_quantity":"1"}"# }.joined(separator: ",")
        }
        let book = levels("bid", from: 10_000, step: -1) + "," + levels("offer", from: 10_001, step: 1)
        let snapshots = Self.event("snapshot", "BTC-USD", book) + "," + Self.event("snapshot", "ETH-USD", book)
        var feed = CoinbaseFeed(venue: VenueId(raw: 2), instruments: [Self.btc, Self.eth])
        var batch = EventBatch()
        #expect(handle(&feed, Self.message(0, snapshots), &batch) == .applied)
        // Per product: a reset, 10,000 levels and a top of book; 20,004 events in a batch made for 16,384.
        let levels = batch.buffer.filter { $0.kind == .levelChange }
        #expect(levels.count == 20_000 && batch.count == 20_004 && batch.growths == 1)
        for instrument in [Self.btc.instrument, Self.eth.instrument] {
            #expect(levels.filter { $0.instrument == instrument && $0.side == .buy }.count == 5_000)
            #expect(levels.filter { $0.instrument == instrument && $0.side == .sell }.count == 5_000)
        }
    }

    @Test("members after the events are read and checked; events sent before the sequence number are read too")
    func membersAfterEvents() {
        var batch = EventBatch()
        var feed = liveFeed(&batch)
        let update = Self.event("update", "BTC-USD", #"{"side":"bid","event_time":"t","price_level":"100.5","new_quantity":"3"}"#)
        #expect(handle(&feed, Self.message(1, update, after: #","extra":{"a":[1,"]}"]}"#), &batch) == .applied)
        let quantity = feed.books.with(0) { sync, _ in sync.book.bids.quantity(at: Price(raw: 10_050)) }
        #expect(quantity == Quantity(raw: 300_000_000))
        // Events before `sequence_num` (valid JSON, not Coinbase's order): the general read.
        let reordered = #"{"channel":"l2_data","events":[\#(Self.event("update", "ETH-USD", Self.offer))],"sequence_num":2}"#
        #expect(handle(&feed, reordered, &batch) == .applied)
        #expect(states(&feed) == [.live, .live])
    }

    @Test("a message broken after its first event, or after its events, is malformed and every book is rebuilt")
    func brokenBetweenEvents() {
        let first = Self.event("update", "BTC-USD", Self.bid)
        let broken = [
            // The second event's header breaks off: its product is unknown, so its loss could be any book's.
            Self.message(1, first + #",{"type":"update","product_id":"ETH-USD","updates":[{"side":"bid""#),
            Self.message(1, first + #",{"type":"update" "product_id":"ETH-USD"}"#),
            // The events are whole but what follows them is not.
            Self.message(1, first, after: #","extra":}"#),
            String(Self.message(1, first).dropLast()),
        ]
        for text in broken {
            var batch = EventBatch()
            var feed = liveFeed(&batch)
            guard case .malformed(_, stale: let stale) = handle(&feed, text, &batch) else {
                Issue.record("\(text) was not malformed")
                continue
            }
            #expect(stale == InstrumentId.none, "\(text): every book is resynced")
            #expect(states(&feed) == [.stale, .stale], "\(text)")
            let staleMarkers = batch.buffer.filter { $0.kind == .bookStale }.count
            #expect(staleMarkers == 2, "\(text): both books published stale")
            // The next message's number starts a new count; its update is not applied to a stale book.
            #expect(handle(&feed, Self.message(7, Self.event("update", "BTC-USD", Self.bid)), &batch) != .applied)
            #expect(states(&feed) == [.stale, .stale], "\(text)")
        }
    }

    @Test("a refused update's levels never reach the ring: the book's stale marker alone, the other book's levels kept")
    func refusedLevelsTakenBack() {
        var batch = EventBatch()
        var feed = liveFeed(&batch)
        // ETH's update applies; BTC's crosses its book (a bid at the ask and above), which is refused.
        let crossing = #"{"side":"bid","event_time":"t","price_level":"101.5","new_quantity":"1"}"#
        let events = Self.event("update", "ETH-USD", Self.offer) + "," + Self.event("update", "BTC-USD", Self.bid + "," + crossing)
        #expect(handle(&feed, Self.message(1, events), &batch) == .resyncNeeded(Self.btc.instrument))
        #expect(states(&feed) == [.stale, .live])
        let btc = batch.buffer.filter { $0.instrument == Self.btc.instrument }.map(\.kind)
        #expect(btc == [.bookStale], "only the stale marker for the refused book")
        let eth = batch.buffer.filter { $0.instrument == Self.eth.instrument && $0.kind == .levelChange }.count
        #expect(eth == 1, "the other book's change stays")
    }

    @Test("after a gap in sequence_num every product is resynced, whatever the message's own events say")
    func gapResyncsEveryProduct() {
        var batch = EventBatch()
        var feed = liveFeed(&batch)
        // Number 5 after 0: a gap. The message's event is for ETH alone.
        #expect(handle(&feed, Self.message(5, Self.event("update", "ETH-USD", Self.offer)), &batch) == .resyncNeeded(.none))
        #expect(states(&feed) == [.stale, .stale])
        let markers = batch.buffer.filter { $0.kind == .bookStale }.count
        #expect(markers == 2)
        // A gap carried by another channel's message: the same.
        var other = liveFeed(&batch)
        let heartbeat = #"{"channel":"heartbeats","client_id":"","timestamp":"2026-12-01T12:00:00Z","sequence_num":3,"events":[]}"#
        #expect(handle(&other, heartbeat, &batch) == .resyncNeeded(.none))
        #expect(states(&other) == [.stale, .stale])
    }
}
