import Foundation

/// Headless Chromium (Debian's `chromium`, installed by `make test`) for the tests of HTML pages.
public enum Chromium {
    /// The browser, or nil when it is not installed.
    public static func binary() -> String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Whether a missing Chromium fails the test (`make test` sets GANTRY_REQUIRE_CHROMIUM=1) rather than skips it.
    public static var required: Bool { ProcessInfo.processInfo.environment["GANTRY_REQUIRE_CHROMIUM"] == "1" }

    /// Runs chromium headless on `page` with `arguments`, with a profile of its own in `profile`; its standard output.
    public static func run(_ binary: String, _ arguments: [String], page: URL, profile: URL) throws -> Data {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile.path)"] + arguments + [page.absoluteString]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return data
    }

    /// The page's DOM once Chromium has loaded and run it.
    public static func dom(_ binary: String, page: URL, profile: URL) throws -> String {
        String(decoding: try run(binary, ["--dump-dom"], page: page, profile: profile), as: UTF8.self)
    }
}
