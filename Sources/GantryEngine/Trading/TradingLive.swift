import GantryCore
import GantryExecution
import Synchronization

/// The order-send stage's figures while it runs, for the control plane's metrics and status (the watching
/// thread reads them): copied every 100 ms by the decide runner (with the venue health it already publishes)
/// into relaxed atomics, so the runner never waits for a reader and a reader sees each figure whole. Nothing is
/// written per message.
public final class TradingLive: Sendable {
    /// One venue's order entry.
    public final class Venue: Sendable {
        /// Set once the venue's order session has published once.
        public let present = Atomic<Bool>(false)
        /// Connected, logged in, nothing being reconciled.
        public let ready = Atomic<Bool>(false)
        /// The last order round trip measured at the socket (bytes written → the venue's answer), ns; 0 unknown.
        public let roundTrip = Atomic<Int64>(0)
        /// Orders not final.
        public let openOrders = Atomic<Int>(0)
        public let sent = Atomic<Int>(0)
        public let rejected = Atomic<Int>(0)
        public let fills = Atomic<Int>(0)
        public let reconnects = Atomic<Int>(0)
        public let rateLimited = Atomic<Int>(0)
        /// Orders whose fate a timeout or a dropped connection made unknown.
        public let unknown = Atomic<Int>(0)
        public init() {}
    }

    /// Venue ids above this are not shown (the registry numbers venues from 1; five venues are known).
    public static let venueSlots = 16
    /// By `VenueId.raw`.
    public let venues: [Venue]
    /// Approved orders waiting on risk's ring for order-send.
    public let approvedWaiting = Atomic<Int>(0)

    public init() { venues = (0..<Self.venueSlots).map { _ in Venue() } }

    /// The order queue: approved orders not final yet — waiting on risk's ring, held by a session until its
    /// connection and rate budget allow, or sent and awaiting the venue's answer. It grows when a venue stops
    /// answering (or answers slowly) while the strategies keep trading.
    public func orderQueue() -> Int {
        venues.reduce(approvedWaiting.load(ordering: .relaxed)) { $0 + $1.openOrders.load(ordering: .relaxed) }
    }

    /// The slot of `venue`, if it has one.
    public func venue(_ venue: VenueId) -> Venue? { Int(venue.raw) < venues.count ? venues[Int(venue.raw)] : nil }
}

extension OrderSession {
    /// Copies this session's figures into its venue's slot.
    mutating func publishLive(_ live: TradingLive) {
        guard let id = venueId(), let v = live.venue(id) else { return }
        let s = stats
        v.ready.store(readyNow(), ordering: .relaxed)
        v.roundTrip.store(s.lastRoundTrip.raw, ordering: .relaxed)
        v.openOrders.store(countOpenOrders(), ordering: .relaxed)
        v.sent.store(s.sent, ordering: .relaxed)
        v.rejected.store(s.rejected, ordering: .relaxed)
        v.fills.store(s.fills, ordering: .relaxed)
        v.reconnects.store(s.reconnects, ordering: .relaxed)
        v.rateLimited.store(s.rateLimited, ordering: .relaxed)
        v.unknown.store(s.unknown, ordering: .relaxed)
        v.present.store(true, ordering: .relaxed)
    }
}

extension OrderSendStage {
    /// Copies every session's figures and the order queue into `live` (with the venue health, every 100 ms).
    mutating func publishLive(_ live: TradingLive) {
        live.approvedWaiting.store(approved.lag, ordering: .relaxed)
        if binance != nil { binance!.publishLive(live) }
        if okx != nil { okx!.publishLive(live) }
        if bybit != nil { bybit!.publishLive(live) }
        if kraken != nil { kraken!.publishLive(live) }
        if coinbase != nil { coinbase!.publishLive(live) }
    }
}
