import Foundation
import GantryCore
import GantryNet
import GantryVenues

/// One venue account as the watchdog reaches it: its REST API, signed like its orders, and the instruments the
/// gateway trades there.
public struct SweepVenue: Sendable {
    public var name: String
    public var id: VenueId
    public var kind: VenueKind
    public var rest: RESTURL
    public var credentials: VenueCredentials
    public var instruments: OrderInstruments

    public init(name: String, id: VenueId, kind: VenueKind, rest: RESTURL, credentials: VenueCredentials, instruments: OrderInstruments) {
        self.name = name
        self.id = id
        self.kind = kind
        self.rest = rest
        self.credentials = credentials
        self.instruments = instruments
    }

    /// Every traded venue of the configuration with its credentials and REST endpoint (`sim_rest_endpoint` with
    /// `sim`). - Throws: `GatewayError` for a traded venue without credentials or a REST endpoint.
    public static func configured(_ configuration: TradingConfiguration, sim: Bool, credentials: [String: VenueCredentials]) throws -> [SweepVenue] {
        let registry = configuration.market.registry
        let universe = configuration.universe
        var out: [SweepVenue] = []
        for account in configuration.accounts {
            guard let id = registry.venue(named: account.venue), let v = configuration.market.venues.first(where: { $0.name == account.venue }) else { continue }
            let listed = registry.instruments.filter { $0.venue == id && universe.listing($0.id).pair != .none }
            guard !listed.isEmpty else { continue }
            guard let creds = credentials[account.venue] else { throw GatewayError("venue \(account.venue): no credentials loaded") }
            guard let rest = sim ? v.simRestEndpoint : v.restEndpoint else {
                throw GatewayError("venue \(account.venue): no \(sim ? "sim_rest_endpoint" : "rest_endpoint"): the watchdog cancels over REST")
            }
            let instruments = OrderInstruments(listed.map { i in
                let l = universe.listing(i.id)
                return OrderInstrument(
                    id: i.id, symbol: i.symbol, baseAsset: universe.name(of: l.base), quoteAsset: universe.name(of: l.quote), priceScale: i.priceScale,
                    quantityScale: i.quantityScale)
            })
            out.append(SweepVenue(name: account.venue, id: id, kind: v.kind, rest: rest, credentials: creds, instruments: instruments))
        }
        return out
    }
}

/// An order the venue lists as open: its instrument and the venue's id for it.
public struct SweptOrder: Sendable, Equatable {
    public var instrument: InstrumentId
    public var orderId: String
}

/// Cancels every open order of an account directly at its venue, with the venue's own mass cancel, and lists what
/// is still open: what `gantry watchdog` does when the gateway stops answering. Off the hot path (Foundation's JSON).
///
/// | venue | open orders | cancel |
/// |---|---|---|
/// | Binance | `GET /api/v3/openOrders?symbol=` | `DELETE /api/v3/openOrders?symbol=` (cancel-all per symbol) |
/// | OKX | `GET /api/v5/trade/orders-pending` | `POST /api/v5/trade/cancel-batch-orders`, 20 a request (OKX has no spot cancel-all) |
/// | Bybit | `GET /v5/order/realtime` | `POST /v5/order/cancel-all` per symbol |
/// | Kraken | `POST /0/private/OpenOrders` | `POST /0/private/CancelAll` (the whole account) |
/// | Coinbase | `GET …/orders/historical/batch?order_status=OPEN` | `POST …/orders/batch_cancel` with the listed ids |
public enum VenueSweep {
    /// The account's open orders on the venue's traded instruments (Kraken: the whole account).
    /// - Throws: `GatewayError` naming the venue: unreachable, a refusal, an answer not the documented one.
    public static func openOrders(_ v: SweepVenue, tls: TLSContext?) throws -> [SweptOrder] {
        var codec = try Codec(v)
        let name = v.name
        var out: [SweptOrder] = []
        switch v.kind {
        case .kraken:
            let o = try object(name, try call(v, tls) { b throws(OrderEncodeError) in try codec.openOrders(InstrumentId(raw: 0), now: WallClock.now(), into: &b) })
            try krakenErrors(name, o)
            let open = (o["result"] as? [String: Any])?["open"] as? [String: Any] ?? [:]
            out = open.keys.sorted().map { SweptOrder(instrument: InstrumentId(raw: 0), orderId: $0) }
        default:
            for i in v.instruments.all {
                let answer = try call(v, tls) { b throws(OrderEncodeError) in try codec.openOrders(i.id, now: WallClock.now(), into: &b) }
                out += try listed(v.kind, name, answer).map { SweptOrder(instrument: i.id, orderId: $0) }
            }
        }
        return out
    }

    /// Cancels `open` (as `openOrders` listed it) with the venue's mass cancel.
    /// - Returns: The requests sent, as text for the report ("DELETE /api/v3/openOrders BTCUSDT").
    /// - Throws: `GatewayError` naming the venue and the refusal.
    public static func cancel(_ v: SweepVenue, open: [SweptOrder], tls: TLSContext?) throws -> [String] {
        guard !open.isEmpty else { return [] }
        var codec = try Codec(v)
        let name = v.name
        var sent: [String] = []
        let instruments = v.instruments.all.filter { i in open.contains { $0.instrument == i.id } }
        switch v.kind {
        case .binance, .bybit:
            for i in instruments {
                let answer = try call(v, tls) { b throws(OrderEncodeError) in try codec.cancelAll(i.id, now: WallClock.now(), into: &b) }
                if v.kind == .bybit { try bybitCode(name, try object(name, answer)) }
                sent.append("\(v.kind == .binance ? "DELETE /api/v3/openOrders" : "POST /v5/order/cancel-all") \(i.symbol)")
            }
        case .kraken:
            let o = try object(name, try call(v, tls) { b throws(OrderEncodeError) in try codec.cancelAll(InstrumentId(raw: 0), now: WallClock.now(), into: &b) })
            try krakenErrors(name, o)
            sent.append("POST /0/private/CancelAll (count \((o["result"] as? [String: Any])?["count"] ?? "?"))")
        case .okx:
            var start = 0
            while start < open.count {
                let chunk = Array(open[start..<min(start + 20, open.count)])
                start += chunk.count
                let ids = try chunk.map { (instrument: $0.instrument, ordId: try inline(name, $0.orderId)) }
                let o = try object(name, try call(v, tls) { b throws(OrderEncodeError) in try codec.okx!.cancelBatch(ids, now: WallClock.now(), into: &b) })
                // "1": none cancelled, "2": some (an order that ended meanwhile is left to the next listing).
                guard let code = o["code"] as? String, ["0", "1", "2"].contains(code) else {
                    throw GatewayError("\(name): cancel-batch-orders refused: \(o["code"] ?? "?"): \(o["msg"] ?? "")")
                }
                sent.append("POST /api/v5/trade/cancel-batch-orders (\(chunk.count) orders, code \(code))")
            }
        case .coinbase:
            let ids = try open.map { try inline(name, $0.orderId) }
            let o = try object(name, try call(v, tls) { b throws(OrderEncodeError) in try codec.coinbase!.cancelBatch(ids, now: WallClock.now(), into: &b) })
            guard let results = o["results"] as? [[String: Any]] else { throw GatewayError("\(name): batch_cancel answered no results: \(o)") }
            let failed = results.filter { ($0["success"] as? Bool) != true }.count
            sent.append("POST /api/v3/brokerage/orders/batch_cancel (\(ids.count) orders, \(failed) not cancelled)")
        }
        return sent
    }

    // MARK: - The answers

    /// The venue order ids of an open-orders answer (Binance: a JSON array; the others: their envelopes).
    static func listed(_ kind: VenueKind, _ name: String, _ body: [UInt8]) throws -> [String] {
        let any = try json(name, body)
        switch kind {
        case .binance:
            guard let list = any as? [[String: Any]] else { throw GatewayError("\(name): openOrders answered no array: \(text(body))") }
            return list.compactMap { ($0["orderId"] as? NSNumber)?.stringValue }
        case .okx:
            let o = try object(name, body)
            guard o["code"] as? String == "0", let data = o["data"] as? [[String: Any]] else {
                throw GatewayError("\(name): orders-pending refused: \(o["code"] ?? "?"): \(o["msg"] ?? "")")
            }
            return data.compactMap { $0["ordId"] as? String }
        case .bybit:
            let o = try object(name, body)
            try bybitCode(name, o)
            let list = (o["result"] as? [String: Any])?["list"] as? [[String: Any]] ?? []
            let open: Set<String> = ["New", "PartiallyFilled", "Untriggered"]
            return list.filter { open.contains($0["orderStatus"] as? String ?? "") }.compactMap { $0["orderId"] as? String }
        case .coinbase:
            let o = try object(name, body)
            guard let orders = o["orders"] as? [[String: Any]] else { throw GatewayError("\(name): historical/batch answered no orders: \(text(body))") }
            return orders.filter { ($0["status"] as? String ?? "OPEN") == "OPEN" }.compactMap { $0["order_id"] as? String }
        case .kraken:
            return []
        }
    }

    static func bybitCode(_ name: String, _ o: [String: Any]) throws {
        guard (o["retCode"] as? NSNumber)?.intValue == 0 else { throw GatewayError("\(name): refused: retCode \(o["retCode"] ?? "?"): \(o["retMsg"] ?? "")") }
    }

    static func krakenErrors(_ name: String, _ o: [String: Any]) throws {
        let errors = o["error"] as? [String] ?? ["no error field"]
        guard errors.isEmpty else { throw GatewayError("\(name): refused: \(errors.joined(separator: ", "))") }
    }

    static func inline(_ name: String, _ s: String) throws -> InlineText {
        guard let t = InlineText(s) else { throw GatewayError("\(name): an order id longer than \(InlineText.capacity) bytes: \(s.prefix(40))…") }
        return t
    }

    static func text(_ body: [UInt8]) -> String { String(decoding: body.prefix(200), as: UTF8.self) }

    static func json(_ name: String, _ body: [UInt8]) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: Data(body)) } catch { throw GatewayError("\(name): the answer is not JSON: \(text(body))") }
    }

    static func object(_ name: String, _ body: [UInt8]) throws -> [String: Any] {
        guard let o = try json(name, body) as? [String: Any] else { throw GatewayError("\(name): the answer is not a JSON object: \(text(body))") }
        return o
    }

    // MARK: - Transport

    /// Encodes a request and sends it; the answer's body (HTTP 200 only).
    static func call(_ v: SweepVenue, _ tls: TLSContext?, _ encode: (inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest) throws -> [UInt8] {
        var buffer = OrderRequestBuffer(capacity: 16_384)
        do { _ = try encode(&buffer) } catch { throw GatewayError("\(v.name): the request could not be made: \(error)") }
        return try VenueBalances.send(buffer.bytes, to: v.rest, tls: v.rest.tls ? tls : nil, venue: v.name, what: "order request")
    }

    /// The venue's order entry codec, on REST.
    struct Codec {
        var binance: BinanceOrderEntry?
        var okx: OKXOrderEntry?
        var bybit: BybitOrderEntry?
        var kraken: KrakenOrderEntry?
        var coinbase: CoinbaseOrderEntry?

        init(_ v: SweepVenue) throws {
            let c = v.credentials
            let secret = VenueSecret(c.secret.bytes)
            let host = v.rest.host
            switch v.kind {
            case .binance:
                binance = BinanceOrderEntry(venue: v.id, instruments: v.instruments, apiKey: c.apiKey, secret: secret, restHost: host)
                binance!.transport = .rest
            case .okx:
                guard let p = c.passphrase else { throw GatewayError("\(v.name): a passphrase is needed") }
                okx = OKXOrderEntry(venue: v.id, instruments: v.instruments, apiKey: c.apiKey, secret: secret, passphrase: p.text, restHost: host)
                okx!.transport = .rest
            case .bybit:
                bybit = BybitOrderEntry(venue: v.id, instruments: v.instruments, apiKey: c.apiKey, secret: secret, restHost: host)
                bybit!.transport = .rest
            case .kraken:
                let key: VenueSecret
                do { key = try VenueSecret(base64: c.secret.text) } catch { throw GatewayError("\(v.name): the secret is not base64 (Kraken's secrets are)") }
                kraken = KrakenOrderEntry(venue: v.id, instruments: v.instruments, apiKey: c.apiKey, secret: key, restHost: host)
                kraken!.transport = .rest
            case .coinbase:
                let key: ES256Key
                do { key = try ES256Key(privateKeyPEM: c.secret.text) } catch { throw GatewayError("\(v.name): the secret is not an EC private key in PEM") }
                coinbase = CoinbaseOrderEntry(venue: v.id, instruments: v.instruments, keyName: c.apiKey, key: key, restHost: host)
            }
        }

        mutating func openOrders(_ i: InstrumentId, now: Nanos, into b: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
            if binance != nil { return try binance!.openOrders(i, now: now, into: &b) }
            if okx != nil { return try okx!.openOrders(i, now: now, into: &b) }
            if bybit != nil { return try bybit!.openOrders(i, now: now, into: &b) }
            if kraken != nil { return try kraken!.openOrders(i, now: now, into: &b) }
            return try coinbase!.openOrders(i, now: now, into: &b)
        }

        mutating func cancelAll(_ i: InstrumentId, now: Nanos, into b: inout OrderRequestBuffer) throws(OrderEncodeError) -> EncodedRequest {
            if binance != nil { return try binance!.cancelAll(i, now: now, into: &b) }
            if bybit != nil { return try bybit!.cancelAll(i, now: now, into: &b) }
            if kraken != nil { return try kraken!.cancelAll(i, now: now, into: &b) }
            throw .unsupported("no cancel-all at this venue")
        }
    }
}
