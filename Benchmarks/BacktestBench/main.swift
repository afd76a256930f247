// gantry-backtest-bench: backtest replay throughput. Synthetic market data for three venues (a random-walk mid, each
// venue's top of book moving with it and now and then apart: arbitrage opportunities), 5 events a message, replayed
// through `Backtester.run` — the gateway's signal and risk stages with three strategies (arbitrage, MA crossover,
// Bollinger), the paper venue, the metrics — against a baseline in the same run: the same events applied to one
// `BookMirror` (the least any replay does). Report-only; the target is ≥ 1 M events/s.
//
//   gantry-backtest-bench [--events N] [--rounds R]
import BenchSupport
import GantryBook
import GantryCore
import GantryEngine

#if canImport(Glibc)
import Glibc
#endif

let toml = """
    [[venues]]
    name = "binance"
    kind = "binance"
    endpoint = "wss://stream.binance.com:9443/stream"
    taker_fee_bp = "1"
    [[venues.instruments]]
    symbol = "BTCUSDT"
    tick_size = "0.01"
    lot_size = "0.00001"
    price_scale = 2
    quantity_scale = 8
    pair = "BTC/USDT"

    [[venues]]
    name = "okx"
    kind = "okx"
    endpoint = "wss://ws.okx.com:8443/ws/v5/public"
    taker_fee_bp = "1"
    [[venues.instruments]]
    symbol = "BTC-USDT"
    tick_size = "0.1"
    lot_size = "0.00000001"
    price_scale = 1
    quantity_scale = 8
    pair = "BTC/USDT"

    [[venues]]
    name = "bybit"
    kind = "bybit"
    endpoint = "wss://stream.bybit.com/v5/public/spot"
    taker_fee_bp = "1"
    [[venues.instruments]]
    symbol = "BTCUSDT"
    tick_size = "0.01"
    lot_size = "0.000001"
    price_scale = 2
    quantity_scale = 6
    pair = "BTC/USDT"

    [[strategies]]
    name = "arb"
    kind = "arbitrage"
    stage = "live"
    capital = "1000000"
    pair = "BTC/USDT"
    max_position = { "BTC/USDT" = "1" }
    min_edge_bp = "1"
    quantity = "0.01"
    min_quantity = "0.001"
    cooldown_ms = 200

    [[strategies]]
    name = "ma"
    kind = "ma_crossover"
    stage = "live"
    capital = "1000000"
    pair = "BTC/USDT"
    max_position = { "BTC/USDT" = "1" }
    fast = 3
    slow = 8
    sample_ms = 300
    quantity = "0.01"
    slippage_bp = "20"

    [[strategies]]
    name = "bb"
    kind = "bollinger"
    stage = "live"
    capital = "1000000"
    pair = "BTC/USDT"
    max_position = { "BTC/USDT" = "1" }
    window = 10
    width = "1"
    sample_ms = 300
    quantity = "0.01"
    slippage_bp = "20"

    [risk]
    price_band_bp = "100"
    plausibility_bp = "200"
    max_book_age_ms = 3000

    """

/// `messages` venue messages, one a millisecond, round robin over the venues: each removes the venue's old top and
/// sets a new one around the shared mid (plus the venue's own drift, sometimes a few basis points away).
func events(_ configuration: TradingConfiguration, messages: Int) -> [MarketEvent] {
    let registry = configuration.market.registry
    let books = registry.instruments.map { ($0.venue, $0.id, $0.priceScale, $0.quantityScale) }
    var x: UInt64 = 0x9E37_79B9_7F4A_7C15
    func random(_ n: Int64) -> Int64 {
        x ^= x << 13
        x ^= x >> 7
        x ^= x << 17
        return Int64(x % UInt64(n))
    }
    func power(_ n: Int) -> Int64 { (0..<n).reduce(1) { a, _ in a * 10 } }
    var mid: Int64 = 9_700_000  // cents
    var drift = Array(repeating: Int64(0), count: books.count)
    var top = Array(repeating: (bid: Int64(0), ask: Int64(0)), count: books.count)
    var out: [MarketEvent] = []
    out.reserveCapacity(messages * 5 + books.count * 24)
    for m in 0..<messages {
        let k = m % books.count
        let (venue, instrument, scale, qscale) = books[k]
        let time = Nanos.seconds(1_000) + .milliseconds(Int64(m))
        mid += random(21) - 10
        if random(200) == 0 { drift[k] = random(2) == 0 ? 0 : (random(2) == 0 ? 1 : -1) * (mid / 2_000) }  // 0 or ±5 bp
        func price(_ cents: Int64) -> Price { Price(raw: scale >= 2 ? cents * power(scale - 2) : cents / power(2 - scale)) }
        let size = Quantity(raw: power(qscale) / 10 + random(power(qscale) / 10))
        let bid = mid + drift[k] - 1, ask = mid + drift[k] + 1
        if top[k].bid == 0 {
            out.append(MarketEvent(kind: .bookReset, venue: venue, instrument: instrument, flags: .snapshot, receiveTime: time))
            for d in Int64(0)..<10 {
                out.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, flags: .snapshot, price: price(bid - d * 5), quantity: size, receiveTime: time))
                out.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, flags: .snapshot, price: price(ask + d * 5), quantity: size, receiveTime: time))
            }
        } else {
            out.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, price: price(top[k].bid), quantity: .zero, receiveTime: time))
            out.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, price: price(top[k].ask), quantity: .zero, receiveTime: time))
            out.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, price: price(bid), quantity: size, receiveTime: time))
            out.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, price: price(ask), quantity: size, receiveTime: time))
        }
        top[k] = (bid, ask)
        out.append(MarketEvent(kind: .messageTimes, venue: venue, instrument: instrument, flags: .endOfMessage, receiveTime: time))
    }
    return out
}

func main() {
    let options = BenchOptions(tool: "gantry-backtest-bench", usage: "usage: gantry-backtest-bench [--events N] [--rounds R]")
    let wanted = options.int("events", 2_000_000)
    let rounds = options.int("rounds", 3)
    let configuration: TradingConfiguration
    do { configuration = try TradingConfiguration(toml: toml) } catch { benchFail("gantry-backtest-bench", "configuration: \(error)") }
    let data = events(configuration, messages: wanted / 5)
    var mirrorRates: [Double] = []
    var replayRates: [Double] = []
    var result: BacktestResult? = nil
    for _ in 0..<rounds {
        let a = MonotonicClock.now()
        var mirror = BookMirror(universe: configuration.universe, depth: 1_000)
        var ends = 0
        for e in data where mirror.apply(e) { ends += 1 }
        let b = MonotonicClock.now()
        mirrorRates.append(Double(data.count) / Double((b - a).raw) * 1e9)
        precondition(ends > 0)
        do { result = try Backtester.run(configuration, events: data, seed: 1) } catch { benchFail("gantry-backtest-bench", "backtest: \(error)") }
        let c = MonotonicClock.now()
        replayRates.append(Double(data.count) / Double((c - b).raw) * 1e9)
    }
    func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
    let replay = median(replayRates), floor = median(mirrorRates)
    let orders = result!.strategies.reduce(0) { $0 + $1.orders }
    let fills = result!.strategies.reduce(0) { $0 + $1.fills }
    print(
        #"{"bench":"backtest-replay","events":\#(data.count),"rounds":\#(rounds),"replay_events_per_s":\#(Int(replay)),"#
            + #""mirror_events_per_s":\#(Int(floor)),"orders":\#(orders),"fills":\#(fills),"vetoes":\#(result!.vetoes)}"#)
    print("backtest replay: \(data.count) events (3 venues, 5 a message), 3 strategies, paper venue; median of \(rounds) rounds")
    print("  Backtester.run (signal + risk stages, paper venue, metrics): \(Int(replay / 1_000)) k events/s (target ≥ 1,000 k: \(replay >= 1_000_000 ? "met" : "missed"), for the record)")
    print("  baseline, the same events into one BookMirror:              \(Int(floor / 1_000)) k events/s")
    print("  the backtest traded: \(orders) orders, \(fills) fills, \(result!.vetoes) vetoes")
}

main()
