/// Small self-contained SVG charts for Gantry's HTML reports: no scripts, no external assets, integer geometry.
/// Values are exact integers; `format` turns one into the text shown beside it. Each chart is an `<svg>` element
/// with `class="chart"` and a `data-chart` name (what a test looks for).
public enum SVGChart {
    /// Horizontal bars, one per item, positive to the right of a zero line and negative to its left.
    public static func bars(name: String, title: String, items: [(label: String, value: Int64)], format: (Int64) -> String) -> String {
        let width = 720, labelWidth = 200, row = 22, top = 28
        let height = top + max(items.count, 1) * row + 12
        let most = max(items.map { abs($0.value) }.max() ?? 1, 1)
        let hasNegative = items.contains { $0.value < 0 }
        let plot = width - labelWidth - 90
        let zero = labelWidth + (hasNegative ? plot / 2 : 0)
        let span = hasNegative ? plot / 2 : plot
        var svg = header(name: name, title: title, width: width, height: height)
        svg += "<line x1=\"\(zero)\" y1=\"\(top - 4)\" x2=\"\(zero)\" y2=\"\(height - 8)\" stroke=\"#888\"/>"
        for (k, item) in items.enumerated() {
            let y = top + k * row
            let length = Int(Int128(abs(item.value)) * Int128(span) / Int128(most))
            let x = item.value < 0 ? zero - length : zero
            let color = item.value > 0 ? "#c0392b" : "#2e86c1"
            svg += "<text x=\"\(labelWidth - 6)\" y=\"\(y + 14)\" text-anchor=\"end\">\(HTML.escape(item.label))</text>"
            svg += "<rect x=\"\(x)\" y=\"\(y + 3)\" width=\"\(max(length, 1))\" height=\"\(row - 6)\" fill=\"\(color)\"/>"
            svg += "<text x=\"\(item.value < 0 ? zero + 4 : zero + length + 4)\" y=\"\(y + 14)\">\(HTML.escape(format(item.value)))</text>"
        }
        return svg + "</svg>"
    }

    /// A histogram of `values` in `buckets` equal bins between their least and most.
    public static func histogram(name: String, title: String, values: [Int64], buckets: Int = 20, format: (Int64) -> String) -> String {
        let width = 720, height = 240, left = 50, bottom = 200, top = 28
        var svg = header(name: name, title: title, width: width, height: height)
        guard let low = values.min(), let high = values.max() else {
            return svg + "<text x=\"\(left)\" y=\"\(top + 20)\">no data</text></svg>"
        }
        let bins = max(1, buckets)
        let range = max(high - low, 1)
        var counts = Array(repeating: 0, count: bins)
        for v in values { counts[min(Int(Int128(v - low) * Int128(bins) / Int128(range)), bins - 1)] += 1 }
        let most = max(counts.max() ?? 1, 1)
        let barWidth = (width - left - 20) / bins
        for (k, c) in counts.enumerated() {
            let h = c * (bottom - top) / most
            svg += "<rect x=\"\(left + k * barWidth)\" y=\"\(bottom - h)\" width=\"\(max(barWidth - 2, 1))\" height=\"\(h)\" fill=\"#2e86c1\"><title>\(c)</title></rect>"
        }
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - 20)\" y2=\"\(bottom)\" stroke=\"#888\"/>"
        svg += "<text x=\"\(left)\" y=\"\(bottom + 18)\">\(HTML.escape(format(low)))</text>"
        svg += "<text x=\"\(width - 20)\" y=\"\(bottom + 18)\" text-anchor=\"end\">\(HTML.escape(format(high)))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 10)\" text-anchor=\"end\">\(most)</text>"
        return svg + "</svg>"
    }

    /// Lines over a common x axis: each series is (name, points (x, y)), drawn in its own color with a legend.
    public static func lines(
        name: String, title: String, series: [(name: String, points: [(x: Int64, y: Int64)])], formatX: (Int64) -> String, formatY: (Int64) -> String
    ) -> String {
        let width = 720, height = 260, left = 80, right = 20, top = 28, bottom = 210
        var svg = header(name: name, title: title, width: width, height: height)
        let all = series.flatMap(\.points)
        guard let x0 = all.map(\.x).min(), let x1 = all.map(\.x).max(), let y0 = all.map(\.y).min(), let y1 = all.map(\.y).max() else {
            return svg + "<text x=\"\(left)\" y=\"\(top + 20)\">no data</text></svg>"
        }
        let xr = max(x1 - x0, 1), yr = max(y1 - y0, 1)
        func px(_ x: Int64) -> Int { left + Int(Int128(x - x0) * Int128(width - left - right) / Int128(xr)) }
        func py(_ y: Int64) -> Int { bottom - Int(Int128(y - y0) * Int128(bottom - top) / Int128(yr)) }
        let colors = ["#c0392b", "#2e86c1", "#27ae60", "#8e44ad", "#d35400", "#16a085"]
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(width - right)\" y2=\"\(bottom)\" stroke=\"#888\"/>"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"#888\"/>"
        svg += "<text x=\"\(left - 6)\" y=\"\(top + 4)\" text-anchor=\"end\">\(HTML.escape(formatY(y1)))</text>"
        svg += "<text x=\"\(left - 6)\" y=\"\(bottom)\" text-anchor=\"end\">\(HTML.escape(formatY(y0)))</text>"
        svg += "<text x=\"\(left)\" y=\"\(bottom + 18)\">\(HTML.escape(formatX(x0)))</text>"
        svg += "<text x=\"\(width - right)\" y=\"\(bottom + 18)\" text-anchor=\"end\">\(HTML.escape(formatX(x1)))</text>"
        for (k, s) in series.enumerated() {
            let color = colors[k % colors.count]
            let path = s.points.map { "\(px($0.x)),\(py($0.y))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(path)\"/>"
            svg += "<text x=\"\(left + 10 + k * 140)\" y=\"\(bottom + 40)\" fill=\"\(color)\">\(HTML.escape(s.name))</text>"
        }
        return svg + "</svg>"
    }

    static func header(name: String, title: String, width: Int, height: Int) -> String {
        "<svg class=\"chart\" data-chart=\"\(HTML.escape(name))\" xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" "
            + "viewBox=\"0 0 \(width) \(height)\" font-family=\"sans-serif\" font-size=\"12\">"
            + "<text x=\"8\" y=\"16\" font-weight=\"bold\">\(HTML.escape(title))</text>"
    }
}

/// A self-contained HTML page: inline style, no scripts, no external assets.
public struct HTML {
    var body = ""
    let title: String

    public init(title: String) { self.title = title }

    public static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    public mutating func heading(_ text: String) { body += "<h2>\(Self.escape(text))</h2>\n" }
    public mutating func paragraph(_ text: String) { body += "<p>\(Self.escape(text))</p>\n" }
    /// An element made by `SVGChart` (already escaped).
    public mutating func chart(_ svg: String) { body += "<div>\(svg)</div>\n" }

    public mutating func table(_ header: [String], _ rows: [[String]]) {
        body += "<table><tr>" + header.map { "<th>\(Self.escape($0))</th>" }.joined() + "</tr>\n"
        for r in rows { body += "<tr>" + r.map { "<td>\(Self.escape($0))</td>" }.joined() + "</tr>\n" }
        body += "</table>\n"
    }

    public var page: String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(Self.escape(title))</title>
        <style>body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse;font-size:13px}\
        td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#eee}h2{margin-top:28px}</style>
        </head><body><h1>\(Self.escape(title))</h1>
        \(body)</body></html>

        """
    }
}
