import GantryNet
import Testing

/// Decodes `wire` fed in pieces of `piece` bytes; returns the body and how many bytes were used.
func decode(_ wire: [UInt8], framing: HTTPBodyFraming, piece: Int, limit: Int = 1 << 20) throws -> (String, Int, Bool) {
    var d = HTTPBodyDecoder(framing: framing, limit: limit)
    var used = 0
    var offset = 0
    while offset < wire.count && !d.isComplete {
        let end = min(wire.count, offset + piece)
        let n = try wire[offset..<end].withUnsafeBytes { try d.feed($0) }
        used += n
        offset = end
    }
    return (String(decoding: d.body, as: UTF8.self), used, d.isComplete)
}

@Suite("HTTP bodies")
struct HTTPBodyTests {
    static let chunked = Array("4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-Trailer: t\r\n\r\nNEXT".utf8)

    @Test("chunked bodies (extensions, trailers) decode whole and fed byte by byte, stopping at the next response")
    func chunkedBody() throws {
        for piece in [1, 2, 3, 7, 1_000] {
            var d = HTTPBodyDecoder(framing: .chunked)
            var used = 0
            var offset = 0
            while offset < Self.chunked.count && !d.isComplete {
                let end = min(Self.chunked.count, offset + piece)
                used += try Self.chunked[offset..<end].withUnsafeBytes { try d.feed($0) }
                offset = end
            }
            #expect(String(decoding: d.body, as: UTF8.self) == "Wikipedia in \r\n\r\nchunks.", "piece \(piece)")
            #expect(d.isComplete)
            #expect(used == Self.chunked.count - 4, "piece \(piece)")  // "NEXT" is left for the next response
        }
    }

    @Test("content-length bodies take exactly their length")
    func contentLength() throws {
        var d = HTTPBodyDecoder(framing: .contentLength(5))
        let used = try Array("hello world".utf8).withUnsafeBytes { try d.feed($0) }
        #expect(used == 5 && d.isComplete && d.body == Array("hello".utf8))
    }

    @Test("framing follows the head: chunked wins, no body for 204/304, a bad length is refused")
    func framing() throws {
        func head(_ text: String) throws -> HTTPHead {
            guard case .head(let h) = try Array(text.utf8).withUnsafeBytes({ try parseHTTPHead($0) }) else { throw HTTPBodyError.badChunkTerminator }
            return h
        }
        #expect(try HTTPBodyFraming.of(head("HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n")) == .contentLength(12))
        #expect(try HTTPBodyFraming.of(head("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 3\r\n\r\n")) == .chunked)
        #expect(try HTTPBodyFraming.of(head("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n")) == HTTPBodyFraming.none)
        #expect(try HTTPBodyFraming.of(head("HTTP/1.1 200 OK\r\n\r\n")) == .untilClose)
        #expect(throws: HTTPBodyError.badContentLength("-1")) { try HTTPBodyFraming.of(head("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n")) }
    }

    @Test("malformed chunks and oversize bodies are refused")
    func malformed() {
        #expect(throws: HTTPBodyError.badChunkSize("zz")) { _ = try decode(Array("zz\r\n".utf8), framing: .chunked, piece: 100) }
        #expect(throws: HTTPBodyError.badChunkTerminator) { _ = try decode(Array("2\r\nabX".utf8), framing: .chunked, piece: 100) }
        #expect(throws: HTTPBodyError.tooLarge(limit: 4)) { _ = try decode(Array("5\r\nhello\r\n".utf8), framing: .chunked, piece: 100, limit: 4) }
        #expect(throws: HTTPBodyError.badChunkSize("FFFFFFFFFFFFFFFFF")) { _ = try decode(Array("FFFFFFFFFFFFFFFFF\r\n".utf8), framing: .chunked, piece: 100) }
        // A sign is not a hex digit: "-1" was read as a size of -1 and trapped on the negative range.
        for size in ["-1", "+5", "-0"] {
            #expect(throws: HTTPBodyError.badChunkSize(size)) { _ = try decode(Array("\(size)\r\nhello\r\n0\r\n\r\n".utf8), framing: .chunked, piece: 100) }
        }
    }

    @Test("requests are written exactly, with a length for bodies")
    func requests() {
        var w = HTTPRequestWriter()
        w.write(method: "GET", target: "/api/v3/depth?symbol=BTCUSDT&limit=1000", host: "api.binance.com", headers: [("X-MBX-APIKEY", "k")])
        #expect(String(decoding: w.bytes, as: UTF8.self)
            == "GET /api/v3/depth?symbol=BTCUSDT&limit=1000 HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: k\r\n\r\n")
        w.write(method: "POST", target: "/api/v3/order", host: "h", body: Array("a=1".utf8))
        #expect(String(decoding: w.bytes, as: UTF8.self) == "POST /api/v3/order HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\na=1")
    }
}
