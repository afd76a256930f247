import GantryBook
import GantryCore
import GantryStrategy

/// The benchmark's strategy: on each venue message whose exchange time, in whole milliseconds, is a multiple of
/// `every`, one IOC sell of `quantity` at the best bid (a taker order). The paced feed stamps delta i with the
/// exchange time `start + i` ms, so this is one order every `every` messages, at a rate bounded by the feed's.
/// The tap (`TickTap`) applies the same rule to the ring's `messageTimes` events, to know which messages
/// triggered.
struct EveryNthMessage: Strategy {
    let pair: PairId
    let instrument: InstrumentId
    let venue: VenueId
    let every: Int64
    let quantity: Quantity

    var pairs: [PairId] { [pair] }

    /// Whether a message with this exchange time (wall ns) triggers an order.
    static func triggers(exchangeTime: Nanos, every: Int64) -> Bool {
        exchangeTime.raw > 0 && (exchangeTime.raw / 1_000_000) % every == 0
    }

    mutating func onMarket(_ instrument: InstrumentId, market: borrowing BookMirror, _ ctx: inout StrategyContext) {
        guard instrument == self.instrument, Self.triggers(exchangeTime: market.status(instrument).exchangeTime, every: every),
            let bid = market.bestBid(instrument)
        else { return }
        ctx.emit(signal: ctx.newSignal(), instrument: instrument, venue: venue, side: .sell, limit: bid.price, quantity: quantity, pair: pair)
    }
}
