import ArgumentParser
import Foundation
import GantryLoop

struct TopologyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "topology",
        abstract: "Show CPUs, NUMA nodes, and where each stage would run.",
        discussion: """
            Without --config, shows the placement Gantry picks for this machine: hot-path stages busy-poll on \
            isolated CPUs while they last, the rest share adaptive runners. With --config, checks the file's \
            [[topology.runner]] tables against this machine and refuses what cannot work (an unknown CPU, \
            busy-polling on a shared core, a stage placed twice or not at all).
            """)

    @Option(name: .long, help: "A TOML file with [[topology.runner]] tables.")
    var config: String?

    func run() throws {
        let machine = Machine.current()
        print("cpus available: \(machine.cpus.map(String.init).joined(separator: ","))")
        print("cpus isolated (isolcpus): \(machine.isolatedCPUs.isEmpty ? "none" : machine.isolatedCPUs.sorted().map(String.init).joined(separator: ","))")
        print("numa nodes: \(machine.nodeCount)")
        for cpu in machine.cpus { print("  cpu \(cpu) → node \(machine.nodeOfCPU[cpu] ?? 0)") }
        let plan: TopologyPlan
        if let config {
            let text: String
            do {
                text = try String(contentsOfFile: config, encoding: .utf8)
            } catch {
                throw ValidationError("cannot read \(config): \(error.localizedDescription)")
            }
            do {
                plan = try TopologyPlan(toml: text, machine: machine)
            } catch {
                throw ValidationError("\(config): \(error)")
            }
            print("placement from \(config):")
        } else {
            plan = try TopologyPlan(runners: TopologyPlan.automatic(for: machine), machine: machine)
            print("placement (automatic):")
        }
        print(plan.rendered())
    }
}
