import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A swift-log handler that writes one structured line per record to stderr, in logfmt:
/// `ts=2026-12-06T21:03:07.123Z level=warning label=gantry.net msg="connection failed" venue=3 reason="…"`.
/// For everything off the hot path (connections, resyncs, venue errors, configuration); the hot path logs
/// nothing. Secrets never reach a line: metadata under a secret-sounding key is written as `<redacted>`, and
/// any text registered with `SecretRedaction` is masked wherever it appears.
public struct StructuredLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    let label: String
    let write: @Sendable (String) -> Void

    /// - Parameter write: Where each line goes (stderr by default; tests collect them).
    public init(label: String, level: Logger.Level = .info, write: @escaping @Sendable (String) -> Void = StructuredLogHandler.stderr) {
        self.label = label
        logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var line = "ts=\(Self.timestamp()) level=\(event.level) label=\(label) msg=\(Self.quoted(SecretRedaction.mask("\(event.message)")))"
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        for key in all.keys.sorted() {
            let value = SecretRedaction.isSecretKey(key) ? "<redacted>" : SecretRedaction.mask("\(all[key]!)")
            line += " \(key)=\(Self.quoted(value))"
        }
        write(line + "\n")
    }

    /// Writes to stderr in one call (lines from several threads do not interleave).
    public static let stderr: @Sendable (String) -> Void = { line in
        var bytes = Array(line.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }

    /// Makes this the process's handler (once, at start-up): `GANTRY_LOG_LEVEL` (trace…critical) sets the level.
    public static func bootstrap(defaultLevel: Logger.Level = .info) {
        let chosen = (getenv("GANTRY_LOG_LEVEL").map { String(cString: $0) }).flatMap(Logger.Level.init(rawValue:))
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, level: chosen ?? defaultLevel) }
    }

    /// A value as logfmt writes it: bare when it is one plain word, quoted (with `"` and `\` escaped) otherwise.
    static func quoted(_ text: String) -> String {
        let plain = !text.isEmpty && text.utf8.allSatisfy { $0 > 0x20 && $0 != 0x22 && $0 != 0x3D && $0 != 0x5C && $0 < 0x7F }
        if plain { return text }
        var out = "\""
        for c in text.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(c)
            }
        }
        return out + "\""
    }

    /// UTC, milliseconds.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let ms = now.tv_nsec / 1_000_000
        let millis = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)).\(millis)Z"
    }
}

/// Keeps secrets out of log lines: the texts registered here (API keys, secrets, passphrases, tokens, as they
/// are loaded) are masked wherever they appear, and metadata under a secret-sounding key is never written.
public enum SecretRedaction {
    private static let secrets = Mutex<[String]>([])

    /// Masks `secret` in every later log line (texts under 4 characters are not masked: they would mask noise).
    public static func register(_ secret: String) {
        guard secret.count >= 4 else { return }
        secrets.withLock { if !$0.contains(secret) { $0.append(secret) } }
    }

    /// `text` with every registered secret replaced by `<redacted>`.
    public static func mask(_ text: String) -> String {
        secrets.withLock { list in
            var out = text
            for s in list where out.contains(s) { out = out.replacingOccurrences(of: s, with: "<redacted>") }
            return out
        }
    }

    /// Keys whose values are secrets by their name (case-insensitive): secret, password, passphrase, token,
    /// signature, authorization, api key, private key.
    public static func isSecretKey(_ key: String) -> Bool {
        let k = key.lowercased().filter { $0.isLetter }
        return ["secret", "password", "passphrase", "token", "signature", "authorization", "apikey", "privatekey"].contains {
            k.contains($0)
        }
    }
}

extension String {
    /// Every occurrence of `target` replaced by `replacement` (byte-wise; `target` is not empty).
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        let text = Array(utf8)
        let t = Array(target.utf8)
        var out: [UInt8] = []
        var i = 0
        while i < text.count {
            if i + t.count <= text.count && text[i..<(i + t.count)].elementsEqual(t) {
                out += replacement.utf8
                i += t.count
            } else {
                out.append(text[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
