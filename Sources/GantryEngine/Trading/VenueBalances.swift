import Foundation
import GantryCore
import GantryNet
import GantryVenues

/// Reads a venue account's balances over its REST API, signed like its orders: what risk may spend at start, and
/// what the gateway checks its fills against at the end. Off the hot path (Foundation's JSON is fine here).
public enum VenueBalances {
    /// Each asset's total (free + locked) as exact decimal text, by asset name.
    public typealias Totals = [String: String]

    /// Binance `GET /api/v3/account` (`balances[].free/locked`), OKX `GET /api/v5/account/balance`
    /// (`data[0].details[].cashBal`). - Throws: `GatewayError` naming the venue and what went wrong.
    public static func fetch(kind: VenueKind, venue: VenueId, credentials: VenueCredentials, rest: RESTURL, tls: TLSContext?) throws -> Totals {
        var buffer = OrderRequestBuffer(capacity: 8_192)
        let wall = WallClock.now()
        let instruments = OrderInstruments([])
        switch kind {
        case .binance:
            var codec = BinanceOrderEntry(venue: venue, instruments: instruments, apiKey: credentials.apiKey, secret: VenueSecret(credentials.secret.bytes), restHost: rest.host)
            codec.transport = .rest
            _ = try codec.accountStatus(now: wall, into: &buffer)
        case .okx:
            guard let passphrase = credentials.passphrase else { throw GatewayError("okx: a passphrase is needed") }
            var codec = OKXOrderEntry(
                venue: venue, instruments: instruments, apiKey: credentials.apiKey, secret: VenueSecret(credentials.secret.bytes), passphrase: passphrase.text,
                restHost: rest.host)
            _ = try codec.accountBalance(now: wall, into: &buffer)
        default:
            throw GatewayError("\(kind.rawValue): balances are not read yet")
        }
        let body = try send(buffer.bytes, to: rest, tls: tls, venue: kind.rawValue)
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else {
            throw GatewayError("\(kind.rawValue): the balance answer is not JSON: \(String(decoding: body.prefix(200), as: UTF8.self))")
        }
        var totals: Totals = [:]
        switch kind {
        case .binance:
            for b in object["balances"] as? [[String: Any]] ?? [] {
                guard let asset = b["asset"] as? String, let free = b["free"] as? String, let locked = b["locked"] as? String else { continue }
                totals[asset] = try Self.add(free, locked)
            }
        default:
            let data = (object["data"] as? [[String: Any]])?.first
            for d in data?["details"] as? [[String: Any]] ?? [] {
                guard let ccy = d["ccy"] as? String, let cash = d["cashBal"] as? String else { continue }
                totals[ccy] = cash
            }
        }
        return totals
    }

    /// a + b as decimal text, exact.
    static func add(_ a: String, _ b: String) throws -> String {
        let scale = max(decimals(a), decimals(b))
        return FixedPoint.string(try FixedPoint.parse(a, scale: scale) + FixedPoint.parse(b, scale: scale), scale: scale, trimTrailingZeros: true)
    }

    static func decimals(_ s: String) -> Int { s.firstIndex(of: ".").map { s.distance(from: $0, to: s.endIndex) - 1 } ?? 0 }

    /// Sends one request and waits (up to 5 s) for its answer.
    static func send(_ request: UnsafeRawBufferPointer, to rest: RESTURL, tls: TLSContext?, venue: String) throws -> [UInt8] {
        let client = HTTPClient(address: try resolve(rest.host), port: rest.port, host: rest.host, tls: rest.tls ? tls : nil)
        guard case .success = client.send(request: request, idempotent: true) else { throw GatewayError("\(venue): the balance request was not queued") }
        let deadline = MonotonicClock.now() + .seconds(5)
        var answer: Result<HTTPResponse, HTTPClientError>? = nil
        while answer == nil && MonotonicClock.now() < deadline {
            client.poll { _, r in answer = r }
            if answer == nil { usleep(1_000) }
        }
        switch answer {
        case .success(let r)?:
            guard r.status == 200 else { throw GatewayError("\(venue): balances answered HTTP \(r.status): \(String(decoding: r.body.prefix(200), as: UTF8.self))") }
            return r.body
        case .failure(let e)?: throw GatewayError("\(venue): balances: \(e)")
        case nil: throw GatewayError("\(venue): balances: no answer within 5 s")
        }
    }
}
