import Foundation
import GantryEngine
import Testing

@Suite("gantry tune check: how a host differs from Tuning/")
struct TuningCheckTests {
    static let names = [
        "sysctl net.core.busy_read", "sysctl net.core.busy_poll", "sysctl vm.nr_hugepages", "kernel isolcpus", "kernel nohz_full", "kernel rcu_nocbs",
        "isolated CPUs", "CPU governor", "C-states on isolated CPUs", "IRQ affinity", "irqbalance", "NIC receive packet steering (rps_cpus)",
        "transparent huge pages",
    ]

    @Test("on this host it reads Tuning/ and names every item it checks")
    func thisHost() throws {
        let items = try TuningCheck(directory: "Tuning").run()
        for name in Self.names { #expect(items.contains { $0.name == name }, "no item \(name)") }
        // This host's kernel answers the sysctls (they are in /proc/sys everywhere Gantry runs).
        #expect(items.first { $0.name == "sysctl net.core.busy_read" }?.status != .unavailable)
    }

    /// Writes `files` (path → content) under a fresh directory standing for `/`.
    static func fakeHost(_ files: [String: String]) throws -> String {
        let root = NSTemporaryDirectory() + "gantry-tune-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        for (path, content) in files {
            let url = URL(fileURLWithPath: root + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("a host that differs in each item is reported item by item, and a tuned one is ok")
    func fake() throws {
        let check = TuningCheck(
            sysctlFile: "# busy poll\nnet.core.busy_read = 50\nnet.core.busy_poll = 50\n",
            kernelCommandLineFile: "GANTRY_KERNEL_ARGS=\"isolcpus=managed_irq,domain,2-3 nohz_full=2-3 transparent_hugepage=never\"\n")
        var files = [
            "/proc/sys/net/core/busy_read": "0\n", "/proc/sys/net/core/busy_poll": "50\n",
            "/proc/cmdline": "BOOT_IMAGE=/vmlinuz root=/dev/sda1 nohz_full=2-3\n",
            "/sys/devices/system/cpu/online": "0-3\n", "/sys/devices/system/cpu/isolated": "\n",
            "/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor": "performance\n",
            "/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor": "powersave\n",
            "/sys/devices/system/cpu/cpu2/cpuidle/state0/latency": "0\n", "/sys/devices/system/cpu/cpu2/cpuidle/state0/name": "POLL\n",
            "/sys/devices/system/cpu/cpu2/cpuidle/state2/latency": "133\n", "/sys/devices/system/cpu/cpu2/cpuidle/state2/name": "C6\n",
            "/sys/devices/system/cpu/cpu2/cpuidle/state2/disable": "0\n",
            "/proc/irq/24/smp_affinity_list": "0-3\n", "/proc/irq/25/smp_affinity_list": "0-1\n",
            "/proc/812/comm": "irqbalance\n",
            "/sys/class/net/eth0/queues/rx-0/rps_cpus": "0c\n",
            "/sys/kernel/mm/transparent_hugepage/enabled": "always [madvise] never\n",
        ]
        let status = { (items: [TuningItem]) in Dictionary(uniqueKeysWithValues: items.map { ($0.name, $0.status) }) }
        let bad = status(check.run(root: try Self.fakeHost(files)))
        #expect(bad["sysctl net.core.busy_read"] == .differs)
        #expect(bad["sysctl net.core.busy_poll"] == .ok)
        #expect(bad["kernel isolcpus"] == .differs)
        #expect(bad["kernel nohz_full"] == .ok)
        for name in ["isolated CPUs", "CPU governor", "C-states on isolated CPUs", "IRQ affinity", "irqbalance", "NIC receive packet steering (rps_cpus)", "transparent huge pages"] {
            #expect(bad[name] == .differs, "\(name)")
        }
        files["/proc/sys/net/core/busy_read"] = "50\n"
        files["/proc/cmdline"] = "root=/dev/sda1 isolcpus=managed_irq,domain,2-3 nohz_full=2-3 transparent_hugepage=never\n"
        files["/sys/devices/system/cpu/isolated"] = "2-3\n"
        files["/sys/devices/system/cpu/cpu2/cpufreq/scaling_governor"] = "performance\n"
        files["/sys/devices/system/cpu/cpu2/cpuidle/state2/disable"] = "1\n"
        files["/proc/irq/24/smp_affinity_list"] = "0-1\n"
        files["/proc/812/comm"] = "sshd\n"
        files["/sys/class/net/eth0/queues/rx-0/rps_cpus"] = "00\n"
        files["/sys/kernel/mm/transparent_hugepage/enabled"] = "always madvise [never]\n"
        let good = check.run(root: try Self.fakeHost(files))
        #expect(good.allSatisfy { $0.status == .ok }, "\(good.filter { $0.status != .ok })")
    }

    @Test("CPU lists print as the kernel writes them")
    func cpuList() {
        #expect(TuningCheck.cpuList([0, 1, 2, 5, 7, 8]) == "0-2,5,7-8")
        #expect(TuningCheck.cpuList([]) == "none")
    }
}
