import TOMLKit

/// The pipeline's stages, by the names configuration uses.
public enum StageName: String, CaseIterable, Sendable, Codable {
    case feed, book, signal, risk
    case orderSend = "order-send"
    case journal, paper, metrics, bus

    /// Stages on the tick-to-order path: they get dedicated cores first.
    public static let hotPath: [StageName] = [.feed, .book, .signal, .risk, .orderSend]
}

/// One runner as configured in `[[topology.runner]]`.
public struct RunnerConfig: Sendable, Equatable, Codable {
    public var name: String
    /// Pinned CPU; absent to float.
    public var cpu: Int?
    /// "busy-poll" or "adaptive".
    public var mode: String
    public var stages: [String]
    /// The NUMA node the runner's CPU must be on (`numa_node`; absent: not checked). A configuration written for a
    /// two-socket server says so, and is refused on a host without that node.
    public var numaNode: Int?

    public init(name: String, cpu: Int?, mode: String, stages: [String], numaNode: Int? = nil) {
        self.name = name
        self.cpu = cpu
        self.mode = mode
        self.stages = stages
        self.numaNode = numaNode
    }

    enum CodingKeys: String, CodingKey {
        case name, cpu, mode, stages
        case numaNode = "numa_node"
    }
}

/// Why a topology configuration is refused. Each names the runner or stage at fault.
public enum TopologyError: Error, Equatable, Sendable, CustomStringConvertible {
    case syntax(String)
    case unknownMode(runner: String, mode: String)
    case unknownStage(runner: String, stage: String)
    case stagePlacedTwice(String)
    case stageUnplaced(String)
    case cpuNotAvailable(runner: String, cpu: Int, available: [Int])
    case busyPollOnSharedCPU(cpu: Int, runners: [String])
    case busyPollUnpinned(runner: String)
    case duplicateRunner(String)
    case numaNodeAbsent(runner: String, node: Int, nodes: Int)
    case cpuNotOnNode(runner: String, cpu: Int, node: Int, actual: Int)

    public var description: String {
        switch self {
        case .syntax(let why): "topology configuration: \(why)"
        case .unknownMode(let r, let m): "runner \(r): mode \"\(m)\" is neither \"busy-poll\" nor \"adaptive\""
        case .unknownStage(let r, let s):
            "runner \(r): unknown stage \"\(s)\" (known: \(StageName.allCases.map(\.rawValue).joined(separator: ", ")))"
        case .stagePlacedTwice(let s): "stage \(s) is placed on two runners"
        case .stageUnplaced(let s): "stage \(s) has no runner"
        case .cpuNotAvailable(let r, let c, let a): "runner \(r): CPU \(c) is not available to this process (available: \(a))"
        case .busyPollOnSharedCPU(let c, let rs):
            "CPU \(c) is shared by runners \(rs.joined(separator: ", ")): busy-polling on a shared core starves the others; use mode = \"adaptive\""
        case .busyPollUnpinned(let r): "runner \(r): busy-poll needs a pinned cpu"
        case .duplicateRunner(let r): "runner name \(r) is used twice"
        case .numaNodeAbsent(let r, let n, let count): "runner \(r): NUMA node \(n) does not exist on this machine (it has \(count) node(s): 0…\(count - 1))"
        case .cpuNotOnNode(let r, let c, let n, let actual): "runner \(r): CPU \(c) is on NUMA node \(actual), not on numa_node \(n)"
        }
    }
}

/// Where each stage runs: runners, their CPUs, NUMA nodes and wait modes, checked against a machine.
public struct TopologyPlan: Sendable, Equatable {
    public struct Placement: Sendable, Equatable {
        public var runner: RunnerSpec
        public var numaNode: Int?
        public var stages: [StageName]
        /// True if the CPU is isolated from the scheduler (isolcpus).
        public var isolated: Bool
    }

    public var placements: [Placement]
    /// Advice that does not stop the gateway (e.g. busy-polling on a core the kernel does not isolate).
    public var warnings: [String]

    /// Checks `runners` against `machine`.
    /// - Throws: `TopologyError` for the first problem.
    public init(runners: [RunnerConfig], machine: Machine) throws(TopologyError) {
        var placements: [Placement] = []
        var warnings: [String] = []
        var placed: [StageName: String] = [:]
        var names = Set<String>()
        var runnersOnCPU: [Int: [String]] = [:]
        var busyCPUs = Set<Int>()
        for r in runners {
            guard names.insert(r.name).inserted else { throw .duplicateRunner(r.name) }
            let mode: RunnerMode
            switch r.mode {
            case "busy-poll": mode = .busyPoll
            case "adaptive": mode = .adaptiveDefault
            default: throw .unknownMode(runner: r.name, mode: r.mode)
            }
            var stages: [StageName] = []
            for s in r.stages {
                guard let stage = StageName(rawValue: s) else { throw .unknownStage(runner: r.name, stage: s) }
                guard placed[stage] == nil else { throw .stagePlacedTwice(s) }
                placed[stage] = r.name
                stages.append(stage)
            }
            if let cpu = r.cpu {
                guard machine.cpus.contains(cpu) else {
                    throw .cpuNotAvailable(runner: r.name, cpu: cpu, available: machine.cpus)
                }
                runnersOnCPU[cpu, default: []].append(r.name)
                if mode == .busyPoll {
                    busyCPUs.insert(cpu)
                    if !machine.isolatedCPUs.contains(cpu) {
                        warnings.append(
                            "runner \(r.name) busy-polls CPU \(cpu), which the kernel does not isolate (isolcpus): other work will be scheduled there; see Tuning/")
                    }
                }
            } else if mode == .busyPoll {
                throw .busyPollUnpinned(runner: r.name)
            }
            if let node = r.numaNode {
                guard node >= 0, node < machine.nodeCount else { throw .numaNodeAbsent(runner: r.name, node: node, nodes: machine.nodeCount) }
                if let cpu = r.cpu, let actual = machine.nodeOfCPU[cpu], actual != node {
                    throw .cpuNotOnNode(runner: r.name, cpu: cpu, node: node, actual: actual)
                }
            }
            placements.append(
                Placement(
                    runner: RunnerSpec(name: r.name, cpu: r.cpu, mode: mode), numaNode: r.cpu.flatMap { machine.nodeOfCPU[$0] },
                    stages: stages, isolated: r.cpu.map { machine.isolatedCPUs.contains($0) } ?? false))
        }
        for cpu in busyCPUs.sorted() where runnersOnCPU[cpu, default: []].count > 1 {
            throw .busyPollOnSharedCPU(cpu: cpu, runners: runnersOnCPU[cpu]!)
        }
        for i in placements.indices {
            let p = placements[i]
            if p.runner.mode != .busyPoll, p.runner.cpu.map({ runnersOnCPU[$0, default: []].count > 1 }) ?? true {
                placements[i].runner.mode = .adaptiveShared  // floating or sharing a core
            }
        }
        for stage in StageName.allCases where placed[stage] == nil { throw .stageUnplaced(stage.rawValue) }
        self.placements = placements
        self.warnings = warnings
    }

    /// Parses `[[topology.runner]]` tables from TOML text and checks them against `machine`.
    /// - Throws: `TopologyError`.
    public init(toml: String, machine: Machine) throws(TopologyError) {
        struct File: Decodable { var topology: Section }
        struct Section: Decodable { var runner: [RunnerConfig] }
        let file: File
        do {
            file = try TOMLDecoder().decode(File.self, from: toml)
        } catch {
            throw .syntax(String(describing: error))
        }
        try self.init(runners: file.topology.runner, machine: machine)
    }

    /// The placement Gantry chooses when none is configured: each hot-path stage on an isolated CPU of its
    /// own, busy-polling, while isolated CPUs last; everything else fused on adaptive runners, hot stages on
    /// the last CPU and cold stages (journal, paper, metrics, bus) on the first.
    public static func automatic(for machine: Machine) -> [RunnerConfig] {
        var isolated = machine.cpus.filter { machine.isolatedCPUs.contains($0) }
        let shared = machine.cpus.filter { !machine.isolatedCPUs.contains($0) }
        var runners: [RunnerConfig] = []
        var leftoverHot: [String] = []
        for stage in StageName.hotPath {
            if !isolated.isEmpty {
                let cpu = isolated.removeFirst()
                runners.append(RunnerConfig(name: stage.rawValue, cpu: cpu, mode: "busy-poll", stages: [stage.rawValue]))
            } else {
                leftoverHot.append(stage.rawValue)
            }
        }
        let cold = StageName.allCases.filter { !StageName.hotPath.contains($0) }.map(\.rawValue)
        let pool = shared.isEmpty ? machine.cpus : shared
        if !leftoverHot.isEmpty {
            runners.append(RunnerConfig(name: "hot", cpu: pool.last, mode: "adaptive", stages: leftoverHot))
        }
        runners.append(RunnerConfig(name: "cold", cpu: pool.first, mode: "adaptive", stages: cold))
        return runners
    }

    /// A table for people: one line per runner.
    public func rendered() -> String {
        var lines = ["runner        cpu   node  isolated  mode                           stages"]
        for p in placements {
            let cpu = p.runner.cpu.map(String.init) ?? "float"
            let node = p.numaNode.map(String.init) ?? "-"
            lines.append(
                p.runner.name.padding(13) + " " + cpu.padding(5) + " " + node.padding(5) + " "
                    + (p.isolated ? "yes" : "no").padding(9) + " " + p.runner.mode.description.padding(30) + " "
                    + p.stages.map(\.rawValue).joined(separator: ", "))
        }
        for w in warnings { lines.append("warning: " + w) }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
