import GantryCore
import GantryTestSupport
import Testing

@testable import GantryVenues

/// The literal quick paths must take the venues' documented layouts (a quick path that never matches would
/// pass every equality test and cost a second read), and give what the general reads give.
@Suite("Quick paths take the documented layouts")
struct QuickPathTests {
    func cursor<R>(_ text: String, _ body: (inout JSONCursor) -> R) -> R {
        Array(text.utf8).withUnsafeBytes { bytes in
            var c = JSONCursor(bytes)
            return body(&c)
        }
    }

    @Test("Kraken v2 level objects (JSON numbers) and Coinbase REST levels (strings) are read and stepped over literally")
    func levelObjects() {
        // Kraken's "Book checksum (v2)" guide's levels, and Coinbase's REST book shape.
        let kraken = #"[{"price":45285.2,"qty":0.00100000},{"price":45286.4,"qty":1.54582015}]"#
        let keys = KrakenV2.levelKeys
        // The texts compared before each value are those the keys make.
        #expect(keys.prefix == PackedLiteral(bytes: Array(#"{"price":"#.utf8)))
        #expect(keys.middle == PackedLiteral(bytes: Array(#","qty":"#.utf8)))
        #expect(keys.prefix != PackedLiteral(bytes: Array(#"{"prices":"#.utf8)))
        #expect(keys.middle != PackedLiteral(bytes: Array(#","qtY":"#.utf8)))
        // A member's lead, `,"<key>":` or `{"<key>":`, as the level arrays' second side is found: keys of up to
        // 12 bytes.
        #expect(PackedLiteral(key: "asks", after: 0x2C) == PackedLiteral(bytes: Array(#","asks":"#.utf8)))
        #expect(PackedLiteral(key: "a", after: 0x2C) == PackedLiteral(bytes: Array(#","a":"#.utf8)))
        #expect(PackedLiteral(key: "twelve_bytes", after: 0x7B) == PackedLiteral(bytes: Array(#"{"twelve_bytes":"#.utf8)))
        #expect(PackedLiteral(key: "thirteen_byte", after: 0x2C).count == 0)
        #expect(!PackedLiteral(key: "asks", after: 0x2C).matches(Array(#","asks" :[],"checksum":0}"#.utf8), at: 0))
        #expect(PackedLiteral(key: "asks", after: 0x2C).matches(Array(#","asks":[],"checksum":0}"#.utf8), at: 0))
        // Quoted values (as Coinbase's REST book sends them) are taken by the same quick read.
        let quoted = #"{"price":"45285.2","qty":"0.001"}"#
        #expect(cursor(quoted + #",{"price":"45285.3","qty":"1"}]"#) { c in
            LevelObjects.quickLevel(&c, prefix: keys.prefix, middle: keys.middle, priceScale: ShortScale(1), quantityScale: ShortScale(8)).map { [$0.0, $0.1, Int64(c.offset)] }
        } == [452_852, 100_000, Int64(quoted.utf8.count)])
        // A price of zero is for the general read to refuse (stepping over does not judge values).
        #expect(cursor(#"{"price":0,"qty":1},{"price":1,"qty":1}]"#) { c in
            LevelObjects.quickLevel(&c, prefix: keys.prefix, middle: keys.middle, priceScale: ShortScale(1), quantityScale: ShortScale(8))
        } == nil)
        let level = cursor(String(kraken.dropFirst())) { c in
            LevelObjects.quickLevel(&c, prefix: keys.prefix, middle: keys.middle, priceScale: ShortScale(1), quantityScale: ShortScale(8)).map { [$0.0, $0.1, Int64(c.offset)] }
        }
        #expect(level == [452_852, 100_000, 34])
        #expect(cursor(kraken) { c in LevelObjects.quickSkip(&c, "price", "qty") ? c.offset : -1 } == kraken.utf8.count)
        let coinbase = #"[{"price":"21921.73","size":"0.06317902"}]"#
        #expect(cursor(coinbase) { c in LevelObjects.quickSkip(&c, "price", "size") ? c.offset : -1 } == coinbase.utf8.count)
        #expect(cursor(#"{"price":1,"qty":1},{"price":1,"qty":1}]"#) { c in
            LevelObjects.quickLevel(&c, prefix: keys.prefix, middle: keys.middle, priceScale: ShortScale(1), quantityScale: ShortScale(8)).map { [$0.0, $0.1] }
        } == [10, 100_000_000])
        // An exponent, a sign, white space, other keys: left to the general reads.
        for other in [
            #"{"price":4.5e4,"qty":1}"#, #"{"price":-1,"qty":1}"#, #"{ "price":1,"qty":1}"#, #"{"qty":1,"price":1}"#,
            #"{"price":1,"qty":1 }"#, #"{"price":"1,"qty":1}"#, #"{"pride":1,"qty":1}"#, #"{"price":1,"qtz":1}"#,
            #"{"price":1.,"qty":1}"#,
        ] {
            // Followed by another level, so that the message is long enough for the quick read's word loads.
            #expect(cursor(other + #",{"price":1,"qty":1}]"#) { c in LevelObjects.quickLevel(&c, prefix: keys.prefix, middle: keys.middle, priceScale: ShortScale(1), quantityScale: ShortScale(8)) } == nil)
            #expect(cursor("[" + other + "]") { c in LevelObjects.quickSkip(&c, "price", "qty") ? 1 : 0 } == 0)
        }
    }

    @Test("Bybit and OKX level arrays of strings are stepped over literally; anything else is left to the general skip")
    func levelArrays() {
        // Bybit's documented delta levels, OKX's four-element levels, an empty array.
        for text in [#"[["16493.50","0.006"],["16493.00","0.100"]]"#, #"[["8476.98","415","0","13"],["8477","7","0","2"]]"#, "[]"] {
            #expect(cursor(text + ",") { c in LevelArrays.quickSkip(&c) ? c.offset : -1 } == text.utf8.count)
        }
        for text in [#"[[1.5,"2"]]"#, #"[ ["1","2"]]"#, #"[["1"","2"]]"#, #"[["1","2"]"#] {
            #expect(cursor(text) { c in LevelArrays.quickSkip(&c) ? c.offset : -1 } == -1, "\(text)")
        }
    }

    @Test("Coinbase Advanced Trade updates in the documented layout are read and stepped over literally")
    func coinbaseUpdates() {
        let update = #"{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"}"#
        let read = cursor(update) { c in
            CoinbaseAdvanced.quickUpdate(&c, priceScale: ShortScale(2), quantityScale: ShortScale(8)).map { "\($0.0) \($0.1.raw) \($0.2.raw) \(c.offset)" }
        }
        #expect(read == "buy 2192173 6317902 \(update.utf8.count)")
        let updates = "[" + update + "," + update.replacingOccurrences(of: "bid", with: "offer") + "]"
        #expect(cursor(updates) { c in CoinbaseAdvanced.quickSkipUpdates(&c) ? c.offset : -1 } == updates.utf8.count)
    }

    /// A message read by a quick path (or "not taken") or by the general one: its fields and every level, or
    /// "error".
    func read<M>(
        _ text: String, _ decode: (UnsafeRawBufferPointer) throws(DecodeError) -> M?, fields: (M) -> String,
        levels: (M, (Side, Price, Quantity) -> Void) throws(DecodeError) -> Void
    ) -> String {
        Array(text.utf8).withUnsafeBytes { bytes in
            do throws(DecodeError) {
                guard let m = try decode(bytes) else { return "not taken" }
                var out = [fields(m)]
                try levels(m) { out.append("\($0) \($1.raw) \($2.raw)") }
                return out.joined(separator: " | ")
            } catch {
                return "error"
            }
        }
    }

    /// A Bybit push read both ways.
    func bybitRead(_ text: String, quick: Bool) -> String {
        read(
            text, { bytes throws(DecodeError) in quick ? Bybit.quickBook(bytes) : try Bybit.decodeBookInFull(bytes) },
            fields: {
                "\($0.action) \($0.depth) \(String(decoding: $0.symbol, as: UTF8.self)) \($0.updateId) \($0.crossSequence) \($0.time.raw) \($0.matchingTime.raw)"
            },
            levels: { m, body throws(DecodeError) in try m.forEachLevel(priceScale: 4, quantityScale: 4, body) })
    }

    @Test("Bybit pushes as Bybit sends them (a real recording: a snapshot and 49 deltas) are matched head and tail, and read as the general path reads them", .recordedVenueData)
    func bybitLayout() throws {
        let lines = try Fixtures.lines("bybit/2024-12-01_XRPUSDT_ob500.data.jsonl")
        #expect(lines.count == 50)
        for line in lines {
            let quick = bybitRead(line, quick: true)
            #expect(quick != "not taken" && quick != "error")
            #expect(quick == bybitRead(line, quick: false))
        }
    }

    @Test("random Bybit pushes: the head-and-tail read and the general read agree, and levels that do not reach the tail are refused")
    func bybitRandom() {
        var draws = Draws(state: 0x6279_6269_74)
        func next(_ n: Int) -> Int { draws.next(n) }
        let numbers = [
            "1.9531", "0", "6203", "0.001", "1.95310", "7", "0.5", "1.9", "12.25", "300", "1.95315", "-1", "1e2", "", "1.", "12345678901234567890",
        ]
        // What may stand between the level arrays: nothing (as Bybit sends it), another member, white space,
        // or something broken.
        let between = ["", "", "", "", #","x":[1,{"y":"]"}]"#, " ", #","a":[]"#, "]", #","b":"#]
        var taken = 0
        var agreed = 0
        for _ in 0..<20_000 {
            func side() -> String {
                "[" + (0..<next(4)).map { _ in #"["\#(numbers[next(numbers.count)])","\#(numbers[next(numbers.count)])"]"# }.joined(separator: ",") + "]"
            }
            let type = ["delta", "snapshot", "other"][next(3)]
            let text = #"{"topic":"orderbook.50.XRPUSDT","type":"\#(type)","ts":1733011200691,"data":{"s":"XRPUSDT","b":\#(side())\#(between[next(between.count)]),"a":\#(side())\#(between[next(between.count)]),"u":\#(next(1_000_000)),"seq":\#(next(1_000_000))},"cts":1733011200689}"#
            let quick = bybitRead(text, quick: true)
            let general = bybitRead(text, quick: false)
            if quick != "not taken" { taken += 1 }
            if quick == "not taken" { #expect(type == "other" && general == "error", "\(text)") } else { #expect(quick == general, "\(text)") }
            if quick == general && general != "error" { agreed += 1 }
        }
        #expect(taken > 10_000 && agreed > 800, "taken \(taken), agreed \(agreed)")
    }

    /// An OKX push read both ways.
    func okxRead(_ text: String, quick: Bool) -> String {
        read(
            text, { bytes throws(DecodeError) in quick ? OKX.quickBook(bytes) : try OKX.decodeBookInFull(bytes) },
            fields: {
                "\($0.action) \(String(decoding: $0.instrument, as: UTF8.self)) \($0.time.raw) \($0.checksum) \(String(describing: $0.seqId)) \(String(describing: $0.prevSeqId))"
            },
            levels: { m, body throws(DecodeError) in try m.forEachLevel(priceScale: 8, quantityScale: 8, body) })
    }

    @Test("OKX pushes as OKX sends them (a real recording, and the current layout with seqId) are matched head and tail, and read as the general path reads them", .recordedVenueData)
    func okxLayout() throws {
        let lines = try Fixtures.lines("okx/BTC-USDT_books_snapshot_and_updates.jsonl")
        #expect(lines.count > 50)
        var withSeq = 0
        for line in lines + lines.map({ $0.replacingOccurrences(of: "}]}", with: #","prevSeqId":123,"seqId":124}]}"#) }) {
            let quick = okxRead(line, quick: true)
            #expect(quick != "not taken" && quick != "error", "\(line.prefix(120))")
            #expect(quick == okxRead(line, quick: false))
            if quick.contains("Optional(124)") { withSeq += 1 }
        }
        #expect(withSeq == lines.count)
    }

    @Test("random OKX pushes: the head-and-tail read and the general read agree, and levels that do not reach the tail are refused")
    func okxRandom() {
        var draws = Draws(state: 0x6F6B_78)
        func next(_ n: Int) -> Int { draws.next(n) }
        let numbers = ["30243.5", "0", "1.44679", "0.08", "30244", "0.05426064", "7", "0.5", "1.123456789", "-1", "1e2", "", "1."]
        let between = ["", "", "", "", #","x":[1,{"y":"]"}]"#, " ", #","asks":[]"#, "]", #","bids":"#]
        // OKX's tails: the recording's, the documented one, the sequence ids swapped or alone, and a second
        // book object (refused by both paths).
        let tails = [
            #","ts":"1652459225453","checksum":-652563973}]}"#,
            #","ts":"1652459225453","checksum":7,"prevSeqId":-1,"seqId":9}]}"#,
            #","ts":"1652459225453","checksum":7,"seqId":9,"prevSeqId":8}]}"#,
            #","ts":"1652459225453","checksum":7,"seqId":9}]}"#,
            #","ts":"1652459225453","checksum":7,"prevSeqId":8}]}"#,
            #","ts":"1","checksum":1},{"asks":[],"bids":[],"ts":"2","checksum":2}]}"#,
        ]
        var taken = 0
        var agreed = 0
        for _ in 0..<20_000 {
            func side() -> String {
                "[" + (0..<next(4)).map { _ in #"["\#(numbers[next(numbers.count)])","\#(numbers[next(numbers.count)])","0","\#(next(9))"]"# }
                    .joined(separator: ",") + "]"
            }
            let action = ["update", "snapshot", "other"][next(3)]
            let text = #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"\#(action)","data":[{"asks":\#(side())\#(between[next(between.count)]),"bids":\#(side())\#(between[next(between.count)])\#(tails[next(tails.count)])"#
            let quick = okxRead(text, quick: true)
            let general = okxRead(text, quick: false)
            if quick != "not taken" { taken += 1 } else { #expect(action == "other" || text.contains(#""checksum":7,"seqId""#) || text.contains("prevSeqId\":8"), "\(text)") }
            if quick != "not taken" { #expect(quick == general, "\(text)") }
            if quick == general && general != "error" { agreed += 1 }
        }
        #expect(taken > 6_000 && agreed > 300, "taken \(taken), agreed \(agreed)")
    }

    /// A Kraken v2 push read both ways.
    func krakenRead(_ text: String, quick: Bool, priceScale: Int = 1) -> String {
        read(
            text, { bytes throws(DecodeError) in quick ? KrakenV2.quickBook(bytes) : try KrakenV2.decodeBookInFull(bytes) },
            fields: { "\($0.isSnapshot) \(String(decoding: $0.symbol, as: UTF8.self)) \($0.checksum) \($0.hasChecksum)" },
            levels: { m, body throws(DecodeError) in try m.forEachLevel(priceScale: priceScale, quantityScale: 8, body) })
    }

    @Test("Kraken v2 pushes as Kraken documents them (with and without a timestamp, one side empty) are matched head and tail, and read as the general path reads them")
    func krakenLayout() {
        // The book-channel guide's update, its snapshot (which carries no timestamp), and the checksum guide's levels.
        let pushes = [
            #"{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5657,"qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#,
            #"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.1},{"price":45283.4,"qty":1.54582015}],"asks":[{"price":45285.2,"qty":0.001},{"price":45286.4,"qty":1.54582015}],"checksum":3310070434}]}"#,
        ]
        for text in pushes {
            let quick = krakenRead(text, quick: true, priceScale: 4)
            #expect(quick != "not taken" && quick != "error", "\(text)")
            #expect(quick == krakenRead(text, quick: false, priceScale: 4))
        }
        #expect(krakenRead(pushes[0], quick: true, priceScale: 4) == "false MATIC/USD 2114181697 true | buy 5657 109839475580")
        #expect(krakenRead(pushes[1], quick: true).hasPrefix("true BTC/USD 3310070434 true | buy 452835 10000000 | buy 452834 154582015 | sell 452852"))
    }

    @Test("random Kraken v2 pushes: the head-and-tail read and the general read agree, and levels that do not reach the tail are refused")
    func krakenRandom() {
        var draws = Draws(state: 0x6B76_32)
        func next(_ n: Int) -> Int { draws.next(n) }
        let numbers = ["45285.2", "0", "0.001", "1.54582015", "100", "45285.20", "0.000000001", "1e2", "-1", "1.", "\"0.5\"", "12345678901.5"]
        // Between and after the level arrays: nothing (as Kraken sends it), another member, white space, a
        // second array of a side, or something broken.
        let between = ["", "", "", "", #","x":[1,{"y":"]"}]"#, " ", #","asks":[]"#, "]", #","bids":"#]
        // Kraken's tails: with and without the timestamp, an escape in it, none, a checksum too large, a second
        // item in `data` (read past by the general path).
        let tails = [
            #","checksum":7,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#, #","checksum":4294967295}]}"#,
            #","checksum":7,"timestamp":"a\"b"}]}"#, #"}]}"#, #","checksum":4294967296}]}"#, #","checksum":7},{"symbol":"X"}]}"#,
        ]
        var taken = 0
        var agreed = 0
        for _ in 0..<20_000 {
            func side() -> String {
                "[" + (0..<next(4)).map { _ in #"{"price":\#(numbers[next(numbers.count)]),"qty":\#(numbers[next(numbers.count)])}"# }
                    .joined(separator: ",") + "]"
            }
            let type = ["update", "snapshot", "other"][next(3)]
            let asks = next(5) == 0 ? "" : #","asks":\#(side())"#
            let text = #"{"channel":"book","type":"\#(type)","data":[{"symbol":"BTC/USD","bids":\#(side())\#(between[next(between.count)])\#(asks)\#(between[next(between.count)])\#(tails[next(tails.count)])"#
            let quick = krakenRead(text, quick: true)
            let general = krakenRead(text, quick: false)
            if quick != "not taken" {
                taken += 1
                #expect(quick == general, "\(text)")
            } else {
                #expect(type == "other" || !text.contains("checksum\":7,") || text.contains(#"a\"b"#) || text.contains("},{"), "\(text)")
            }
            if quick == general && general != "error" { agreed += 1 }
        }
        #expect(taken > 3_500 && agreed > 300, "taken \(taken), agreed \(agreed)")
    }

    /// A Coinbase Advanced Trade message read both ways: its envelope, then each event's fields and levels.
    func coinbaseRead(_ text: String, quick: Bool) -> String {
        read(
            text, { bytes throws(DecodeError) in quick ? CoinbaseAdvanced.quickDecode(bytes) : try CoinbaseAdvanced.decodeInFull(bytes) },
            fields: { "\($0.channel) \($0.sequence)" },
            levels: { m, body throws(DecodeError) in
                try m.forEachBookEvent { event throws(DecodeError) in
                    body(event.isSnapshot ? .buy : .sell, Price(raw: Int64(event.product.count)), Quantity(raw: -1))
                    try event.forEachLevel(priceScale: 2, quantityScale: 8, body)
                }
            })
    }

    @Test("Coinbase level2 messages as Coinbase sends them are matched head and tail, and read as the general path reads them")
    func coinbaseLayout() {
        let snapshot = #"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"},{"side":"offer","event_time":"1970-01-01T00:00:00Z","price_level":"21921.74","new_quantity":"1.5"}]}]}"#
        let quick = coinbaseRead(snapshot, quick: true)
        #expect(quick == "level2 0 | buy 7 -1 | buy 2192173 6317902 | sell 2192174 150000000")
        #expect(quick == coinbaseRead(snapshot, quick: false))
        // A second event is read on from where the first one's updates end.
        let two = snapshot.replacingOccurrences(of: "]}]}", with: #"]},{"type":"update","product_id":"ETH-USD","updates":[]}]}"#)
        #expect(coinbaseRead(two, quick: true).hasSuffix("sell 2192174 150000000 | sell 7 -1"))
        #expect(coinbaseRead(two, quick: true) == coinbaseRead(two, quick: false))
        // Other channels are left to the general path.
        #expect(coinbaseRead(snapshot.replacingOccurrences(of: "l2_data", with: "ticker"), quick: true) == "not taken")
    }

    @Test("random Coinbase level2 messages: the head-and-tail read and the general read agree, and updates that do not reach the tail are refused")
    func coinbaseRandom() {
        var draws = Draws(state: 0x636F_696E)
        func next(_ n: Int) -> Int { draws.next(n) }
        let numbers = ["21921.73", "0", "0.06317902", "1.5", "21921.730", "0.000000001", "1e2", "-1", "1.", "", "12345678901.5"]
        let sides = ["bid", "offer", "ask", "x"]
        // After the updates: nothing (as Coinbase sends it), another member, white space, a second updates
        // array, another event, or something broken.
        let after = [
            "", "", "", "", #","x":[1,{"y":"]"}]"#, " ", #","updates":[]"#, #","type":"update""#, "]", "}",
            #"},{"type":"update","product_id":"ETH-USD","updates":[]"#, #"},{"type":"snapshot","updates":[]"#,
        ]
        var taken = 0
        var agreed = 0
        for _ in 0..<20_000 {
            let updates = (0..<next(4)).map { _ in
                #"{"side":"\#(sides[next(sides.count)])","event_time":"1970-01-01T00:00:00Z","price_level":"\#(numbers[next(numbers.count)])","new_quantity":"\#(numbers[next(numbers.count)])"}"#
            }.joined(separator: ",")
            let type = ["update", "snapshot", "other"][next(3)]
            let text = #"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:51.1Z","sequence_num":\#(next(1_000)),"events":[{"type":"\#(type)","product_id":"BTC-USD","updates":[\#(updates)]\#(after[next(after.count)])}]}"#
            let quick = coinbaseRead(text, quick: true)
            let general = coinbaseRead(text, quick: false)
            if quick != "not taken" {
                taken += 1
                #expect(quick == general, "\(text)")
            } else {
                #expect(type == "other", "\(text)")
            }
            if quick == general && general != "error" { agreed += 1 }
        }
        #expect(taken > 10_000 && agreed > 1_000, "taken \(taken), agreed \(agreed)")
    }
}
