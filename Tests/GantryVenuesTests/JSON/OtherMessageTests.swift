import GantryVenues
import GantryTestSupport
import Testing

/// Messages that carry no book data, by venue: control (the venue's documented replies, heartbeats, notices),
/// the venue's error replies (with their words kept), and unknown ones (counted apart). Samples are the
/// venues' documented examples, and the real recordings in ../shared/data/venues/.
@Suite("Messages that are not book data: control, venue errors, unknown")
struct OtherMessageTests {
    typealias Classify = (UnsafeRawBufferPointer) throws(DecodeError) -> OtherMessage

    func classify(_ message: String, _ venue: Classify) throws -> OtherMessage {
        try message.withBytes { bytes throws(DecodeError) in try venue(bytes) }
    }

    @Test("members: a string's bytes without quotes, other values as written, containers read again, absent nil")
    func members() throws {
        let text = #"{"a":"x\"y","n":-12.5e3,"t":true,"z":null,"o":{"k":[1,{"e":"v"}],"e":"w"},"a":"last","u":[]}"#
        func words(_ f: [UnsafeRawBufferPointer?]) -> [String?] { f.map { $0.map { String(decoding: $0, as: UTF8.self) } } }
        var values: [String?] = []
        var inner: [String?] = []
        try text.withBytes { bytes in
            let f = try JSONCursor.members(of: bytes, ["a", "n", "t", "z", "o", "u", "missing"])
            values = words(f)
            inner = words(try JSONCursor.members(of: f[4]!, ["e", "k"]))
        }
        #expect(values == ["last", "-12.5e3", "true", "null", #"{"k":[1,{"e":"v"}],"e":"w"}"#, "[]", nil])
        #expect(inner == ["w", #"[1,{"e":"v"}]"#])
        #expect(throws: DecodeError.self) { try #"{"a":1}{"#.withBytes { _ = try JSONCursor.members(of: $0, ["a"]) } }
    }

    @Test("Bybit: op replies are control, success false is the venue's error, other topics unknown")
    func bybit() throws {
        #expect(try classify(#"{"success":true,"ret_msg":"subscribe","conn_id":"2324d924","req_id":"10001","op":"subscribe"}"#, Bybit.classifyOther) == .control)
        #expect(try classify(#"{"success":true,"ret_msg":"pong","conn_id":"465772b1","op":"ping"}"#, Bybit.classifyOther) == .control)
        #expect(try classify(#"{"success":false,"ret_msg":"error:handler not found,topic:orderbook.50.NOPE","conn_id":"a1","req_id":"","op":"subscribe"}"#, Bybit.classifyOther)
            == .venueError("error:handler not found,topic:orderbook.50.NOPE"))
        #expect(try classify(#"{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[]}"#, Bybit.classifyOther) == .unknown)
        #expect(try classify(#"{"hello":1}"#, Bybit.classifyOther) == .unknown)
        #expect(try classify(#"{"success":false,"ret_msg":"params error"}"#, Bybit.classifyOther) == .venueError("params error"))
    }

    @Test("OKX: subscribe acks (recorded), notices and connection counts are control; error events carry code and msg; other channels unknown", .recordedVenueData)
    func okx() throws {
        let acks = try Fixtures.lines("okx/subscribe_acks.jsonl")
        #expect(!acks.isEmpty)
        for a in acks { #expect(try classify(a, OKX.classifyOther) == .control, "\(a)") }
        #expect(try classify(#"{"event":"notice","code":"64008","msg":"The connection will soon be closed for a service upgrade. Please reconnect.","connId":"a4d3ae55"}"#, OKX.classifyOther) == .control)
        #expect(try classify(#"{"event":"channel-conn-count","channel":"orders","connCount":"2","connId":"abcd1234"}"#, OKX.classifyOther) == .control)
        #expect(try classify(#"{"event":"error","code":"60012","msg":"Invalid request: {\"op\": \"subscribe\"}","connId":"a4d3ae55"}"#, OKX.classifyOther)
            == .venueError(#"60012: Invalid request: {\"op\": \"subscribe\"}"#))
        for path in ["okx/BTC-USDT_tickers.jsonl", "okx/BTC-USDT_trades.jsonl"] {
            let lines = try Fixtures.lines(path)
            #expect(!lines.isEmpty)
            for l in lines {
                #expect(throws: DecodeError.unknownMessage) { try l.withBytes { _ = try OKX.decodeBook($0) } }
                #expect(try classify(l, OKX.classifyOther) == .unknown)
            }
        }
    }

    @Test("Kraken v2: method replies, heartbeat and status are control; an error or success false is the venue's error; other channels unknown")
    func kraken() throws {
        #expect(try classify(#"{"channel":"heartbeat"}"#, KrakenV2.classifyOther) == .control)
        #expect(try classify(#"{"channel":"status","type":"update","data":[{"api_version":"v2","connection_id":12393906104898154338,"system":"online","version":"2.0.0"}]}"#, KrakenV2.classifyOther) == .control)
        #expect(try classify(#"{"method":"pong","req_id":101,"time_in":"2023-09-24T14:10:23.799685Z","time_out":"2023-09-24T14:10:23.799703Z"}"#, KrakenV2.classifyOther) == .control)
        #expect(try classify(#"{"method":"subscribe","result":{"channel":"book","depth":10,"snapshot":true,"symbol":"ALGO/USD"},"success":true,"time_in":"2023-10-06T17:35:55.219022Z","time_out":"2023-10-06T17:35:55.219067Z"}"#, KrakenV2.classifyOther) == .control)
        #expect(try classify(#"{"error":"Currency pair not supported XBT/USD","method":"subscribe","success":false,"symbol":"XBT/USD","time_in":"2023-10-06T17:35:55.219022Z","time_out":"2023-10-06T17:35:55.219067Z"}"#, KrakenV2.classifyOther)
            == .venueError("Currency pair not supported XBT/USD"))
        #expect(try classify(#"{"method":"subscribe","success":false}"#, KrakenV2.classifyOther) == .venueError("no message"))
        #expect(try classify(#"{"channel":"trade","type":"snapshot","data":[]}"#, KrakenV2.classifyOther) == .unknown)
        #expect(try classify(#"{"method":"edit_order","success":true}"#, KrakenV2.classifyOther) == .unknown)
    }

    @Test("Coinbase Advanced Trade: subscriptions and heartbeats are control, type error is the venue's error, other channels unknown")
    func coinbase() throws {
        #expect(try classify(#"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:29:49.753424311Z","sequence_num":0,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}"#, CoinbaseAdvanced.classifyOther) == .control)
        #expect(try classify(#"{"channel":"heartbeats","client_id":"","timestamp":"2023-06-23T20:31:26.122969572Z","sequence_num":0,"events":[{"current_time":"2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105","heartbeat_counter":"3049"}]}"#, CoinbaseAdvanced.classifyOther) == .control)
        #expect(try classify(#"{"type":"error","message":"failure to subscribe"}"#, CoinbaseAdvanced.classifyOther) == .venueError("failure to subscribe"))
        #expect(try classify(#"{"channel":"ticker","client_id":"","timestamp":"2023-02-09T20:30:37.167359596Z","sequence_num":0,"events":[]}"#, CoinbaseAdvanced.classifyOther) == .unknown)
    }

    @Test("Binance: request replies and serverShutdown are control, code and msg are the venue's error, other streams (recorded) unknown", .recordedVenueData)
    func binance() throws {
        #expect(try classify(#"{"result":null,"id":1}"#, Binance.classifyOther) == .control)
        #expect(try classify(#"{"result":["btcusdt@depth@100ms"],"id":3}"#, Binance.classifyOther) == .control)
        #expect(try classify(#"{"e":"serverShutdown","E":1710000000000}"#, Binance.classifyOther) == .control)
        #expect(try classify(#"{"code":2,"msg":"Invalid request: unknown variant `SUBSCRIB`","id":1}"#, Binance.classifyOther)
            == .venueError("2: Invalid request: unknown variant `SUBSCRIB`"))
        #expect(try classify(#"{"error":{"code":-1121,"msg":"Invalid symbol."},"id":7}"#, Binance.classifyOther) == .venueError("-1121: Invalid symbol."))
        for path in ["binance/ETHUSDT_trade_combined_stream.json", "binance/ETHUSDT_aggTrade_combined_stream.json", "binance/ETHUSDT_bookTicker_combined_stream.json"] {
            #expect(try classify(try Fixtures.text(path), Binance.classifyOther) == .unknown, "\(path)")
        }
    }

    @Test("what is not one JSON object is malformed, and a venue's error text is cut to the limit")
    func malformedAndLong() throws {
        for bad in [#"{"op":"subscribe""#, #"["heartbeat"]"#, #"{"channel":"heartbeat"} x"#, "pong", ""] {
            #expect(throws: DecodeError.self, "\(bad)") { try classify(bad, Bybit.classifyOther) }
            #expect(throws: DecodeError.self, "\(bad)") { try classify(bad, OKX.classifyOther) }
            #expect(throws: DecodeError.self, "\(bad)") { try classify(bad, KrakenV2.classifyOther) }
            #expect(throws: DecodeError.self, "\(bad)") { try classify(bad, CoinbaseAdvanced.classifyOther) }
            #expect(throws: DecodeError.self, "\(bad)") { try classify(bad, Binance.classifyOther) }
        }
        let long = String(repeating: "é", count: 150)  // 300 bytes
        guard case .venueError(let words) = try classify(#"{"type":"error","message":"\#(long)"}"#, CoinbaseAdvanced.classifyOther) else {
            Issue.record("not an error")
            return
        }
        #expect(words.utf8.count <= OtherMessage.errorTextLimit && words.hasPrefix("éé"))
        // Cuts that would fall inside a character: one byte in front (Coinbase), a code in front (OKX).
        let cases: [(String, (String) throws -> OtherMessage)] = [
            (#"{"type":"error","message":"a\#(long)"}"#, { try classify($0, CoinbaseAdvanced.classifyOther) }),
            (#"{"event":"error","code":"60012","msg":"\#(long)"}"#, { try classify($0, OKX.classifyOther) }),
        ]
        for (message, read) in cases {
            guard case .venueError(let cut) = try read(message) else {
                Issue.record("not an error: \(message.prefix(40))")
                continue
            }
            #expect(cut.utf8.count <= OtherMessage.errorTextLimit && cut.utf8.count >= OtherMessage.errorTextLimit - 1)
            #expect(!cut.contains("\u{FFFD}") && cut.hasSuffix("é"), "cut on a character's first byte")
        }
    }
}
