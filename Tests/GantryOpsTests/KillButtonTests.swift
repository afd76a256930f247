import Foundation
import GantryTestSupport
import Testing

/// The physical kill button's script (Deploy/kill-button): its own unit tests, run with the system's Python.
@Suite("The kill button's input_event parser and trigger")
struct KillButtonTests {
    @Test("the parser splits crafted input_event streams whole, byte by byte and at every offset; only a press of the key fires, once per cooldown")
    func pythonTests() throws {
        let script = FileManager.default.currentDirectoryPath + "/Deploy/kill-button/test_kill_button.py"
        try #require(FileManager.default.fileExists(atPath: script), "run from the repository's root")
        let (status, output) = try runToEnd("/usr/bin/python3", [script, "-v"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Ran 8 tests") && output.contains("OK"), "\(output)")
    }
}
