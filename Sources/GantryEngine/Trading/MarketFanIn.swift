import GantryCore
import GantryRing

/// One reader of several venues' event rings (each venue's feed runner publishes on its own ring): a stage that
/// needs every venue's market data polls them in turn. Holds its consumers in one allocation made at init.
public struct MarketFanIn: ~Copyable {
    let consumers: UnsafeMutablePointer<RingConsumer<MarketEvent>>
    /// Events each ring handed over in the last `poll`.
    let taken: UnsafeMutablePointer<Int>
    public let count: Int

    /// - Parameter consumers: Each takes its ring's consumer; called `count` times, with 0, 1, ….
    public init(count: Int, _ take: (Int) throws -> RingConsumer<MarketEvent>) rethrows {
        self.count = count
        consumers = .allocate(capacity: max(count, 1))
        taken = .allocate(capacity: max(count, 1))
        taken.initialize(repeating: 0, count: max(count, 1))
        var made = 0
        do {
            for k in 0..<count {
                (consumers + k).initialize(to: try take(k))
                made += 1
            }
        } catch {
            consumers.deinitialize(count: made)
            consumers.deallocate()
            taken.deallocate()
            throw error
        }
    }

    deinit {
        consumers.deinitialize(count: count)
        consumers.deallocate()
        taken.deallocate()
    }

    /// Hands each ring's ready events to `body`, up to `maxCount` per ring. - Returns: events handed over.
    public mutating func poll(upTo maxCount: Int, _ body: (UnsafeBufferPointer<MarketEvent>) -> Void) -> Int {
        var n = 0
        for k in 0..<count {
            let m = consumers[k].poll(upTo: maxCount, body)
            taken[k] = m
            n += m
        }
        return n
    }

    /// Events ring `k` handed over in the last `poll`.
    public func taken(fromRing k: Int) -> Int { taken[k] }
}
