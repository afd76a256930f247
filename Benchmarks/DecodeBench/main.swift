// gantry-decode-bench: Gantry's Binance decode and decode+book-apply per message, on the messages it also writes
// for the Python peers (Benchmarks/peers/decode_peers.py: orjson, pysimdjson, nautilus_trader's order book), so
// that `scripts/bench-decode.sh` compares them on the same bytes. Prints one JSON line.
//
// It also reads Binance's recorded NKNUSDT diffs (--recorded DIR, by default ../shared/data/venues/binance),
// real messages at real depths, for the record beside the benchmark's 10-level diffs.
//
//   gantry-decode-bench --out DIR [--count 200000] [--rounds 7] [--recorded DIR]
import BenchSupport
import GantryBook
import GantryCore
import GantryLoop
import GantryVenues

#if canImport(Glibc)
import Glibc
#endif

func fail(_ why: String) -> Never {
    FileHandleless.write(2, "gantry-decode-bench: \(why)\n")
    exit(2)
}

enum FileHandleless {
    static func write(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }

    static func save(_ path: String, _ bytes: [UInt8]) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { fail("cannot write \(path)") }
        _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
    }
}

func main() {
    var options: [String: String] = [:]
    var rest = CommandLine.arguments.dropFirst()
    while let a = rest.popFirst() {
        guard a.hasPrefix("--"), let v = rest.popFirst() else { fail("usage: gantry-decode-bench --out DIR [--count N] [--rounds R]") }
        options[String(a.dropFirst(2))] = v
    }
    guard let out = options["out"] else { fail("--out DIR is required") }
    let count = Int(options["count"] ?? "") ?? 200_000
    let rounds = Int(options["rounds"] ?? "") ?? 7
    let cpu = ThreadAffinity.current().first ?? 0
    _ = ThreadAffinity.pinCurrentThread(to: cpu)

    let snapshot = BenchDiffs.binanceSnapshot()
    let messages = BenchDiffs.binanceMessages()
    FileHandleless.save(out + "/binance_snapshot.json", snapshot)
    FileHandleless.save(out + "/binance_diffs.jsonl", messages.flatMap { $0 + [0x0A] })

    var sync = BinanceBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
    _ = try! snapshot.withUnsafeBytes { try sync.load(Binance.decodeSnapshot($0)) }
    // The first diff after the snapshot makes the book live (the benchmark then sets the sequence back before
    // each diff, so that every one applies).
    let first = try! messages[0].withUnsafeBytes { bytes in
        guard case .depth(let diff) = try Binance.decode(bytes) else { fail("the first diff did not decode") }
        return try sync.apply(diff)
    }
    precondition(first == .wentLive, "the book did not go live")
    // The messages end to end in one buffer, as a receive buffer would hold them.
    var wire: [UInt8] = []
    var ranges: [Range<Int>] = []
    for m in messages {
        ranges.append(wire.count..<(wire.count + m.count))
        wire += m
    }

    func measure(_ body: (UnsafeRawBufferPointer) -> Int) -> (best: Double, median: Double) {
        var results: [Double] = []
        wire.withUnsafeBytes { all in
            // One round more than asked, the first thrown away (caches, branch history, the CPU's clock).
            for round in 0...rounds {
                var check = 0
                let start = MonotonicClock.now()
                for i in 0..<count {
                    check &+= body(UnsafeRawBufferPointer(rebasing: all[ranges[i & 63]]))
                }
                let ns = Double((MonotonicClock.now() - start).raw) / Double(count)
                precondition(check >= count, "a message did not decode or apply")
                if round > 0 { results.append(ns) }
            }
        }
        results.sort()
        return (results[0], results[results.count / 2])
    }
    // Decode only: the header, then every level parsed to fixed point.
    let decode = measure { bytes in
        guard case .depth(let diff) = try? Binance.decode(bytes) else { return 0 }
        var sum: Int64 = 0
        do throws(DecodeError) {
            try diff.forEachLevel(priceScale: 2, quantityScale: 8) { _, p, q in sum &+= p.raw &+ q.raw }
        } catch { return 0 }
        return sum != 0 ? 1 : 0
    }
    // Decode and apply through the documented sync (U/u checked) to a 1,000-level book.
    let apply = measure { bytes in
        guard case .depth(let diff) = try? Binance.decode(bytes) else { return 0 }
        sync.book.sequence = 1_000_000
        return (try? sync.apply(diff)) == .applied ? 1 : 0
    }
    let size = Double(wire.count) / Double(messages.count)
    let recorded = measureRecorded(options["recorded"] ?? "../shared/data/venues/binance", rounds: rounds)
    print(
        "{\"client\":\"gantry\",\"messages\":\(count),\"rounds\":\(rounds),\"mean_message_bytes\":\(Int(size)),\"cpu\":\(cpu),"
            + "\"decode_ns\":\(decode.median),\"decode_best_ns\":\(decode.best),\"decode_apply_ns\":\(apply.median),\"decode_apply_best_ns\":\(apply.best)"
            + (recorded.map {
                ",\"recorded_messages\":\($0.messages),\"recorded_mean_levels\":\($0.meanLevels),\"recorded_mean_bytes\":\($0.meanBytes),"
                    + "\"recorded_decode_ns\":\($0.decode),\"recorded_decode_apply_ns\":\($0.apply)"
            } ?? "") + "}")
}

/// Binance's recorded NKNUSDT diffs (`../shared/data/venues/binance`: a REST snapshot of 1,000 levels a side
/// and 150 `depth@100ms` events, 149 of which apply): real messages, mostly of one to four levels, at depths
/// where real updates fall. Decode, and decode + apply through the documented sync from the snapshot, each the
/// median over rounds of ns per message; each apply round starts from a fresh sync with the snapshot loaded
/// (not timed). Nil when the recordings are not there.
func measureRecorded(_ dir: String, rounds: Int) -> (messages: Int, meanLevels: Double, meanBytes: Int, decode: Double, apply: Double)? {
    func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            bytes += chunk[0..<n]
        }
        return bytes
    }
    guard let snapshot = read(dir + "/NKNUSDT_depth_snapshot_rest.json"), let lines = read(dir + "/NKNUSDT_depthUpdate_100ms.jsonl")
    else { return nil }
    let messages = lines.split(separator: 0x0A).map { Array($0.last == 0x0D ? $0.dropLast() : $0) }.filter { !$0.isEmpty }
    var levels = 0
    for m in messages {
        m.withUnsafeBytes { bytes in
            guard case .depth(let diff) = try? Binance.decode(bytes) else { fail("a recorded diff did not decode") }
            try? diff.forEachLevel(priceScale: 8, quantityScale: 8) { _, _, _ in levels += 1 }
        }
    }
    var decodes: [Double] = []
    var applies: [Double] = []
    // Enough rounds for a steady figure: each is only 150 messages.
    for round in 0...(rounds * 200) {
        var sync = BinanceBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 8, quantityScale: 8)
        _ = try! snapshot.withUnsafeBytes { try sync.load(Binance.decodeSnapshot($0)) }
        var applied = 0
        var start = MonotonicClock.now()
        for m in messages {
            m.withUnsafeBytes { bytes in
                guard case .depth(let diff) = try? Binance.decode(bytes) else { return }
                let outcome = try? sync.apply(diff)
                if outcome == .applied || outcome == .wentLive { applied += 1 }
            }
        }
        let apply = Double((MonotonicClock.now() - start).raw) / Double(messages.count)
        precondition(applied == messages.count - 1, "the recorded diffs did not apply (\(applied))")
        var sum: Int64 = 0
        start = MonotonicClock.now()
        for m in messages {
            m.withUnsafeBytes { bytes in
                guard case .depth(let diff) = try? Binance.decode(bytes) else { return }
                try? diff.forEachLevel(priceScale: 8, quantityScale: 8) { _, p, q in sum &+= p.raw &+ q.raw }
            }
        }
        let decode = Double((MonotonicClock.now() - start).raw) / Double(messages.count)
        precondition(sum != 0)
        if round > 0 {
            decodes.append(decode)
            applies.append(apply)
        }
    }
    decodes.sort()
    applies.sort()
    return (messages.count, Double(levels) / Double(messages.count), messages.map(\.count).reduce(0, +) / messages.count,
            decodes[decodes.count / 2], applies[applies.count / 2])
}

main()
