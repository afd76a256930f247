import Foundation
import GantryCore

// OKX v5 WebSocket order entry on the private stream (`/ws/v5/private`, after `op:login`), as documented
// (order-book-trading-trade-ws-place-order, ws-cancel-order, overview-rate-limits):
// `{"id":…,"op":"order"|"cancel-order","args":[{…}]}`, the args those of the REST place and cancel endpoints,
// the instrument named by `instIdCode` (an integer, the current form) or `instId`; answered
// `{"id","op","data":[{clOrdId, ordId, tag, ts, sCode, sMsg, subCode}],"code","msg","inTime","outTime"}`
// (a cancel's data `{clOrdId, ordId, ts, sCode, sMsg}`), code "0", or "1" with the order's sCode when it failed,
// and `"code":"60013","msg":"Invalid args","data":[]` for a malformed request; `inTime`/`outTime` in microseconds.
// The order and its pushes on the `orders` channel come from the REST handler's own okxPlace and okxCancel.
//
// Simplifications, stated: the simulator assigns each instrument its instIdCode (`okxInstIdCode`, listed on
// GET /api/v5/public/instruments: OKXInstruments.swift); beyond the connection's order rate (or under a
// rate-limit fault) an order fails with sCode 50011 in its data item (code "1"); a request before login gets
// code 60011 "Please log in" as a subscription does; one arg per request (batch ops are not simulated).
extension SimVenue {
    /// `op: order` or `cancel-order` from a client of the private stream.
    func okxWSOrder(_ client: SimClient, _ op: String, _ object: [String: Any]) {
        let inTime = venueMilliseconds * 1_000
        let rawId = object["id"] as? String ?? ""
        let idOK = rawId.count <= 32 && rawId.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        func answer(code: String, msg: String, data: [OKXAck]) -> String {
            let id = idOK ? rawId : ""
            return #"{"id":"\#(id)","op":"\#(op)","data":[\#(data.map(\.json).joined(separator: ","))],"code":"\#(code)","msg":"\#(msg)","inTime":"\#(inTime)","outTime":"\#(venueMilliseconds * 1_000)"}"#
        }
        guard let account = okx.loggedIn[client.id] else {
            return reply(client, answer(code: "60011", msg: "Please log in", data: []))
        }
        guard idOK, !rawId.isEmpty, let args = object["args"] as? [[String: Any]], args.count == 1 else {
            return reply(client, answer(code: "60013", msg: "Invalid args", data: []))
        }
        var p: [String: String] = [:]
        for (k, v) in args[0] {
            if let s = v as? String { p[k] = s } else if let n = v as? NSNumber { p[k] = n.stringValue }
        }
        if let code = p["instIdCode"] {
            p["instId"] = books.indices.first { String(okxInstIdCode(book: $0)) == code }.map { books[$0].instrument.symbol } ?? ""
        }
        if op == "order" {
            let admission = admitOrder(client)
            guard admission.admitted else {
                let ack = okxOrderAnswer(
                    clOrdId: p["clOrdId"] ?? "", ordId: "", sCode: "50011",
                    sMsg: "Rate limit reached. Please refer to API documentation and throttle requests accordingly.")
                return orderResponse(client, answer(code: "1", msg: "", data: [ack]))
            }
        }
        let ack = executing { op == "order" ? okxPlace(account, p) : okxCancel(account, p) }
        orderResponse(client, answer(code: ack.sCode == "0" ? "0" : "1", msg: "", data: [ack]))
    }
}
