import GantryCore
import Testing

@testable import GantryVenues

/// A venue sends one JSON value a WebSocket message (or REST body): white space may follow it, anything else
/// is a malformed message, whichever path (quick or general) reads it and whenever (at decode or with the
/// levels) the end is reached.
@Suite("Bytes after a message's JSON value")
struct MessageEndTests {
    /// Decodes `text` as the venue's feed does and reads every level; the number of levels read.
    typealias Read = @Sendable (UnsafeRawBufferPointer) throws(DecodeError) -> Int

    static func count(_ each: ((Side, Price, Quantity) -> Void) throws(DecodeError) -> Void) throws(DecodeError) -> Int {
        var n = 0
        try each { _, _, _ in n += 1 }
        return n
    }

    static let venues: [(String, String, Read)] = [
        (
            "Binance depthUpdate, combined stream",
            #"{"stream":"btcusdt@depth@100ms","data":{"e":"depthUpdate","E":1764000000000,"s":"BTCUSDT","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}}"#,
            { bytes throws(DecodeError) in
                guard case .depth(let d) = try Binance.decode(bytes) else { return -1 }
                return try count { body throws(DecodeError) in try d.forEachLevel(priceScale: 8, quantityScale: 8, body) }
            }
        ),
        (
            "Binance depthUpdate, raw stream",
            #"{"e":"depthUpdate","E":123456789,"s":"BNBBTC","U":157,"u":160,"b":[["0.0024","10"]],"a":[["0.0026","100"]]}"#,
            { bytes throws(DecodeError) in
                guard case .depth(let d) = try Binance.decode(bytes) else { return -1 }
                return try count { body throws(DecodeError) in try d.forEachLevel(priceScale: 8, quantityScale: 8, body) }
            }
        ),
        (
            "Binance bookTicker",
            #"{"u":400900217,"s":"BNBUSDT","b":"25.35190000","B":"31.21000000","a":"25.36520000","A":"40.66000000"}"#,
            { bytes throws(DecodeError) in
                guard case .bookTicker = try Binance.decode(bytes) else { return -1 }
                return 0
            }
        ),
        (
            "Binance REST depth snapshot",
            #"{"lastUpdateId":1027024,"bids":[["4.00000000","431.00000000"]],"asks":[["4.00000200","12.00000000"]]}"#,
            { bytes throws(DecodeError) in
                let s = try Binance.decodeSnapshot(bytes)
                return try count { body throws(DecodeError) in try s.forEachLevel(priceScale: 8, quantityScale: 8, body) }
            }
        ),
        (
            "Bybit orderbook snapshot",
            #"{"topic":"orderbook.50.BTCUSDT","type":"snapshot","ts":1672304484978,"data":{"s":"BTCUSDT","b":[["16493.50","0.006"]],"a":[["16611.00","0.029"]],"u":18521288,"seq":7961638724},"cts":1672304484976}"#,
            { bytes throws(DecodeError) in
                let m = try Bybit.decodeBook(bytes)
                return try count { body throws(DecodeError) in try m.forEachLevel(priceScale: 2, quantityScale: 3, body) }
            }
        ),
        (
            "OKX books snapshot",
            #"{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{"asks":[["8476.98","415","0","13"]],"bids":[["8476.97","256","0","12"]],"ts":"1597026383085","checksum":-855196043,"prevSeqId":-1,"seqId":123456}]}"#,
            { bytes throws(DecodeError) in
                let m = try OKX.decodeBook(bytes)
                return try count { body throws(DecodeError) in try m.forEachLevel(priceScale: 2, quantityScale: 0, body) }
            }
        ),
        (
            "Kraken v2 book update",
            #"{"channel":"book","type":"update","data":[{"symbol":"MATIC/USD","bids":[{"price":0.5657,"qty":1098.3947558}],"asks":[],"checksum":2114181697,"timestamp":"2023-10-06T17:35:55.440295Z"}]}"#,
            { bytes throws(DecodeError) in
                let m = try KrakenV2.decodeBook(bytes)
                return try count { body throws(DecodeError) in try m.forEachLevel(priceScale: 4, quantityScale: 8, body) }
            }
        ),
        (
            "Kraken v1 book update",
            #"[1234,{"a":[["5541.30000","2.50700000","1534614248.456738"]],"c":"974942666"},"book-10","XBT/USD"]"#,
            { bytes throws(DecodeError) in
                let m = try KrakenV1.decodeBook(bytes)
                return try count { body throws(DecodeError) in try m.forEachLevel(priceScale: 5, quantityScale: 8, body) }
            }
        ),
        (
            "Coinbase Advanced Trade level2 snapshot",
            #"{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"type":"snapshot","product_id":"BTC-USD","updates":[{"side":"bid","event_time":"1970-01-01T00:00:00Z","price_level":"21921.73","new_quantity":"0.06317902"}]}]}"#,
            { bytes throws(DecodeError) in
                let m = try CoinbaseAdvanced.decode(bytes)
                var n = 0
                try m.forEachBookEvent { event throws(DecodeError) in
                    n += try count { body throws(DecodeError) in try event.forEachLevel(priceScale: 2, quantityScale: 8, body) }
                }
                return n
            }
        ),
        (
            "Coinbase Exchange l2update",
            #"{"type":"l2update","product_id":"BTC-USD","changes":[["buy","10101.80000000","0.162567"]],"time":"2019-08-14T20:42:27.265Z"}"#,
            { bytes throws(DecodeError) in
                guard case .update(let b) = try CoinbaseExchange.decode(bytes) else { return -1 }
                return try count { body throws(DecodeError) in try b.forEachLevel(priceScale: 8, quantityScale: 8, body) }
            }
        ),
    ]

    func read(_ text: String, _ read: Read) -> Result<Int, DecodeError> {
        Array(text.utf8).withUnsafeBytes { bytes in
            do throws(DecodeError) { return .success(try read(bytes)) } catch { return .failure(error) }
        }
    }

    @Test("each venue's message reads with white space after it, and is refused as malformed with anything else after it")
    func trailingBytes() {
        for (name, text, decode) in Self.venues {
            guard case .success(let levels) = read(text, decode), levels >= 0 else {
                Issue.record("\(name): the documented message does not read: \(read(text, decode))")
                continue
            }
            #expect(read(text + " \r\n\t", decode) == .success(levels), "\(name) with white space after it")
            // A stray byte, the end of an enclosing value, a second value, and a second copy of the message.
            for extra in ["x", "]}", "}]}", "{}", ",1", "0", text] {
                let got = read(text + extra, decode)
                guard case .failure(let error) = got else {
                    Issue.record("\(name) followed by \(extra) was read: \(got)")
                    continue
                }
                guard case .malformed = error else {
                    Issue.record("\(name) followed by \(extra): \(error), not malformed")
                    continue
                }
            }
        }
    }
}
