/// A JSON value for the control plane's answers (`/status`), written as compact text with strings escaped as
/// RFC 8259 requires. Numbers are text already formatted (fixed-point figures stay exact).
public indirect enum JSONValue: Sendable, Equatable {
    case string(String)
    /// A number's text, as written ("12", "-0.25").
    case number(String)
    case bool(Bool)
    case null
    case array([JSONValue])
    /// Members in the order given.
    case object([(String, JSONValue)])

    public static func int(_ n: Int) -> JSONValue { .number(String(n)) }
    public static func int(_ n: Int64) -> JSONValue { .number(String(n)) }

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.text == b.text }

    /// The value as compact JSON text.
    public var text: String {
        var out = ""
        write(into: &out)
        return out
    }

    func write(into out: inout String) {
        switch self {
        case .string(let s): Self.quote(s, into: &out)
        case .number(let n): out += n
        case .bool(let b): out += b ? "true" : "false"
        case .null: out += "null"
        case .array(let items):
            out += "["
            for (k, v) in items.enumerated() {
                if k > 0 { out += "," }
                v.write(into: &out)
            }
            out += "]"
        case .object(let members):
            out += "{"
            for (k, (key, v)) in members.enumerated() {
                if k > 0 { out += "," }
                Self.quote(key, into: &out)
                out += ":"
                v.write(into: &out)
            }
            out += "}"
        }
    }

    /// A JSON string: quote, backslash and control characters escaped.
    static func quote(_ s: String, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if c.value < 0x20 {
                    let hex = String(c.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
