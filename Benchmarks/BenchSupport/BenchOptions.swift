#if canImport(Glibc)
import Glibc
#endif

/// Writes "`tool`: `why`" to standard error, unbuffered, and exits with status 2 (bad input or set-up).
public func benchFail(_ tool: String, _ why: String) -> Never {
    let line = Array("\(tool): \(why)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(2)
}

/// A benchmark executable's `--name value` options.
public struct BenchOptions: Sendable {
    public let tool: String
    let values: [String: String]

    /// Reads `arguments` as `--name value` pairs; anything else stops the program with `usage`.
    public init(tool: String, usage: String, arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        self.tool = tool
        var values: [String: String] = [:]
        var rest = arguments[...]
        while let a = rest.popFirst() {
            guard a.hasPrefix("--"), let v = rest.popFirst() else { benchFail(tool, usage) }
            values[String(a.dropFirst(2))] = v
        }
        self.values = values
    }

    /// The value given for `--name`, if any.
    public subscript(name: String) -> String? { values[name] }

    /// The positive whole number given for `--name`, or `fallback`; anything else stops the program.
    public func int(_ name: String, _ fallback: Int) -> Int {
        guard let v = values[name] else { return fallback }
        guard let n = Int(v), n > 0 else { benchFail(tool, "--\(name) wants a positive number, got \(v)") }
        return n
    }
}
