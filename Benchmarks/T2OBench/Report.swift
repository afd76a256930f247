import GantryEngine
import Histogram

/// One run's settings and figures, for the report.
struct T2ORun {
    let rate: Int
    let every: Int
    let seconds: Int
    let warmupMilliseconds: Int
    let mode: String
    let clientCPU: Int
    let serverCPU: Int
    /// The deltas, the snapshot and the subscribe reply.
    let expectedMessages: Int
    let ingest: IngestStats
    let results: T2OResults
}

/// p50, p90, p99, p99.9 and max of a histogram, ns.
func percentiles(_ h: Histogram<UInt64>) -> [UInt64] {
    h.totalCount == 0 ? [0, 0, 0, 0, 0] : [h.valueAtPercentile(50), h.valueAtPercentile(90), h.valueAtPercentile(99), h.valueAtPercentile(99.9), h.max]
}

func json(_ h: Histogram<UInt64>) -> String {
    let p = percentiles(h)
    return #"{"count":\#(h.totalCount),"p50_ns":\#(p[0]),"p90_ns":\#(p[1]),"p99_ns":\#(p[2]),"p999_ns":\#(p[3]),"max_ns":\#(p[4])}"#
}

/// Microseconds with two decimals, right-aligned in `width`.
func us(_ ns: UInt64, width: Int = 9) -> String {
    let text = "\((Double(ns) / 10).rounded() / 100)"
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func ratio(_ n: Int, _ d: Int) -> String { d == 0 ? "n/a" : "\((Double(n) / Double(d) * 1_000).rounded() / 1_000)" }

/// Prints the JSON line, then the table.
func printReport(_ run: T2ORun) {
    let r = run.results
    let h = r.histograms
    let c = r.counts
    // The bench's own tap is not Gantry's: it is reported apart and left out of the per-tick figure.
    let gantryPhases: [Phase] = [.ingest, .signal, .risk, .orderSend, .runner]
    let gantryMallocs = r.mallocs.map { m in gantryPhases.reduce(0) { $0 + m[$1.rawValue] } }
    let perTick = gantryMallocs.map { ratio($0, c.measured) } ?? "null"
    let perMessage = gantryMallocs.map { ratio($0, c.measuredMessages) } ?? "null"
    let byPhase = r.mallocs.map { m in "{" + Phase.allCases.map { #""\#($0.label)":\#(m[$0.rawValue])"# }.joined(separator: ",") + "}" } ?? "null"
    print(
        #"{"bench":"tick-to-order","feed":"bybit","orders":"binance-ws-api-order.place","transport":"tls","rate":\#(run.rate),"every":\#(run.every),"#
            + #""mode":"\#(run.mode)","messages":\#(run.ingest.messages),"measured_messages":\#(c.measuredMessages),"ticks":\#(c.measured),"#
            + #""written":\#(c.written),"approved":\#(c.approved),"vetoed":\#(c.vetoed),"ingest_all":\#(json(run.ingest.latency)),"#
            + #""ingest_tick":\#(json(h.ingest)),"trading":\#(json(h.trading)),"whole":\#(json(h.whole)),"#
            + #""ring_to_signal":\#(json(h.toSignal)),"signal_poll":\#(json(h.toRisk)),"risk_poll":\#(json(h.toSend)),"send_to_written":\#(json(h.toWritten)),"idle_send_poll":\#(json(h.idleSend)),"#
            + #""mallocs_per_tick":\#(perTick),"mallocs_per_message":\#(perMessage),"mallocs":\#(byPhase),"#
            + #""client_cpu":\#(run.clientCPU),"server_cpu":\#(run.serverCPU)}"#)
    print(
        "tick to order over loopback TLS: Bybit-format deltas at \(run.rate) msgs/s in; one IOC sell per \(run.every) messages out as Binance's "
            + "WebSocket API order.place (HMAC-signed) to VenueSim; ingest → signal → risk → order-send fused on one runner "
            + "(\(run.mode), CPU \(run.clientCPU)); venue CPU \(run.serverCPU)")
    print("  \(c.measured) ticks (orders written for messages received after the \(run.warmupMilliseconds) ms warm-up), \(c.measuredMessages) messages in that time")
    print("                                                      p50       p90       p99     p99.9       max   (µs)")
    func row(_ label: String, _ h: Histogram<UInt64>) {
        let p = percentiles(h)
        print("  " + label.padding(toLength: 48, withPad: " ", startingAt: 0) + p.map { us($0, width: 10) }.joined())
    }
    row("ingest, every message: receive → ring", run.ingest.latency)
    row("ingest, the triggering messages", h.ingest)
    row("trading: ring → order bytes written", h.trading)
    row("  ring → signal poll (the rest of the ingest poll)", h.toSignal)
    row("  signal poll (mirror, strategy, intent)", h.toRisk)
    row("  risk poll (mirror, check, approval)", h.toSend)
    row("  order-send poll → written", h.toWritten)
    row("whole: receive → order bytes written", h.whole)
    row("order-send poll with nothing to do", h.idleSend)
    let t = percentiles(h.trading)
    print("  trading target p50 ≤ 3 µs: \(t[0] <= 3_000 ? "met" : "missed"); p99 ≤ 15 µs: \(t[2] <= 15_000 ? "met" : "missed") (for the record)")
    if let m = r.mallocs, let total = gantryMallocs {
        let parts = gantryPhases.map { "\($0.label) \(m[$0.rawValue])" }.joined(separator: ", ")
        print("  mallocs on the runner: \(perTick) per tick, \(perMessage) per message (\(total): \(parts); the bench's tap \(m[Phase.tap.rawValue]), not counted)")
    } else {
        print("  mallocs: not counted (the malloc interposer is not in effect in this process)")
    }
    let s = r.session
    print(
        "  orders: \(c.triggers) triggers, \(c.decisions) decisions (\(c.approved) approved, \(c.vetoed) vetoed\(c.lastVeto.map { ", last for \($0)" } ?? "")), "
            + "\(c.written) written; the venue's answers: \(s?.acknowledged ?? 0) acknowledged, \(s?.rejected ?? 0) rejected, \(s?.unknown ?? 0) unknown; "
            + "\(r.orderSend.reports) reports")
    if c.triggersWithoutIntent + c.unmatchedDecisions + c.unmatchedWrites + c.overflow + r.droppedStamps > 0 {
        print(
            "  NOTE: \(c.triggersWithoutIntent) triggers without an intent, \(c.unmatchedDecisions) decisions and \(c.unmatchedWrites) writes unmatched, "
                + "\(c.overflow) triggers and \(r.droppedStamps) write stamps dropped")
    }
    let i = run.ingest
    if i.messages != run.expectedMessages || i.malformed != 0 || i.resyncs != 0 {
        print("  NOTE: ingest saw \(i.messages) messages of \(run.expectedMessages), \(i.malformed) malformed, \(i.resyncs) resyncs")
    }
}
