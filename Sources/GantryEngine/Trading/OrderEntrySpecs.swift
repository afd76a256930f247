import GantryCore
import GantryExecution
import GantryNet
import GantryRing
import GantryRisk
import GantryVenues

/// A venue's trading credentials, loaded (never printed: `Secret` hides itself).
public struct VenueCredentials: Sendable {
    public var apiKey: String
    public var secret: Secret
    public var passphrase: Secret?

    /// Loads an account's credentials from where the configuration says they are.
    public static func load(_ a: VenueAccountConfiguration) throws -> VenueCredentials {
        let who = "venue \(a.venue)"
        let key: String
        if let k = a.apiKey {
            key = k
        } else if let env = a.apiKeyEnv {
            key = try Secret.load(env: env, file: nil, who: "\(who): api key").text
        } else {
            throw GatewayError("\(who): set api_key or api_key_env")
        }
        let secret = try Secret.load(env: a.secretEnv, file: a.secretFile, who: "\(who): secret")
        let passphrase = try a.passphraseEnv.map { try Secret.load(env: $0, file: nil, who: "\(who): passphrase") }
        return VenueCredentials(apiKey: key, secret: secret, passphrase: passphrase)
    }
}

/// What order-send needs of each traded venue's order entry — its codec (instruments and signing key), its
/// endpoints, its rate — made from the configuration and credentials before the stage's runner starts; the
/// sessions themselves are made on that runner's thread (`makeSendStage`).
struct OrderEntrySpecs: Sendable {
    typealias Rest = (address: String, port: Int, host: String, tls: Bool)
    var binance: (codec: BinanceOrderEntry, endpoint: WebSocketEndpoint, rate: Int)? = nil
    var okx: (codec: OKXOrderEntry, endpoint: WebSocketEndpoint, rest: Rest?, rate: Int)? = nil
    var bybit: (codec: BybitOrderEntry, endpoint: WebSocketEndpoint, user: WebSocketEndpoint?, rest: Rest?, rate: Int)? = nil
    var kraken: (codec: KrakenOrderEntry, endpoint: WebSocketEndpoint, rest: Rest?, rate: Int)? = nil
    var coinbase: (codec: CoinbaseOrderEntry, endpoint: WebSocketEndpoint, rest: Rest?, rate: Int)? = nil
    /// Each venue's kind, by venue id.
    var kinds: [VenueKind?]
    /// Each traded venue's dead-man's switch timeout, by kind (one venue of each kind is traded).
    var deadMan: [VenueKind: Int] = [:]
    let tls: TLSContext

    /// - Parameters:
    ///   - traded: The venues that list a configured pair.
    ///   - instrumentCodes: OKX's `instIdCode` of each instrument traded on an OKX venue; one missing is refused.
    init(
        configuration: TradingConfiguration, traded: [VenueConfiguration], sim: Bool, credentials: [String: VenueCredentials],
        instrumentCodes: [InstrumentId: UInt64]
    ) throws {
        let registry = configuration.market.registry
        let universe = configuration.universe
        kinds = Array(repeating: nil, count: registry.venueNames.count + 1)
        tls = try TLSContext(clientTrusting: nil)
        for v in traded { deadMan[v.kind] = v.deadManSeconds }
        func rest(_ url: RESTURL?) throws -> Rest? { try url.map { (try resolve($0.host), $0.port, $0.host, $0.tls) } }
        for v in traded {
            guard let id = registry.venue(named: v.name) else { continue }
            kinds[Int(id.raw)] = v.kind
            guard let account = configuration.accounts.first(where: { $0.venue == v.name }),
                let endpoint = sim ? account.simOrderEndpoint : account.orderEndpoint
            else { continue }
            guard let creds = credentials[v.name] else { throw GatewayError("venue \(v.name): no credentials loaded") }
            let listed = registry.instruments.filter { $0.venue == id && universe.listing($0.id).pair != .none }
            if v.kind == .okx, let i = listed.first(where: { instrumentCodes[$0.id] == nil }) {
                throw GatewayError("venue \(v.name): no instIdCode for \(i.symbol) (OKX's WebSocket orders need it)")
            }
            let instruments = OrderInstruments(listed.map { i in
                let l = universe.listing(i.id)
                return OrderInstrument(
                    id: i.id, symbol: i.symbol, baseAsset: universe.name(of: l.base), quoteAsset: universe.name(of: l.quote), priceScale: i.priceScale,
                    quantityScale: i.quantityScale, code: v.kind == .okx ? instrumentCodes[i.id] ?? 0 : 0)
            })
            let ws = WebSocketEndpoint(address: try resolve(endpoint.host), port: endpoint.port, host: endpoint.host, path: endpoint.path, tls: endpoint.tls ? tls : nil)
            let restURL = sim ? account.simRestEndpoint : account.restEndpoint
            let rate = account.ordersPerSecond
            switch v.kind {
            case .binance:
                binance = (BinanceOrderEntry(venue: id, instruments: instruments, apiKey: creds.apiKey, secret: VenueSecret(creds.secret.bytes)), ws, rate)
            case .okx:
                guard let passphrase = creds.passphrase else { throw GatewayError("venue \(v.name): OKX needs passphrase_env") }
                okx = (
                    OKXOrderEntry(
                        venue: id, instruments: instruments, apiKey: creds.apiKey, secret: VenueSecret(creds.secret.bytes), passphrase: passphrase.text,
                        restHost: restURL?.host ?? "www.okx.com"),
                    ws, try rest(restURL), rate)
            case .bybit:
                let userURL = sim ? account.simUserStreamEndpoint : account.userStreamEndpoint
                bybit = (
                    BybitOrderEntry(venue: id, instruments: instruments, apiKey: creds.apiKey, secret: VenueSecret(creds.secret.bytes), restHost: restURL?.host ?? "api.bybit.com"),
                    ws, try userURL.map { WebSocketEndpoint(address: try resolve($0.host), port: $0.port, host: $0.host, path: $0.path, tls: $0.tls ? tls : nil) },
                    try rest(restURL), rate)
            case .kraken:
                let secret: VenueSecret
                do { secret = try VenueSecret(base64: creds.secret.text) } catch { throw GatewayError("venue \(v.name): the secret is not base64 (Kraken's secrets are)") }
                kraken = (
                    KrakenOrderEntry(venue: id, instruments: instruments, apiKey: creds.apiKey, secret: secret, restHost: restURL?.host ?? "api.kraken.com"), ws,
                    try rest(restURL), rate)
            case .coinbase:
                let key: ES256Key
                do { key = try ES256Key(privateKeyPEM: creds.secret.text) } catch { throw GatewayError("venue \(v.name): the secret is not an EC private key in PEM") }
                coinbase = (
                    CoinbaseOrderEntry(venue: id, instruments: instruments, keyName: creds.apiKey, key: key, restHost: restURL?.host ?? "api.coinbase.com"), ws,
                    try rest(restURL), rate)
            }
        }
    }

    /// The order-send stage with a session per configured venue, made on its runner's thread (`now`: its clock).
    func makeSendStage(
        approved: consuming RingConsumer<ApprovedOrder>, control: consuming RingConsumer<ControlEvent>, reports: consuming RingProducer<OrderReport>,
        health: consuming RingProducer<VenueHealth>, clock: MonotonicClock, now: Nanos
    ) -> OrderSendStage<MonotonicClock> {
        let tls = self.tls
        func client(_ r: Rest?) -> HTTPClient? { r.map { HTTPClient(address: $0.address, port: $0.port, host: $0.host, tls: $0.tls ? tls : nil) } }
        let binanceSession = binance.map { OrderSession<BinanceOrderScript>(codec: $0.codec, endpoint: $0.endpoint, ordersPerSecond: $0.rate, now: now) }
        let okxSession = okx.map { spec in
            var s = OrderSession<OKXOrderScript>(codec: spec.codec, endpoint: spec.endpoint, rest: client(spec.rest), ordersPerSecond: spec.rate, now: now)
            s.deadManTimeout = deadMan[.okx] ?? 0
            return s
        }
        var send = OrderSendStage(
            approved: approved, control: control, reports: reports, binance: binanceSession, okx: okxSession, kinds: kinds, clock: clock, health: health)
        send.attach(
            bybit: bybit.map {
                OrderSession<BybitOrderScript>(codec: $0.codec, endpoint: $0.endpoint, rest: client($0.rest), userStream: $0.user, ordersPerSecond: $0.rate, now: now)
            },
            kraken: kraken.map {
                var s = OrderSession<KrakenOrderScript>(codec: $0.codec, endpoint: $0.endpoint, rest: client($0.rest), ordersPerSecond: $0.rate, now: now)
                s.deadManTimeout = deadMan[.kraken] ?? 0
                return s
            },
            coinbase: coinbase.map {
                OrderSession<CoinbaseOrderScript>(codec: $0.codec, endpoint: $0.endpoint, rest: client($0.rest), ordersPerSecond: $0.rate, now: now)
            })
        return send
    }
}
