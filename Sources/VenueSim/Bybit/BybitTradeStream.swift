import Foundation
import GantryCore
import GantryVenues

// Bybit v5 WebSocket trade stream (`/v5/trade`), as documented (v5/websocket/trade/guideline, v5/ws/connect,
// v5/order/create-order and cancel-order, v5/error):
// - `{"reqId"?,"op":"auth","args":[apiKey, expires, signature]}` with the private stream's signature (hex
//   HMAC-SHA256 of "GET/realtime" + expires), answered `{"reqId"?,"retCode","retMsg","op":"auth","connId"}`:
//   0 OK, 20001 repeat auth, 10004 invalid sign, 10001 param error;
// - `{"reqId"?,"header":{"X-BAPI-TIMESTAMP","X-BAPI-RECV-WINDOW"?},"op":"order.create"|"order.cancel",
//   "args":[{…}]}`, the args those of POST /v5/order/create and /v5/order/cancel, accepted while
//   server_time − recv_window ≤ timestamp < server_time + 1000 (recv_window 5000 by default), answered
//   `{"reqId"?,"retCode","retMsg","op","data":{orderId, orderLinkId},"retExtInfo":{},"header":{"X-Bapi-Limit",
//   "X-Bapi-Limit-Status","X-Bapi-Limit-Reset-Timestamp","Traceid","Timenow"},"connId"}`; a reused reqId 20006,
//   an unknown op or category 10404; `{"op":"ping"}` answered with op "pong" and the time in `data`.
// The order and its `order`/`execution` pushes come from the REST handler's own bybitPlace and bybitCancel.
//
// Simplifications, stated: an unknown key at auth is 10003 (REST's code); an order before auth is refused with
// 10003 "Request not authorized"; beyond the connection's order rate (or under a rate-limit fault) 10006 "Too
// many visits!" (REST's rate-limit answer); X-Bapi-Limit is the connection's order limit; failures carry
// `data: {}`; batch ops and order.amend are not simulated.
extension SimVenue {
    func bybitTradeRequest(_ client: SimClient, _ text: [UInt8], connection: String) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text)) as? [String: Any], let op = object["op"] as? String else {
            return reply(client, #"{"retCode":10001,"retMsg":"Params Error","op":"","connId":"\#(connection)"}"#)
        }
        let reqId = (object["reqId"] as? String).map { #""reqId":"\#($0.filter { $0 != "\"" && $0 != "\\" })","# } ?? ""
        func quoted(_ s: String) -> String {
            var w = SimWriter(capacity: 64)
            w.quoted(s)
            return String(decoding: w.bytes, as: UTF8.self)
        }
        func short(_ code: Int, _ msg: String, op: String = op) -> String {
            #"{\#(reqId)"retCode":\#(code),"retMsg":\#(quoted(msg)),"op":"\#(op)","connId":"\#(connection)"}"#
        }
        switch op {
        case "ping":
            reply(client, #"{"retCode":0,"retMsg":"OK","op":"pong","data":["\#(venueMilliseconds)"],"connId":"\#(connection)"}"#)
        case "auth":
            let args = object["args"] as? [Any] ?? []
            guard args.count == 3, let key = args[0] as? String, let sign = args[2] as? String,
                let expires = (args[1] as? NSNumber)?.int64Value ?? (args[1] as? String).flatMap({ Int64($0) }), expires > venueMilliseconds
            else { return reply(client, short(10001, "Params Error")) }
            guard bybit.trade[client.id] == nil else { return reply(client, short(20001, "Repeat auth")) }
            guard let entry = bybit.keys.first(where: { $0.key == key }) else { return reply(client, short(10003, "Invalid apikey")) }
            guard BinanceSigning.matches(BinanceSigning.signature(secret: entry.secret, payload: Array("GET/realtime\(expires)".utf8)), sign) else {
                return reply(client, short(10004, "Invalid sign"))
            }
            bybit.trade[client.id] = entry.account
            reply(client, short(0, "OK"))
        case "order.create", "order.cancel":
            guard let account = bybit.trade[client.id] else { return reply(client, short(10003, "Request not authorized")) }
            if let id = object["reqId"] as? String {
                guard id.count <= 36, bybit.reqIds[client.id, default: []].insert(id).inserted else {
                    return reply(client, short(20006, "reqId is duplicated"))
                }
            }
            let header = object["header"] as? [String: Any] ?? [:]
            let server = venueMilliseconds
            let stamp = (header["X-BAPI-TIMESTAMP"] as? String).flatMap { Int64($0) } ?? (header["X-BAPI-TIMESTAMP"] as? NSNumber)?.int64Value
            let recv = (header["X-BAPI-RECV-WINDOW"] as? String).flatMap { Int64($0) } ?? (header["X-BAPI-RECV-WINDOW"] as? NSNumber)?.int64Value ?? 5_000
            guard let ts = stamp, recv > 0, server - recv <= ts, ts < server + 1_000 else {
                return reply(client, short(10002, "invalid request, please check your server timestamp or recv_window param. req_timestamp[\(stamp.map(String.init) ?? "")],server_timestamp[\(server)],recv_window[\(recv)]"))
            }
            guard let args = object["args"] as? [[String: Any]], args.count == 1 else { return reply(client, short(10001, "Params Error")) }
            var p: [String: String] = [:]
            for (k, v) in args[0] {
                if let s = v as? String { p[k] = s } else if let n = v as? NSNumber { p[k] = n.stringValue }
            }
            guard p["category"] == "spot" else { return reply(client, short(10404, "category is not correct/supported")) }
            var admission = SimOrderAdmission(admitted: true, count: 0, windowEndMs: server)
            if op == "order.create" {
                admission = admitOrder(client)
                guard admission.admitted else { return orderResponse(client, bybitTradeAnswer(bybitAnswer(10006, "Too many visits!"), op, reqId, admission, connection)) }
            }
            let answer = executing { op == "order.create" ? bybitPlace(account, p) : bybitCancel(account, p) }
            orderResponse(client, bybitTradeAnswer(answer, op, reqId, admission, connection))
        default:
            reply(client, short(10404, "op type is not found"))
        }
    }

    /// The trade stream's answer to an order request: the REST result as `data`, the rate limit as `header`.
    func bybitTradeAnswer(_ a: BybitAnswer, _ op: String, _ reqId: String, _ rate: SimOrderAdmission, _ connection: String) -> String {
        var w = SimWriter(capacity: 128)
        w.quoted(a.retMsg)
        let ms = venueMilliseconds
        let limit = wsOrderLimit
        let status = max(0, limit - rate.count)
        let reset = rate.admitted ? ms : rate.windowEndMs
        let trace = uuid().replacingOccurrences(of: "-", with: "")
        return #"{\#(reqId)"retCode":\#(a.retCode),"retMsg":\#(String(decoding: w.bytes, as: UTF8.self)),"op":"\#(op)","data":\#(a.result),"retExtInfo":{},"header":{"X-Bapi-Limit":"\#(limit)","X-Bapi-Limit-Status":"\#(status)","X-Bapi-Limit-Reset-Timestamp":"\#(reset)","Traceid":"\#(trace)","Timenow":"\#(ms)"},"connId":"\#(connection)"}"#
    }
}
