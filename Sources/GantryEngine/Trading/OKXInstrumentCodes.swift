import Foundation
import GantryCore
import GantryNet

/// OKX's instrument ID codes (`instIdCode`), read at start: OKX's WebSocket order operations name the instrument
/// by this integer (the changelog's "Delist instId request parameter in WS order operation channels"; when both
/// are sent `instIdCode` wins and `instId` is ignored). Off the hot path (Foundation's JSON is fine here).
///
/// OKX lists the codes on "Get instruments": `GET /api/v5/public/instruments?instType=SPOT&instId=…`, public (no
/// signature), answered `{"code":"0","msg":"","data":[{"instId":"BTC-USDT",…,"instIdCode":1000000000,…}]}`, the
/// code a JSON integer, `null` while OKX has not generated one, and different between production and demo trading;
/// an instrument OKX does not list is answered code 51001.
public enum OKXInstrumentCodes {
    /// Reads each symbol's `instIdCode`, one request per symbol.
    /// - Parameters:
    ///   - rest: OKX's REST API (`https://www.okx.com`), or the simulator's.
    ///   - tls: The client context for https (nil: plain http only).
    ///   - symbols: OKX spot instrument IDs ("BTC-USDT").
    /// - Returns: Each symbol's code.
    /// - Throws: `GatewayError` naming the symbol: one OKX does not list, one it lists without a code, a refusal,
    ///   an answer that is not the documented one, no answer.
    public static func fetch(rest: RESTURL, tls: TLSContext?, symbols: [String]) throws -> [String: UInt64] {
        var codes: [String: UInt64] = [:]
        for symbol in symbols where codes[symbol] == nil {
            var request = HTTPRequestWriter(capacity: 256)
            request.write(method: "GET", target: "/api/v5/public/instruments?instType=SPOT&instId=\(queryValue(symbol))", host: rest.host)
            let body = try request.bytes.withUnsafeBytes { try VenueBalances.send($0, to: rest, tls: tls, venue: "OKX", what: "instruments") }
            codes[symbol] = try code(of: symbol, answer: body)
        }
        return codes
    }

    /// The codes a gateway's OKX order entry needs: every instrument it trades (a configured pair) on an OKX venue
    /// with an order endpoint (the simulator's with `sim`), from its `inst_id_code` where configured, else read
    /// with `fetch` from the venue's REST endpoint (`sim_rest_endpoint` with `sim`).
    /// - Returns: Each such instrument's code, by id (pass it to `TradingGateway` as `instrumentCodes`).
    /// - Throws: `GatewayError` naming the venue and instrument left without a code: not listed, listed without
    ///   one, or no REST endpoint to read it from.
    public static func forTrading(_ configuration: TradingConfiguration, sim: Bool, tls: TLSContext?) throws -> [InstrumentId: UInt64] {
        let registry = configuration.market.registry
        var codes: [InstrumentId: UInt64] = [:]
        for v in configuration.market.venues where v.kind == .okx {
            guard let venue = registry.venue(named: v.name),
                let account = configuration.accounts.first(where: { $0.venue == v.name }),
                (sim ? account.simOrderEndpoint : account.orderEndpoint) != nil
            else { continue }
            let traded = registry.instruments.filter { $0.venue == venue && configuration.universe.listing($0.id).pair != .none }
            var unknown: [(InstrumentId, String)] = []
            for i in traded {
                if let code = v.instIdCodes[i.symbol] { codes[i.id] = code } else { unknown.append((i.id, i.symbol)) }
            }
            guard !unknown.isEmpty else { continue }
            guard let rest = sim ? v.simRestEndpoint : v.restEndpoint else {
                throw GatewayError(
                    "venue \(v.name): no instIdCode for \(unknown.map(\.1).joined(separator: ", ")) (OKX's WebSocket orders need it): set "
                        + "\(sim ? "sim_rest_endpoint" : "rest_endpoint") to read it from OKX's instrument list, or inst_id_code on the instrument")
            }
            let read: [String: UInt64]
            do { read = try fetch(rest: rest, tls: tls, symbols: unknown.map(\.1)) } catch { throw GatewayError("venue \(v.name): \(error)") }
            for (id, symbol) in unknown { codes[id] = read[symbol] }
        }
        return codes
    }

    /// The code of `symbol` in OKX's answer to "Get instruments".
    /// - Throws: `GatewayError` for code 51001 (not listed), another refusal, no item for the symbol, a `null` or
    ///   non-integer `instIdCode`, an answer that is not JSON.
    static func code(of symbol: String, answer body: [UInt8]) throws -> UInt64 {
        let excerpt = String(decoding: body.prefix(200), as: UTF8.self)
        let object: Any
        do { object = try JSONSerialization.jsonObject(with: Data(body)) } catch { throw GatewayError("OKX's instruments answer is not JSON: \(excerpt)") }
        guard let o = object as? [String: Any] else { throw GatewayError("OKX's instruments answer is not a JSON object: \(excerpt)") }
        guard let status = o["code"] as? String else { throw GatewayError("OKX's instruments answer has no code: \(excerpt)") }
        let msg = o["msg"] as? String ?? ""
        guard status != "51001" else { throw GatewayError("\(symbol) is not an OKX spot instrument (code 51001: \(msg))") }
        guard status == "0" else { throw GatewayError("OKX refused the instruments request for \(symbol): code \(status): \(msg)") }
        guard let data = o["data"] as? [[String: Any]] else { throw GatewayError("OKX's instruments answer's data is not a list: \(excerpt)") }
        guard let item = data.first(where: { $0["instId"] as? String == symbol }) else {
            throw GatewayError("\(symbol) is not an OKX spot instrument (not in OKX's instruments answer)")
        }
        switch item["instIdCode"] {
        case nil: throw GatewayError("OKX lists \(symbol) without an instIdCode field")
        case is NSNull: throw GatewayError("OKX has no instIdCode for \(symbol) yet (it lists null until it generates one)")
        case let n as NSNumber:
            guard let code = UInt64(n.stringValue), code > 0 else { throw GatewayError("OKX's instIdCode for \(symbol) is not a positive integer: \(n)") }
            return code
        case let other?: throw GatewayError("OKX's instIdCode for \(symbol) is not an integer: \(String(describing: other).prefix(100))")
        }
    }

    /// `text` percent-encoded for a query value (letters, digits and `-._~` as they are).
    static func queryValue(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
