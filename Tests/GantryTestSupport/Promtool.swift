import Foundation
import Testing

/// Prometheus' `promtool` (Debian's `prometheus` package, installed by `make test`), or nil. A test that needs it
/// and finds none records an issue when GANTRY_REQUIRE_PROMTOOL=1 (as `make test` sets), else says it skipped.
public func promtoolExecutable(for test: String) -> String? {
    requiredTool(["/usr/bin/promtool", "/usr/local/bin/promtool"], flag: "GANTRY_REQUIRE_PROMTOOL", test: test, package: "Debian's prometheus package")
}

/// The first of `paths` that is an executable; else an issue when the environment variable `flag` is 1, or a line
/// saying the test skipped.
func requiredTool(_ paths: [String], flag: String, test: String, package: String) -> String? {
    if let found = paths.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
    let name = URL(fileURLWithPath: paths[0]).lastPathComponent
    if ProcessInfo.processInfo.environment[flag] == "1" {
        Issue.record("\(name) is not installed (scripts/install-deps.sh installs \(package))")
    } else {
        print("\(test): \(name) is not installed: skipped")
    }
    return nil
}

/// Runs `promtool check metrics` on `text` (its standard input). - Returns: its exit status and what it said.
public func promtoolCheckMetrics(_ promtool: String, _ text: String) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: promtool)
    p.arguments = ["check", "metrics"]
    let input = Pipe(), output = Pipe()
    p.standardInput = input
    p.standardOutput = output
    p.standardError = output
    try p.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let said = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, said)
}

/// Debian's `chromium`, or nil. A test that needs it and finds none records an issue when
/// GANTRY_REQUIRE_CHROMIUM=1 (as `make test` sets), else says it skipped.
public func chromiumExecutable(for test: String) -> String? {
    requiredTool(["/usr/bin/chromium", "/usr/bin/chromium-browser"], flag: "GANTRY_REQUIRE_CHROMIUM", test: test, package: "Debian's chromium")
}
