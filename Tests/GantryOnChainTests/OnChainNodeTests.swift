import Foundation
import GantryCore
import GantryNet
import GantryOnChain
import GantryRing
import Testing
import VenueSim

@Suite("The on-chain adapter against VenueSim's node: flows equal the node's tally through reorgs, drops and bad input", .serialized)
struct OnChainNodeTests {
    @Test("Every sealed block's inflow and outflow per exchange equals what the node generated, each block sealed once")
    func flowsEqualTheNodesTally() throws {
        let h = try OnChainHarness()
        let up = h.pump(6) { h.sealings.count >= 60 }
        #expect(up, "60 blocks sealed within 6 s")
        h.settle()
        let range = h.compare("steady")
        let s = h.stage.stats
        #expect((range?.count ?? 0) >= 60)
        #expect(s.counted > 50 && s.notExchange > 0, "exchange transfers counted, wallet-to-wallet ones not (\(s))")
        #expect(s.malformed == 0 && s.nodeErrors == 0 && s.unknown == 0 && s.duplicates == 0 && s.overflows == 0)
        #expect(s.heads >= 60 && h.opens == 1)
        // Each block's events end with the last exchange, flagged; times are the headers'.
        let sealed = h.received.filter { $0.kind == .block }
        #expect(sealed.filter { $0.flags.contains(.lastOfBlock) }.count == sealed.count / 3)
        for e in sealed.prefix(30) {
            let block = try #require(h.node.chain.block(e.block))
            #expect(e.blockTime == Nanos.seconds(Int64(block.timestamp)))
        }
        #expect(h.stage.stats.events == h.received.count)
    }

    @Test("A log removed by a reorg takes its transfer back, and the replacement block's transfers count instead")
    func reorgReverses() throws {
        let h = try OnChainHarness(reorgEvery: 3)
        h.pump(6) { h.node.stats.reorgs >= 8 && h.sealings.count >= 40 }
        h.settle()
        #expect(h.node.stats.reorgs >= 8, "reorgs happened (\(h.node.stats.reorgs))")
        #expect(h.stage.stats.reversed > 0, "removed logs were taken back (\(h.stage.stats))")
        #expect(h.stage.stats.unmatchedRemovals == 0)
        #expect(h.received.contains { $0.kind == .amendment && $0.flags.contains(.reorg) }, "a reorg of a sealed block is an amendment")
        h.compare("through reorgs")
    }

    @Test("A dropped connection resubscribes and backfills the missed blocks with eth_getLogs: no block lost or counted twice")
    func reconnectBackfills() throws {
        let h = try OnChainHarness(reorgEvery: 5)
        h.pump(5) { h.sealings.count >= 20 }
        let before = h.stage.ledger.nextToSeal ?? 0
        // The node goes away for a while: blocks keep coming, nobody hears them.
        h.node.refuseConnections = true
        h.node.dropClients()
        h.pump(0.6)
        let missedThrough = h.node.chain.head.number
        #expect(missedThrough > before + 5, "blocks were made while the adapter was away")
        h.node.refuseConnections = false
        let caughtUp = h.pump(6) { h.opens >= 2 && (h.stage.ledger.nextToSeal ?? 0) > missedThrough + 5 }
        #expect(caughtUp, "reconnected and caught up")
        h.settle()
        let s = h.stage.stats
        #expect(h.opens >= 2 && s.disconnects >= 1)
        #expect(s.backfillRequests >= 2 && h.node.stats.getLogs == s.backfillRequests, "the gap was fetched in chunks of 4 blocks (\(s.backfillRequests))")
        // The backfill starts reorgDepth blocks below the first unsealed block: what it finds there was counted
        // already (a duplicate) or was reorganized away meanwhile (taken back).
        #expect(s.backfilledLogs > 0 && s.duplicates + s.sweptBack > 0, "the backfill overlapped what was counted before the drop")
        #expect(h.node.subscriptionCount == 2, "newHeads and logs subscribed again")
        #expect(h.received.contains { $0.flags.contains(.backfilled) })
        let range = h.compare("across the drop")
        #expect(range.map { $0.contains(before) && $0.contains(missedThrough) } == true)
    }

    @Test("A malformed message is counted and the stream goes on; an amount beyond 128 bits is flagged and left out")
    func malformedAndOversize() throws {
        let h = try OnChainHarness()
        h.pump(5) { h.sealings.count >= 10 }
        h.node.sendRaw("{not json")
        h.node.sendRaw(#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","result":{"number":"0xzz"}}}"#)
        h.node.sendRaw(#"{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0x1","#)
        // 2^128 + 1: a uint256 whose high half is set.
        h.node.injectTransfer(from: ChainSetup.wallet, to: ChainSetup.exchangeBytes[0], amount: 1, amountHigh: 1)
        let sealedBefore = h.sealings.count
        h.pump(5) { h.sealings.count >= sealedBefore + 20 }
        h.settle()
        let s = h.stage.stats
        #expect(s.malformed == 2, "the unreadable messages were counted (\(s.malformed), last \(String(describing: s.lastError)))")
        #expect(s.unknown == 1, "a well-formed notification of no subscription is unknown")
        #expect(s.oversize == 1, "the amount beyond 128 bits was flagged")
        #expect(h.opens == 1, "the stream was not dropped")
        h.compare("after bad input")
    }

    @Test("The runner: the adapter on a thread of its own publishes the same flows on its ring")
    func runner() throws {
        let h = try OnChainHarness()
        var feed = try OnChainFeedRunner(
            node: WebSocketEndpoint(address: "127.0.0.1", port: h.node.port, host: "node.test", path: "/", tls: nil, maxMessage: 8 << 20),
            settings: ChainSetup.settings)
        var sealed = 0
        var lastBlock: UInt64 = 0
        let deadline = MonotonicClock.now() + .seconds(6)
        while MonotonicClock.now() < deadline && sealed < 3 * 30 {
            _ = h.sim.poll()
            while let e = feed.events.tryConsume() {
                h.take(e)
                if e.kind == .block {
                    sealed += 1
                    #expect(e.block >= lastBlock, "blocks in order")
                    lastBlock = e.block
                }
            }
            usleep(200)
        }
        h.sim.paused = true
        let end = MonotonicClock.now() + .milliseconds(500)
        while MonotonicClock.now() < end {
            _ = h.sim.poll()
            while let e = feed.events.tryConsume() { h.take(e) }
            usleep(500)
        }
        feed.runner.stop()
        while let e = feed.events.tryConsume() { h.take(e) }
        #expect(sealed >= 90, "30 blocks of 3 exchanges within 6 s")
        let stats = try #require(feed.report.stats.withLock { $0 })
        #expect(stats.malformed == 0 && stats.sealedBlocks * 3 <= h.received.count)
        // Blocks the runner sealed before it stopped equal the node's.
        if let last = h.sealings.keys.max() { h.sealings[last] = nil }
        h.compare("on the runner")
    }
}
