import ArgumentParser
import Foundation
import GantryEngine
import GantryLoop
import GantryBus
import GantryOps

/// `gantry config check FILE`: every problem of a configuration at once (ConfigurationCheck).
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Check a configuration file.", subcommands: [ConfigCheckCommand.self])
}

struct ConfigCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Name every problem of a configuration at once, one line each: unknown keys, bad values and limits, missing secrets, unknown venues and pairs, a topology this host cannot run.",
        discussion: "Secrets are looked up where the file names them (environment variables, 0600 files) and never printed. Exits 1 when there is any problem.")

    @Argument(help: "The configuration file.")
    var file: String

    func run() throws {
        let text: String
        do { text = try String(contentsOfFile: file, encoding: .utf8) } catch { throw ValidationError("cannot read \(file): \(error.localizedDescription)") }
        let problems = ConfigurationCheck.run(
            toml: text, machine: Machine.current(),
            sections: [
                .decodable(ControlConfiguration.File.self), .decodable(AlertConfiguration.File.self), .decodable(CheckConfiguration.File.self),
                .keys(table: "bus", BusConfiguration.knownKeys, maps: ["streams"]),
            ])
        for p in problems { print(p) }
        // The values of the sections read above GantryEngine, as their parsers name them (unknown keys are named
        // above already).
        var bus: [String] = []
        do { _ = try BusConfiguration.parse(toml: text) } catch { bus = error.problems.filter { !$0.hasSuffix(": unknown key") } }
        do { _ = try ControlConfiguration.read(toml: text) } catch { bus.append("\(error)") }
        do { _ = try AlertConfiguration.read(toml: text) } catch { bus.append("\(error)") }
        do { _ = try CheckConfiguration.read(toml: text) } catch { bus.append("\(error)") }
        for p in bus { print("bad value: \(p)") }
        guard problems.isEmpty && bus.isEmpty else {
            print("\(file): \(problems.count + bus.count) problem(s)")
            throw ExitCode(1)
        }
        print("\(file): ok")
    }
}
