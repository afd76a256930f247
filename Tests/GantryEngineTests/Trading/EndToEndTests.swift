import Foundation
import GantryCore
import GantryEngine
import GantryLoop
import GantryRing
import GantryRisk
import Synchronization
import Testing
import VenueSim

/// The simulator on a thread of its own, polled until stopped.
// @unchecked Sendable: the simulator is touched only by its thread until `stop()` has joined it; the test reads the
// venues' ledgers after that.
final class SimulatorThread: @unchecked Sendable {
    let sim: VenueSimulator
    let running = Atomic<Bool>(true)
    let done = DispatchSemaphore(value: 0)

    init(_ sim: VenueSimulator) {
        self.sim = sim
        Thread.detachNewThread { [self] in self.run() }
    }

    func run() {
        while running.load(ordering: .relaxed) {
            if sim.poll() == 0 { usleep(100) }
        }
        done.signal()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        done.wait()
    }
}

@Suite("The gateway end to end against VenueSim: three strategies trading two venues over real sockets with signed orders", .serialized)
struct EndToEndTests {
    /// The secrets every end-to-end suite uses (one set: suites run in parallel and share the environment).
    static let secrets = ["e2e-binance-secret-0123456789", "e2e-okx-secret-0123456789", "e2e-pass", "e2e-bybit-secret-0123456789"]

    static func setSecrets() {
        setenv("GANTRY_E2E_BINANCE_SECRET", secrets[0], 1)
        setenv("GANTRY_E2E_OKX_SECRET", secrets[1], 1)
        setenv("GANTRY_E2E_OKX_PASSPHRASE", secrets[2], 1)
        setenv("GANTRY_E2E_BYBIT_SECRET", secrets[3], 1)
    }

    /// The simulator's market: BTC diverging between venues `perMinute` times a minute.
    static func simMarket(seed: Int = 11, volatility: String = "8", perMinute: Int = 20) -> String {
        """
        seed = \(seed)
        steps_per_second = 50
        host = "127.0.0.1"

        [[markets]]
        name = "BTC"
        start_price = "97000"
        volatility_per_second = "\(volatility)"
        divergence = "250"
        divergences_per_minute = \(perMinute)
        convergence_ms = 1500

        """
    }

    static let simBinance = """
        [[venues]]
        name = "binance"
        kind = "binance"
        ws_port = 1
        rest_port = 2
        maker_fee_bp = "2"
        taker_fee_bp = "4"
        levels = 30

        [[venues.instruments]]
        symbol = "BTCUSDT"
        market = "BTC"
        tick_size = "0.01"
        lot_size = "0.00001"
        price_scale = 2
        quantity_scale = 8

        [[venues.accounts]]
        api_key = "e2eBinance"
        secret_env = "GANTRY_E2E_BINANCE_SECRET"
        [venues.accounts.deposits]
        BTC = "5"
        USDT = "1000000"

        """

    static let simOKX = """
        [[venues]]
        name = "okx"
        kind = "okx"
        ws_port = 3
        rest_port = 4
        maker_fee_bp = "2"
        taker_fee_bp = "5"
        levels = 30

        [[venues.instruments]]
        symbol = "BTC-USDT"
        market = "BTC"
        tick_size = "0.1"
        lot_size = "0.00000001"
        price_scale = 1
        quantity_scale = 8

        [[venues.accounts]]
        api_key = "e2eOKX"
        secret_env = "GANTRY_E2E_OKX_SECRET"
        passphrase_env = "GANTRY_E2E_OKX_PASSPHRASE"
        [venues.accounts.deposits]
        BTC = "5"
        USDT = "1000000"

        """

    static let simBybit = """
        [[venues]]
        name = "bybit"
        kind = "bybit"
        ws_port = 5
        rest_port = 6
        maker_fee_bp = "2"
        taker_fee_bp = "5"
        levels = 30
        latency_ms = 120

        [[venues.instruments]]
        symbol = "BTCUSDT"
        market = "BTC"
        tick_size = "0.01"
        lot_size = "0.000001"
        price_scale = 2
        quantity_scale = 6

        [[venues.accounts]]
        api_key = "e2eBybit"
        secret_env = "GANTRY_E2E_BYBIT_SECRET"
        [venues.accounts.deposits]
        BTC = "5"
        USDT = "1000000"

        """

    static let simTOML = simMarket() + simBinance + simOKX + simBybit

    /// OKX's instIdCodes as `gantry run` reads them: from the simulator's instrument list (its thread running).
    static func instrumentCodes(_ configuration: TradingConfiguration) throws -> [InstrumentId: UInt64] {
        try OKXInstrumentCodes.forTrading(configuration, sim: true, tls: nil)
    }

    static func gatewayBinance(_ binance: SimVenue) -> String {
        """
        [[venues]]
        name = "binance"
        kind = "binance"
        endpoint = "wss://stream.binance.com:9443/stream"
        sim_endpoint = "ws://127.0.0.1:\(binance.port)/stream"
        sim_rest_endpoint = "http://127.0.0.1:\(binance.restPort!)"
        sim_order_endpoint = "ws://127.0.0.1:\(binance.port)/ws-api/v3"
        api_key = "e2eBinance"
        secret_env = "GANTRY_E2E_BINANCE_SECRET"
        taker_fee_bp = "4"
        orders_per_second = 20

        [[venues.instruments]]
        symbol = "BTCUSDT"
        tick_size = "0.01"
        lot_size = "0.00001"
        price_scale = 2
        quantity_scale = 8
        pair = "BTC/USDT"

        """
    }

    static func gatewayOKX(_ okx: SimVenue) -> String {
        """
        [[venues]]
        name = "okx"
        kind = "okx"
        endpoint = "wss://ws.okx.com:8443/ws/v5/public"
        sim_endpoint = "ws://127.0.0.1:\(okx.port)/ws/v5/public"
        rest_endpoint = "https://www.okx.com"
        sim_rest_endpoint = "http://127.0.0.1:\(okx.restPort!)"
        sim_order_endpoint = "ws://127.0.0.1:\(okx.port)/ws/v5/private"
        api_key = "e2eOKX"
        secret_env = "GANTRY_E2E_OKX_SECRET"
        passphrase_env = "GANTRY_E2E_OKX_PASSPHRASE"
        taker_fee_bp = "5"
        orders_per_second = 20

        [[venues.instruments]]
        symbol = "BTC-USDT"
        tick_size = "0.1"
        lot_size = "0.00000001"
        price_scale = 1
        quantity_scale = 8
        pair = "BTC/USDT"

        """
    }

    static func gatewayBybit(_ bybit: SimVenue) -> String {
        """
        [[venues]]
        name = "bybit"
        kind = "bybit"
        endpoint = "wss://stream.bybit.com/v5/public/spot"
        sim_endpoint = "ws://127.0.0.1:\(bybit.port)/v5/public/spot"
        rest_endpoint = "https://api.bybit.com"
        sim_rest_endpoint = "http://127.0.0.1:\(bybit.restPort!)"
        sim_order_endpoint = "ws://127.0.0.1:\(bybit.port)/v5/trade"
        sim_user_stream_endpoint = "ws://127.0.0.1:\(bybit.port)/v5/private"
        api_key = "e2eBybit"
        secret_env = "GANTRY_E2E_BYBIT_SECRET"
        taker_fee_bp = "5"
        orders_per_second = 20
        depth = 50

        [[venues.instruments]]
        symbol = "BTCUSDT"
        tick_size = "0.01"
        lot_size = "0.000001"
        price_scale = 2
        quantity_scale = 6
        pair = "BTC/USDT"

        """
    }

    static let arbitrage = """
        [[strategies]]
        name = "arb"
        kind = "arbitrage"
        stage = "live"
        capital = "1000000"
        pair = "BTC/USDT"
        max_position = { "BTC/USDT" = "2" }
        min_edge_bp = "1"
        quantity = "0.05"
        min_quantity = "0.001"
        cooldown_ms = 300

        """

    static let riskSection = """
        [risk]
        price_band_bp = "100"
        plausibility_bp = "200"
        max_book_age_ms = 3000

        """

    static func gatewayTOML(binance: SimVenue, okx: SimVenue, bybit: SimVenue) -> String {
        gatewayBinance(binance) + gatewayOKX(okx) + gatewayBybit(bybit) + arbitrage + """
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
        quantity = "0.02"
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
        quantity = "0.02"
        slippage_bp = "20"

        """ + riskSection
    }

    @Test("a seeded 60 s session on three venues: divergences traded, every order approved by risk first, the kill switch flattens all, fills equal the venues' balances to the unit")
    func session() throws {
        Self.setSecrets()
        let simConfiguration = try SimConfiguration(toml: Self.simTOML)
        let sim = try simConfiguration.makeSimulator(anyPorts: true)
        let binance = sim.venues[0]
        let okx = sim.venues[1]
        let bybit = sim.venues[2]
        func balances(_ v: SimVenue) -> [String: Int64] {
            Dictionary(uniqueKeysWithValues: v.ledger.names.map { ($0, v.ledger.balance(1, $0).total) })
        }
        let before = [balances(binance), balances(okx), balances(bybit)]
        let thread = SimulatorThread(sim)
        let configuration = try TradingConfiguration(toml: Self.gatewayTOML(binance: binance, okx: okx, bybit: bybit))
        var credentials: [String: VenueCredentials] = [:]
        for a in configuration.accounts { credentials[a.venue] = try VenueCredentials.load(a) }
        // Risk may spend what the accounts hold (asset scale: BTC 8, USDT 10).
        let riskBalances: [String: [String: Int128]] = [
            "binance": ["BTC": 5 * 100_000_000, "USDT": 1_000_000 * 10_000_000_000], "okx": ["BTC": 5 * 100_000_000, "USDT": 1_000_000 * 10_000_000_000],
            "bybit": ["BTC": 5 * 100_000_000, "USDT": 1_000_000 * 10_000_000_000],
        ]
        var gateway = try TradingGateway(
            configuration: configuration, sim: true, credentials: credentials, balances: riskBalances, cpus: [], firstOrderSequence: 1,
            instrumentCodes: try Self.instrumentCodes(configuration))
        var reports: [OrderReport] = []
        var decisions: [RiskDecision] = []
        // Each strategy's position per venue instrument, from the fills (venue quantity scale).
        var positions: [Int: [InstrumentId: Int64]] = [:]
        func take(_ r: OrderReport) {
            reports.append(r)
            guard r.lastQuantity.raw > 0 else { return }
            let l = configuration.universe.listing(r.instrument)
            positions[Int(r.clientOrderId.strategy.raw), default: [:]][r.instrument, default: 0] += (r.side == .buy ? 1 : -1) * l.pairQuantity(r.lastQuantity)
        }
        func flat() -> Bool { positions.values.allSatisfy { $0.values.reduce(0, +) == 0 } }
        let started = MonotonicClock.now()
        while MonotonicClock.now() - started < .seconds(60) {
            _ = gateway.pollMarket { _ in }
            while let r = gateway.reports.tryConsume() { take(r) }
            while let d = gateway.decisions.tryConsume() { decisions.append(d) }
            usleep(2_000)
        }
        // The kill switch with positions open on the venues (one of them slow: 120 ms on every message).
        let killed = MonotonicClock.now()
        var wait = SpinThenYield()
        gateway.control!.publish(ControlEvent(command: .killSwitch, issuedTime: killed, sequence: 1), waiting: &wait)
        var flatAt: Nanos? = nil
        while MonotonicClock.now() - killed < .seconds(10) {
            _ = gateway.pollMarket { _ in }
            while let r = gateway.reports.tryConsume() { take(r) }
            while let d = gateway.decisions.tryConsume() { decisions.append(d) }
            if flatAt == nil && flat() && MonotonicClock.now() - killed > .milliseconds(100) {
                flatAt = MonotonicClock.now()
                break
            }
            usleep(1_000)
        }
        gateway.stop()
        while let r = gateway.reports.tryConsume() { take(r) }
        while let d = gateway.decisions.tryConsume() { decisions.append(d) }
        thread.stop()
        let toFlat = flatAt.map { ($0 - killed).raw / 1_000_000 }
        print("e2e kill switch: flat \(toFlat.map { "\($0) ms" } ?? "NOT FLAT") after it fired, every strategy on every venue")
        #expect(flatAt != nil && flat(), "every strategy flat after the kill switch")
        #expect((toFlat ?? .max) < 5_000, "flat within 5 s on loopback (target 2 s; 60 s is the hard limit)")
        let after = [balances(binance), balances(okx), balances(bybit)]
        let approved = Set(decisions.filter(\.isApproved).map(\.clientOrderId))
        let fills = reports.filter { $0.lastQuantity.raw > 0 }
        let strategies = Set(fills.map { $0.clientOrderId.strategy.raw })
        print("e2e fills by venue: \(Dictionary(grouping: fills, by: \.venue.raw).mapValues(\.count))")
        print("e2e: \(decisions.count) decisions (\(approved.count) approved), \(reports.count) reports, \(fills.count) fills, strategies that traded: \(strategies.sorted())")
        let vetoes = Dictionary(grouping: decisions.filter { !$0.isApproved }, by: \.reason).mapValues(\.count)
        print("e2e vetoes: \(vetoes)")
        #expect(!approved.isEmpty && !fills.isEmpty, "the simulator's divergences are traded")
        #expect(strategies == [1, 2, 3], "arbitrage, MA crossover and Bollinger all traded")
        #expect(Set(fills.map(\.venue.raw)) == [1, 2, 3], "on all three venues")
        #expect(reports.allSatisfy { approved.contains($0.clientOrderId) }, "every order reported was approved by risk first")
        // Each venue's balances moved exactly by the fills reported: base by quantity, quote by price × quantity and
        // the fee (fees in the quote asset, at the instrument's notional scale; the ledger's USDT scale is larger).
        for (k, venue) in [(0, binance), (1, okx), (2, bybit)] {
            let v = VenueId(raw: UInt8(k + 1))
            // The simulator keeps each venue's USDT at that venue's notional scale, as the fees are reported.
            var base: Int64 = 0
            var quote: Int64 = 0
            for f in fills where f.venue == v {
                let notional = f.price.raw * f.lastQuantity.raw
                if f.side == .buy {
                    base += f.lastQuantity.raw
                    quote -= notional + f.fee
                } else {
                    base -= f.lastQuantity.raw
                    quote += notional - f.fee
                }
            }
            #expect(after[k]["BTC"]! - before[k]["BTC"]! == base, "\(venue.name): BTC moved by the fills")
            #expect(after[k]["USDT"]! - before[k]["USDT"]! == quote, "\(venue.name): USDT moved by the fills and fees")
        }
    }
}
