import Foundation
import GantryCore
@testable import GantryLoop
import GantryRing
import Testing

/// Open descriptors of this process.
func openDescriptorCount() -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []).count
}

/// Threads of this process.
func threadCount() -> Int {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []).count
}

/// Forbidden outcome: a stopped runner that leaves its control object, its eventfd or its thread behind.
@Suite("Runner lifetime", .serialized)
struct RunnerLifetimeTests {
    @Test("starting and stopping 1,000 runners frees every control and eventfd and leaves no thread")
    func thousandRunners() throws {
        let descriptorsBefore = openDescriptorCount()
        let threadsBefore = threadCount()
        var controls: [Weak<RunnerControl>] = []
        var wakeups: [Weak<RunnerWakeup>] = []
        for k in 0..<1_000 {
            let runner = try Runner(RunnerSpec(name: "churn", cpu: nil, mode: .adaptiveDefault)) { _ in
                IdleStage()
            }
            controls.append(Weak(runner.control))
            wakeups.append(Weak(runner.control.wakeup))
            // A producer's copy of the doorbell, dropped with the runner.
            let doorbell = runner.doorbell
            doorbell.ringIfParked()
            if k % 3 == 0 { runner.stop() }  // and the rest stop when dropped
        }
        #expect(noRunnerThreadLeft(named: "churn"))
        #expect(controls.filter { $0.object != nil }.count == 0, "runner controls still alive")
        #expect(wakeups.filter { $0.object != nil }.count == 0, "runner eventfds still open")
        // Other suites run beside this one and open and close their own (tens at a time): a leak here would be 1,000
        // of each. The checks above are exact for these runners.
        let descriptorsAfter = openDescriptorCount()
        let threadsAfter = threadCount()
        #expect(descriptorsAfter <= descriptorsBefore + 64, "descriptors: \(descriptorsBefore) before, \(descriptorsAfter) after")
        #expect(threadsAfter <= threadsBefore + 64, "threads: \(threadsBefore) before, \(threadsAfter) after")
    }

    @Test("a doorbell that outlives its runner keeps the eventfd open until it is dropped, then closes it")
    func doorbellOutlivesRunner() throws {
        var doorbell: Doorbell?
        var wakeup = Weak<RunnerWakeup>(nil)
        var control = Weak<RunnerControl>(nil)
        var fd: Int32 = -1
        do {
            let runner = try Runner(RunnerSpec(name: "outlive", cpu: nil, mode: .adaptiveDefault)) { _ in IdleStage() }
            doorbell = runner.doorbell
            wakeup = Weak(runner.control.wakeup)
            control = Weak(runner.control)
            fd = runner.control.wakeup.fd
        }
        #expect(control.object == nil, "the stopped runner's control is freed")
        #expect(wakeup.object != nil, "the doorbell keeps its eventfd")
        #expect(fcntl(fd, F_GETFD) >= 0)
        doorbell?.ringIfParked()
        doorbell = nil
        #expect(wakeup.object == nil, "the last doorbell gone, the eventfd is closed")
    }
}

/// A weak reference, to see whether an object was freed.
struct Weak<T: AnyObject> {
    weak var object: T?
    init(_ object: T?) { self.object = object }
}
