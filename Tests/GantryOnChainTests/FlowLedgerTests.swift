import GantryCore
import GantryOnChain
import Testing

let exchangeA = EthereumAddress(high: 0xA, middle: 0xA, low: 0xA)
let exchangeB = EthereumAddress(high: 0xB, middle: 0xB, low: 0xB)
let someWallet = EthereumAddress(high: 0x1, middle: 0x1, low: 0x1)

/// A transfer log of block `block` (hash `hash`), index `index`.
func log(_ block: UInt64, _ index: UInt64, from: EthereumAddress = someWallet, to: EthereumAddress = exchangeA, amount: UInt128 = 100,
    hash: UInt64 = 0xAAAA, removed: Bool = false) -> NodeLog {
    NodeLog(
        address: EthereumAddress(high: 0x22, middle: 0, low: 0), isTransfer: true, from: from, to: to, amount: amount, amountHigh: 0, block: block,
        blockHash: hash &+ block, logIndex: index, removed: removed, blockTimestamp: 0)
}

func head(_ n: UInt64) -> NodeHead { NodeHead(number: n, timestamp: 1_700_000_000 + n, hash: 0xAAAA &+ n) }

@Suite("FlowLedger: exchange flows per block, sealed in order, amended exactly")
struct FlowLedgerTests {
    func ledger() -> FlowLedger {
        var l = FlowLedger(tokens: 1, exchanges: [[exchangeA], [exchangeB]], window: 16, maxLogs: 8, sealDelay: .milliseconds(100))
        l.start(at: 10)
        return l
    }

    @Test("Transfers to and from exchange addresses are inflow and outflow; a block seals after its header's delay or at the next header")
    func sealing() {
        var l = ledger()
        #expect(l.apply(token: 0, log(10, 0), at: .zero) == .counted)
        #expect(l.apply(token: 0, log(10, 1, from: exchangeA, to: exchangeB, amount: 30), at: .zero) == .counted)
        #expect(l.apply(token: 0, log(10, 2, to: someWallet), at: .zero) == .notExchange)
        l.head(head(10), at: .milliseconds(1))
        #expect(l.seal(now: .milliseconds(50)) == 0, "not before the seal delay")
        #expect(l.seal(now: .milliseconds(101)) == 1)
        #expect(l.events.map(\.kind) == [.block, .block])
        #expect(l.events[0].inflow == 100 && l.events[0].outflow == 30 && l.events[0].transfers == 2 && l.events[0].exchange == 0)
        #expect(l.events[1].inflow == 30 && l.events[1].outflow == 0 && l.events[1].flags.contains(.lastOfBlock))
        #expect(l.events[0].blockTime == .seconds(1_700_000_010))
        l.events.removeAll()
        // A header two blocks on seals 11 (never heard of: zeros) at once, and 12 waits.
        l.head(head(12), at: .milliseconds(200))
        #expect(l.seal(now: .milliseconds(201)) == 1 && l.events.allSatisfy { $0.block == 11 && $0.inflow == 0 })
    }

    @Test("A late log, a removed log and a repeated log of a sealed block: an amendment, a reversal, nothing")
    func amendments() {
        var l = ledger()
        _ = l.apply(token: 0, log(10, 0), at: .zero)
        l.head(head(11), at: .zero)
        l.seal(now: .zero)
        l.events.removeAll()
        #expect(l.apply(token: 0, log(10, 5, amount: 7), at: .zero) == .counted)
        #expect(l.events == [FlowEvent(kind: .amendment, block: 10, token: 0, exchange: 0, inflow: 7, outflow: 0, transfers: 1, blockTime: .zero, receiveTime: .zero)])
        #expect(l.apply(token: 0, log(10, 0), at: .zero) == .duplicate)
        #expect(l.apply(token: 0, log(10, 0, removed: true), at: .zero) == .reversed)
        #expect(l.events.last?.inflow == -100 && l.events.last?.flags == [.reorg])
        #expect(l.apply(token: 0, log(10, 0, removed: true), at: .zero) == .unmatchedRemoval)
        // The same index in another block (a reorg's replacement) is another log.
        #expect(l.apply(token: 0, log(10, 0, hash: 0xBBBB), at: .zero) == .counted)
        #expect(l.apply(token: 0, log(9, 0), at: .zero) == .tooOld, "before the first block")
    }

    @Test("A backfill pass counts what it repeats once and takes back what the chain no longer has")
    func sweep() {
        var l = ledger()
        _ = l.apply(token: 0, log(10, 0), at: .zero)
        _ = l.apply(token: 0, log(10, 1, amount: 5), at: .zero)
        _ = l.apply(token: 0, log(11, 0, from: exchangeB, to: someWallet), at: .zero)
        // The pass finds 10/0 again and a new 11/3, but not 10/1 nor 11/0.
        #expect(l.apply(token: 0, log(10, 0), mark: 1, flags: .backfilled, at: .zero) == .duplicate)
        #expect(l.apply(token: 0, log(11, 3, amount: 9), mark: 1, flags: .backfilled, at: .zero) == .counted)
        #expect(l.sweep(from: 10, through: 11, mark: 1, at: .zero) == 2)
        l.backfilledThrough = 11
        #expect(l.seal(now: .zero) == 2)
        #expect(l.events.map { "\($0.block) \($0.exchange) \($0.inflow) \($0.outflow)" } == ["10 0 100 0", "10 1 0 0", "11 0 9 0", "11 1 0 0"])
    }

    @Test("Sealing waits below sealBelow; a block too far ahead of the window is refused, not mixed with another")
    func limits() {
        var l = ledger()
        l.sealBelow = 11
        l.head(head(14), at: .zero)
        #expect(l.seal(now: .seconds(1)) == 1 && l.nextToSeal == 11)
        l.sealBelow = nil
        #expect(l.apply(token: 0, log(11, 0), at: .zero) == .counted)
        #expect(l.apply(token: 0, log(11 + 16, 0), at: .zero) == .overflow, "its slot holds block 11, unsealed")
        for k in 0..<8 { _ = l.apply(token: 0, log(12, UInt64(k)), at: .zero) }
        #expect(l.apply(token: 0, log(12, 9), at: .zero) == .overflow, "the block's table is full")
    }
}

@Suite("FlowEvent's layout")
struct FlowEventLayoutTests {
    @Test("A FlowEvent is one 64-byte cache line")
    func size() {
        #expect(MemoryLayout<FlowEvent>.size == 64 && MemoryLayout<FlowEvent>.stride == 64 && MemoryLayout<FlowEvent>.alignment == 16)
    }
}

@Suite("FlowFeatures: the last N blocks' net flow per exchange")
struct FlowFeaturesTests {
    func event(_ kind: FlowEventKind, _ block: UInt64, _ exchange: UInt16, _ inflow: Int128, _ outflow: Int128 = 0) -> FlowEvent {
        FlowEvent(kind: kind, block: block, token: 0, exchange: exchange, inflow: inflow, outflow: outflow, transfers: 1, blockTime: .zero, receiveTime: .zero)
    }

    @Test("Sealed blocks set values, skipped blocks are zero, amendments add, old ones expire; the series reads oldest first")
    func window() {
        var f = FlowFeatures(exchanges: 2, blocks: 4, tokenDecimals: 8, scale: 4)
        f.push(event(.block, 100, 0, 5_0000_0000, 1_0000_0000))
        f.push(event(.block, 100, 1, 0, 2_0000_0000))
        f.push(event(.block, 102, 0, 3_0000_0000))
        f.push(event(.amendment, 100, 0, -1_0000_0000))
        #expect(f.latest == 102)
        #expect(f.value(exchange: 0, blocksAgo: 0) == 3_0000 && f.value(exchange: 0, blocksAgo: 1) == 0 && f.value(exchange: 0, blocksAgo: 2) == 3_0000)
        #expect(f.value(exchange: 1, blocksAgo: 2) == -2_0000)
        var out = [Int64](repeating: 7, count: 5)
        out.withUnsafeMutableBufferPointer { f.series(exchange: 0, into: $0) }
        #expect(out == [0, 0, 3_0000, 0, 3_0000])
        f.push(event(.block, 110, 0, 1))
        #expect(f.value(exchange: 0, blocksAgo: 3) == 0 && f.value(exchange: 1, blocksAgo: 0) == 0, "the whole window moved on")
        f.push(event(.amendment, 100, 0, 1))
        #expect(f.expired == 1)
        f.push(event(.block, 111, 0, Int128(Int64.max) * 100_000))
        #expect(f.clamped == 1 && f.value(exchange: 0, blocksAgo: 0) == .max)
    }
}
