import Foundation
import GantryCore
import GantryStrategy
import GantryTestSupport
import Testing

/// Runs `Tools/train_flow_cnn.py` with the test virtualenv's Python (make test installs numpy there).
enum TrainingScript {
    static var root: String { FileManager.default.currentDirectoryPath }

    static func run(_ arguments: [String]) throws -> String {
        let python = root + "/.venv/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "make test creates .venv with numpy (scripts/install-peers.sh)")
        let (status, text) = try runToEnd(python, [root + "/Tools/train_flow_cnn.py"] + arguments)
        try #require(status == 0, "train_flow_cnn.py \(arguments.first ?? ""): \(text)")
        return text
    }

    static func temporaryDirectory(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "gantry-\(name)-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

@Suite("The flow model: Swift inference against the training script, the weights file and what loading refuses")
struct FlowModelTests {
    /// A small training set with a learnable pattern: the label follows the imbalance of the last rows.
    static func syntheticCSV(rows: Int = 400, seed: UInt64 = 9) -> String {
        var x = seed
        func next() -> Int64 {
            x = x &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64(x >> 44) - (1 << 19)
        }
        var out = "segment,time_ns,mid,mid_return_cbp,imbalance_bp,net_inflow,outflow,label_cbp\n"
        for t in 0..<rows {
            let imbalance = next() % 10_000
            let label = t + 3 < rows ? "\(imbalance / 4 + next() % 500)" : ""
            out += "\(t / 200),\(t * 100_000_000),10000000,\(next() % 300),\(imbalance),\(next() % 1_000),\(abs(next()) % 700),\(label)\n"
        }
        return out
    }

    @Test("Swift inference (the window path and the raw path) matches the training script's outputs on its fixture to 1e-6")
    func matchesScript() throws {
        let dir = try TrainingScript.temporaryDirectory("fixture")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.syntheticCSV().write(toFile: dir + "/train.csv", atomically: true, encoding: .utf8)
        _ = try TrainingScript.run([
            "train", "--csv", dir + "/train.csv", "--out", dir + "/w.json", "--window", "12", "--filters", "6", "--kernel", "4", "--epochs", "5", "--seed", "3",
        ])
        _ = try TrainingScript.run(["fixture", "--weights", dir + "/w.json", "--out", dir + "/fixture.json", "--cases", "24"])
        struct Fixture: Decodable {
            struct Case: Decodable {
                var raw: [[Int64]]
                var output: Double
            }
            var cases: [Case]
        }
        let fixture = try JSONDecoder().decode(Fixture.self, from: try Data(contentsOf: URL(fileURLWithPath: dir + "/fixture.json")))
        let model = try FlowModel.loadCandidate(dir + "/w.json")
        #expect(model.shape == .init(channels: 4, window: 12, filters: 6, kernel: 4))
        #expect(fixture.cases.count == 24 && Set(fixture.cases.map { ($0.output * 1e6).rounded() }).count > 12, "varied outputs")
        var inference = FlowInference(model: model)
        var worst = 0.0
        for c in fixture.cases {
            worst = max(worst, abs(model.predict(raw: c.raw) - c.output))
            var window = FlowFeatureWindow(length: 12)
            for t in 0..<12 { window.push(FlowFeatureRow(midReturn: c.raw[0][t], imbalance: c.raw[1][t], netInflow: c.raw[2][t], outflow: c.raw[3][t])) }
            worst = max(worst, abs(inference.run(window) - c.output))
        }
        print("flow model: largest difference from the script over \(fixture.cases.count) cases: \(worst)")
        #expect(worst < 1e-6)
    }

    /// A valid file of a hand-made model (passed validation unless told otherwise).
    static func file(passed: Bool = true) -> FlowModelFile {
        var f = FlowModel.zero(shape: .init(channels: 4, window: 4, filters: 2, kernel: 2)).file
        f.weights.convWeight = [[[0, 0], [1, 1], [0, 0], [0, 0]], [[0, 0], [-1, -1], [0, 0], [0, 0]]]
        f.weights.denseWeight = [1, -1]
        f.scaling.std = [1, 10_000, 1, 1]
        f.validation = .init(passed: passed, when: "2026-12-07T00:00:00Z", metrics: ["directional_accuracy_pct": 61], gate: ["min_directional_accuracy_pct": 52], note: "test")
        return f
    }

    @Test("a file written and read back gives the same model; a validated one loads for trading")
    func roundTrip() throws {
        let dir = try TrainingScript.temporaryDirectory("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var f = Self.file()
        f.weights.convBias = [0.1 + 0.2, 1.0 / 3.0]
        try f.write(dir + "/m.json")
        #expect(try FlowModelFile.read(dir + "/m.json") == f, "every number round-trips exactly")
        let m = try FlowModel.load(dir + "/m.json")
        #expect(m.predict(raw: [[0, 0, 0, 0], [5_000, 5_000, 5_000, 5_000], [0, 0, 0, 0], [0, 0, 0, 0]]) > 0.5)
    }

    @Test("loading refuses a model that failed or never ran validation, another format version, a wrong shape, malformed numbers, other channels")
    func refusals() throws {
        let dir = try TrainingScript.temporaryDirectory("refusals")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func attempt(_ f: FlowModelFile) throws -> FlowModelError? {
            try f.write(dir + "/m.json")
            do { _ = try FlowModel.load(dir + "/m.json") } catch { return error }
            return nil
        }
        func attempt(text: String) throws -> FlowModelError? {
            try text.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
            do { _ = try FlowModel.load(dir + "/t.json") } catch { return error }
            return nil
        }
        #expect(try attempt(Self.file()) == nil)
        let failed = try attempt(Self.file(passed: false))
        guard case .notValidated = failed else { Issue.record("a failed model loaded: \(String(describing: failed))"); return }
        #expect("\(failed!)".contains("validation did not pass") && "\(failed!)".contains("directional_accuracy_pct 61.0"))
        var never = Self.file(passed: false)
        never.validation.when = nil
        #expect(try attempt(never).map { "\($0)" }?.contains("never validated") == true)
        #expect(throws: FlowModelError.self) { _ = try FlowModel.loadCandidate(dir + "/m.json", channelNames: ["a", "b", "c", "d"]) }

        var version = Self.file()
        version.formatVersion = 2
        guard case .format = try attempt(version) else { Issue.record("format version 2 was read"); return }
        var shape = Self.file()
        shape.weights.convWeight[1] = [[0, 0], [1, 1], [0, 0]]
        guard case .shape(_, let why) = try attempt(shape) else { Issue.record("a wrong conv_weight shape was read"); return }
        #expect(why.contains("conv_weight is not [2][4][2]"))
        var window = Self.file()
        window.shape.kernel = 9
        guard case .shape = try attempt(window) else { Issue.record("a kernel wider than the window was read"); return }
        var deviation = Self.file()
        deviation.scaling.std[2] = 0
        guard case .malformed(_, let stdWhy) = try attempt(deviation) else { Issue.record("std 0 was read"); return }
        #expect(stdWhy.contains("scaling.std[2]"))

        var good = Self.file()
        good.weights.denseBias = 0.25
        try good.write(dir + "/m.json")
        let text = try String(contentsOfFile: dir + "/m.json", encoding: .utf8)
        #expect(text.contains("0.25"))
        guard case .malformed(_, let stringWhy) = try attempt(text: text.replacingOccurrences(of: "0.25", with: "\"0.25\"")) else {
            Issue.record("a number written as a string was read"); return
        }
        #expect(stringWhy.contains("dense_bias"))
        guard case .malformed = try attempt(text: text.replacingOccurrences(of: "0.25", with: "NaN")) else { Issue.record("NaN was read"); return }
        guard case .malformed = try attempt(text: text.replacingOccurrences(of: "0.25", with: "1e999")) else { Issue.record("an infinite number was read"); return }
        guard case .malformed = try attempt(text: String(text.dropLast(20))) else { Issue.record("a truncated file was read"); return }
        #expect(throws: FlowModelError.unreadable(path: dir + "/absent.json")) { _ = try FlowModel.load(dir + "/absent.json") }
    }

    @Test("the feature window reads oldest first and scales each channel; the sampler's return is exact in hundredths of a basis point")
    func featureWindow() {
        var w = FlowFeatureWindow(length: 3)
        for k in 1...5 { w.push(FlowFeatureRow(midReturn: Int64(k), imbalance: Int64(10 * k), netInflow: 0, outflow: -Int64(k))) }
        #expect(w.isFull && (0..<3).map { w.value(channel: 0, t: $0) } == [3, 4, 5] && w.value(channel: 3, t: 2) == -5)
        var out = [Double](repeating: .nan, count: 12)
        let mean: [Double] = [4, 40, 0, 0]
        let inverse: [Double] = [1, 0.1, 1, 2]
        out.withUnsafeMutableBufferPointer { o in
            mean.withUnsafeBufferPointer { m in inverse.withUnsafeBufferPointer { s in w.scaled(into: o, mean: m, inverseDeviation: s) } }
        }
        #expect(out == [-1, 0, 1, -1, 0, 1, 0, 0, 0, -6, -8, -10])
        w.removeAll()
        #expect(w.count == 0 && !w.isFull)
        #expect(FlowFeatureSampler.centiBasisPoints(from: 10_000_000, to: 10_001_000) == 100)  // +1 bp
        #expect(FlowFeatureSampler.centiBasisPoints(from: 1_000_000, to: 999_999) == -1)  // −0.01 bp
        #expect(FlowFeatureSampler.centiBasisPoints(from: 10_000_000, to: 9_999_999) == 0, "truncated toward zero")
    }
}
