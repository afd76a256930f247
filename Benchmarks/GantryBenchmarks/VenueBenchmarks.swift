// Decode + book apply per venue: each benchmark decodes 1,000 diffs of 10 levels (5 bids, 5 asks within 12
// ticks of the top of a 1,000-level book, a quarter of them removals), in the venue's own format, and applies
// them through the venue's documented sync (sequence checks, checksums where the venue sends them). The same
// level changes for every venue, so the figures compare decoders. Target: under 250 ns a message, 0 mallocs.
import Benchmark
import BenchSupport
import GantryBook
import GantryCore
import GantryVenues

/// Runs `apply` over the 64 messages round-robin; every message must apply.
func measureDiffs(_ benchmark: Benchmark, _ messages: [[UInt8]], _ apply: (UnsafeRawBufferPointer) -> Bool) {
    var applied = 0
    benchmark.startMeasurement()
    for i in benchmark.scaledIterations {
        if messages[i & 63].withUnsafeBytes(apply) { applied &+= 1 }
    }
    benchmark.stopMeasurement()
    precondition(applied == benchmark.scaledIterations.count, "\(benchmark.scaledIterations.count - applied) diffs did not apply")
}

func venueBenchmarks() {
    let configuration = Benchmark.Configuration(metrics: [.wallClock, .mallocCountTotal, .throughput], scalingFactor: .kilo)

    // Binance: combined-stream depthUpdate, 8-decimal strings as Binance sends them; U/u rule.
    Benchmark("Binance decode+apply 10-level diff", configuration: configuration) { benchmark in
        var sync = BinanceBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
        _ = try! BenchDiffs.binanceSnapshot().withUnsafeBytes { try sync.load(Binance.decodeSnapshot($0)) }
        let messages = BenchDiffs.binanceMessages()
        // The first diff after the snapshot makes the book live.
        let first = try! messages[0].withUnsafeBytes { bytes in
            guard case .depth(let diff) = try Binance.decode(bytes) else { preconditionFailure("the first diff did not decode") }
            return try sync.apply(diff)
        }
        precondition(first == .wentLive, "the book did not go live")
        measureDiffs(benchmark, messages) { bytes in
            guard case .depth(let diff) = try? Binance.decode(bytes) else { return false }
            sync.book.sequence = 1_000_000
            return (try? sync.apply(diff)) == .applied
        }
    }

    // OKX: books update with seqId/prevSeqId (checksum 0, as OKX sends it since June 2026).
    Benchmark("OKX decode+apply 10-level update", configuration: configuration) { benchmark in
        func message(_ action: String, _ levels: [(side: Side, price: Int64, quantity: Int64)]) -> [UInt8] {
            func side(_ s: Side) -> String {
                levels.filter { $0.side == s }.map { #"["\#(BenchDiffs.text($0.price, 2))","\#(BenchDiffs.text($0.quantity, 8))","0","1"]"# }
                    .joined(separator: ",")
            }
            return Array(#"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"\#(action)","data":[{"asks":[\#(side(.sell))],"bids":[\#(side(.buy))],"ts":"1764000000000","checksum":0,"seqId":500,"prevSeqId":500}]}"#.utf8)
        }
        var sync = OKXBookSync(venue: VenueId(raw: 4), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
        _ = try! message("snapshot", BenchDiffs.snapshotLevels()).withUnsafeBytes { try sync.apply(OKX.decodeBook($0)) }
        let messages = (0..<64).map { message("update", BenchDiffs.levels($0)) }
        measureDiffs(benchmark, messages) { bytes in
            guard let m = try? OKX.decodeBook(bytes) else { return false }
            return (try? sync.apply(m)) == .applied
        }
    }

    // Bybit: orderbook.1000 delta; u must follow the book's u.
    Benchmark("Bybit decode+apply 10-level delta", configuration: configuration) { benchmark in
        func message(_ type: String, _ levels: [(side: Side, price: Int64, quantity: Int64)]) -> [UInt8] {
            func side(_ s: Side) -> String {
                levels.filter { $0.side == s }.map { #"["\#(BenchDiffs.text($0.price, 2))","\#(BenchDiffs.text($0.quantity, 8))"]"# }.joined(separator: ",")
            }
            return Array(#"{"topic":"orderbook.1000.BTCUSDT","type":"\#(type)","ts":1764000000000,"data":{"s":"BTCUSDT","b":[\#(side(.buy))],"a":[\#(side(.sell))],"u":700001,"seq":90000001},"cts":1764000000000}"#.utf8)
        }
        var sync = BybitBookSync(venue: VenueId(raw: 5), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
        _ = try! message("snapshot", BenchDiffs.snapshotLevels()).withUnsafeBytes { try sync.apply(Bybit.decodeBook($0)) }
        let messages = (0..<64).map { message("delta", BenchDiffs.levels($0)) }
        measureDiffs(benchmark, messages) { bytes in
            guard let m = try? Bybit.decodeBook(bytes) else { return false }
            sync.book.sequence = 700_000
            return (try? sync.apply(m)) == .applied
        }
    }

    // Kraken v2: book update with JSON-number levels and the CRC32 of the top 10 verified after each message.
    Benchmark("Kraken v2 decode+apply 10-level update with checksum", configuration: configuration) { benchmark in
        func message(_ type: String, _ levels: [(side: Side, price: Int64, quantity: Int64)], _ checksum: UInt32) -> [UInt8] {
            func side(_ s: Side) -> String {
                levels.filter { $0.side == s }.map { #"{"price":\#(BenchDiffs.text($0.price, 2)),"qty":\#(BenchDiffs.text($0.quantity, 8))}"# }
                    .joined(separator: ",")
            }
            return Array(#"{"channel":"book","type":"\#(type)","data":[{"symbol":"BTC/USD","bids":[\#(side(.buy))],"asks":[\#(side(.sell))],"checksum":\#(checksum),"timestamp":"2026-11-25T12:00:00.000000Z"}]}"#.utf8)
        }
        // Each message's checksum is that of the book it leaves; replaying the cycle of 64 leaves the same
        // books each time round (quantities are absolute), which the second and third rounds confirm.
        var probe = L2Book(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), depth: 1_100)
        for l in BenchDiffs.snapshotLevels() { probe.apply(l.side, Price(raw: l.price), Quantity(raw: l.quantity)) }
        var checksums: [[UInt32]] = []
        for _ in 0..<3 {
            checksums.append((0..<64).map { k in
                for l in BenchDiffs.levels(k) { probe.apply(l.side, Price(raw: l.price), Quantity(raw: l.quantity)) }
                probe.bids.truncate(toDepth: 1_000)
                probe.asks.truncate(toDepth: 1_000)
                return Kraken.checksum(probe, priceScale: 2, quantityScale: 8)
            })
        }
        precondition(checksums[1] == checksums[2], "the benchmark's book does not repeat")
        var sync = KrakenV2BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8, depth: 1_000)
        let snapshotLevels = BenchDiffs.snapshotLevels()
        var snapshotBook = L2Book(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), depth: 1_100)
        for l in snapshotLevels { snapshotBook.apply(l.side, Price(raw: l.price), Quantity(raw: l.quantity)) }
        let snapshotChecksum = Kraken.checksum(snapshotBook, priceScale: 2, quantityScale: 8)
        _ = try! message("snapshot", snapshotLevels, snapshotChecksum).withUnsafeBytes { try sync.apply(KrakenV2.decodeBook($0)) }
        // One round to reach the repeating state, then the measured rounds.
        let messages = (0..<64).map { message("update", BenchDiffs.levels($0), checksums[1][$0]) }
        for k in 0..<64 {
            _ = messages[k].withUnsafeBytes { bytes in
                // The first round's books differ from the steady state's: apply without the check.
                try? sync.apply(KrakenV2.decodeBook(bytes))
            }
            if sync.book.state != .live {
                let text = message("snapshot", BenchDiffs.snapshotLevels(), snapshotChecksum)
                _ = text.withUnsafeBytes { try? sync.apply(KrakenV2.decodeBook($0)) }
                for j in 0...k {
                    for l in BenchDiffs.levels(j) { sync.book.apply(l.side, Price(raw: l.price), Quantity(raw: l.quantity)) }
                    sync.book.bids.truncate(toDepth: 1_000)
                    sync.book.asks.truncate(toDepth: 1_000)
                }
            }
        }
        measureDiffs(benchmark, messages) { bytes in
            guard let m = try? KrakenV2.decodeBook(bytes) else { return false }
            return (try? sync.apply(m)) == .applied
        }
    }

    // Kraken's checksum alone (v1 and v2): the text of the 10 best asks and bids and its CRC32, on the book the
    // update benchmark's first message leaves, so the share of the checksum in that figure can be read off (a
    // lower bound: the same book every time).
    Benchmark("Kraken checksum of the top 10 levels", configuration: configuration) { benchmark in
        var book = L2Book(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), depth: 1_100)
        for l in BenchDiffs.snapshotLevels() + BenchDiffs.levels(0) { book.apply(l.side, Price(raw: l.price), Quantity(raw: l.quantity)) }
        var sum: UInt32 = 0
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { sum &+= Kraken.checksum(book, priceScale: 2, quantityScale: 8) }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    // The same with the last text kept (as `KrakenBookSync` keeps it) and the top 10 unchanged since, as after
    // an update deeper in the book: the levels are compared with the last ones and the last checksum given
    // again, nothing written or hashed.
    Benchmark("Kraken checksum, top 10 unchanged since the last", configuration: configuration) { benchmark in
        var book = L2Book(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), depth: 1_100)
        for l in BenchDiffs.snapshotLevels() + BenchDiffs.levels(0) { book.apply(l.side, Price(raw: l.price), Quantity(raw: l.quantity)) }
        var text = KrakenChecksumText()
        var sum = Kraken.checksum(book, priceScale: 2, quantityScale: 8, reusing: &text)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { sum &+= Kraken.checksum(book, priceScale: 2, quantityScale: 8, reusing: &text) }
        benchmark.stopMeasurement()
        blackHole(sum)
    }

    // Coinbase Advanced Trade: l2_data update events (objects with side, event_time, price_level, new_quantity).
    Benchmark("Coinbase decode+apply 10-level l2_data update", configuration: configuration) { benchmark in
        func message(_ type: String, _ levels: [(side: Side, price: Int64, quantity: Int64)]) -> [UInt8] {
            let updates = levels.map {
                #"{"side":"\#($0.side == .buy ? "bid" : "offer")","event_time":"2026-11-25T12:00:00.123456Z","price_level":"\#(BenchDiffs.text($0.price, 2))","new_quantity":"\#(BenchDiffs.text($0.quantity, 8))"}"#
            }.joined(separator: ",")
            return Array(#"{"channel":"l2_data","client_id":"","timestamp":"2026-11-25T12:00:00.123456789Z","sequence_num":42,"events":[{"type":"\#(type)","product_id":"BTC-USD","updates":[\#(updates)]}]}"#.utf8)
        }
        var sync = CoinbaseBookSync(venue: VenueId(raw: 2), instrument: InstrumentId(raw: 1), priceScale: 2, quantityScale: 8)
        _ = try! message("snapshot", BenchDiffs.snapshotLevels()).withUnsafeBytes { bytes in
            try CoinbaseAdvanced.decode(bytes).forEachBookEvent { event throws(DecodeError) in _ = try sync.apply(event) }
        }
        let messages = (0..<64).map { message("update", BenchDiffs.levels($0)) }
        measureDiffs(benchmark, messages) { bytes in
            guard let m = try? CoinbaseAdvanced.decode(bytes) else { return false }
            var ok = false
            try? m.forEachBookEvent { event throws(DecodeError) in ok = (try sync.apply(event)) == .applied }
            return ok
        }
    }
}
