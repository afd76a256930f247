import GantryBus
import GantryEngine
import GantryOps
import Histogram

/// The bus's figures on the metrics page, in a role of a gateway split over the bus (docs/BUS.md): what the
/// role's publisher confirmed, resent and dropped, what each stream's consumer delivered and refused, and the
/// market's hop from the feed role. Nothing is written in one process (no bus).
func busMetrics(_ m: inout PrometheusText, _ boards: GatewayBusBoards) {
    if let p = boards.publisher?.stats {
        m.family("gantry_bus_published_total", .counter, help: "Events the role published and Redis confirmed.")
        m.sample("gantry_bus_published_total", [], p.confirmed)
        m.family("gantry_bus_resent_total", .counter, help: "Events sent again after a reconnect (the consumers drop the copies).")
        m.sample("gantry_bus_resent_total", [], p.resent)
        m.family("gantry_bus_publish_dropped_total", .counter, help: "Events the publisher could not keep (its outbox full while Redis was away).")
        m.sample("gantry_bus_publish_dropped_total", [], p.dropped)
        m.family("gantry_bus_publish_rejected_total", .counter, help: "Events Redis refused.")
        m.sample("gantry_bus_publish_rejected_total", [], p.rejected)
        m.family("gantry_bus_reconnects_total", .counter, help: "The publisher's reconnects to Redis.")
        m.sample("gantry_bus_reconnects_total", [], p.connection.reconnects)
    }
    if !boards.consumers.isEmpty {
        let families: [(String, String, (BusConsumerStats) -> Int)] = [
            ("gantry_bus_delivered_total", "Events a stream's consumer put on the role's ring.", { $0.delivered }),
            ("gantry_bus_duplicates_total", "Entries dropped as already delivered (sequence not above the last).", { $0.duplicates }),
            ("gantry_bus_gaps_total", "Sequence gaps: events a stream lost before this role read them.", { Int($0.gaps) }),
            ("gantry_bus_malformed_total", "Entries that were not a Gantry event.", { $0.malformed }),
        ]
        let stats = boards.consumers.map { ("\($0.kind)", $0.board.stats) }
        for (name, help, value) in families {
            m.family(name, .counter, help: help)
            for (stream, s) in stats { m.sample(name, [("stream", stream)], value(s)) }
        }
    }
    if let hop = boards.hop?.figures {
        m.family("gantry_bus_hop_seconds", .histogram, help: "The market's hop from the feed role: published on its ring to on this role's ring (one host's clock).")
        m.histogram("gantry_bus_hop_seconds", [("from", "feed_ring")], latency(hop.hop))
        m.histogram("gantry_bus_hop_seconds", [("from", "kernel_receive")], latency(hop.ingest))
    }
}

/// An HDR histogram's values in the metrics page's buckets.
func latency(_ h: Histogram<UInt64>) -> LatencyHistogram {
    var l = LatencyHistogram()
    for v in h.recordedValues() where v.count > 0 { l.record(Int64(clamping: v.value), times: Int(v.count)) }
    return l
}

/// The market's hop from the feed role, one line: p50/p99/p99.9 of each leg, with the count.
func hopLine(_ boards: GatewayBusBoards) -> String? {
    guard let f = boards.hop?.figures, f.hop.totalCount > 0 else { return nil }
    func us(_ v: UInt64) -> String { String(format: "%.1f µs", Double(v) / 1_000) }
    func ps(_ h: Histogram<UInt64>) -> String {
        "p50 \(us(h.valueAtPercentile(50))) p99 \(us(h.valueAtPercentile(99))) p99.9 \(us(h.valueAtPercentile(99.9)))"
    }
    return "market hop from the feed role (\(f.hop.totalCount) messages): its ring → this role's ring \(ps(f.hop)); kernel receive → this role's ring \(ps(f.ingest))"
        + (f.untimed > 0 ? "; \(f.untimed) untimed" : "")
}
