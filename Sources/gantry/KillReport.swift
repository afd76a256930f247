import Foundation
import GantryCore
import GantryEngine

/// The kill switch's report, said as its steps happen: fired (and by what), every order open at the kill ended at
/// each venue and at all, every position flat in risk's ledger, and flatness verified against the venues'
/// balances; each with its time after the kill. A venue whose order entry is unreachable, or that still has orders
/// open, is named every second until it is done (its session keeps reconnecting and retrying). Each line goes to
/// `say` (the terminal and the control socket's kill connections).
final class KillReport {
    let firedAt: Nanos
    let source: String
    let names: [VenueId: String]
    let say: (String) -> Void
    var venueDone: [VenueId: Nanos] = [:]
    var cancelsDone: Nanos? = nil
    var flat: Nanos? = nil
    var verified: Nanos? = nil
    var nextWaiting: Nanos
    var notes: [String] = []

    init(firedAt: Nanos, source: String, names: [VenueId: String], say: @escaping (String) -> Void) {
        self.firedAt = firedAt
        self.source = source
        self.names = names
        self.say = say
        nextWaiting = firedAt + .seconds(1)
    }

    func ms(_ t: Nanos) -> String {
        let d = max(t.raw - firedAt.raw, 0)
        return "+\(d / 1_000_000).\(d / 100_000 % 10) ms"
    }

    func name(_ v: VenueId) -> String { names[v] ?? "venue \(v.raw)" }

    /// Says the steps the decide runner's progress shows done since the last call.
    func update(_ p: KillProgress, now: Nanos) {
        for v in p.venues {
            if let t = v.cancelsDoneAt, venueDone[v.venue] == nil {
                venueDone[v.venue] = t
                say("  \(name(v.venue)): its orders from before the kill all ended \(ms(t))")
            }
        }
        if cancelsDone == nil, let t = p.cancelsDoneAt {
            cancelsDone = t
            say("  orders cancelled at every venue \(ms(t))")
        }
        if flat == nil, let t = p.flatAt {
            flat = t
            say("  every position flat (risk's ledger) \(ms(t))")
        }
        if now >= nextWaiting && flat == nil {
            nextWaiting = now + .seconds(1)
            for v in p.venues where !v.ready || v.ordersOpen > 0 || v.flatteningOpen > 0 {
                let why = v.ready ? "still working" : "order entry unreachable, retrying"
                say("  \(name(v.venue)): \(why): \(v.ordersOpen) order(s) open, \(v.flatteningOpen) flattening order(s) open (\(ms(now)))")
            }
            for o in p.openPositions { say("  strategy \(o.strategy.raw) pair \(o.pair.raw): position \(o.quantity) still open") }
        }
    }

    /// The closing check's outcome: `ok` if every venue's balances moved exactly by the fills and the base assets
    /// are back to where they started; `unverified` names the venues whose balances could not be read.
    func finish(ok: Bool, unverified: [String], now: Nanos) {
        if ok && unverified.isEmpty { verified = now }
        if ok && unverified.isEmpty {
            say("  flatness verified against the venues' balances \(ms(now))")
        } else if !unverified.isEmpty {
            say("  NOT VERIFIED: balances not read from \(unverified.joined(separator: ", ")) \(ms(now))")
        } else {
            say("  the venues' balances disagree with the fills \(ms(now))")
        }
        var venues: [String] = []
        for (v, n) in names.sorted(by: { $0.key.raw < $1.key.raw }) {
            venues.append("\"\(n)\":{\"cancelled_ms\":\(venueDone[v].map { String(($0 - firedAt).raw / 1_000_000) } ?? "null")}")
        }
        func field(_ t: Nanos?) -> String { t.map { String(($0 - firedAt).raw / 1_000_000) } ?? "null" }
        say("kill report: {\"fired_by\":\"\(source)\",\"cancelled_ms\":\(field(cancelsDone)),\"flat_ms\":\(field(flat)),\"verified_ms\":\(field(verified)),\"venues\":{\(venues.joined(separator: ","))}}")
        let good = flat != nil && verified != nil
        say(good ? "result: ok: flat and verified against the venues \(ms(now))" : "result: FAILED: \(flat == nil ? "not flat" : "flat, not verified")")
    }
}
