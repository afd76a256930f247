import Foundation
import GantryCore
import Testing
import VenueSim

/// Pearson's correlation of two series.
func correlation(_ x: [Double], _ y: [Double]) -> Double {
    let n = Double(x.count)
    let mx = x.reduce(0, +) / n
    let my = y.reduce(0, +) / n
    var sxy = 0.0
    var sxx = 0.0
    var syy = 0.0
    for (a, b) in zip(x, y) {
        sxy += (a - mx) * (b - my)
        sxx += (a - mx) * (a - mx)
        syy += (b - my) * (b - my)
    }
    return sxy / (sxx * syy).squareRoot()
}

@Suite("Simulated chain: exchange flows lead the market's price, and only when asked to")
struct ChainLeadTests {
    /// Steps the simulator `blocks` blocks (no sockets), and for each block its net exchange inflow, the price's
    /// move over the block interval before it, and over the interval starting `lead` after it.
    func run(impactBp: Int64, leadMs: Int, blocks: Int, seed: UInt64) throws -> (net: [Double], before: [Double], after: [Double]) {
        let (sim, node) = try ChainFixture.make(blockMs: 100, impactBp: impactBp, leadMs: leadMs, seed: seed)
        let stepsPerBlock = 10
        let leadSteps = leadMs / 10
        var fair: [Int64] = [sim.markets[0].fair]
        var produced: [(step: Int, number: UInt64)] = []
        var lastHead = node.chain.head.number
        let steps = (blocks + 4) * stepsPerBlock + leadSteps
        for s in 1...steps {
            sim.step()
            fair.append(sim.markets[0].fair)
            if node.chain.head.number != lastHead {
                lastHead = node.chain.head.number
                produced.append((s, lastHead))
            }
        }
        var net: [Double] = []
        var before: [Double] = []
        var after: [Double] = []
        for (s, number) in produced where s - stepsPerBlock >= 0 && s + leadSteps + stepsPerBlock < fair.count {
            let flows = try #require(node.flows(block: number))
            net.append(flows.reduce(0.0) { $0 + Double($1.inflow) - Double($1.outflow) })
            before.append(Double(fair[s] - fair[s - stepsPerBlock]))
            after.append(Double(fair[s + leadSteps + stepsPerBlock] - fair[s + leadSteps]))
        }
        return (net, before, after)
    }

    @Test("With impact_bp and lead_ms set, a block's net inflow is followed (lead_ms later) by a fall, outflow by a rise; not preceded")
    func lead() throws {
        // 1 bp of the price (10 at 100,000) per 5 WBTC of net inflow, against a walk of about 6.3 a block.
        let on = try run(impactBp: 1, leadMs: 300, blocks: 2_000, seed: 11)
        let after = correlation(on.net, on.after)
        let before = correlation(on.net, on.before)
        print("net inflow vs the move lead_ms later: \(after); vs the move before the block: \(before)")
        #expect(on.net.count > 1_900)
        #expect(after < -0.3, "net inflow precedes a fall (correlation \(after))")
        #expect(abs(before) < 0.08, "the flow does not follow the price (correlation \(before))")
        let off = try run(impactBp: 0, leadMs: 300, blocks: 2_000, seed: 11)
        let none = correlation(off.net, off.after)
        #expect(abs(none) < 0.08, "without an impact the flows say nothing of the price (correlation \(none))")
    }

    @Test("A chain without an impact leaves the market exactly as without a chain, for the same seed")
    func offByDefault() throws {
        let (with, _) = try ChainFixture.make(blockMs: 50, seed: 5)
        let without = VenueSimulator(
            venues: [], markets: [MarketParameters(start: 100_000 * 100_000_000, volatilityPerSecond: 20 * 100_000_000, divergencesPerMinute: 0)],
            assignments: [], stepsPerSecond: 100, seed: 5)
        for _ in 0..<2_000 {
            with.step()
            without.step()
            #expect(with.markets[0].fair == without.markets[0].fair)
            if with.markets[0].fair != without.markets[0].fair { break }
        }
        #expect(with.chains[0].stats.blocks == 2_000 / 5)
    }

    @Test("[[chains]] in the simulator's TOML: read with its defaults, and a bad value named")
    func configuration() throws {
        let base = """
            seed = 3
            [[markets]]
            name = "BTC"
            start_price = "100000"
            [[venues]]
            name = "bybit"
            kind = "bybit"
            ws_port = 19101
            [[venues.instruments]]
            symbol = "BTCUSDT"
            market = "BTC"
            tick_size = "0.01"
            lot_size = "0.000001"
            price_scale = 2
            quantity_scale = 6
            [[chains]]
            name = "ethereum"
            ws_port = 19102
            token_address = "0x2260FAC5E5542a773Aa44fBCfeDf7C193bc2C599"
            exchange_addresses = ["0x28c6c06298d514db089934071355e5743bf21d60", "0x21a31ee1afc51d94c2efccaa2092ad1028285549"]
            market = "BTC"
            block_ms = 200
            lead_ms = 3000
            impact_bp = "0.5"
            flow_per_block = "12.5"
            """
        let c = try SimConfiguration(toml: base)
        let chain = try #require(c.chains.first)
        #expect(chain.wsPort == 19102 && chain.market == 0 && chain.parameters.decimals == 8)
        #expect(chain.parameters.flowPerBlock == 1_250_000_000 && chain.parameters.impactCentiBasisPoints == 50 && chain.parameters.leadMilliseconds == 3_000)
        #expect(chain.parameters.token == Hex.decode(Array("2260fac5e5542a773aa44fbcfedf7c193bc2c599".utf8)))
        #expect(chain.parameters.exchanges.count == 2 && chain.parameters.blockMilliseconds == 200 && chain.parameters.reorgEvery == 0)
        /// The configuration with one line of the chain's table replaced (the line of the same key).
        func variant(_ line: String) -> String {
            let key = line.split(separator: " ")[0]
            let parts = base.components(separatedBy: "[[chains]]")
            let chain = parts[1].split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix(key + " ") ? line : String($0) }
            return parts[0] + "[[chains]]" + chain.joined(separator: "\n")
        }
        for (bad, words) in [
            ("market = \"ETH\"", "market \"ETH\" is not a configured"), ("ws_port = 19101", "ws_port 19101"),
            ("token_address = \"0x12\"", "token_address 0x12 is not an address"), ("impact_bp = \"-1\"", "impact_bp"),
            ("exchange_addresses = []", "exchange_addresses is empty"),
        ] {
            do {
                _ = try SimConfiguration(toml: variant(bad))
                Issue.record("\(bad) was accepted")
            } catch {
                #expect(error.message.contains(words), "\(error.message) names \(words)")
            }
        }
    }
}
