import BenchSupport
import GantryCore
import GantryLoop
import GantryNet
import VenueSim

/// The venue the orders go to: VenueSim's Binance, serving its WebSocket API (`/ws-api/v3`: `order.place`,
/// signed per request, and the user data stream) over TLS, with one account that holds BTC. Its book is still
/// (the simulator does not step) and sits far below the feed's prices (mid 90,000 against about 97,123), so each
/// IOC sell at the feed's best bid crosses nothing and expires: every order is answered, no position builds up,
/// and risk's limits stay where they started. Its order-rate and request-weight limits are lifted (the benchmark
/// sends up to a thousand orders a second; Binance allows 50 per 10 s, which `make bench-t2o` does not test).
enum OrderVenue {
    static let apiKey = "t2oBenchKey"
    /// A throwaway key for the simulator only.
    static let secret = "t2o-bench-secret-0123456789abcdef"
    static let symbol = "BTCUSDT"

    static func make(tls: TLSContext) throws -> (VenueSimulator, SimVenue) {
        let book = SimulatedBook(
            instrument: SimInstrument(symbol: symbol, priceScale: 2, quantityScale: 3, tick: 1, lot: 1),
            fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 20, maxLots: 50_000)
        let venue = try SimVenue(name: "binance", kind: .binance, books: [book], restPort: nil, tls: tls)
        venue.wsOrderLimit = 0
        venue.weightPerMinute = 1 << 40
        try venue.addAccount(BinanceCredentials(apiKey: apiKey, secret: secret, account: 1), deposits: ["BTC": "1000", "USDT": "100000000"])
        let sim = VenueSimulator(
            venues: [venue], markets: [MarketParameters(start: 90_000 * 100_000_000, volatilityPerSecond: 0)], assignments: [[0]],
            stepsPerSecond: 1, seed: 7)
        sim.paused = true
        return (sim, venue)
    }
}

/// The venue's runner: the paced feed, and the order venue every 20 µs (its poll makes a few system calls, which
/// would otherwise space the feed's messages out), on the other CPU.
struct VenueSide: Stage, ~Copyable {
    var feed: PacedFeedServer
    let sim: VenueSimulator
    var nextSimPoll = Nanos.zero

    mutating func poll() -> Int {
        var work = feed.poll()
        let now = MonotonicClock.now()
        if now >= nextSimPoll {
            nextSimPoll = now + .microseconds(20)
            work &+= sim.poll(now: now)
        }
        return work
    }
}
