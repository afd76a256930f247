import Foundation
import GantryLoop

/// One line of `gantry tune check`: what `Tuning/` sets, what this host has, and whether they agree.
public struct TuningItem: Sendable, Equatable {
    public enum Status: String, Sendable {
        case ok, differs
        /// The host does not expose it (no cpufreq in a VM, no isolated CPUs to check IRQs against).
        case unavailable
    }

    public var name: String
    public var expected: String
    public var found: String
    public var status: Status
}

/// Why `Tuning/`'s files could not be read.
public struct TuningCheckError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// `gantry tune check`: compares this host with `Tuning/` (its sysctl file and its kernel command line), reading
/// only `/proc` and `/sys`. The expectations come from the same files the operator installs, so editing them
/// (another CPU list, another busy-poll budget) changes what is checked.
public struct TuningCheck: Sendable {
    /// `key = value` of `99-gantry.conf`, in file order.
    public var sysctls: [(key: String, value: String)]
    /// `name=value` (or a bare `name`) of `GANTRY_KERNEL_ARGS` in `kernel-cmdline.cfg`, in order.
    public var kernelArguments: [(name: String, value: String?)]
    /// The CPUs `isolcpus=` names: where IRQs, deep C-states and packet steering must not be.
    public var isolatedCPUs: Set<Int>
    /// Exit latency (µs) above which an idle state counts as deep.
    public static let deepIdleMicroseconds = 10

    /// Reads `99-gantry.conf` and `kernel-cmdline.cfg` from `directory`. - Throws: `TuningCheckError` naming the file.
    public init(directory: String) throws(TuningCheckError) {
        func read(_ name: String) throws(TuningCheckError) -> String {
            do { return try String(contentsOfFile: directory + "/" + name, encoding: .utf8) } catch {
                throw TuningCheckError(description: "cannot read \(directory)/\(name): \(error.localizedDescription)")
            }
        }
        self.init(sysctlFile: try read("99-gantry.conf"), kernelCommandLineFile: try read("kernel-cmdline.cfg"))
    }

    /// Parses the two files' text (comments and blank lines skipped).
    public init(sysctlFile: String, kernelCommandLineFile: String) {
        sysctls = sysctlFile.split(separator: "\n").compactMap { line in
            let text = line.trimmingCharacters(in: .whitespaces)
            guard !text.hasPrefix("#"), !text.hasPrefix(";"), let eq = text.firstIndex(of: "=") else { return nil }
            return (key: String(text[..<eq]).trimmingCharacters(in: .whitespaces), value: String(text[text.index(after: eq)...]).trimmingCharacters(in: .whitespaces))
        }
        var arguments: [(name: String, value: String?)] = []
        for line in kernelCommandLineFile.split(separator: "\n") where line.hasPrefix("GANTRY_KERNEL_ARGS=") {
            for token in line.dropFirst("GANTRY_KERNEL_ARGS=".count).split(whereSeparator: { $0 == " " || $0 == "\"" }) {
                let parts = token.split(separator: "=", maxSplits: 1)
                arguments.append((name: String(parts[0]), value: parts.count == 2 ? String(parts[1]) : nil))
            }
        }
        kernelArguments = arguments
        isolatedCPUs = Machine.parseCPUList(arguments.first { $0.name == "isolcpus" }?.value ?? "")
    }

    /// Checks the host whose `/proc` and `/sys` are under `root` ("" for this one).
    /// - Returns: One item per sysctl, per kernel argument, then isolated CPUs, governor, C-states, IRQ affinity,
    ///   irqbalance, NIC packet steering and transparent huge pages.
    public func run(root: String = "") -> [TuningItem] {
        let host = HostFiles(root: root)
        var items: [TuningItem] = []
        for (key, value) in sysctls {
            let found = host.read("/proc/sys/" + key.replacingOccurrences(of: ".", with: "/")).map(Self.words)
            items.append(.init(name: "sysctl \(key)", expected: value, found: found ?? "absent", status: found == nil ? .unavailable : found == Self.words(value) ? .ok : .differs))
        }
        let cmdline = (host.read("/proc/cmdline") ?? "").split(separator: " ").map(String.init)
        for (name, value) in kernelArguments {
            let present = cmdline.filter { $0 == name || $0.hasPrefix(name + "=") }
            let found = present.last.map { $0.contains("=") ? String($0.split(separator: "=", maxSplits: 1)[1]) : "(set)" }
            let expected = value ?? "(set)"
            items.append(.init(name: "kernel \(name)", expected: expected, found: found ?? "absent", status: found == expected ? .ok : .differs))
        }
        let isolated = isolatedCPUs
        let want = Self.cpuList(isolated)
        let running = Machine.parseCPUList(host.read("/sys/devices/system/cpu/isolated") ?? "")
        items.append(.init(name: "isolated CPUs", expected: want, found: Self.cpuList(running), status: running == isolated ? .ok : .differs))
        items.append(governor(host))
        items.append(cStates(host, isolated))
        items.append(irqAffinity(host, isolated))
        let balancer = host.list("/proc").contains { pid in pid.allSatisfy(\.isNumber) && host.read("/proc/\(pid)/comm") == "irqbalance" }
        items.append(.init(name: "irqbalance", expected: "not running", found: balancer ? "running" : "not running", status: balancer ? .differs : .ok))
        items.append(packetSteering(host))
        if let thp = kernelArguments.first(where: { $0.name == "transparent_hugepage" })?.value {
            let line = host.read("/sys/kernel/mm/transparent_hugepage/enabled")
            let mode = line.flatMap { l in l.split(separator: " ").first { $0.hasPrefix("[") }.map { String($0.dropFirst().dropLast()) } }
            items.append(.init(name: "transparent huge pages", expected: thp, found: mode ?? "absent", status: mode == nil ? .unavailable : mode == thp ? .ok : .differs))
        }
        return items
    }

    func governor(_ host: HostFiles) -> TuningItem {
        var byGovernor: [String: Set<Int>] = [:]
        for cpu in host.cpus() {
            if let g = host.read("/sys/devices/system/cpu/cpu\(cpu)/cpufreq/scaling_governor") { byGovernor[g, default: []].insert(cpu) }
        }
        guard !byGovernor.isEmpty else { return .init(name: "CPU governor", expected: "performance", found: "no cpufreq", status: .unavailable) }
        let found = byGovernor.keys.sorted().map { "\($0) on \(Self.cpuList(byGovernor[$0]!))" }.joined(separator: "; ")
        return .init(name: "CPU governor", expected: "performance", found: found, status: byGovernor.keys.allSatisfy { $0 == "performance" } ? .ok : .differs)
    }

    func cStates(_ host: HostFiles, _ isolated: Set<Int>) -> TuningItem {
        let name = "C-states on isolated CPUs"
        let expected = "none deeper than \(Self.deepIdleMicroseconds) µs enabled"
        let cpus = isolated.intersection(host.cpus())
        guard !cpus.isEmpty else { return .init(name: name, expected: expected, found: "no isolated CPU on this host", status: .unavailable) }
        var sawIdle = false
        var deep: [String] = []
        for cpu in cpus.sorted() {
            let dir = "/sys/devices/system/cpu/cpu\(cpu)/cpuidle"
            for state in host.list(dir).filter({ $0.hasPrefix("state") }).sorted() {
                guard let latency = host.read("\(dir)/\(state)/latency").flatMap({ Int($0) }) else { continue }
                sawIdle = true
                if latency > Self.deepIdleMicroseconds && host.read("\(dir)/\(state)/disable") != "1" {
                    deep.append("cpu\(cpu) \(host.read("\(dir)/\(state)/name") ?? state) (\(latency) µs)")
                }
            }
        }
        guard sawIdle else { return .init(name: name, expected: expected, found: "no cpuidle", status: .unavailable) }
        return .init(name: name, expected: expected, found: deep.isEmpty ? "none enabled" : deep.joined(separator: ", "), status: deep.isEmpty ? .ok : .differs)
    }

    func irqAffinity(_ host: HostFiles, _ isolated: Set<Int>) -> TuningItem {
        let name = "IRQ affinity"
        let present = isolated.intersection(host.cpus())
        guard !present.isEmpty else { return .init(name: name, expected: "no IRQ on isolated CPUs", found: "no isolated CPU on this host", status: .unavailable) }
        let expected = "no IRQ on CPUs \(Self.cpuList(present))"
        let irqs = host.list("/proc/irq").filter { $0.allSatisfy(\.isNumber) }.sorted { Int($0)! < Int($1)! }
        guard !irqs.isEmpty else { return .init(name: name, expected: expected, found: "no /proc/irq", status: .unavailable) }
        let onIsolated = irqs.filter { irq in
            guard let list = host.read("/proc/irq/\(irq)/smp_affinity_list") else { return false }
            return !Machine.parseCPUList(list).isDisjoint(with: present)
        }
        let found = onIsolated.isEmpty ? "none of \(irqs.count) IRQs" : "\(onIsolated.count) of \(irqs.count) IRQs may run there (\(onIsolated.prefix(8).joined(separator: ", "))\(onIsolated.count > 8 ? ", …" : ""))"
        return .init(name: name, expected: expected, found: found, status: onIsolated.isEmpty ? .ok : .differs)
    }

    func packetSteering(_ host: HostFiles) -> TuningItem {
        let name = "NIC receive packet steering (rps_cpus)"
        var steered: [String] = []
        var queues = 0
        for nic in host.list("/sys/class/net").sorted() where nic != "lo" {
            for q in host.list("/sys/class/net/\(nic)/queues").filter({ $0.hasPrefix("rx-") }).sorted() {
                guard let mask = host.read("/sys/class/net/\(nic)/queues/\(q)/rps_cpus") else { continue }
                queues += 1
                if mask.contains(where: { $0 != "0" && $0 != "," }) { steered.append("\(nic)/\(q)=\(mask)") }
            }
        }
        guard queues > 0 else { return .init(name: name, expected: "off (0)", found: "no NIC queues", status: .unavailable) }
        return .init(name: name, expected: "off (0)", found: steered.isEmpty ? "off on \(queues) queue(s)" : steered.joined(separator: ", "), status: steered.isEmpty ? .ok : .differs)
    }

    /// Whitespace folded to single spaces (sysctls with several fields print them tab-separated).
    static func words(_ text: String) -> String { text.split(whereSeparator: \.isWhitespace).joined(separator: " ") }

    /// The kernel's CPU list format: [0, 1, 2, 5] → "0-2,5"; empty → "none".
    public static func cpuList(_ cpus: Set<Int>) -> String {
        var ranges: [String] = []
        var sorted = cpus.sorted()[...]
        while let first = sorted.popFirst() {
            var last = first
            while sorted.first == last + 1 { last = sorted.removeFirst() }
            ranges.append(first == last ? "\(first)" : "\(first)-\(last)")
        }
        return ranges.isEmpty ? "none" : ranges.joined(separator: ",")
    }
}

/// `/proc` and `/sys` under a root: files read trimmed (nil when absent or unreadable), directories listed.
struct HostFiles {
    var root: String

    func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: root + path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A directory the host does not have lists as empty: the item that needs it then says "unavailable".
    func list(_ path: String) -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: root + path)) ?? [] }

    /// The CPUs the kernel has online.
    func cpus() -> Set<Int> { Machine.parseCPUList(read("/sys/devices/system/cpu/online") ?? "") }
}
