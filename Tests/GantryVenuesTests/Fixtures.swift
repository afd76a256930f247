import Foundation
import GantryTestSupport

/// The real venue recordings, found by `RecordedVenueData` (tests that read them carry `.recordedVenueData`).
enum Fixtures {
    /// The file's lines, without their ends (some recordings end lines with CR LF).
    static func lines(_ path: String) throws -> [String] { try RecordedVenueData.lines(path) }

    static func text(_ path: String) throws -> String { try RecordedVenueData.text(path) }
}

extension String {
    /// The UTF-8 bytes, for decoders that read raw buffers.
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Array(utf8).withUnsafeBytes(body)
    }
}

/// A seeded pseudo-random sequence (a 64-bit LCG) for the random message tests: the same messages every run.
struct Draws {
    var state: UInt64

    /// A number in `0..<n`.
    mutating func next(_ n: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int(truncatingIfNeeded: state >> 33) % n
    }
}
