import Foundation

/// Runs `body` on a new thread; `join()` waits for it.
final class TestThread: Sendable {
    private let done = DispatchSemaphore(value: 0)

    init(_ name: String, _ body: @escaping @Sendable () -> Void) {
        let done = self.done
        let thread = Thread {
            body()
            done.signal()
        }
        thread.name = name
        thread.start()
    }

    func join() { done.wait() }
}

/// A ring element that detects torn or reordered reads: `check` is derived from `sequence`.
struct Stamped: BitwiseCopyable {
    var sequence: UInt64
    var check: UInt64
    init(_ sequence: UInt64) {
        self.sequence = sequence
        check = sequence &* 0x9E37_79B9_7F4A_7C15 ^ 0xDEAD_BEEF
    }
    var isIntact: Bool { check == sequence &* 0x9E37_79B9_7F4A_7C15 ^ 0xDEAD_BEEF }
}

/// A unique path under /dev/shm for a test ring.
func shmPath(_ name: String) -> String {
    "/dev/shm/gantry-test-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
}

/// The `gantry` executable built beside the test bundle.
func gantryExecutable() -> String? {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    for _ in 0..<4 {
        let candidate = dir.appendingPathComponent("gantry").path
        if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        dir = dir.deletingLastPathComponent()
    }
    let fallback = FileManager.default.currentDirectoryPath + "/.build/debug/gantry"
    return FileManager.default.isExecutableFile(atPath: fallback) ? fallback : nil
}

/// Events for stress tests: GANTRY_LONG_TESTS=1 runs ten times more.
let stressEvents: UInt64 = ProcessInfo.processInfo.environment["GANTRY_LONG_TESTS"] == "1" ? 500_000_000 : 50_000_000
