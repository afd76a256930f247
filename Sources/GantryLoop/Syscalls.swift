// Every C call of GantryLoop passes through this file.
import CGantry
import CUV

#if canImport(Glibc)
import Glibc
#endif

enum Sys {
    static func pin(toCPU cpu: Int) -> Int32 { gantry_pin_current_thread(Int32(cpu)) }

    static func allow(cpus: [Int]) {
        let list = cpus.map(Int32.init)
        _ = gantry_allow_cpus(list, Int32(list.count))
    }

    static func affinity(ofThread tid: Int32) -> [Int] {
        var cpus = [Int32](repeating: 0, count: 1024)
        let n = gantry_thread_affinity(tid, &cpus, Int32(cpus.count))
        return n < 0 ? [] : cpus[0..<Int(n)].map(Int.init)
    }

    static func currentCPU() -> Int { Int(gantry_current_cpu()) }
    static func threadId() -> Int32 { gantry_gettid() }
    static func setThreadName(_ name: String) { _ = name.withCString { gantry_set_thread_name($0) } }

    static func eventfd() -> Int32 { gantry_eventfd_create() }
    static func signal(eventfd fd: Int32) { _ = gantry_eventfd_signal(fd) }
    static func drain(eventfd fd: Int32) { _ = gantry_eventfd_drain(fd) }
    static func close(_ fd: Int32) { _ = Glibc.close(fd) }
    static func cpuRelax() { gantry_cpu_relax() }
    static func yield() { _ = sched_yield() }

    static func uvError(_ code: Int32) -> String { String(cString: uv_strerror(code)) }
}
