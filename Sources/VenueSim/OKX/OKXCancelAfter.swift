import Foundation
import GantryCore

// OKX's dead-man's switch, as documented (order-book-trading trade "Cancel All After"): `POST
// /api/v5/trade/cancel-all-after` with `{"timeOut":"<seconds>"}`, signed as every private request, starts (or
// pushes back) a countdown after which every open order of the account is cancelled; "0" disables it; otherwise it
// is 10 to 120 seconds. Answered `{"code":"0","msg":"","data":[{"triggerTime","tag","ts"}]}` (milliseconds as
// strings; triggerTime "0" when disabled).
// Simplifications, stated: a timeOut out of range is code 51000 "Parameter timeOut error" (OKX's generic
// parameter error); `tag` is always empty; `cancelAfterMinimum` lowers the 10 s minimum for tests that cannot wait;
// the timer fires at the first poll past it.
extension SimVenue {
    func okxCancelAfter(_ account: Int, _ p: [String: String]) -> SimHTTPResponse {
        guard let text = p["timeOut"], let timeout = Int(text), timeout == 0 || (okx.cancelAfterMinimum...120).contains(timeout) else {
            return SimHTTPResponse(status: 200, json: #"{"code":"51000","msg":"Parameter timeOut error","data":[]}"#)
        }
        let now = venueTime
        let trigger: Int64
        if timeout == 0 {
            okx.cancelAfter[account] = nil
            trigger = 0
        } else {
            okx.cancelAfter[account] = now + .seconds(Int64(timeout))
            trigger = (now + .seconds(Int64(timeout))).raw / 1_000_000
        }
        stats.cancelAfterRequests += 1
        return SimHTTPResponse(status: 200, json: #"{"code":"0","msg":"","data":[{"triggerTime":"\#(trigger)","tag":"","ts":"\#(now.raw / 1_000_000)"}]}"#)
    }

    /// Fires the timers that ran out: every open order of their account cancelled (pushed on the `orders` channel).
    /// - Returns: How many orders were cancelled.
    func okxCancelAfterDue() -> Int {
        guard !okx.cancelAfter.isEmpty else { return 0 }
        let (due, left) = cancelAfterDue(okx.cancelAfter)
        okx.cancelAfter = left
        return due.reduce(0) { total, account in
            var cancelled = total
            for r in okx.orders.values where r.account == account && r.isOpen {
                if okxCancel(account, ["instId": books[r.book].instrument.symbol, "ordId": r.ordId]).sCode == "0" { cancelled += 1 }
            }
            return cancelled
        }
    }
}
