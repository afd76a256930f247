import ArgumentParser
import Foundation
import GantryEngine

/// `gantry tune check`: how this host differs from Tuning/ (TuningCheck).
struct TuneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tune", abstract: "Check this host's tuning.", subcommands: [TuneCheckCommand.self])
}

struct TuneCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Report how this host differs from Tuning/: sysctls, kernel command line, isolated CPUs, governor, C-states, IRQ and NIC-queue affinity, huge pages.",
        discussion: "Reads only /proc and /sys. Each item: expected, found, ok/differs/unavailable. Exits 0 unless --strict and an item is not ok.")

    @Option(name: .long, help: "The Tuning directory (99-gantry.conf, kernel-cmdline.cfg); default /opt/gantry/Tuning, else ./Tuning.")
    var tuning: String?

    @Flag(name: .long, help: "Exit 1 when any item differs or cannot be read.")
    var strict = false

    func run() throws {
        let directory = tuning ?? (FileManager.default.fileExists(atPath: "/opt/gantry/Tuning") ? "/opt/gantry/Tuning" : "Tuning")
        let check: TuningCheck
        do { check = try TuningCheck(directory: directory) } catch { throw ValidationError("\(error)") }
        let items = check.run()
        let width = items.map(\.name.count).max() ?? 0
        for i in items {
            print("\(i.status.rawValue.padding(toLength: 11, withPad: " ", startingAt: 0)) \(i.name.padding(toLength: width, withPad: " ", startingAt: 0))  expected \(i.expected); found \(i.found)")
        }
        let off = items.filter { $0.status != .ok }.count
        print("\(items.count) items from \(directory): \(items.count - off) ok, \(off) not")
        if strict && off > 0 { throw ExitCode(1) }
    }
}
