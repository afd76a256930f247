import Foundation
import GantryOps
import GantryTestSupport
import Testing

/// `Deploy/prometheus/gantry-alerts.yml`: accepted by `promtool check rules`, its unit tests pass under
/// `promtool test rules`, and it covers every condition the gateway's own alert engine has.
@Suite("The Prometheus alert rules in Deploy/")
struct AlertRulesTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Deploy/prometheus")

    static func promtool(_ arguments: [String]) throws -> (status: Int32, output: String)? {
        guard let tool = promtoolExecutable(for: "AlertRulesTests") else { return nil }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = arguments
        p.currentDirectoryURL = directory
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let said = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, said)
    }

    @Test("promtool check rules accepts gantry-alerts.yml")
    func checkRules() throws {
        guard let (status, said) = try Self.promtool(["check", "rules", "gantry-alerts.yml"]) else { return }
        #expect(status == 0 && said.contains("SUCCESS"), "promtool said: \(said)")
    }

    @Test("promtool test rules: every rule fires on its provoking series and stays quiet on the calm ones")
    func testRules() throws {
        guard let (status, said) = try Self.promtool(["test", "rules", "gantry-alerts.test.yml"]) else { return }
        #expect(status == 0 && said.contains("SUCCESS"), "promtool said: \(said)")
    }

    @Test("each of the gateway's alert rules has a Prometheus rule")
    func coversEveryRule() throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent("gantry-alerts.yml"), encoding: .utf8)
        let names: [AlertRule: String] = [
            .latencySpike: "GantryVenueLatencySpike", .predictionDrift: "GantryPredictionDrift", .pairDrawdown: "GantryPairDrawdown",
            .orderQueueGrowth: "GantryOrderQueueGrowth", .staleBook: "GantryStaleBook", .journalLag: "GantryJournalLag", .sanityCheck: "GantrySanityCheckFailed",
        ]
        for rule in AlertRule.allCases {
            let name = try #require(names[rule], "\(rule) has no Prometheus rule named here")
            #expect(text.contains("- alert: \(name)\n"), "\(name) is in gantry-alerts.yml")
        }
    }
}
