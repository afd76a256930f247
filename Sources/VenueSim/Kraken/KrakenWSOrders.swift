import Foundation
import GantryCore

// Kraken WebSocket v2 order entry, as documented (websocket-v2 add_order and cancel_order; guides: spot
// WebSocket authentication with a token from REST GetWebSocketsToken; spot trading rate limits):
// - `{"method":"add_order","params":{"order_type","side","order_qty","symbol","limit_price"?,"time_in_force"?
//   ("gtc"|"ioc"),"post_only"?,"cl_ord_id"?,"token"},"req_id"?}`, quantities and prices JSON numbers, answered
//   `{"method":"add_order","result":{"order_id","cl_ord_id"?},"success":true,"req_id"?,"time_in","time_out"}` or
//   `{"method":…,"error":"<Kraken error>","success":false,…}`;
// - `{"method":"cancel_order","params":{"order_id":[…]|"cl_ord_id":[…],"token"},"req_id"?}`, one response per
//   order, `"result":{"order_id","cl_ord_id"?}`;
// - beyond the trading rate, "EOrder:Rate limit exceeded" (the matching engine's rate-counter rejection).
// The order and its `executions` updates come from the REST handler's own krakenAdd and krakenCancel.
//
// Simplifications, stated: the simulator serves these on its one v2 endpoint (Kraken's is ws-auth.kraken.com/v2);
// a bad token is "EAccount:Invalid permissions", as the executions channel answers it here (not confirmed in
// Kraken's pages); the rate is a per-connection count (`wsOrderLimit`, none by default), not Kraken's decaying
// per-pair counter; gtd, order_userref and the trigger types are not simulated.
extension SimVenue {
    /// `add_order` or `cancel_order`: `text` is the request as sent (numbers are read from it as written).
    func krakenWSOrder(_ client: SimClient, _ method: String, _ object: [String: Any], _ text: [UInt8], timeIn: String) {
        let reqId = (object["req_id"] as? Int).map { #","req_id":\#($0)"# } ?? ""
        func answer(_ body: String) -> String {
            var out = SimWriter(capacity: 32)
            out.isoTime(venueTime, digits: 6)
            return #"{"method":"\#(method)",\#(body)\#(reqId),"time_in":"\#(timeIn)","time_out":"\#(String(decoding: out.bytes, as: UTF8.self))"}"#
        }
        func failure(_ error: String) -> String { answer(#""error":"\#(error)","success":false"#) }
        func success(_ r: KrakenOrderRecord) -> String {
            let cl = r.clOrdId.isEmpty ? "" : #","cl_ord_id":"\#(r.clOrdId)""#
            return answer(#""result":{"order_id":"\#(r.txid)"\#(cl)},"success":true"#)
        }
        let params = object["params"] as? [String: Any] ?? [:]
        guard let token = params["token"] as? String, let account = kraken.tokens[token] else {
            return reply(client, failure("EAccount:Invalid permissions"))
        }
        if method == "cancel_order" {
            let byId = (params["order_id"] as? [Any])?.compactMap { $0 as? String } ?? []
            let byClient = (params["cl_ord_id"] as? [Any])?.compactMap { $0 as? String } ?? []
            guard !byId.isEmpty || !byClient.isEmpty else { return reply(client, failure("EGeneral:Invalid arguments:order_id")) }
            for p in byId.map({ ["txid": $0] }) + byClient.map({ ["cl_ord_id": $0] }) {
                switch executing({ krakenCancel(account, p) }) {
                case .success(let r): orderResponse(client, success(r))
                case .failure(let e): orderResponse(client, failure(e.text))
                }
            }
            return
        }
        // The REST parameters the same order takes.
        var p: [String: String] = [:]
        p["pair"] = params["symbol"] as? String
        p["type"] = params["side"] as? String
        p["ordertype"] = params["order_type"] as? String
        p["volume"] = (params["order_qty"] as? String) ?? Self.jsonNumberText("order_qty", in: text)
        p["price"] = (params["limit_price"] as? String) ?? Self.jsonNumberText("limit_price", in: text)
        p["timeinforce"] = (params["time_in_force"] as? String)?.uppercased()
        if params["post_only"] as? Bool == true { p["oflags"] = "post" }
        p["cl_ord_id"] = params["cl_ord_id"] as? String
        guard p["volume"] != nil else { return reply(client, failure("EGeneral:Invalid arguments:order_qty")) }
        guard admitOrder(client).admitted else { return orderResponse(client, failure("EOrder:Rate limit exceeded")) }
        switch executing({ krakenAdd(account, p) }) {
        case .success(let r): orderResponse(client, success(r))
        case .failure(let e): orderResponse(client, failure(e.text))
        }
    }

    /// The text of the JSON number that is the value of `key` in `text` (as written, so that a decimal keeps its
    /// digits), nil if the key is absent or its value is not a number.
    static func jsonNumberText(_ key: String, in text: [UInt8]) -> String? {
        let pattern = Array("\"\(key)\"".utf8)
        guard text.count > pattern.count else { return nil }
        var i = 0
        while i + pattern.count <= text.count {
            if Array(text[i..<(i + pattern.count)]) == pattern {
                var k = i + pattern.count
                while k < text.count && (text[k] == 0x20 || text[k] == 0x3A) { k += 1 }
                var end = k
                while end < text.count, "0123456789.-+eE".utf8.contains(text[end]) { end += 1 }
                return end > k ? String(decoding: text[k..<end], as: UTF8.self) : nil
            }
            i += 1
        }
        return nil
    }
}
