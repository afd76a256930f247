import Foundation
import GantryCore
@testable import GantryEngine
import GantryTestSupport
import Testing
import VenueSim

@Suite("OKX instIdCodes read at start from Get instruments (VenueSim over real sockets), or configured", .serialized)
struct OKXInstrumentCodesTests {
    /// An OKX venue listing BTC-USDT and ETH-USDT, its simulator running on a thread of its own.
    final class Desk {
        let sim: VenueSimulator
        let venue: SimVenue
        let thread: SimulatorThread

        init() throws {
            let books = ["BTC-USDT", "ETH-USDT"].map {
                SimulatedBook(
                    instrument: SimInstrument(symbol: $0, priceScale: 1, quantityScale: 8, tick: 1, lot: 1_000),
                    fees: FeeSchedule(makerCentiBasisPoints: 200, takerCentiBasisPoints: 1_000), levels: 30, maxLots: 10_000)
            }
            venue = try SimVenue(name: "okx", kind: .okx, books: books, restPort: 0)
            sim = VenueSimulator(
                venues: [venue], markets: [MarketParameters(start: 97_000 * 10_000_000, volatilityPerSecond: 20_000_000)], assignments: [[0, 0]],
                stepsPerSecond: 200, seed: 5)
            sim.paused = true
            thread = SimulatorThread(sim)
        }

        deinit { thread.stop() }

        var rest: RESTURL { RESTURL("http://127.0.0.1:\(venue.restPort!)")! }
    }

    /// The error `body` throws, as text ("" if it did not throw).
    static func failure(_ body: () throws -> Any) -> String {
        do {
            _ = try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test("fetch over a real socket returns each symbol's code, the one the simulator lists for it")
    func fetch() throws {
        let d = try Desk()
        let codes = try OKXInstrumentCodes.fetch(rest: d.rest, tls: nil, symbols: ["ETH-USDT", "BTC-USDT"])
        #expect(codes == ["BTC-USDT": UInt64(d.venue.okxInstIdCode("BTC-USDT")!), "ETH-USDT": UInt64(d.venue.okxInstIdCode("ETH-USDT")!)])
        #expect(codes["BTC-USDT"] != codes["ETH-USDT"])
    }

    @Test("a symbol OKX does not list is an error naming it and OKX's code 51001")
    func unknownSymbol() throws {
        let d = try Desk()
        let message = Self.failure { try OKXInstrumentCodes.fetch(rest: d.rest, tls: nil, symbols: ["BTC-USDT", "DOGE-USDT"]) }
        #expect(message.contains("DOGE-USDT is not an OKX spot instrument") && message.contains("51001"), "\(message)")
    }

    @Test("answers other than the documented one are refused, naming the symbol", arguments: [
        (#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT","instIdCode":null}]}"#, "OKX has no instIdCode for BTC-USDT yet"),
        (#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT","instIdCode":"1000000000"}]}"#, "OKX's instIdCode for BTC-USDT is not an integer"),
        (#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT","instIdCode":-4}]}"#, "OKX's instIdCode for BTC-USDT is not a positive integer"),
        (#"{"code":"0","msg":"","data":[{"instId":"BTC-USDT"}]}"#, "OKX lists BTC-USDT without an instIdCode"),
        (#"{"code":"0","msg":"","data":[{"instId":"ETH-USDT","instIdCode":7}]}"#, "BTC-USDT is not an OKX spot instrument"),
        (#"{"code":"50011","msg":"Rate limit reached.","data":[]}"#, "OKX refused the instruments request for BTC-USDT: code 50011"),
        (#"<html>busy</html>"#, "OKX's instruments answer is not JSON"),
    ])
    func refusedAnswers(answer: String, expected: String) {
        let message = Self.failure { try OKXInstrumentCodes.code(of: "BTC-USDT", answer: Array(answer.utf8)) }
        #expect(message.contains(expected), "\(message)")
    }

    @Test("the documented example's code is read: a JSON integer among the other fields")
    func documentedExample() throws {
        let answer = #"{"code":"0","msg":"","data":[{"baseCcy":"BTC","instId":"BTC-USDT","instType":"SPOT","lotSz":"0.00000001","minSz":"0.00001","quoteCcy":"USDT","state":"live","tickSz":"0.1","instIdCode":1000000000,"upcChg":[]}]}"#
        #expect(try OKXInstrumentCodes.code(of: "BTC-USDT", answer: Array(answer.utf8)) == 1_000_000_000)
    }

    // MARK: - What gantry run reads

    /// The three-venue trading configuration of the end-to-end tests against a running simulator, edited by `edit`.
    struct Trading {
        var toml: String
        var configuration: TradingConfiguration
        var okx: SimVenue
        var thread: SimulatorThread
    }

    static func trading(_ edit: (String) -> String = { $0 }) throws -> Trading {
        setenv("GANTRY_E2E_BINANCE_SECRET", "codes-binance-secret-1", 1)
        setenv("GANTRY_E2E_OKX_SECRET", "codes-okx-secret-2", 1)
        setenv("GANTRY_E2E_OKX_PASSPHRASE", "codes-pass", 1)
        setenv("GANTRY_E2E_BYBIT_SECRET", "codes-bybit-secret-3", 1)
        let sim = try SimConfiguration(toml: EndToEndTests.simTOML).makeSimulator(anyPorts: true)
        let toml = edit(EndToEndTests.gatewayTOML(binance: sim.venues[0], okx: sim.venues[1], bybit: sim.venues[2]))
        return Trading(toml: toml, configuration: try TradingConfiguration(toml: toml), okx: sim.venues[1], thread: SimulatorThread(sim))
    }

    /// Comments out OKX's `sim_rest_endpoint` (where its codes would be read from).
    static func noSimREST(_ toml: String) -> String {
        toml.replacingOccurrences(of: "rest_endpoint = \"https://www.okx.com\"\nsim_rest_endpoint", with: "rest_endpoint = \"https://www.okx.com\"\n# sim_rest_endpoint")
    }

    /// OKX's instrument renamed to one the simulator does not list.
    static func unlisted(_ toml: String) -> String { toml.replacingOccurrences(of: "symbol = \"BTC-USDT\"", with: "symbol = \"XBT-USDT\"") }

    static func okxInstrument(_ c: TradingConfiguration, _ symbol: String) throws -> InstrumentId {
        let venue = try #require(c.market.registry.venue(named: "okx"))
        return try #require(c.market.registry.instrument(venue: venue, symbol: symbol))
    }

    @Test("gantry run's codes: each traded OKX instrument's, read from the simulator's list; the other venues' instruments have none")
    func forTradingReads() throws {
        let t = try Self.trading()
        defer { t.thread.stop() }
        let codes = try OKXInstrumentCodes.forTrading(t.configuration, sim: true, tls: nil)
        #expect(codes == [try Self.okxInstrument(t.configuration, "BTC-USDT"): UInt64(t.okx.okxInstIdCode("BTC-USDT")!)])
    }

    @Test("inst_id_code in the configuration is used as given, without asking the venue")
    func forTradingConfigured() throws {
        // No REST endpoint to read codes from: the configured code is all there is.
        let t = try Self.trading { Self.noSimREST($0).replacingOccurrences(of: "symbol = \"BTC-USDT\"\n", with: "symbol = \"BTC-USDT\"\ninst_id_code = 4242\n") }
        defer { t.thread.stop() }
        #expect(t.configuration.market.venues.first { $0.name == "okx" }?.simRestEndpoint == nil)
        #expect(try OKXInstrumentCodes.forTrading(t.configuration, sim: true, tls: nil) == [try Self.okxInstrument(t.configuration, "BTC-USDT"): 4_242])
    }

    @Test("a traded OKX instrument left without a code is refused, named: no REST endpoint and no inst_id_code, or one the venue does not list")
    func forTradingRefuses() throws {
        let t = try Self.trading(Self.noSimREST)
        defer { t.thread.stop() }
        let none = Self.failure { try OKXInstrumentCodes.forTrading(t.configuration, sim: true, tls: nil) }
        #expect(none.contains("venue okx: no instIdCode for BTC-USDT") && none.contains("inst_id_code"), "\(none)")
        let u = try Self.trading(Self.unlisted)
        defer { u.thread.stop() }
        let message = Self.failure { try OKXInstrumentCodes.forTrading(u.configuration, sim: true, tls: nil) }
        #expect(message.hasPrefix("venue okx: XBT-USDT is not an OKX spot instrument (code 51001"), "\(message)")
    }

    @Test("gantry run refuses to start when a configured OKX instrument is not in OKX's list, naming it")
    func gantryRunRefuses() throws {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        let t = try Self.trading(Self.unlisted)
        defer { t.thread.stop() }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gantry-okx-codes-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("gantry.toml")
        try t.toml.write(to: config, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", "--sim", "--config", config.path, "--seconds", "1", "--control-socket", dir.appendingPathComponent("control.sock").path]
        let output = dir.appendingPathComponent("output.txt")
        #expect(FileManager.default.createFile(atPath: output.path, contents: nil))
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let text = try String(contentsOf: output, encoding: .utf8)
        print("gantry run said: \(text.split(separator: "\n").first { $0.contains("XBT-USDT") } ?? "")")
        #expect(process.terminationStatus != 0, "\(text)")
        #expect(text.contains("XBT-USDT is not an OKX spot instrument"), "\(text)")
        #expect(!text.contains("control socket:"), "it stopped before the gateway started: \(text)")
    }
}
