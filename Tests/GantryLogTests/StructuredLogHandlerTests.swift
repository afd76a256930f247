import GantryLog
import Logging
import Synchronization
import Testing

final class Lines: Sendable {
    let lines = Mutex<[String]>([])
}

@Suite("Structured log lines")
struct StructuredLogHandlerTests {
    func logger(_ lines: Lines, level: Logger.Level = .info) -> Logger {
        Logger(label: "gantry.test") { label in
            StructuredLogHandler(label: label, level: level) { line in lines.lines.withLock { $0.append(line) } }
        }
    }

    @Test("a line is logfmt: time, level, label, message, then the metadata sorted, quoted where needed")
    func format() {
        let lines = Lines()
        let log = logger(lines)
        log.warning("connection failed", metadata: ["venue": "binance", "reason": "send failed (errno 104)"])
        log.debug("not at info")
        let got = lines.lines.withLock { $0 }
        #expect(got.count == 1)
        let line = got.first ?? ""
        #expect(line.hasPrefix("ts="))
        #expect(line.hasSuffix(#" level=warning label=gantry.test msg="connection failed" reason="send failed (errno 104)" venue=binance"# + "\n"))
    }

    @Test("secrets never reach a line: registered texts are masked anywhere, secret-named metadata is not written")
    func secrets() {
        let lines = Lines()
        let log = logger(lines)
        let secret = "Zx9secretKEYvalue0123456789"
        SecretRedaction.register(secret)
        log.info("signing with \(secret)", metadata: ["apiSecret": "plain-\(secret)", "api_key": "abcd1234", "path": "/order?x=\(secret)"])
        log.error("error", metadata: ["X-MBX-APIKEY": "k3y-value", "passphrase": "hunter22", "token": "eyJhbGciOi"])
        let text = lines.lines.withLock { $0.joined() }
        for leaked in [secret, "abcd1234", "k3y-value", "hunter22", "eyJhbGciOi"] {
            #expect(!text.contains(leaked), "\(leaked) leaked into: \(text)")
        }
        #expect(text.contains("<redacted>"))
        #expect(text.contains("path=/order?x=<redacted>") || text.contains(#"path="/order?x=<redacted>""#))
    }
}
