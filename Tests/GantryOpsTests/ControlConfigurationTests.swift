import Foundation
import GantryCore
import GantryOps
import Testing

@Suite("The [control] table and its token file")
struct ControlConfigurationTests {
    @Test("listen is an address and a port (IPv4 or bracketed IPv6), loopback by default; token_file is required")
    func table() throws {
        #expect(try ControlConfiguration.read(toml: "[risk]\nx = 1\n") == nil)
        let c = try #require(try ControlConfiguration.read(toml: "[control]\ntoken_file = \"/tmp/t\"\n"))
        #expect(c.host == "127.0.0.1" && c.port == 9464 && c.url == "http://127.0.0.1:9464")
        let v6 = try #require(try ControlConfiguration.read(toml: "[control]\nlisten = \"[::1]:0\"\ntoken_file = \"/tmp/t\"\n"))
        #expect(v6.host == "::1" && v6.port == 0 && v6.url == "http://[::1]:0")
        #expect(throws: ControlConfiguration.Invalid.self) { try ControlConfiguration.read(toml: "[control]\nlisten = \"127.0.0.1:9464\"\n") }
        #expect(throws: ControlConfiguration.Invalid.self) { try ControlConfiguration.read(toml: "[control]\nlisten = \"localhost:9464\"\ntoken_file = \"t\"\n") }
        #expect(throws: ControlConfiguration.Invalid.self) { try ControlConfiguration.read(toml: "[control]\nlisten = \"127.0.0.1:70000\"\ntoken_file = \"t\"\n") }
    }

    @Test("a token file readable by others is refused, naming its mode and never its content; 0600 is read")
    func tokenFileMode() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-token-\(getpid())").path
        defer { unlink(path) }
        let secret = "s3cret-token-value-1234"
        try (secret + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let c = ControlConfiguration(port: 0, tokenFile: path)
        chmod(path, 0o644)
        do {
            _ = try c.loadToken()
            Issue.record("a 0644 token file was accepted")
        } catch {
            #expect(error.description.contains("0600") && error.description.contains("644") && !error.description.contains(secret))
        }
        chmod(path, 0o600)
        #expect(try c.loadToken().text == secret)
    }
}
