import Foundation

/// The `gantry` executable built beside the test bundle (`swift build` and `make test` build it), for tests
/// that run it as a separate process; nil if it is not built.
public func gantryExecutable() -> String? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("gantry").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/gantry"
    return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
}
