import Foundation
import GantryCore
import GantryEngine
import GantryStrategy
import GantryTestSupport
import Testing

/// A market whose top-of-book imbalance leads its price: in a rising regime the bids are three times the asks and
/// the mid climbs 2 bp every 100 ms, in a falling one the reverse, in a quiet one neither. Something a small CNN
/// can learn, and that pays after a 1 bp taker fee.
enum LeadingImbalanceMarket {
    /// One venue (Binance), one instrument (BTCUSDT, the BTC/USDT pair), a 1 bp taker fee.
    static let venue = """
        [[venues]]
        name = "binance"
        kind = "binance"
        endpoint = "wss://stream.binance.com:9443/stream"
        taker_fee_bp = "1"

        [[venues.instruments]]
        symbol = "BTCUSDT"
        tick_size = "0.01"
        lot_size = "0.00001"
        price_scale = 2
        quantity_scale = 8
        pair = "BTC/USDT"

        """

    static func toml(weights: String, minAccuracy: String = "55", minPnL: String = "0", epochs: Int = 30) -> String {
        venue + """
        [[strategies]]
        name = "flow"
        kind = "flow_cnn"
        stage = "live"
        capital = "1000000"
        pair = "BTC/USDT"
        max_position = { "BTC/USDT" = "1" }
        weights = "\(weights)"
        threshold = "0.3"
        quantity = "0.01"
        sample_ms = 100
        hold_ms = 1000
        slippage_bp = "5"

        [risk]
        price_band_bp = "200"
        plausibility_bp = "400"
        max_book_age_ms = 3000

        [train]
        horizon_ms = 1000
        window = 16
        filters = 6
        kernel = 4
        epochs = \(epochs)
        held_out_pct = 30
        min_accuracy_pct = "\(minAccuracy)"
        min_pnl = "\(minPnL)"

        """
    }

    /// `seconds` of the market, one book message every 100 ms, from a seed.
    static func events(seconds: Int, seed: UInt64, configuration: TradingConfiguration) -> [MarketEvent] {
        let registry = configuration.market.registry
        let venue = registry.venue(named: "binance")!
        let instrument = registry.instrument(venue: venue, symbol: "BTCUSDT")!
        var x = seed
        func random(_ n: UInt64) -> Int64 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((x >> 33) % n)
        }
        var mid: Int64 = 10_000_000  // 100,000.00
        var regime: Int64 = 0
        var left = 0
        var top: (bid: Int64, ask: Int64) = (0, 0)
        var out: [MarketEvent] = []
        for step in 0..<(seconds * 10) {
            if left == 0 {
                regime = random(3) - 1
                left = 10 + Int(random(15))
            }
            left -= 1
            let time = Nanos.seconds(1_000) + .milliseconds(Int64(step) * 100)
            let bidSize = (regime > 0 ? 300_000_000 : 100_000_000) + random(20_000_000)
            let askSize = (regime < 0 ? 300_000_000 : 100_000_000) + random(20_000_000)
            // A snapshot first, then diffs: the old top levels removed, the new ones set.
            if step == 0 {
                out.append(MarketEvent(kind: .bookReset, venue: venue, instrument: instrument, flags: .snapshot, receiveTime: time))
            } else {
                out.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, price: Price(raw: top.bid), quantity: .zero, receiveTime: time))
                out.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, price: Price(raw: top.ask), quantity: .zero, receiveTime: time))
            }
            top = (mid - 50, mid + 50)
            let flags: MarketEventFlags = step == 0 ? .snapshot : []
            out.append(MarketEvent(kind: .levelChange, side: .buy, venue: venue, instrument: instrument, flags: flags, price: Price(raw: top.bid), quantity: Quantity(raw: bidSize), receiveTime: time))
            out.append(MarketEvent(kind: .levelChange, side: .sell, venue: venue, instrument: instrument, flags: flags, price: Price(raw: top.ask), quantity: Quantity(raw: askSize), receiveTime: time))
            out.append(MarketEvent(kind: .messageTimes, venue: venue, instrument: instrument, flags: .endOfMessage, receiveTime: time))
            // 2 bp a step with the regime, and ±0.5 bp of noise.
            mid += regime * mid / 5_000 + (random(101) - 50) * mid / 1_000_000
        }
        return out
    }

    /// Writes `events` as a `gantry record` directory's events.bin.
    static func record(_ events: [MarketEvent], into dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let recorder = try IngestRecorder.events(path: dir + "/events.bin")
        events.withUnsafeBufferPointer { recorder.record(events: $0) }
        recorder.close()
    }
}

@Suite("gantry train: the training set from recordings, the held-out gate, versioned weights files", .serialized)
struct FlowTrainerTests {
    typealias M = LeadingImbalanceMarket

    static func layout() throws -> TradingConfiguration {
        try TradingConfiguration(toml: M.toml(weights: "unused"), flowModels: .given(.zero(shape: .init(channels: 4, window: 16, filters: 6, kernel: 4))))
    }

    @Test("the training set samples the books as the strategy does: every 100 ms, returns and imbalance exact, labels the return 1 s ahead")
    func dataset() throws {
        let c = try Self.layout()
        let events = M.events(seconds: 5, seed: 1, configuration: c)
        var b = FlowDatasetBuilder(
            universe: c.universe, pair: c.universe.pair(named: "BTC/USDT")!.id, sampleInterval: .milliseconds(100), maximumBookAge: .seconds(2), horizon: .seconds(1))
        #expect(b.add(events: events) == 50)
        let s = b.samples
        #expect(s.allSatisfy { $0.segment == 0 } && s[1].time - s[0].time == .milliseconds(100))
        // Each sample sees the message received at its own time.
        #expect(s[0].row.midReturn == 0 && s[0].mid == 10_000_000)
        #expect(s[3].row.midReturn == FlowFeatureSampler.centiBasisPoints(from: s[2].mid, to: s[3].mid))
        let bid = events[1].quantity.raw
        let ask = events[2].quantity.raw
        #expect(events[1].side == .buy && events[2].side == .sell)
        #expect(s[0].row.imbalance == (bid - ask) * 10_000 / (bid + ask))
        #expect(s[0].label == FlowFeatureSampler.centiBasisPoints(from: s[0].mid, to: s[10].mid) && s[39].label != nil && s[40].label == nil)
        let csv = FlowDatasetBuilder.csv(s).split(separator: "\n")
        #expect(csv[0] == "segment,time_ns,mid,mid_return_cbp,imbalance_bp,net_inflow,outflow,label_cbp" && csv.count == 51 && csv[50].hasSuffix(",0,0,"))
        // A second recording is a new segment.
        b.add(events: events)
        #expect(b.samples.count == 100 && b.samples[50].segment == 1)
    }

    /// `gantry train` as the weekly timer runs it.
    static func train(config: String, data: [String], out: String) throws -> (status: Int32, output: String) {
        let binary = try #require(gantryExecutable(), "the gantry executable must be built first (make test builds it)")
        let run = try runToEnd(binary, ["train", "--config", config, "--out", out, "--data"] + data)
        print(run.output)
        return run
    }

    @Test("a retrain on a fresh recording writes new weights beside the old and records pass or fail; only a passed model is linked and loaded")
    func retrain() throws {
        let root = NSTemporaryDirectory() + "gantry-train-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let models = root + "/models"
        try FileManager.default.createDirectory(atPath: models, withIntermediateDirectories: true)
        let current = models + "/flow-cnn-current.json"
        let layout = try Self.layout()
        for (k, seed) in [11, 12, 13].enumerated() { try M.record(M.events(seconds: 90, seed: UInt64(seed), configuration: layout), into: root + "/day\(k + 1)") }
        try M.toml(weights: current).write(toFile: root + "/gateway.toml", atomically: true, encoding: .utf8)
        #expect(throws: ConfigurationError.self, "no model yet: the gateway refuses to start") { try TradingConfiguration(toml: M.toml(weights: current)) }

        // Day 1 trains, day 2 is held out.
        let first = try Self.train(config: root + "/gateway.toml", data: [root + "/day1", root + "/day2"], out: models)
        #expect(first.status == 0, "passes the gate: \(first.output)")
        let v1 = try #require(try FileManager.default.contentsOfDirectory(atPath: models).filter { $0.hasPrefix("flow-cnn-2") }.first)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: current) == v1)
        let m1 = try FlowModel.load(current)
        #expect(m1.file.validation.passed && m1.file.validation.when != nil && m1.file.validation.metrics["directional_accuracy_pct"]! >= 55)
        #expect(m1.file.validation.metrics["pnl_after_fees"]! >= 0 && m1.file.validation.metrics["fills"]! > 0)
        #expect(m1.file.training.data.contains("day1") && m1.file.training.data.contains("held out (\(root)/day2)"))
        let gateway = try TradingConfiguration(toml: M.toml(weights: current))
        guard case .flowCNN(let p) = gateway.strategies[0].spec else { Issue.record("not a flow_cnn strategy"); return }
        #expect(p.model.file == m1.file && p.threshold == 0.3 && p.sampleInterval == .milliseconds(100))
        let before = try Data(contentsOf: URL(fileURLWithPath: models + "/" + v1))

        // A fresh recording (day 3) is held out; days 1–2 train: a new file beside the old, other weights.
        let second = try Self.train(config: root + "/gateway.toml", data: [root + "/day1", root + "/day2", root + "/day3"], out: models)
        #expect(second.status == 0, "\(second.output)")
        let files = try FileManager.default.contentsOfDirectory(atPath: models).filter { $0.hasPrefix("flow-cnn-2") }.sorted()
        try #require(files.count == 2)
        let v2 = try #require(files.first { $0 != v1 })
        #expect(try Data(contentsOf: URL(fileURLWithPath: models + "/" + v1)) == before, "the old model is kept as it was")
        let m2 = try FlowModel.load(models + "/" + v2)
        #expect(m2.file.weights != m1.file.weights && m2.file.training.data.contains("held out (\(root)/day3)"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: current) == v2)

        // A gate no model can pass: the file records the failure, is not linked, and neither loads nor starts a gateway.
        try M.toml(weights: current, minPnL: "1000000").write(toFile: root + "/strict.toml", atomically: true, encoding: .utf8)
        let third = try Self.train(config: root + "/strict.toml", data: [root + "/day1", root + "/day2", root + "/day3"], out: models)
        #expect(third.status == 3 && third.output.contains("validation FAILED"))
        let v3 = try #require(try FileManager.default.contentsOfDirectory(atPath: models).first { $0.hasPrefix("flow-cnn-2") && $0 != v1 && $0 != v2 })
        let failed = try FlowModelFile.read(models + "/" + v3)
        #expect(!failed.validation.passed && failed.validation.note.contains("PnL") && failed.validation.gate["min_pnl_after_fees"] == 1_000_000)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: current) == v2, "the link stays on the last model that passed")
        #expect(throws: FlowModelError.self) { _ = try FlowModel.load(models + "/" + v3) }
        let candidate = try FlowModel.loadCandidate(models + "/" + v3)
        #expect(candidate.failedValidation)
        #expect(throws: ConfigurationError.self, "not even as a given model") { try TradingConfiguration(toml: M.toml(weights: ""), flowModels: .given(candidate)) }
        do {
            _ = try TradingConfiguration(toml: M.toml(weights: models + "/" + v3))
            Issue.record("a gateway configured with a failed model was accepted")
        } catch {
            #expect("\(error)".contains("strategy flow: weights cannot be used") && "\(error)".contains("validation did not pass"), "\(error)")
        }
    }

    @Test("a single recording is cut in time: the last part is held out and backtested from a snapshot of the books at the cut; a file path is written as given")
    func singleRecording() throws {
        let root = NSTemporaryDirectory() + "gantry-train1-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try M.record(M.events(seconds: 120, seed: 21, configuration: try Self.layout()), into: root + "/today")
        try M.toml(weights: root + "/flow.json", minAccuracy: "50").write(toFile: root + "/gateway.toml", atomically: true, encoding: .utf8)
        let run = try Self.train(config: root + "/gateway.toml", data: [root + "/today"], out: root + "/flow.json")
        #expect(run.output.contains("one recording of 119.9 s cut in time: the first 70% for training, the last 30% held out"))
        let file = try FlowModelFile.read(root + "/flow.json")
        #expect(file.validation.when != nil && file.validation.metrics["held_out_rows"]! >= 350 && file.validation.metrics["orders"]! > 0)
        #expect(run.status == (file.validation.passed ? 0 : 3))
        #expect(!FileManager.default.fileExists(atPath: root + "/flow-cnn-current.json"), "a file path gets no link")
    }
}
