import GantryCore
import Glibc
import Logging
import Synchronization

/// Posts alerts as JSON to the `[alerts] webhook` on a thread of its own, so that the watching thread only
/// queues them (`send` never waits). Each alert is tried `attempts` times, the waits between tries doubling from
/// `backoff` (at most 10 s); the queue holds `capacity` alerts and drops (and counts) what comes past it. A 2xx
/// answer is a delivery; anything else, or no answer within 5 s, is a failed attempt (counted and logged).
public final class AlertWebhook: @unchecked Sendable {
    // @unchecked Sendable: `thread` is set and joined by the owner's thread only; everything the worker thread
    // shares with it is in the mutex or atomic; the semaphore is a C object made for use across threads.
    public let url: WebhookURL
    let capacity: Int
    let attempts: Int
    let backoff: Nanos
    let queue = Mutex<(items: [String], stopping: Bool)>(([], false))
    let wake: UnsafeMutablePointer<sem_t>
    var thread: pthread_t? = nil
    let logger = Logger(label: "gantry.alerts.webhook")

    /// Alerts delivered; given up after every attempt failed; dropped because the queue was full; failed attempts.
    public let delivered = Atomic<Int>(0)
    public let failed = Atomic<Int>(0)
    public let dropped = Atomic<Int>(0)
    public let failedAttempts = Atomic<Int>(0)

    /// Starts the delivery thread.
    public init(url: WebhookURL, capacity: Int = 256, attempts: Int = 5, backoff: Nanos = .milliseconds(200)) {
        self.url = url
        self.capacity = max(1, capacity)
        self.attempts = max(1, attempts)
        self.backoff = backoff
        wake = .allocate(capacity: 1)
        sem_init(wake, 0, 0)
        let me = Unmanaged.passRetained(self).toOpaque()
        var t = pthread_t()
        let r = pthread_create(&t, nil, { arg in
            let webhook = Unmanaged<AlertWebhook>.fromOpaque(arg!).takeRetainedValue()
            webhook.loop()
            return nil
        }, me)
        precondition(r == 0, "alert webhook: pthread_create failed (\(r))")
        thread = t
    }

    deinit {
        sem_destroy(wake)
        wake.deallocate()
    }

    /// Queues one alert's JSON. - Returns: false if the queue was full (the alert is dropped and counted).
    @discardableResult
    public func send(_ json: String) -> Bool {
        let queued = queue.withLock { q in
            guard q.items.count < capacity, !q.stopping else { return false }
            q.items.append(json)
            return true
        }
        if queued {
            sem_post(wake)
        } else {
            dropped.add(1, ordering: .relaxed)
            logger.error("alert webhook: queue full (\(capacity)), an alert was dropped", metadata: ["webhook": "\(url)"])
        }
        return queued
    }

    /// Alerts waiting (not yet delivered nor given up).
    public var waiting: Int { queue.withLock { $0.items.count } }

    /// Stops the thread after it has tried what is queued for at most `drain` more.
    public func stop(drain: Nanos = .seconds(2)) {
        guard let t = thread else { return }
        let deadline = MonotonicClock.now() + drain
        while waiting > 0 && MonotonicClock.now() < deadline { usleep(10_000) }
        queue.withLock { $0.stopping = true }
        sem_post(wake)
        pthread_join(t, nil)
        thread = nil
    }

    func loop() {
        while true {
            sem_wait(wake)
            // Stopping ends the thread (what is left was given its drain time); else the oldest alert.
            let (item, stopping) = queue.withLock { ($0.items.first, $0.stopping) }
            if stopping { return }
            guard let json = item else { continue }
            deliver(json)
            queue.withLock { q in if !q.items.isEmpty { q.items.removeFirst() } }
        }
    }

    /// Tries one alert until it is delivered, its attempts are used up, or the webhook stops.
    func deliver(_ json: String) {
        var wait = backoff
        for attempt in 1...attempts {
            let outcome: String
            do {
                let client = try ControlClient(url: url.base, token: nil)
                let r = try client.request("POST", url.path, body: Array(json.utf8), contentType: "application/json", timeout: 5)
                if (200..<300).contains(r.status) {
                    delivered.add(1, ordering: .relaxed)
                    return
                }
                outcome = "HTTP \(r.status)"
            } catch {
                outcome = "\(error)"
            }
            failedAttempts.add(1, ordering: .relaxed)
            let last = attempt == attempts
            logger.error("alert webhook: attempt \(attempt) of \(attempts) failed: \(outcome)\(last ? "; the alert is given up" : "")", metadata: ["webhook": "\(url)"])
            if last { break }
            // Waits on the semaphore, so that a stop cuts the backoff short; alerts queued meanwhile post it too,
            // which is why it is given back.
            if sleep(wait) { return }
            wait = min(wait + wait, .seconds(10))
        }
        failed.add(1, ordering: .relaxed)
    }

    /// Sleeps `d`, or less if the webhook stops. - Returns: whether it is stopping.
    func sleep(_ d: Nanos) -> Bool {
        let deadline = MonotonicClock.now() + d
        while MonotonicClock.now() < deadline {
            if queue.withLock({ $0.stopping }) { return true }
            usleep(UInt32(min(max((deadline - MonotonicClock.now()).raw / 1_000, 1), 20_000)))
        }
        return queue.withLock { $0.stopping }
    }
}
