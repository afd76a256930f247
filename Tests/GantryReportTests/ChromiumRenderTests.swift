import Foundation
import GantryCore
import GantryExecution
import GantryReport
import GantryTestSupport
import Testing

/// Headless Chromium (Debian's `chromium`, installed by `make test`): the pages parse and render with their charts.
@Suite("The HTML reports in headless Chromium")
struct ChromiumRenderTests {
    static func run(_ binary: String, _ arguments: [String], page: URL, profile: URL) throws -> Data {
        try Chromium.run(binary, arguments, page: page, profile: profile)
    }

    @Test("the paper-versus-live page and the gateway report: Chromium's DOM holds every chart as SVG with its marks, and a screenshot is drawn")
    func paperPage() throws {
        guard let binary = Chromium.binary() else {
            if Chromium.required { Issue.record("chromium is not installed (scripts/install-deps.sh installs it)") }
            print("ChromiumRenderTests: skipped: chromium is not installed")
            return
        }
        typealias M = TwoVenueMarket
        var paper = PaperTrader(universe: M.universe(), model: PaperModel(latency: [.zero, .milliseconds(1), .milliseconds(1)], takerFees: [0, 1_000, 1_000]), strategies: 1)
        var comparison = PaperComparison(universe: M.universe())
        for e in [
            MarketEvent(kind: .bookReset, venue: M.alpha, instrument: M.btcA, flags: .snapshot),
            MarketEvent(kind: .levelChange, side: .sell, venue: M.alpha, instrument: M.btcA, price: M.price("100000", M.btcA), quantity: M.qty("5", M.btcA)),
            MarketEvent(kind: .messageTimes, venue: M.alpha, instrument: M.btcA, flags: .endOfMessage),
        ] { paper.onMarket(e, at: .zero) }
        for n in UInt64(1)...12 {
            let intent = OrderIntent(
                intentId: n, signalId: n, strategy: StrategyId(raw: 1), venue: M.alpha, instrument: M.btcA, pair: M.btc, side: .buy,
                price: M.price("100100", M.btcA), quantity: M.qty("0.1", M.btcA), triggerTime: .zero, createdTime: .zero)
            var d = RiskDecision(intent: intent, reason: .approved, approvedQuantity: intent.quantity, decidedTime: .zero)
            d.clientOrderId = ClientOrderId(strategy: StrategyId(raw: 1), sequence: n)
            let t = Nanos.milliseconds(Int64(n) * 10)
            paper.onDecision(d, at: t)
            comparison.onDecision(d, at: t)
            paper.advance(to: t + .milliseconds(2))
            comparison.onReport(OrderReport(
                status: .filled, side: .buy, venue: M.alpha, instrument: M.btcA, clientOrderId: d.clientOrderId, venueOrderId: n,
                price: M.price("\(100000 + n * 5)", M.btcA), lastQuantity: intent.quantity, cumulativeQuantity: intent.quantity, fee: 0, isTaker: true,
                eventTime: .zero), at: t + .milliseconds(3))
        }
        let report = PaperReport(comparison: comparison, trader: paper, venueNames: [M.alpha: "alpha <a>"], strategyNames: ["arb"], now: .seconds(1))
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-chromium-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("paper.html")
        try report.html().write(to: page, atomically: true, encoding: .utf8)
        let dom = String(decoding: try Self.run(binary, ["--dump-dom"], page: page, profile: dir.appendingPathComponent("profile")), as: UTF8.self)
        for chart in ["venue-cost", "price-difference", "cumulative-cost"] {
            #expect(dom.contains("data-chart=\"\(chart)\""), "Chromium's DOM has the \(chart) chart")
        }
        #expect(dom.components(separatedBy: "<rect").count - 1 >= 2 && dom.contains("<polyline"), "the charts' marks are in the DOM")
        #expect(dom.contains("alpha &lt;a&gt;"), "text stays text")
        let png = dir.appendingPathComponent("shot.png")
        _ = try Self.run(binary, ["--screenshot=\(png.path)", "--window-size=900,1400"], page: page, profile: dir.appendingPathComponent("profile"))
        let shot = try Data(contentsOf: png)
        #expect(shot.count > 10_000 && shot.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "a PNG was drawn (\(shot.count) bytes)")
        // The gateway report with every section.
        var full = GatewayReport(title: "a run")
        full.latency([("ingest", (1...500).map { Int64($0 * 1_000) }), ("risk", (1...200).map { Int64($0 * 50) })])
        var arb: [(seconds: Int64, cents: Int64)] = []
        var ma: [(seconds: Int64, cents: Int64)] = []
        for t in Int64(0)...30 {
            arb.append((t, (t * 37 % 11 - 5) * 100))
            ma.append((t, -t * 3))
        }
        full.pnl([("arb", arb), ("ma", ma)])
        full.paper(report)
        full.degradation([(0, [("arb", 900)]), (15, [("arb", 600)]), (25, [("arb", 200)]), (40, [("arb", -300)])])
        let fullPage = dir.appendingPathComponent("report.html")
        try full.html.write(to: fullPage, atomically: true, encoding: .utf8)
        let fullDom = String(decoding: try Self.run(binary, ["--dump-dom"], page: fullPage, profile: dir.appendingPathComponent("profile")), as: UTF8.self)
        #expect(full.charts == ["latency-0", "latency-1", "pnl", "drawdown", "paper-venue-cost", "degradation"])
        for chart in full.charts { #expect(fullDom.contains("data-chart=\"\(chart)\""), "Chromium's DOM has the report's \(chart) chart") }
    }
}
