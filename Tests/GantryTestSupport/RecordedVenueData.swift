import Foundation
import Testing

/// The real venue recordings the tests read in place (never copied into the project): the folder named by
/// `GANTRY_VENUE_DATA`, else `../shared/data/venues` beside the package. A clone without them still passes:
/// the tests that need them carry `.recordedVenueData` and are skipped with the reason printed.
public enum RecordedVenueData {
    /// The environment variable that names the folder.
    public static let variable = "GANTRY_VENUE_DATA"

    /// Where the recordings are looked for.
    public static let root: String = {
        if let chosen = ProcessInfo.processInfo.environment[variable], !chosen.isEmpty { return chosen }
        // Tests/GantryTestSupport/<this file> → the package root → its parent.
        let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return package.deletingLastPathComponent().appendingPathComponent("shared/data/venues").path
    }()

    /// Whether the folder is there.
    public static var isPresent: Bool {
        var directory: ObjCBool = false
        return FileManager.default.fileExists(atPath: root, isDirectory: &directory) && directory.boolValue
    }

    /// Why the tests that need the recordings are skipped when they are absent.
    public static var absence: String {
        "the recorded venue data is not at \(root): set \(variable) to its folder (it is ../shared/data/venues in the project's workplace)"
    }

    /// A recording's text.
    public static func text(_ path: String) throws -> String {
        try String(contentsOfFile: root + "/" + path, encoding: .utf8)
    }

    /// A recording's lines, without their ends (some recordings end lines with CR LF).
    public static func lines(_ path: String) throws -> [String] {
        try text(path).split(whereSeparator: \.isNewline).map(String.init)
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only where the recorded venue data is present; otherwise it is skipped, saying why.
    public static var recordedVenueData: Self {
        .enabled(if: RecordedVenueData.isPresent, Comment(rawValue: RecordedVenueData.absence))
    }
}
