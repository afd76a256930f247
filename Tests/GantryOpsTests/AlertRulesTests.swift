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

    /// promtool on files of the directory (named by their paths: `test rules` finds the rule files beside its file).
    static func promtool(_ verb: String, _ file: String) throws -> (status: Int32, output: String)? {
        guard let tool = promtoolExecutable(for: "AlertRulesTests") else { return nil }
        return try runToEnd(tool, [verb, "rules", directory.appendingPathComponent(file).path])
    }

    @Test("promtool check rules accepts gantry-alerts.yml")
    func checkRules() throws {
        guard let (status, said) = try Self.promtool("check", "gantry-alerts.yml") else { return }
        #expect(status == 0 && said.contains("SUCCESS"), "promtool said: \(said)")
    }

    @Test("promtool test rules: every rule fires on its provoking series and stays quiet on the calm ones")
    func testRules() throws {
        guard let (status, said) = try Self.promtool("test", "gantry-alerts.test.yml") else { return }
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
