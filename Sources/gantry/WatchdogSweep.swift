import Dispatch
import Foundation
import GantryCore
import GantryEngine
import GantryNet

/// The watchdog's sweep once the gateway is judged gone: every venue at once (a thread each), each listing its
/// open orders, cancelling them with the venue's mass cancel and listing again until none is left, retrying a venue
/// that fails (named each time) until the deadline. Each step is said with its time after the sweep began, then a
/// JSON line (`watchdog report: {…}`) and the result (`result: ok …` or `result: FAILED …`).
struct Watchdog {
    let venues: [SweepVenue]
    let tls: TLSContext
    let deadline: Nanos

    /// One venue's outcome.
    struct Outcome: Sendable {
        var found = 0
        var cancelledAt: Nanos? = nil
        var verifiedAt: Nanos? = nil
        var lastError: String? = nil
        var attempts = 0
    }

    /// Runs the sweep. - Returns: whether every venue was verified to have no open order.
    func sweep(reason: String, say: @escaping @Sendable (String) -> Void) -> Bool {
        let began = MonotonicClock.now()
        let book = SweepBook(count: venues.count, say: say)
        let line = book.line
        @Sendable func at(_ t: Nanos) -> String {
            let d = max(t.raw - began.raw, 0)
            return "+\(d / 1_000_000).\(d / 100_000 % 10) ms"
        }
        line("WATCHDOG at \(isoTime(Date())): the gateway stopped answering: \(reason); cancelling every open order at \(venues.map(\.name).joined(separator: ", "))")
        let venues = self.venues
        let tls = self.tls
        let end = began + deadline
        DispatchQueue.concurrentPerform(iterations: venues.count) { k in
            let v = venues[k]
            var o = Outcome()
            while MonotonicClock.now() < end {
                o.attempts += 1
                do {
                    let open = try VenueSweep.openOrders(v, tls: tls)
                    let t = MonotonicClock.now()
                    if open.isEmpty {
                        if o.cancelledAt == nil { o.cancelledAt = t }
                        o.verifiedAt = t
                        line("  \(v.name): no open order left (listed) \(at(t))")
                        break
                    }
                    if o.attempts == 1 { o.found = open.count }
                    line("  \(v.name): \(open.count) open order(s) \(at(t))")
                    for request in try VenueSweep.cancel(v, open: open, tls: tls) {
                        line("  \(v.name): sent \(request) \(at(MonotonicClock.now()))")
                    }
                    o.cancelledAt = MonotonicClock.now()
                } catch {
                    o.lastError = "\(error)"
                    line("  \(v.name): FAILED (\(error)); retrying \(at(MonotonicClock.now()))")
                    usleep(200_000)
                }
            }
            book.set(k, o)
        }
        let done = book.all
        let finished = MonotonicClock.now()
        func field(_ t: Nanos?) -> Any { t.map { ($0 - began).raw / 1_000_000 } ?? NSNull() }
        var report: [String: Any] = ["trigger": reason, "started_wall": isoTime(Date(timeIntervalSinceNow: -Double((finished - began).raw) / 1e9))]
        var perVenue: [String: Any] = [:]
        for (k, v) in venues.enumerated() {
            let o = done[k]
            perVenue[v.name] = ["found": o.found, "cancelled_ms": field(o.cancelledAt), "verified_ms": field(o.verifiedAt), "attempts": o.attempts, "error": o.lastError ?? NSNull()]
        }
        report["venues"] = perVenue
        let failed = venues.indices.filter { done[$0].verifiedAt == nil }.map { venues[$0].name }
        let last = done.compactMap(\.verifiedAt).max()
        report["verified_ms"] = failed.isEmpty ? field(last) : NSNull()
        report["ok"] = failed.isEmpty
        if let data = try? JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]) {
            line("watchdog report: \(String(decoding: data, as: UTF8.self))")
        }
        if failed.isEmpty {
            line("result: ok: no open order at any venue, verified \(at(last ?? finished))")
        } else {
            line("result: FAILED: open orders not verified gone at \(failed.joined(separator: ", ")) within \(deadline.raw / 1_000_000_000) s")
        }
        return failed.isEmpty
    }
}

/// The sweep's shared state: the lines said and each venue's outcome, from the venues' threads.
// @unchecked Sendable: `outcomes` and `say` are only touched under `lock`.
final class SweepBook: @unchecked Sendable {
    let lock = NSLock()
    var outcomes: [Watchdog.Outcome]
    let say: @Sendable (String) -> Void

    init(count: Int, say: @escaping @Sendable (String) -> Void) {
        outcomes = Array(repeating: Watchdog.Outcome(), count: count)
        self.say = say
    }

    @Sendable func line(_ s: String) { lock.withLock { say(s) } }
    func set(_ k: Int, _ o: Watchdog.Outcome) { lock.withLock { outcomes[k] = o } }
    var all: [Watchdog.Outcome] { lock.withLock { outcomes } }
}

/// A UTC time in ISO 8601 with milliseconds ("2026-05-01T12:00:00.123Z").
func isoTime(_ d: Date) -> String {
    let f = ISO8601DateFormatter()
    f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return f.string(from: d)
}
