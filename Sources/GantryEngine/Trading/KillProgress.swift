import GantryCore
import GantryExecution

/// Where the kill switch stands, from the decide runner, for the thread that reports it: when it fired, when every
/// order open at the kill had ended at every venue, when risk found every position flat, and each venue's part.
/// Times are the monotonic clock's.
public struct KillProgress: Sendable, Equatable {
    public var firedAt: Nanos
    /// Every order that was not a flattening one has ended, at every venue (cancelled, filled, expired).
    public var cancelsDoneAt: Nanos? = nil
    /// Risk's ledger: every strategy's position in every pair is zero, nothing pending.
    public var flatAt: Nanos? = nil
    /// Positions still open (risk's ledger): strategy, pair, quantity at the pair's scale.
    public var openPositions: [OpenPosition] = []
    public var venues: [VenueKill] = []

    public struct OpenPosition: Sendable, Equatable {
        public var strategy: StrategyId
        public var pair: PairId
        public var quantity: Int64
    }

    /// One venue's part of the kill.
    public struct VenueKill: Sendable, Equatable {
        public var venue: VenueId
        /// Its order entry is connected and ready (an unreachable venue is retried by its session's reconnects).
        public var ready: Bool
        /// Orders open at the kill (or sent after it, not flattening) not final yet, and flattening orders not final.
        public var ordersOpen: Int
        public var flatteningOpen: Int
        /// When its orders other than flattening ones had all ended.
        public var cancelsDoneAt: Nanos?
    }

    public init(firedAt: Nanos) { self.firedAt = firedAt }
}

extension OrderSendStage {
    /// Each venue's part of a kill: readiness and open orders (after a kill only: it walks every order).
    mutating func venueKill(into progress: inout [KillProgress.VenueKill], now: Nanos) {
        func note(_ v: VenueId?, _ ready: Bool, _ counts: (others: Int, flattening: Int)) {
            guard let v else { return }
            if let i = progress.firstIndex(where: { $0.venue == v }) {
                progress[i].ready = ready
                progress[i].ordersOpen = counts.others
                progress[i].flatteningOpen = counts.flattening
                if counts.others == 0 && progress[i].cancelsDoneAt == nil { progress[i].cancelsDoneAt = now }
            } else {
                progress.append(KillProgress.VenueKill(
                    venue: v, ready: ready, ordersOpen: counts.others, flatteningOpen: counts.flattening, cancelsDoneAt: counts.others == 0 ? now : nil))
            }
        }
        if binance != nil { note(binance!.venueId(), binance!.readyNow(), binance!.openOrderCounts()) }
        if okx != nil { note(okx!.venueId(), okx!.readyNow(), okx!.openOrderCounts()) }
        if bybit != nil { note(bybit!.venueId(), bybit!.readyNow(), bybit!.openOrderCounts()) }
        if kraken != nil { note(kraken!.venueId(), kraken!.readyNow(), kraken!.openOrderCounts()) }
        if coinbase != nil { note(coinbase!.venueId(), coinbase!.readyNow(), coinbase!.openOrderCounts()) }
    }
}
