// Runs ImbalanceStrategy inside Gantry's strategy host over a seeded synthetic session, filling each of its
// intents at the price it expected (a naive paper fill), and prints what it did. In a gateway, `StrategyHost<ImbalanceStrategy>` takes the place of the built-ins' host
// and its intents go to Gantry's router and risk engine, like every strategy's.
import ImbalanceStrategy

let seed = UInt64(CommandLine.arguments.dropFirst().first ?? "7") ?? 7
var host = StrategyHost<ImbalanceStrategy>(
    universe: try ReplayMarket.universe(),
    entries: [.init(name: "imbalance", capitalCents: 1_000_000, spec: .custom(ImbalanceStrategy(pair: ReplayMarket.pair, ratioHundredths: 300, quantity: 1_000_000, holdFor: .seconds(5))))],
    takerFees: [0, 1_000])
var x = seed
var intents: [OrderIntent] = []
var mid: Int64 = 10_000_000
for step in 0..<600 {
    x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    mid += Int64(x >> 60) - 7
    let bidQuantity = Int64((x >> 20) & 0xFF + 1) * 1_000_000
    let askQuantity = Int64((x >> 40) & 0xFF + 1) * 1_000_000
    let now = Nanos.milliseconds(Int64(step) * 100)
    var emitted: [OrderIntent] = []
    for e in ReplayMarket.top(bid: mid - 1, bidQuantity: bidQuantity, ask: mid + 1, askQuantity: askQuantity, at: now) {
        host.onMarket(e, now: now) { emitted.append($0) }
    }
    for intent in emitted {
        intents.append(intent)
        let fill = OrderReport(
            status: .filled, side: intent.side, venue: ReplayMarket.venue, instrument: ReplayMarket.instrument,
            clientOrderId: ClientOrderId(strategy: intent.strategy, sequence: UInt64(intents.count)), venueOrderId: 0,
            price: intent.expectedPrice, lastQuantity: intent.quantity, cumulativeQuantity: intent.quantity, fee: 0, isTaker: true, eventTime: now)
        host.onReport(fill, now: now) { _ in }
    }
}
let buys = intents.filter { $0.side == .buy }.count
let position = host.contexts[0].position(ReplayMarket.pair)
print(
    "imbalance-replay seed \(seed): \(intents.count) intents (\(buys) buys, \(intents.count - buys) sells), all routed: \(intents.allSatisfy(\.isRouted)); "
        + "position \(position.quantity), PnL \(position.pnl(mid: mid)) (pair notional units)")
