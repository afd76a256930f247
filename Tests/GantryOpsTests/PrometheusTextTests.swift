import GantryCore
import GantryOps
import GantryTestSupport
import Testing

@Suite("The Prometheus text writer")
struct PrometheusTextTests {
    static func page() -> PrometheusText {
        var h = LatencyHistogram()
        for v: Int64 in [800, 3_000, 3_000, 70_000, 20_000_000_000] { h.record(v) }
        var m = PrometheusText()
        m.family("gantry_resyncs_total", .counter, help: "Book resyncs.\nSecond line \\ with a backslash.")
        m.sample("gantry_resyncs_total", [("venue", "bin\"ance\\\n")], 3)
        m.family("gantry_pnl", .gauge, help: "PnL in the quote currency.")
        m.sample("gantry_pnl", [("strategy", "arb"), ("pair", "BTC-USDT")], raw: -1_234, scale: 2)
        m.family("gantry_stage_latency_seconds", .histogram, help: "Latency.")
        m.histogram("gantry_stage_latency_seconds", [("stage", "ingest")], h)
        return m
    }

    @Test("HELP and TYPE before each family, labels escaped, fixed-point values exact, histogram buckets cumulative up to +Inf with _sum and _count in seconds")
    func exactText() {
        let lines = Self.page().text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == "# HELP gantry_resyncs_total Book resyncs.\\nSecond line \\\\ with a backslash.")
        #expect(lines[1] == "# TYPE gantry_resyncs_total counter")
        #expect(lines[2] == #"gantry_resyncs_total{venue="bin\"ance\\\n"} 3"#)
        #expect(lines[5] == #"gantry_pnl{strategy="arb",pair="BTC-USDT"} -12.34"#)
        #expect(lines.contains(#"gantry_stage_latency_seconds_bucket{stage="ingest",le="0.000001"} 1"#))
        #expect(lines.contains(#"gantry_stage_latency_seconds_bucket{stage="ingest",le="0.000005"} 3"#))
        #expect(lines.contains(#"gantry_stage_latency_seconds_bucket{stage="ingest",le="10"} 4"#), "the 20 s value is above every bound")
        #expect(lines.contains(#"gantry_stage_latency_seconds_bucket{stage="ingest",le="+Inf"} 5"#))
        #expect(lines.contains(#"gantry_stage_latency_seconds_sum{stage="ingest"} 20.0000768"#))
        #expect(lines.contains(#"gantry_stage_latency_seconds_count{stage="ingest"} 5"#))
        #expect(lines.last == "", "the last line ends with a line feed")
    }

    @Test("promtool check metrics accepts the page (format and naming lint)")
    func promtoolAccepts() throws {
        guard let promtool = promtoolExecutable(for: "PrometheusTextTests") else { return }
        let (status, said) = try promtoolCheckMetrics(promtool, Self.page().text)
        #expect(status == 0, "promtool said: \(said)")
        // And it is not a checker that accepts anything: a counter without _total is reported.
        let (bad, badSaid) = try promtoolCheckMetrics(promtool, "# HELP gantry_resyncs Book resyncs.\n# TYPE gantry_resyncs counter\ngantry_resyncs 1\n")
        #expect(bad != 0 && badSaid.contains("_total"), "promtool said: \(badSaid)")
    }

    @Test("the histogram's quantiles are its bucket bounds; empty is nil; above every bound is Int64.max")
    func quantiles() {
        var h = LatencyHistogram()
        #expect(h.quantile(0.5) == nil)
        for _ in 0..<98 { h.record(2_000) }
        h.record(400_000)
        h.record(-5)
        #expect(h.quantile(0.5) == 2_500 && h.quantile(0.99) == 2_500 && h.quantile(1) == 500_000)
        #expect(h.counts[0] == 1, "a negative latency (a clock step) counts as zero")
        h.record(60_000_000_000)
        #expect(h.quantile(1) == .max && h.count == 101)
    }

    @Test("JSON strings escape quotes, backslashes and control characters")
    func json() {
        let v = JSONValue.object([("a\"b", .string("x\\y\n\u{1}")), ("n", .number("-0.5")), ("l", .array([.bool(true), .null]))])
        #expect(v.text == #"{"a\"b":"x\\y\n\u0001","n":-0.5,"l":[true,null]}"#)
    }
}
