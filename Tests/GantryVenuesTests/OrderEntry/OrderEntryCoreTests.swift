import GantryCore
import GantryVenues
import Testing

@Suite("Order entry's shared parts: client order id text, the request buffer, wall-time text, redacted secrets")
struct OrderEntryCoreTests {
    @Test("a client order id is g + 16 lower-case hex digits and parses back; other texts are not ours")
    func clientOrderIdText() {
        for raw: UInt64 in [0, 1, 0xdead_beef, .max, 0x0123_4567_89ab_cdef] {
            let text = ClientOrderIdText.string(ClientOrderId(raw: raw))
            #expect(text.count == 17 && text.first == "g")
            #expect(text.utf8.allSatisfy { $0 == UInt8(ascii: "g") || Hex.value($0) != nil && !(0x41...0x46).contains($0) })
            let parsed = Array(text.utf8).withUnsafeBytes { ClientOrderIdText.parse($0) }
            #expect(parsed == ClientOrderId(raw: raw))
        }
        #expect(ClientOrderIdText.string(ClientOrderId(raw: 0x0123_4567_89ab_cdef)) == "g0123456789abcdef")
        for other in ["g0123456789ABCDEF", "h0123456789abcdef", "g0123456789abcde", "g0123456789abcdef0", "x-abc", ""] {
            #expect(Array(other.utf8).withUnsafeBytes { ClientOrderIdText.parse($0) } == nil, "\(other)")
        }
    }

    @Test("decimals are written exactly at the instrument's scale without trailing zeros; integers, hex and base64 as expected")
    func writerFormats() throws {
        var buffer = OrderRequestBuffer(capacity: 256)
        buffer.begin()
        buffer.request.decimal(9_700_010, scale: 2)
        buffer.request.byte(0x20)
        buffer.request.decimal(5_000_000, scale: 8)
        buffer.request.byte(0x20)
        buffer.request.decimal(300, scale: 2)
        buffer.request.byte(0x20)
        buffer.request.unsigned(1_645_423_376_532)
        buffer.request.byte(0x20)
        buffer.request.signed(-2010)
        buffer.request.byte(0x20)
        ([0xde, 0xad, 0x01] as [UInt8]).withUnsafeBytes { buffer.request.hex($0) }
        buffer.request.byte(0x20)
        Array("any carnal pleas".utf8).withUnsafeBytes { buffer.request.base64($0) }
        try buffer.finish()
        #expect(buffer.text == "97000.1 0.05 3 1645423376532 -2010 dead01 YW55IGNhcm5hbCBwbGVhcw==")
        #expect(Base64.encode(Array("any carnal pleasure".utf8)) == "YW55IGNhcm5hbCBwbGVhc3VyZQ==")
    }

    @Test("a request that does not fit is a typed error, never a partial request sent as whole or a reallocation")
    func overflow() {
        var buffer = OrderRequestBuffer(capacity: 256)
        buffer.begin()
        for _ in 0..<30 { buffer.request.text("0123456789") }
        #expect(buffer.request.overflowed && buffer.request.count <= 256)
        #expect(throws: OrderEncodeError.bufferTooSmall(capacity: 256)) { try buffer.finish() }
        buffer.begin()
        #expect(!buffer.request.overflowed)
    }

    @Test("RFC 3339 times parse to ns with any fraction length; ISO milliseconds are written for OKX")
    func wallTimes() throws {
        func parse(_ s: String) throws -> Int64 { try Array(s.utf8).withUnsafeBytes { try WallTimeText.parse($0, "t").raw } }
        #expect(try parse("1970-01-01T00:00:00Z") == 0)
        #expect(try parse("2023-09-22T10:33:05.709950Z") == 1_695_378_785_709_950_000)
        #expect(try parse("2023-02-09T20:33:57.609931463Z") == 1_675_974_837_609_931_463)
        #expect(throws: DecodeError.self) { try parse("2023-09-22 10:33") }
        #expect(throws: DecodeError.self) { try parse("2023-13-22T10:33:05Z") }
        var buffer = OrderRequestBuffer(capacity: 256)
        buffer.begin()
        WallTimeText.writeISOMilliseconds(Nanos(raw: 1_607_418_537_715_000_000), to: &buffer.request)
        #expect(buffer.text == "2020-12-08T09:08:57.715Z")
    }

    @Test("secrets and signing keys never show their bytes: description, debugDescription, dump and Mirror are redacted")
    func redacted() {
        let text = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"
        let secret = VenueSecret(text: text)
        let key = HMACSHA256Key(secret)
        let key512 = HMACSHA512Key(secret)
        var dumped = ""
        dump(secret, to: &dumped)
        dump(key, to: &dumped)
        for shown in [String(describing: secret), String(reflecting: secret), String(describing: key), String(reflecting: key), "\(key512)", dumped] {
            #expect(!shown.contains(text) && !shown.contains("NhqPtm"), "\(shown)")
        }
        #expect(Mirror(reflecting: key).children.isEmpty && Mirror(reflecting: secret).children.isEmpty)
        #expect(String(describing: secret) == "VenueSecret(redacted, 64 bytes)")
    }

    @Test("the shared value types stay small: an order request and an update fit what the rings and stages budget")
    func sizes() {
        #expect(MemoryLayout<OrderRequest>.size <= 48)
        #expect(MemoryLayout<OrderReport>.size == 64)
        #expect(MemoryLayout<InlineText>.stride == 128)
        #expect(MemoryLayout<OrderUpdate>.size <= 96)
    }
}
