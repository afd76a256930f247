import GantryReport
import Testing

@Suite("HTML and SVG for the reports: self-contained, escaped, every chart named")
struct SVGChartTests {
    @Test("text is escaped everywhere it is placed; a chart is an svg element with its name; empty data says so")
    func escapingAndNames() {
        var page = HTML(title: "a < b & \"c\"")
        page.paragraph("<script>alert(1)</script>")
        page.table(["x<y"], [["1 & 2"]])
        page.chart(SVGChart.bars(name: "cost", title: "t<", items: [("okx <b>", 120), ("binance", -30)], format: { "\($0)" }))
        page.chart(SVGChart.histogram(name: "empty", title: "none", values: [], format: { "\($0)" }))
        page.chart(SVGChart.lines(name: "pnl", title: "PnL", series: [("arb", [(0, 0), (1, 5), (2, -3)])], formatX: { "\($0)" }, formatY: { "\($0)" }))
        let html = page.page
        #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<title>a &lt; b &amp; &quot;c&quot;</title>"))
        #expect(!html.contains("<script>") && html.contains("&lt;script&gt;"))
        #expect(html.contains("<th>x&lt;y</th>") && html.contains("<td>1 &amp; 2</td>") && html.contains("okx &lt;b&gt;"))
        for name in ["cost", "empty", "pnl"] { #expect(html.contains("class=\"chart\" data-chart=\"\(name)\"")) }
        #expect(html.contains("no data") && html.contains("<polyline"))
    }

    @Test("bars scale to the largest magnitude: the largest spans the plot, a negative one goes left of zero")
    func barsScale() {
        let svg = SVGChart.bars(name: "b", title: "b", items: [("a", 100), ("b", 50), ("c", -100)], format: { "\($0)" })
        // Plot width 430 with negatives: half (215) each side of zero at 415.
        #expect(svg.contains("<rect x=\"415\" y=\"31\" width=\"215\"") && svg.contains("width=\"107\"") && svg.contains("<rect x=\"200\""))
    }
}
