import Foundation
import GantryCore
import GantryNet
import GantryVenues
import TOMLKit

/// Why a simulator configuration was refused: each names the table and key.
public struct SimConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "simulator configuration: \(message)" }
}

/// The simulator's configuration (`gantry-venue-sim --config sim.toml`): the seed and step rate, the markets
/// (one price model per asset), the venues with their protocol, ports, fees and instruments, and the fault
/// script. Every value is checked; a bad one is named.
public struct SimConfiguration: Sendable {
    public struct Market: Sendable {
        public var name: String
        public var parameters: MarketParameters
    }

    /// A trading account of a venue: its API key, its secret (from the environment or a 0600 file, never
    /// from the configuration itself, never printed), and what it starts with, by asset.
    public struct Account: Sendable, CustomStringConvertible {
        /// Binance: the API key; Coinbase: the CDP key's name.
        public var apiKey: String
        /// Binance: the HMAC secret. Coinbase: the key's public half in PEM (not a secret).
        var secret: String
        public var deposits: [(asset: String, amount: String)]
        public var description: String { "account \(apiKey) (secret not shown)" }
    }

    public struct Venue: Sendable {
        public var name: String
        public var kind: SimProtocol
        public var wsPort: Int
        public var restPort: Int?
        public var fees: FeeSchedule
        public var levels: Int
        public var maxLots: Int
        public var instruments: [(instrument: SimInstrument, market: Int)]
        public var accounts: [Account]
        /// Added to every market-data message (a venue far away), milliseconds.
        public var latencyMilliseconds: Int
        /// Binance's REQUEST_WEIGHT limit per minute (429 beyond it).
        public var weightPerMinute: Int
        /// REST requests per second before the venue's rate-limit answer (0: none).
        public var requestsPerSecond: Int
        /// WebSocket order placements per connection per window before the venue's rate-limit answer (0: none;
        /// nil: the venue's documented limit), and the window in milliseconds.
        public var wsOrderLimit: Int?
        public var wsOrderWindowMilliseconds: Int?
        /// Noise traders' market orders per second per instrument (trades on the public streams), and their
        /// largest size in lots.
        public var tradesPerSecond: Int
        public var tradeMaxLots: Int
    }

    public var seed: UInt64
    public var stepsPerSecond: Int
    public var host: String
    public var markets: [Market]
    public var venues: [Venue]
    public var faults: [SimFault]
    /// Simulated chains (`[[chains]]`): Ethereum JSON-RPC nodes whose token flows may lead a market.
    public var chains: [SimChainConfiguration]

    /// Parses and checks a configuration. - Throws: `SimConfigurationError` naming the first problem.
    public init(toml: String) throws(SimConfigurationError) {
        struct File: Decodable {
            var seed: Int?
            var steps_per_second: Int?
            var host: String?
            var markets: [MarketTable]?
            var venues: [VenueTable]?
            var faults: [FaultTable]?
            var chains: [SimChainConfiguration.Table]?
        }
        struct MarketTable: Decodable {
            var name: String
            var start_price: String
            var volatility_per_second: String?
            var divergence: String?
            var divergences_per_minute: Int?
            var convergence_ms: Int?
        }
        struct VenueTable: Decodable {
            var name: String
            var kind: String
            var ws_port: Int
            var rest_port: Int?
            var maker_fee_bp: String?
            var taker_fee_bp: String?
            var levels: Int?
            var max_lots: Int?
            var latency_ms: Int?
            var weight_per_minute: Int?
            var trades_per_second: Int?
            var requests_per_second: Int?
            var ws_order_limit: Int?
            var ws_order_window_ms: Int?
            var trade_max_lots: Int?
            var instruments: [InstrumentTable]?
            var accounts: [AccountTable]?
        }
        struct AccountTable: Decodable {
            var api_key: String?
            var key_name: String?
            var public_key_file: String?
            var secret: String?
            var secret_env: String?
            var secret_file: String?
            var passphrase_env: String?
            var deposits: [String: String]?
        }
        struct InstrumentTable: Decodable {
            var symbol: String
            var market: String
            var tick_size: String
            var lot_size: String
            var price_scale: Int
            var quantity_scale: Int
            var base_asset: String?
            var quote_asset: String?
        }
        struct FaultTable: Decodable {
            var kind: String
            var venue: String?
            var start_ms: Int
            var duration_ms: Int?
            var every: Int?
            var milliseconds: Int?
            /// slippage: basis points (decimal text).
            var bp: String?
            /// silent_book: the symbol of the venue's book that goes silent (the venue's first if absent).
            var instrument: String?
            /// balance: the asset and the signed amount (decimal text) the venue's first account gets.
            var asset: String?
            var amount: String?
        }
        let file: File
        do {
            file = try TOMLDecoder().decode(File.self, from: toml)
        } catch {
            throw SimConfigurationError("not valid TOML or a key has the wrong type: \(error)")
        }
        func decimal(_ text: String, scale: Int, _ what: String) throws(SimConfigurationError) -> Int64 {
            do throws(DecimalError) {
                return try FixedPoint.parse(text, scale: scale)
            } catch {
                throw SimConfigurationError("\(what) is not a decimal with at most \(scale) places: \(text) (\(error))")
            }
        }
        seed = UInt64(truncatingIfNeeded: file.seed ?? 1)
        stepsPerSecond = file.steps_per_second ?? 100
        guard (1...1_000_000).contains(stepsPerSecond) else {
            throw SimConfigurationError("steps_per_second is \(stepsPerSecond); must be 1…1000000")
        }
        host = file.host ?? "127.0.0.1"
        guard let marketTables = file.markets, !marketTables.isEmpty else { throw SimConfigurationError("no [[markets]] configured") }
        var markets: [Market] = []
        for m in marketTables {
            let what = "market \(m.name)"
            guard !m.name.isEmpty, !markets.contains(where: { $0.name == m.name }) else {
                throw SimConfigurationError("\(what): name is empty or used twice")
            }
            let start = try decimal(m.start_price, scale: MarketModel.scale, "\(what): start_price")
            let volatility = try decimal(m.volatility_per_second ?? "0", scale: MarketModel.scale, "\(what): volatility_per_second")
            let divergence = try decimal(m.divergence ?? "0", scale: MarketModel.scale, "\(what): divergence")
            guard start > 0 else { throw SimConfigurationError("\(what): start_price must be positive") }
            guard volatility >= 0, divergence >= 0, divergence < start / 2 else {
                throw SimConfigurationError("\(what): volatility_per_second and divergence must be ≥ 0 and divergence below half the price")
            }
            let perMinute = m.divergences_per_minute ?? 0
            let convergence = m.convergence_ms ?? 2_000
            guard (0...6_000).contains(perMinute) else { throw SimConfigurationError("\(what): divergences_per_minute must be 0…6000") }
            guard (1...3_600_000).contains(convergence) else { throw SimConfigurationError("\(what): convergence_ms must be 1…3600000") }
            markets.append(Market(
                name: m.name,
                parameters: MarketParameters(
                    start: start, volatilityPerSecond: volatility, divergencesPerMinute: perMinute, divergence: divergence,
                    convergenceMilliseconds: convergence)))
        }
        guard let venueTables = file.venues, !venueTables.isEmpty else { throw SimConfigurationError("no [[venues]] configured") }
        var venues: [Venue] = []
        var ports: Set<Int> = []
        for v in venueTables {
            let what = "venue \(v.name)"
            guard !v.name.isEmpty, !venues.contains(where: { $0.name == v.name }) else {
                throw SimConfigurationError("\(what): name is empty or used twice")
            }
            guard let kind = SimProtocol(rawValue: v.kind) else {
                throw SimConfigurationError("\(what): kind is \"\(v.kind)\"; expected one of \(SimProtocol.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            for (key, port) in [("ws_port", v.ws_port), ("rest_port", v.rest_port ?? 0)] where port != 0 || key == "ws_port" {
                guard (1...65_535).contains(port), ports.insert(port).inserted else {
                    throw SimConfigurationError("\(what): \(key) \(port) is out of range or used twice")
                }
            }
            if kind == .binance && v.rest_port == nil {
                throw SimConfigurationError("\(what): rest_port is required (Binance's snapshots and orders come over REST)")
            }
            let maker = try decimal(v.maker_fee_bp ?? "2", scale: 2, "\(what): maker_fee_bp")
            let taker = try decimal(v.taker_fee_bp ?? "10", scale: 2, "\(what): taker_fee_bp")
            guard (0...100_000).contains(maker), (0...100_000).contains(taker) else {
                throw SimConfigurationError("\(what): fees must be 0…1000 bp")
            }
            let levels = v.levels ?? 50
            guard (1...5_000).contains(levels) else { throw SimConfigurationError("\(what): levels is \(levels); must be 1…5000") }
            let maxLots = v.max_lots ?? 50_000
            guard (1...1_000_000_000).contains(maxLots) else { throw SimConfigurationError("\(what): max_lots must be 1…1000000000") }
            guard let items = v.instruments, !items.isEmpty else {
                throw SimConfigurationError("\(what): instruments is empty: configure at least one [[venues.instruments]]")
            }
            var instruments: [(SimInstrument, Int)] = []
            for i in items {
                let item = "\(what), instrument \(i.symbol)"
                guard !i.symbol.isEmpty, !instruments.contains(where: { $0.0.symbol == i.symbol }) else {
                    throw SimConfigurationError("\(item): symbol is empty or listed twice")
                }
                guard let market = markets.firstIndex(where: { $0.name == i.market }) else {
                    throw SimConfigurationError("\(item): market \"\(i.market)\" is not a configured [[markets]] name")
                }
                guard (0...MarketModel.scale).contains(i.price_scale) else {
                    throw SimConfigurationError("\(item): price_scale is \(i.price_scale); must be 0…\(MarketModel.scale)")
                }
                guard (0...FixedPoint.maxScale).contains(i.quantity_scale) else {
                    throw SimConfigurationError("\(item): quantity_scale is \(i.quantity_scale); must be 0…\(FixedPoint.maxScale)")
                }
                let tick = try decimal(i.tick_size, scale: i.price_scale, "\(item): tick_size")
                let lot = try decimal(i.lot_size, scale: i.quantity_scale, "\(item): lot_size")
                guard tick > 0, lot > 0 else { throw SimConfigurationError("\(item): tick_size and lot_size must be positive") }
                instruments.append((
                    SimInstrument(
                        symbol: i.symbol, priceScale: i.price_scale, quantityScale: i.quantity_scale, tick: tick, lot: lot,
                        baseAsset: i.base_asset, quoteAsset: i.quote_asset),
                    market
                ))
            }
            let latency = v.latency_ms ?? 0
            guard (0...60_000).contains(latency) else { throw SimConfigurationError("\(what): latency_ms is \(latency); must be 0…60000") }
            let weight = v.weight_per_minute ?? 6_000
            guard weight > 0 else { throw SimConfigurationError("\(what): weight_per_minute must be positive") }
            let requestsPerSecond = v.requests_per_second ?? 0
            guard requestsPerSecond >= 0 else { throw SimConfigurationError("\(what): requests_per_second must be ≥ 0") }
            guard (v.ws_order_limit ?? 0) >= 0, (1...3_600_000).contains(v.ws_order_window_ms ?? 1_000) else {
                throw SimConfigurationError("\(what): ws_order_limit must be ≥ 0 and ws_order_window_ms 1…3600000")
            }
            let tradesPerSecond = v.trades_per_second ?? 2
            guard (0...stepsPerSecond).contains(tradesPerSecond) else {
                throw SimConfigurationError("\(what): trades_per_second is \(tradesPerSecond); must be 0…steps_per_second (\(stepsPerSecond))")
            }
            let tradeMaxLots = v.trade_max_lots ?? 1_000
            guard (1...1_000_000_000).contains(tradeMaxLots) else { throw SimConfigurationError("\(what): trade_max_lots must be 1…1000000000") }
            var accounts: [Account] = []
            for a in v.accounts ?? [] {
                let name = a.api_key ?? a.key_name ?? ""
                let who = "\(what), account \(name)"
                var secret: String
                var secretWithPassphrase: String? = nil
                switch kind {
                case .binance, .bybit, .okx, .kraken:
                    guard let key = a.api_key, !key.isEmpty, key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+/=-_".contains($0)) }) else {
                        throw SimConfigurationError("\(what): an account's api_key must be letters, digits and + / = - _")
                    }
                    guard a.secret == nil else {
                        throw SimConfigurationError("\(who): secrets are not read from the configuration; use secret_env or secret_file (mode 0600)")
                    }
                    secret = try Self.secret(env: a.secret_env, file: a.secret_file, who)
                    if kind == .okx {
                        // OKX's passphrase is a secret too: kept beside the secret as "secret\npassphrase".
                        guard let env = a.passphrase_env else { throw SimConfigurationError("\(who): passphrase_env is required for OKX") }
                        let passphrase = try Self.secret(env: env, file: nil, who)
                        secretWithPassphrase = secret + "\n" + passphrase
                    }
                case .coinbase:
                    guard let keyName = a.key_name, !keyName.isEmpty, let file = a.public_key_file else {
                        throw SimConfigurationError("\(what): a Coinbase account needs key_name and public_key_file (the CDP key's public half, PEM)")
                    }
                    guard let pem = try? String(contentsOfFile: file, encoding: .utf8), (try? ES256Key(publicKeyPEM: pem)) != nil else {
                        throw SimConfigurationError("\(who): public_key_file \(file) is not a P-256 public key in PEM")
                    }
                    secret = pem
                }
                if let both = secretWithPassphrase { secret = both }
                var deposits: [(String, String)] = []
                for (asset, amount) in (a.deposits ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let scales = instruments.compactMap { i in
                        i.0.baseAsset == asset ? i.0.quantityScale : i.0.quoteAsset == asset ? i.0.priceScale + i.0.quantityScale : nil
                    }
                    guard let finest = scales.max() else {
                        throw SimConfigurationError("\(who): deposits.\(asset) is not an asset of the venue's instruments")
                    }
                    guard (try? FixedPoint.parse(amount, scale: finest)).map({ $0 >= 0 }) == true else {
                        throw SimConfigurationError("\(who): deposits.\(asset) is not a non-negative decimal with at most \(finest) places: \(amount)")
                    }
                    deposits.append((asset, amount))
                }
                accounts.append(Account(apiKey: name, secret: secret, deposits: deposits))
            }
            venues.append(Venue(
                name: v.name, kind: kind, wsPort: v.ws_port, restPort: v.rest_port,
                fees: FeeSchedule(makerCentiBasisPoints: maker, takerCentiBasisPoints: taker), levels: levels, maxLots: maxLots,
                instruments: instruments.map { (instrument: $0.0, market: $0.1) }, accounts: accounts, latencyMilliseconds: latency,
                weightPerMinute: weight, requestsPerSecond: requestsPerSecond, wsOrderLimit: v.ws_order_limit,
                wsOrderWindowMilliseconds: v.ws_order_window_ms, tradesPerSecond: tradesPerSecond, tradeMaxLots: tradeMaxLots))
        }
        var chains: [SimChainConfiguration] = []
        for c in file.chains ?? [] {
            guard !chains.contains(where: { $0.parameters.name == c.name }) else { throw SimConfigurationError("chain \(c.name): name used twice") }
            chains.append(try SimChainConfiguration.parse(c, markets: markets.map(\.name), ports: &ports))
        }
        self.chains = chains
        var faults: [SimFault] = []
        for f in file.faults ?? [] {
            guard let kind = SimFaultKind(rawValue: f.kind) else {
                throw SimConfigurationError("fault kind \"\(f.kind)\"; expected one of \(SimFaultKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if let v = f.venue, !venues.contains(where: { $0.name == v }) {
                throw SimConfigurationError("fault \(f.kind): venue \"\(v)\" is not configured")
            }
            guard f.start_ms >= 0, (f.duration_ms ?? 0) >= 0, (f.every ?? 1) >= 1 else {
                throw SimConfigurationError("fault \(f.kind): start_ms and duration_ms must be ≥ 0, every ≥ 1")
            }
            var book: Int? = nil
            if let symbol = f.instrument {
                guard kind == .silentBook, let v = f.venue, let venue = venues.first(where: { $0.name == v }) else {
                    throw SimConfigurationError("fault \(f.kind): instrument is for silent_book faults of one venue (set venue)")
                }
                guard let k = venue.instruments.firstIndex(where: { $0.instrument.symbol == symbol }) else {
                    throw SimConfigurationError("fault \(f.kind): venue \(v) has no instrument \(symbol)")
                }
                book = k
            }
            if [.stale, .latency, .clockSkew, .silentBook].contains(kind) && (f.duration_ms ?? 0) == 0 {
                throw SimConfigurationError("fault \(f.kind): duration_ms is required (it is a window)")
            }
            if kind == .lateFill, let ms = f.milliseconds, !(0...600_000).contains(ms) {
                throw SimConfigurationError("fault \(f.kind): milliseconds must be 0…600000 (0: the venue's default)")
            }
            if kind == .latency || kind == .clockSkew {
                guard let ms = f.milliseconds, abs(ms) <= 600_000, kind == .clockSkew || ms > 0 else {
                    throw SimConfigurationError("fault \(f.kind): milliseconds is required (latency: 1…600000, clock skew: ±600000)")
                }
            }
            var fault = SimFault(
                kind: kind, venue: f.venue, start: .milliseconds(Int64(f.start_ms)), duration: .milliseconds(Int64(f.duration_ms ?? 0)),
                every: f.every ?? 1, milliseconds: f.milliseconds ?? 0, book: book)
            if kind == .slippage {
                guard (f.duration_ms ?? 0) > 0, let bp = f.bp, let c = try? FixedPoint.parse(bp, scale: 2), c > 0, c <= 100_000 else {
                    throw SimConfigurationError("fault slippage: duration_ms and bp (0 < bp ≤ 1000, two decimals at most) are required")
                }
                fault.centiBasisPoints = c
            }
            if kind == .balance {
                guard f.venue != nil, let asset = f.asset, let amount = f.amount, (try? FixedPoint.parse(amount, scale: 18)) != nil else {
                    throw SimConfigurationError("fault balance: venue, asset and amount (a signed decimal) are required")
                }
                fault.asset = asset
                fault.amount = amount
            }
            faults.append(fault)
        }
        self.markets = markets
        self.venues = venues
        self.faults = faults
    }

    /// A secret from an environment variable or a file that only its owner can read (mode 0600).
    static func secret(env: String?, file: String?, _ who: String) throws(SimConfigurationError) -> String {
        if let env {
            guard let value = ProcessInfo.processInfo.environment[env], !value.isEmpty else {
                throw SimConfigurationError("\(who): the environment variable \(env) (secret_env) is not set")
            }
            return value
        }
        guard let file else { throw SimConfigurationError("\(who): set secret_env or secret_file") }
        var info = stat()
        guard stat(file, &info) == 0 else { throw SimConfigurationError("\(who): secret_file \(file) cannot be read") }
        guard info.st_mode & 0o077 == 0 else {
            throw SimConfigurationError("\(who): secret_file \(file) must be mode 0600 (it is \(String(info.st_mode & 0o777, radix: 8)))")
        }
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            throw SimConfigurationError("\(who): secret_file \(file) cannot be read")
        }
        let secret = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { throw SimConfigurationError("\(who): secret_file \(file) is empty") }
        return secret
    }

    /// Starts every venue on its ports and the simulator over them.
    /// - Parameters:
    ///   - tls: A server context to serve wss:// (nil: ws://).
    ///   - anyPorts: Listen on free ports instead of the configured ones (tests beside a running simulator).
    /// - Throws: `NetError` if a port cannot be bound.
    public func makeSimulator(tls: TLSContext? = nil, anyPorts: Bool = false) throws -> VenueSimulator {
        let now = MonotonicClock.now()
        var simVenues: [SimVenue] = []
        for v in venues {
            let books = v.instruments.map { SimulatedBook(instrument: $0.instrument, fees: v.fees, levels: v.levels, maxLots: v.maxLots) }
            for b in books {
                b.noisePpm = v.tradesPerSecond * 1_000_000 / stepsPerSecond
                b.noiseMaxLots = v.tradeMaxLots
            }
            let script = faults.filter { $0.venue == nil || $0.venue == v.name }
            let venue = try SimVenue(
                name: v.name, kind: v.kind, books: books, host: host, wsPort: anyPorts ? 0 : v.wsPort,
                restPort: v.restPort.map { anyPorts ? 0 : $0 }, tls: tls, faults: SimFaultState(script: script), now: now)
            venue.latency = .milliseconds(Int64(v.latencyMilliseconds))
            venue.weightPerMinute = v.weightPerMinute
            venue.requestsPerSecond = v.requestsPerSecond
            if let limit = v.wsOrderLimit { venue.wsOrderLimit = limit }
            if let window = v.wsOrderWindowMilliseconds { venue.wsOrderWindow = .milliseconds(Int64(window)) }
            for (n, a) in v.accounts.enumerated() {
                // One balance per asset, shared by the venue's books (checked when the configuration was read).
                let deposits = Dictionary(a.deposits.map { ($0.asset, $0.amount) }, uniquingKeysWith: { a, _ in a })
                switch v.kind {
                case .coinbase:
                    // The key was checked when the configuration was read.
                    try venue.addCoinbaseKey(name: a.apiKey, publicKey: try! ES256Key(publicKeyPEM: a.secret), account: n + 1, deposits: deposits)
                case .bybit: try venue.addBybitKey(apiKey: a.apiKey, secret: a.secret, account: n + 1, deposits: deposits)
                case .kraken: try venue.addKrakenKey(apiKey: a.apiKey, secret: a.secret, account: n + 1, deposits: deposits)
                case .okx:
                    let parts = a.secret.split(separator: "\n", maxSplits: 1)
                    try venue.addOKXKey(apiKey: a.apiKey, secret: String(parts[0]), passphrase: String(parts.last!), account: n + 1, deposits: deposits)
                case .binance: try venue.addAccount(BinanceCredentials(apiKey: a.apiKey, secret: a.secret, account: n + 1), deposits: deposits)
                }
            }
            simVenues.append(venue)
        }
        let nodes = try chains.enumerated().map { k, c throws in
            try SimChainNode(
                parameters: c.parameters, market: c.market, stepsPerSecond: stepsPerSecond, seed: seed &+ UInt64(k) &* 0x51_7CC1, host: host,
                port: anyPorts ? 0 : c.wsPort, tls: tls)
        }
        return VenueSimulator(
            venues: simVenues, markets: markets.map(\.parameters), assignments: venues.map { $0.instruments.map(\.market) },
            stepsPerSecond: stepsPerSecond, seed: seed, chains: nodes)
    }
}
