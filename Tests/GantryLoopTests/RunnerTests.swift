import Foundation
import GantryCore
import GantryLoop
import GantryRing
import Synchronization
import Testing

/// What a runner's thread observed about itself.
final class Observed: Sendable {
    let state = Mutex<(affinity: [Int], cpu: Int, tid: Int32, timerTids: Set<Int32>, ticks: Int, finished: Bool, events: Int)>(
        ([], -1, 0, [], 0, false, 0))
}

struct CountingStage: Stage, ~Copyable {
    var input: RingConsumer<UInt64>
    let observed: Observed
    var expected: UInt64 = 0

    mutating func poll() -> Int {
        var n = 0
        var ok = true
        var next = expected
        n = input.poll(upTo: 256) { batch in
            for v in batch {
                if v != next { ok = false }
                next = v + 1
            }
        }
        expected = next
        if n > 0 {
            observed.state.withLock { $0.events += ok ? n : -1_000_000_000 }
        }
        return n
    }

    mutating func finish() { observed.state.withLock { $0.finished = true } }
}

struct IdleStage: Stage {
    mutating func poll() -> Int { 0 }
}

func threadNames() -> [String] {
    let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
    return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
        .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
}

/// Whether thread `tid` of this process is still the runner named `name` (a thread id freed by a joined runner may
/// already be another thread's: thread ids wrap at pid_max, and other suites start threads meanwhile).
func isRunnerThread(_ tid: Int32, named name: String) -> Bool {
    let comm = (try? String(contentsOfFile: "/proc/self/task/\(tid)/comm", encoding: .utf8)) ?? ""
    return comm.trimmingCharacters(in: .whitespacesAndNewlines) == "g-" + name
}

/// Whether no thread named `name` is left in this process within `seconds`. pthread_join returns once the kernel has
/// cleared the exiting thread's id (in mm_release), which is before the task is reaped from /proc: a joined thread's
/// /proc entry may linger for a moment, so a test polls for it to go instead of reading /proc once.
func noRunnerThreadLeft(named name: String, tid: Int32? = nil, within seconds: Int = 2) -> Bool {
    let deadline = MonotonicClock.now() + .seconds(Int64(seconds))
    while true {
        let gone = !(tid.map { isRunnerThread($0, named: name) } ?? false) && !threadNames().contains("g-" + name)
        if gone { return true }
        if MonotonicClock.now() >= deadline { return false }
        usleep(1_000)
    }
}

func sleepMillis(_ ms: Int) { usleep(UInt32(ms * 1_000)) }

@Suite("Runners", .serialized)
struct RunnerTests {
    @Test("a runner is pinned to its CPU, as sched_getaffinity reports from inside and outside the thread")
    func pinned() throws {
        let cpu = Machine.current().cpus.last!
        let observed = Observed()
        let runner = try Runner(RunnerSpec(name: "pin-test", cpu: cpu, mode: .adaptiveDefault)) { _ in
            observed.state.withLock {
                $0.affinity = ThreadAffinity.current()
                $0.cpu = ThreadAffinity.currentCPU()
                $0.tid = ThreadAffinity.currentThreadId()
            }
            return IdleStage()
        }
        let seen = observed.state.withLock { $0 }
        #expect(seen.affinity == [cpu])
        #expect(seen.cpu == cpu)
        #expect(seen.tid == runner.threadId)
        #expect(ThreadAffinity.of(thread: runner.threadId) == [cpu])
        runner.stop()
    }

    @Test("a stopped runner leaves no thread behind and its stage finishes on its own thread")
    func stopLeavesNoThread() throws {
        let before = threadNames().filter { $0 == "g-no-leak" }.count
        #expect(before == 0)
        let observed = Observed()
        let ring = try Ring<UInt64>.spsc(capacity: 64)
        let input = Handoff(try ring.takeConsumer())
        var tid: Int32 = 0
        do {
            let runner = try Runner(RunnerSpec(name: "no-leak", cpu: nil, mode: .adaptiveDefault)) { _ in
                CountingStage(input: input.take()!, observed: observed)
            }
            tid = runner.threadId
            #expect(threadNames().filter { $0 == "g-no-leak" }.count == 1)
            #expect(isRunnerThread(tid, named: "no-leak"))
            runner.stop()
            #expect(noRunnerThreadLeft(named: "no-leak", tid: tid))
            runner.stop()  // idempotent
        }
        #expect(observed.state.withLock { $0.finished })
        // Dropping a runner without stop() also stops and joins it.
        do {
            let dropped = try Runner(RunnerSpec(name: "no-leak", cpu: nil, mode: .busyPoll)) { _ in IdleStage() }
            tid = dropped.threadId
        }
        #expect(noRunnerThreadLeft(named: "no-leak", tid: tid))
    }

    /// Forbidden outcome: a published event that a parked runner never wakes up for (a lost wake-up).
    @Test("a parked runner wakes for every publish through its doorbell; nothing is lost", arguments: [1, 7, 300])
    func doorbellWakesParkedRunner(burst: Int) throws {
        let observed = Observed()
        let ring = try Ring<UInt64>.spsc(capacity: 1_024)
        let input = Handoff(try ring.takeConsumer())
        let runner = try Runner(RunnerSpec(name: "doorbell", cpu: nil, mode: .adaptive(spins: 10, yields: 2))) { _ in
            CountingStage(input: input.take()!, observed: observed)
        }
        var producer = try ring.takeProducer()
        producer.attach(doorbell: runner.doorbell)
        var wait = SpinThenYield()
        var sent: UInt64 = 0
        // Each round: wait until the runner has parked again, then publish. Every round's events must be
        // consumed, each time by a runner woken from its park by the doorbell. A runner starved of CPU by a
        // loaded machine (the whole suite at once on two cores) may not be seen parked within the wait: most rounds
        // must start parked, every round must lose nothing.
        var parkedRounds = 0
        for _ in 0..<30 {
            let parkDeadline = MonotonicClock.now() + .seconds(5)
            while !runner.isParked && MonotonicClock.now() < parkDeadline { usleep(200) }
            if runner.isParked { parkedRounds += 1 }
            for _ in 0..<burst {
                producer.publish(sent, waiting: &wait)
                sent += 1
            }
            let deadline = MonotonicClock.now() + .seconds(5)
            while observed.state.withLock({ $0.events }) < Int(sent) && MonotonicClock.now() < deadline { usleep(100) }
            #expect(observed.state.withLock { $0.events } == Int(sent), "a parked runner missed a publish")
        }
        #expect(parkedRounds >= 20, "the runner parks when idle (\(parkedRounds) of 30 rounds started parked)")
        runner.stop()
    }

    @Test("timers fire on the runner's own thread at their interval")
    func timers() throws {
        let observed = Observed()
        let runner = try Runner(RunnerSpec(name: "timers", cpu: nil, mode: .adaptiveDefault)) { context in
            context.every(.milliseconds(10)) {
                let tid = ThreadAffinity.currentThreadId()
                observed.state.withLock {
                    $0.ticks += 1
                    $0.timerTids.insert(tid)
                }
            }
            return IdleStage()
        }
        sleepMillis(300)
        runner.stop()
        let seen = observed.state.withLock { $0 }
        #expect(seen.timerTids == [runner.threadId])
        #expect(seen.ticks >= 5 && seen.ticks <= 40, "got \(seen.ticks) ticks of 10 ms in 300 ms")
    }

    @Test("a CPU that does not exist is refused with the reason")
    func badCPU() {
        #expect(throws: RunnerError.pinFailed(cpu: 4_000, errno: 22)) {
            _ = try Runner(RunnerSpec(name: "bad-cpu", cpu: 4_000, mode: .adaptiveDefault)) { _ in IdleStage() }
        }
        #expect(noRunnerThreadLeft(named: "bad-cpu"))
    }
}
