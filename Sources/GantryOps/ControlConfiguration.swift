import GantryCore
import TOMLKit

/// The `[control]` table: where the control plane's HTTP server listens and where its bearer token is.
///
/// ```toml
/// [control]
/// listen = "127.0.0.1:9464"        # loopback by default; another address is the operator's explicit choice
/// token_file = "/etc/gantry/control.token"   # mode 0600, else refused at start
/// ```
public struct ControlConfiguration: Sendable, Equatable {
    /// An IPv4 or IPv6 literal (default 127.0.0.1).
    public var host: String
    /// 0 asks the system for a free port (tests).
    public var port: Int
    public var tokenFile: String

    public init(host: String = "127.0.0.1", port: Int, tokenFile: String) {
        self.host = host
        self.port = port
        self.tokenFile = tokenFile
    }

    /// The base URL clients use (`http://127.0.0.1:9464`).
    public var url: String { host.contains(":") ? "http://[\(host)]:\(port)" : "http://\(host):\(port)" }

    /// Why `[control]` was refused.
    public struct Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// The file's `[control]` table as decoded (public for `gantry config check`'s known keys).
    public struct File: Codable {
        public struct Control: Codable {
            var listen: String?
            var token_file: String?
        }
        var control: Control?
    }

    /// Reads `[control]` from a configuration file's text. - Returns: nil when the file has no `[control]` table
    /// (the gateway then has no HTTP control plane). - Throws: `Invalid` naming the key.
    public static func read(toml: String) throws(Invalid) -> ControlConfiguration? {
        let file: File
        do { file = try TOMLDecoder().decode(File.self, from: toml) } catch { throw Invalid("the configuration cannot be read: \(error)") }
        guard let c = file.control else { return nil }
        guard let tokenFile = c.token_file, !tokenFile.isEmpty else { throw Invalid("[control] token_file: required (a file of mode 0600 holding the bearer token)") }
        let (host, port) = try parseListen(c.listen ?? "127.0.0.1:9464")
        return ControlConfiguration(host: host, port: port, tokenFile: tokenFile)
    }

    /// "127.0.0.1:9464" or "[::1]:9464" into host and port. - Throws: `Invalid`.
    public static func parseListen(_ text: String) throws(Invalid) -> (String, Int) {
        let host: Substring, port: Substring
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            host = text[text.index(after: text.startIndex)..<close]
            let rest = text[text.index(after: close)...]
            guard rest.hasPrefix(":") else { throw Invalid("[control] listen: \(text) is not [address]:port") }
            port = rest.dropFirst()
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw Invalid("[control] listen: \(text) is not address:port") }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard let p = Int(port), (0...65_535).contains(p) else { throw Invalid("[control] listen: the port of \(text) must be 0…65535") }
        guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == "." || $0 == ":" }) else {
            throw Invalid("[control] listen: \(host) must be an IP address (names are not resolved)")
        }
        return (String(host), p)
    }

    /// The bearer token from `tokenFile`. - Throws: `Secret.LoadError` if the file is missing, empty, or readable by
    /// anyone but its owner (mode other than 0600/0400).
    public func loadToken() throws(Secret.LoadError) -> Secret {
        try Secret.load(env: nil, file: tokenFile, who: "[control] token_file")
    }
}
