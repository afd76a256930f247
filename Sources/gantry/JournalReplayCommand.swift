import ArgumentParser
import Foundation
import GantryEngine

/// `gantry journal replay --dir D`: the signal and risk stages run again on a journal's inputs, their intents and
/// decisions compared with the journaled ones, byte for byte.
struct JournalReplayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Replay a journal through the signal and risk stages: every intent and decision must come out the same, bit for bit.")

    @Option(name: .long, help: "The journal directory (one gateway run); for a gateway split over roles, the strategy role's, then the execution role's (--dir S --dir E).")
    var dir: [String]

    @Option(name: .long, help: "Replay with this configuration instead of the journaled one (what a change would have decided).")
    var config: String? = nil

    func run() throws {
        var configuration: TradingConfiguration? = nil
        if let config {
            let text: String
            do { text = try String(contentsOfFile: config, encoding: .utf8) } catch { throw ValidationError("cannot read \(config): \(error.localizedDescription)") }
            do { configuration = try TradingConfiguration(toml: text) } catch { throw ValidationError("\(config): \(error)") }
        }
        let started = Date()
        let result: JournalReplayResult
        do {
            switch dir.count {
            case 1: result = try JournalReplay.run(directory: dir[0], configuration: configuration)
            case 2: result = try JournalReplay.run(strategy: dir[0], execution: dir[1], configuration: configuration)
            default: throw ValidationError("--dir: one journal, or the strategy role's and the execution role's")
            }
        } catch let e as ValidationError {
            throw e
        } catch {
            throw ValidationError("\(error)")
        }
        let seconds = Date().timeIntervalSince(started)
        print("replay of \(dir.joined(separator: " and ")): \(result.marketEvents) market events, \(result.flowEvents) on-chain flow events, \(String(format: "%.2f", seconds)) s")
        for (name, s, what) in [("signal", result.signal, "intents"), ("risk", result.risk, "decisions")] {
            print("  \(name): \(s.ticks)/\(s.journaledTicks) ticks, \(s.matched) of \(s.journaled) journaled \(what) reproduced bit for bit, \(s.replayed) made")
            if let m = s.firstMismatch { print("    first difference: \(m)") }
            if let t = s.mismatchTick { print("    made in \(t)") }
            if let why = s.stoppedEarly { print("    stopped early: \(why)") }
        }
        if let h = result.handoff {
            print("  intents over the bus: \(h.made) made by the strategy role, \(h.received) taken by the execution role, \(h.equal) of them equal at their place, byte for byte"
                + (h.before > 0 ? "; \(h.before) made before the execution role's first (never decided)" : ""))
        }
        print(result.reproduced ? "reproduced: every intent and decision" : "NOT reproduced")
        if !result.reproduced { throw ExitCode(1) }
    }
}
