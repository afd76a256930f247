import GantryCore

/// A venue's order budget, shared by every strategy: a token bucket (its rate per second, a burst of the same),
/// and three lanes served strictly in order — cancels and flattening first, then hedge legs, then new orders.
/// After the venue says "too many requests" (HTTP 429 and its kin) the budget backs off: until the venue's retry
/// time only the flatten lane moves, at one request per `backoffTrickle`. Fixed storage; no allocation.
public struct RateBudget<Item: BitwiseCopyable>: Sendable where Item: Sendable {
    public let perSecond: Int
    var tokens: Int64
    var refilled: Nanos
    /// Tokens × 10⁹ / perSecond: the time one token takes.
    let tokenTime: Int64
    var lanes: (LaneQueue<Item>, LaneQueue<Item>, LaneQueue<Item>)
    public private(set) var backoffUntil: Nanos = .zero
    public let backoffTrickle: Nanos
    var lastTrickle: Nanos = .zero
    /// Items refused because their lane was full (never silently: the caller treats the order as not sent).
    public private(set) var overflows = 0
    public private(set) var backoffs = 0

    public init(perSecond: Int, laneCapacity: Int = 1_024, backoffTrickle: Nanos = .milliseconds(100), now: Nanos) {
        precondition(perSecond > 0)
        self.perSecond = perSecond
        tokens = Int64(perSecond)
        refilled = now
        tokenTime = 1_000_000_000 / Int64(perSecond)
        lanes = (LaneQueue(capacity: laneCapacity), LaneQueue(capacity: laneCapacity), LaneQueue(capacity: laneCapacity))
        self.backoffTrickle = backoffTrickle
    }

    /// Queues `item` in `lane`. - Returns: false if the lane is full (the item is not queued).
    public mutating func enqueue(_ item: Item, lane: OrderLane) -> Bool {
        let ok: Bool
        switch lane {
        case .flatten: ok = lanes.0.push(item)
        case .hedge: ok = lanes.1.push(item)
        case .entry: ok = lanes.2.push(item)
        }
        if !ok { overflows += 1 }
        return ok
    }

    /// Items waiting, all lanes.
    public var queued: Int { lanes.0.count + lanes.1.count + lanes.2.count }

    /// The venue answered "too many requests": hold everything but the flatten lane until `until`.
    public mutating func backOff(until: Nanos) {
        backoffUntil = max(backoffUntil, until)
        backoffs += 1
    }

    /// The next item the budget lets go now, the flatten lane first; nil when nothing may go.
    public mutating func next(now: Nanos) -> Item? {
        refill(now)
        guard tokens > 0 else { return nil }
        if now < backoffUntil {
            guard !lanes.0.isEmpty, now - lastTrickle >= backoffTrickle else { return nil }
            lastTrickle = now
            tokens -= 1
            return lanes.0.pop()
        }
        let item: Item?
        if !lanes.0.isEmpty { item = lanes.0.pop() } else if !lanes.1.isEmpty { item = lanes.1.pop() } else { item = lanes.2.pop() }
        if item != nil { tokens -= 1 }
        return item
    }

    mutating func refill(_ now: Nanos) {
        let elapsed = now.raw - refilled.raw
        guard elapsed >= tokenTime else { return }
        let earned = elapsed / tokenTime
        tokens = min(Int64(perSecond), tokens + earned)
        refilled = Nanos(raw: refilled.raw + earned * tokenTime)
    }
}

/// A fixed-capacity first-in, first-out queue.
struct LaneQueue<Item: BitwiseCopyable>: Sendable where Item: Sendable {
    var items: [Item?]
    var head = 0
    var count = 0

    init(capacity: Int) { items = Array(repeating: nil, count: capacity) }

    var isEmpty: Bool { count == 0 }

    mutating func push(_ item: Item) -> Bool {
        guard count < items.count else { return false }
        items[(head + count) % items.count] = item
        count += 1
        return true
    }

    mutating func pop() -> Item? {
        guard count > 0 else { return nil }
        let item = items[head]
        items[head] = nil
        head = (head + 1) % items.count
        count -= 1
        return item
    }
}
