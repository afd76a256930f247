import GantryCore

/// The text form of a `ClientOrderId` at every venue: "g" followed by the 16 lower-case hex digits of its raw
/// value, 17 characters. It fits each venue's rule for client order ids: Binance `newClientOrderId`
/// (`^[.A-Z:/a-z0-9_-]{1,36}$`), OKX `clOrdId` (letters and digits, starting with a letter, at most 32), Bybit
/// `orderLinkId` (at most 36), Kraken `cl_ord_id` (free text of at most 18 characters) and Coinbase
/// `client_order_id`. Written and read without allocation.
public enum ClientOrderIdText {
    /// Characters in the text form.
    public static let length = 17

    /// Writes the 17 bytes of `id`'s text at `p`.
    /// - Precondition: 17 bytes can be written at `p`.
    @inlinable
    public static func write(_ id: ClientOrderId, to p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(ascii: "g")
        var v = id.raw
        var k = 16
        while k > 0 {
            p[k] = Hex.digit(UInt8(truncatingIfNeeded: v))
            v >>= 4
            k &-= 1
        }
    }

    /// The id whose text form is `text`; nil for anything else (another client's id, an id the venue made up,
    /// upper-case digits, the wrong length).
    @inlinable
    public static func parse(_ text: UnsafeRawBufferPointer) -> ClientOrderId? {
        guard text.count == length, text[0] == UInt8(ascii: "g") else { return nil }
        var v: UInt64 = 0
        for k in 1..<length {
            let c = text[k]
            let d: UInt8
            if c &- 0x30 < 10 {
                d = c &- 0x30
            } else if c &- 0x61 < 6 {
                d = c &- 0x57
            } else {
                return nil
            }
            v = v << 4 | UInt64(d)
        }
        return ClientOrderId(raw: v)
    }

    /// The text form as a `String` (tests, logs).
    public static func string(_ id: ClientOrderId) -> String {
        String(unsafeUninitializedCapacity: length) { buffer in
            write(id, to: buffer.baseAddress!)
            return length
        }
    }
}
