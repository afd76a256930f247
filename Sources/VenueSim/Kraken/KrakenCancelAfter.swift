import Foundation
import GantryCore

// Kraken's dead-man's switch, as documented (spot-websocket-v2 cancel_after): `{"method":"cancel_all_orders_after",
// "params":{"timeout":<seconds>,"token"},"req_id"?}` starts (or pushes back) a countdown after which every open order
// of the account is cancelled; a timeout of 0 disables it; once it has fired it stays off until the next request.
// Answered `{"method":"cancel_all_orders_after","result":{"currentTime","triggerTime"},"success":true,"req_id"?,
// "time_in","time_out"}` (RFC 3339; a disabled timer's triggerTime "0", as Kraken's v1 example shows it).
// Simplifications, stated: a timeout of 86,400 s or more is "EGeneral:Invalid arguments:timeout" (Kraken says it
// should be less; its error text is not confirmed); the timer fires at the first poll past it.
extension SimVenue {
    func krakenCancelAfter(_ client: SimClient, _ object: [String: Any], timeIn: String) {
        let reqId = (object["req_id"] as? Int).map { #","req_id":\#($0)"# } ?? ""
        func answer(_ body: String) {
            orderResponse(client, #"{"method":"cancel_all_orders_after",\#(body)\#(reqId),"time_in":"\#(timeIn)","time_out":"\#(timeIn)"}"#)
        }
        let params = object["params"] as? [String: Any] ?? [:]
        guard let token = params["token"] as? String, let account = kraken.tokens[token] else {
            return answer(#""error":"EAccount:Invalid permissions","success":false"#)
        }
        guard let timeout = params["timeout"] as? Int, (0..<86_400).contains(timeout) else {
            return answer(#""error":"EGeneral:Invalid arguments:timeout","success":false"#)
        }
        let now = venueTime
        var current = SimWriter(capacity: 32)
        current.isoTime(now, digits: 6)
        var trigger = SimWriter(capacity: 32)
        if timeout == 0 {
            kraken.cancelAfter[account] = nil
            trigger.text("0")
        } else {
            kraken.cancelAfter[account] = now + .seconds(Int64(timeout))
            trigger.isoTime(now + .seconds(Int64(timeout)), digits: 6)
        }
        stats.cancelAfterRequests += 1
        let text = { (w: SimWriter) in String(decoding: w.bytes, as: UTF8.self) }
        answer(#""result":{"currentTime":"\#(text(current))","triggerTime":"\#(text(trigger))"},"success":true"#)
    }

    /// Fires the timers that ran out: every open order of their account cancelled (reported on `executions`).
    /// - Returns: How many orders were cancelled.
    func krakenCancelAfterDue() -> Int {
        guard !kraken.cancelAfter.isEmpty else { return 0 }
        let (due, left) = cancelAfterDue(kraken.cancelAfter)
        kraken.cancelAfter = left
        return due.reduce(0) { total, account in
            var cancelled = total
            for r in kraken.orders.values where r.account == account && r.status == "open" {
                if case .success = krakenCancel(account, ["txid": r.txid]) { cancelled += 1 }
            }
            return cancelled
        }
    }

    /// The timers of `timers` (account → when, venue time) that ran out, counted as fired, and those left.
    func cancelAfterDue(_ timers: [Int: Nanos]) -> (due: [Int], left: [Int: Nanos]) {
        let now = venueTime
        let due = timers.filter { now >= $0.value }.map(\.key)
        stats.cancelAfterFired += due.count
        return (due, due.isEmpty ? timers : timers.filter { now < $0.value })
    }
}
