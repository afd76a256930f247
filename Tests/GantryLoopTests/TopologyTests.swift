import GantryLoop
import Testing

@Suite("Topology plans")
struct TopologyTests {
    static let laptop = Machine(cpus: [0, 1], isolatedCPUs: [], nodeOfCPU: [0: 0, 1: 0], nodeCount: 1)
    static let server = Machine(
        cpus: Array(0..<16), isolatedCPUs: Set(2..<8),
        nodeOfCPU: Dictionary(uniqueKeysWithValues: (0..<16).map { ($0, $0 < 8 ? 0 : 1) }), nodeCount: 2)

    @Test("the kernel's CPU list format parses")
    func cpuList() {
        #expect(Machine.parseCPUList("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11])
        #expect(Machine.parseCPUList("") == [])
        #expect(Machine.parseCPUList("garbage") == [])
    }

    @Test("on a 2-core machine everything is fused on adaptive runners that yield early")
    func laptopAutomatic() throws {
        let plan = try TopologyPlan(runners: TopologyPlan.automatic(for: Self.laptop), machine: Self.laptop)
        #expect(plan.placements.map(\.runner.name) == ["hot", "cold"])
        #expect(plan.placements.allSatisfy { $0.runner.mode != .busyPoll })
        #expect(plan.placements[0].stages == StageName.hotPath)
        #expect(plan.placements[0].runner.cpu == 1)
        #expect(plan.placements[1].runner.cpu == 0)
        #expect(plan.placements[0].runner.mode == .adaptiveDefault)  // alone on CPU 1
        #expect(plan.warnings.isEmpty)
    }

    @Test("on a server hot-path stages get isolated CPUs of their own, busy-polling")
    func serverAutomatic() throws {
        let plan = try TopologyPlan(runners: TopologyPlan.automatic(for: Self.server), machine: Self.server)
        let hot = plan.placements.filter { $0.runner.mode == .busyPoll }
        #expect(hot.map(\.runner.cpu) == [2, 3, 4, 5, 6])
        #expect(hot.allSatisfy { $0.isolated && $0.stages.count == 1 && $0.numaNode == 0 })
        #expect(plan.placements.last?.runner.name == "cold")
    }

    @Test("a configuration file is checked against the machine")
    func fromTOML() throws {
        let toml = """
            [[topology.runner]]
            name = "feed"
            cpu = 2
            mode = "busy-poll"
            stages = ["feed", "book"]

            [[topology.runner]]
            name = "decide"
            cpu = 3
            mode = "busy-poll"
            stages = ["signal", "risk", "order-send"]

            [[topology.runner]]
            name = "cold"
            cpu = 9
            mode = "adaptive"
            stages = ["journal", "paper", "metrics", "bus"]
            """
        let plan = try TopologyPlan(toml: toml, machine: Self.server)
        #expect(plan.placements.count == 3)
        #expect(plan.placements[2].numaNode == 1)
        #expect(plan.rendered().contains("decide"))
    }

    static func runners(_ overrides: [RunnerConfig]) -> [RunnerConfig] {
        overrides + [RunnerConfig(name: "rest", cpu: 0, mode: "adaptive", stages: ["journal", "paper", "metrics", "bus"])]
    }

    @Test("busy-polling on a shared core is refused")
    func busyPollShared() {
        let r = Self.runners([
            RunnerConfig(name: "a", cpu: 1, mode: "busy-poll", stages: ["feed", "book"]),
            RunnerConfig(name: "b", cpu: 1, mode: "adaptive", stages: ["signal", "risk", "order-send"]),
        ])
        #expect(throws: TopologyError.busyPollOnSharedCPU(cpu: 1, runners: ["a", "b"])) {
            try TopologyPlan(runners: r, machine: Self.laptop)
        }
    }

    @Test("busy-polling a core the kernel does not isolate is allowed with a warning")
    func busyPollNotIsolated() throws {
        let r = Self.runners([RunnerConfig(name: "a", cpu: 1, mode: "busy-poll", stages: ["feed", "book", "signal", "risk", "order-send"])])
        let plan = try TopologyPlan(runners: r, machine: Self.laptop)
        #expect(plan.warnings.count == 1)
    }

    @Test("configuration mistakes name the runner or stage at fault")
    func mistakes() {
        let all = ["feed", "book", "signal", "risk", "order-send"]
        #expect(throws: TopologyError.unknownStage(runner: "a", stage: "fed")) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: 1, mode: "adaptive", stages: ["fed"])]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.stageUnplaced("order-send")) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: 1, mode: "adaptive", stages: Array(all.dropLast()))]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.stagePlacedTwice("feed")) {
            try TopologyPlan(
                runners: Self.runners([
                    RunnerConfig(name: "a", cpu: 1, mode: "adaptive", stages: all),
                    RunnerConfig(name: "b", cpu: 1, mode: "adaptive", stages: ["feed"]),
                ]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.cpuNotAvailable(runner: "a", cpu: 7, available: [0, 1])) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: 7, mode: "adaptive", stages: all)]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.unknownMode(runner: "a", mode: "spin")) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: 1, mode: "spin", stages: all)]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.busyPollUnpinned(runner: "a")) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: nil, mode: "busy-poll", stages: all)]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.self) { try TopologyPlan(toml: "[[topology.runner]]\nname = 3", machine: Self.laptop) }
    }

    @Test("numa_node: a runner whose node this machine lacks, or whose CPU is on another node, is refused")
    func numaNode() throws {
        let all = ["feed", "book", "signal", "risk", "order-send"]
        #expect(throws: TopologyError.numaNodeAbsent(runner: "a", node: 1, nodes: 1)) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: 1, mode: "adaptive", stages: all, numaNode: 1)]), machine: Self.laptop)
        }
        #expect(throws: TopologyError.cpuNotOnNode(runner: "a", cpu: 9, node: 0, actual: 1)) {
            try TopologyPlan(runners: Self.runners([RunnerConfig(name: "a", cpu: 9, mode: "adaptive", stages: all, numaNode: 0)]), machine: Self.server)
        }
        let text = "[[topology.runner]]\nname = \"a\"\ncpu = 9\nnuma_node = 1\nmode = \"adaptive\"\nstages = [\"feed\", \"book\", \"signal\", \"risk\", \"order-send\", \"journal\", \"paper\", \"metrics\", \"bus\"]\n"
        let plan = try TopologyPlan(toml: text, machine: Self.server)
        #expect(plan.placements[0].numaNode == 1)
    }
}
