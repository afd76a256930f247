import GantryCore

/// A page of metrics in the Prometheus text exposition format (version 0.0.4): `# HELP` and `# TYPE` before each
/// family, one sample a line, label values escaped, `\n` line ends, the last line ended too. Names follow
/// Prometheus' conventions, and the writer traps on a name that does not (a programming error, not input):
/// snake case, a `gantry_` prefix, counters ending in `_total`, nothing else ending in `_total`, `_count`,
/// `_sum` or `_bucket`, and each family declared once. Values are decimal text: fixed-point figures are written
/// exactly (`FixedPoint.string`), never through a `Double`.
public struct PrometheusText: Sendable {
    /// The Content-Type Prometheus expects for this format.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// A family's type, as `# TYPE` names it.
    public enum Kind: String, Sendable {
        case counter, gauge, histogram
    }

    public private(set) var text = ""
    var declared: [String: Kind] = [:]
    var current: (name: String, kind: Kind)? = nil

    public init() {}

    /// Starts a family: its `# HELP` and `# TYPE` lines. Its samples must follow before the next family.
    /// Traps if the name breaks the conventions above or was declared before.
    public mutating func family(_ name: String, _ kind: Kind, help: String) {
        precondition(Self.isValidName(name) && name.hasPrefix("gantry_"), "metric name \(name): snake case with the gantry_ prefix")
        precondition(declared[name] == nil, "metric family \(name) declared twice")
        precondition((kind == .counter) == name.hasSuffix("_total"), "metric \(name): counters, and only counters, end in _total")
        for reserved in ["_count", "_sum", "_bucket"] { precondition(!name.hasSuffix(reserved), "metric \(name): \(reserved) is reserved for histograms") }
        declared[name] = kind
        current = (name, kind)
        text += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
    }

    /// One sample of the current counter or gauge family. Traps if `name` is not the current family's.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: String) {
        precondition(current?.name == name && current?.kind != .histogram, "sample \(name) outside its family")
        line(name, labels, value)
    }

    /// An integer sample.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], _ value: Int) {
        sample(name, labels, String(value))
    }

    /// A fixed-point sample: `raw` at `scale` decimals, written exactly.
    public mutating func sample(_ name: String, _ labels: [(String, String)] = [], raw: Int64, scale: Int) {
        sample(name, labels, FixedPoint.string(raw, scale: scale, trimTrailingZeros: true))
    }

    /// A histogram's series for one label set: cumulative `_bucket{le=…}` lines ending with `+Inf`, then `_sum`
    /// and `_count`, in seconds. Traps if `name` is not the current histogram family's.
    public mutating func histogram(_ name: String, _ labels: [(String, String)] = [], _ h: LatencyHistogram) {
        precondition(current?.name == name && current?.kind == .histogram, "histogram \(name) outside its family")
        var cumulative = 0
        for (k, bound) in LatencyHistogram.bounds.enumerated() {
            cumulative += h.counts[k]
            line(name + "_bucket", labels + [("le", Self.seconds(bound))], String(cumulative))
        }
        line(name + "_bucket", labels + [("le", "+Inf")], String(h.count))
        line(name + "_sum", labels, Self.seconds(h.sum))
        line(name + "_count", labels, String(h.count))
    }

    mutating func line(_ name: String, _ labels: [(String, String)], _ value: String) {
        text += name
        if !labels.isEmpty {
            text += "{"
            for (k, (key, value)) in labels.enumerated() {
                precondition(Self.isValidName(key) && !key.hasPrefix("__"), "label name \(key)")
                text += (k == 0 ? "" : ",") + key + "=\"" + Self.escapeLabel(value) + "\""
            }
            text += "}"
        }
        text += " " + value + "\n"
    }

    /// Nanoseconds as seconds, exactly ("0.00025").
    public static func seconds(_ nanos: Int64) -> String { FixedPoint.string(nanos, scale: 9, trimTrailingZeros: true) }

    /// Snake case: lower-case letters, digits and `_`, not starting with a digit.
    static func isValidName(_ name: String) -> Bool {
        guard let first = name.utf8.first, !(48...57).contains(first) else { return false }
        return name.utf8.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == 95 }
    }

    /// A label value: backslash, double quote and line feed escaped.
    public static func escapeLabel(_ s: String) -> String { escape(s, quote: true) }

    /// A HELP text: backslash and line feed escaped.
    public static func escapeHelp(_ s: String) -> String { escape(s, quote: false) }

    static func escape(_ s: String, quote: Bool) -> String {
        var out = ""
        for c in s.unicodeScalars {
            if c == "\\" {
                out += "\\\\"
            } else if c == "\n" {
                out += "\\n"
            } else if quote && c == "\"" {
                out += "\\\""
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
