import GantryCore

/// The fields of one order or fill as a venue decoder found them: byte ranges of the message (no copies), read
/// in whatever order the venue sent them and converted once the instrument, and so the scales, is known.
@usableFromInline
struct OrderFields {
    var symbol: UnsafeRawBufferPointer? = nil
    var clientOrderId: UnsafeRawBufferPointer? = nil
    var venueOrderId: UnsafeRawBufferPointer? = nil
    var side: Side = .none
    var status: OrderStatus? = nil
    var price: UnsafeRawBufferPointer? = nil
    var lastPrice: UnsafeRawBufferPointer? = nil
    var lastQuantity: UnsafeRawBufferPointer? = nil
    var cumulativeQuantity: UnsafeRawBufferPointer? = nil
    /// Order quantity and quantity left (Bybit's execution gives these instead of a cumulative one).
    var orderQuantity: UnsafeRawBufferPointer? = nil
    var leavesQuantity: UnsafeRawBufferPointer? = nil
    var fee: UnsafeRawBufferPointer? = nil
    var feeAsset: UnsafeRawBufferPointer? = nil
    /// OKX reports a charge as a negative fee (a rebate as positive).
    var feeNegated = false
    var tradeId: UInt64 = 0
    var eventTime = Nanos.zero
    var isTaker = true

    /// The update these fields describe.
    /// - Parameters:
    ///   - defaultFeeAsset: The asset of a fee the venue does not name (`.quote` unless told).
    ///   - fallback: The instrument when the message names none or names it otherwise than the configuration (a
    ///     trade-history answer, whose request said the instrument); `.none`: the symbol must be known.
    /// - Throws: `.missingField` for a symbol, side or status not sent, `.unknownSymbol`, `.badNumber`.
    func update(venue: VenueId, instruments: OrderInstruments, defaultFeeAsset: FeeAsset = .quote, fallback: InstrumentId = .none) throws(DecodeError) -> OrderUpdate {
        let named = symbol.flatMap { instruments.instrument(symbol: $0) }
        guard let instrument = named ?? (fallback == .none ? nil : instruments.all.first { $0.id == fallback }) else {
            throw symbol == nil ? .missingField("symbol") : .unknownSymbol
        }
        guard let status else { throw .missingField("status") }
        let ps = instrument.priceScale
        let qs = instrument.quantityScale
        let last = try Self.decimal(lastQuantity, scale: qs, "last quantity")
        var cumulative = try Self.decimal(cumulativeQuantity, scale: qs, "cumulative quantity")
        if cumulativeQuantity == nil, orderQuantity != nil, leavesQuantity != nil {
            cumulative = try Self.decimal(orderQuantity, scale: qs, "order quantity") - Self.decimal(leavesQuantity, scale: qs, "leaves quantity")
        }
        let fillPrice = try Self.decimal(lastPrice, scale: ps, "last price")
        let orderPrice = try Self.decimal(price, scale: ps, "price")
        var asset = FeeAsset.none
        var fee: Int64 = 0
        var native: Int64 = 0
        if let text = self.fee, !Self.isZero(text) {
            asset = feeAsset.map { a in
                instrument.quoteAsset.equals(a) ? .quote : instrument.baseAsset.equals(a) ? .base : .other
            } ?? defaultFeeAsset
            if asset == .none { asset = .quote }
            let sign: Int64 = feeNegated ? -1 : 1
            switch asset {
            case .quote:
                fee = sign * (try Self.decimal(text, scale: instrument.notionalScale, "fee"))
                native = fee
            case .base:
                // The fee in base at the quantity scale, valued at the fill price: exact, at the notional scale.
                native = sign * (try Self.decimal(text, scale: qs, "fee"))
                let (value, overflow) = native.multipliedReportingOverflow(by: fillPrice)
                guard !overflow else { throw .badNumber(field: "fee", .overflow) }
                fee = value
            case .other, .none:
                native = sign * (try Self.decimal(text, scale: OrderUpdate.otherFeeScale, "fee"))
            }
        }
        let isFill = last != 0
        let report = OrderReport(
            status: status, side: side, venue: venue, instrument: instrument.id,
            clientOrderId: clientOrderId.flatMap(ClientOrderIdText.parse) ?? ClientOrderId(raw: 0),
            venueOrderId: venueOrderId.map(Self.orderIdHash) ?? 0, price: Price(raw: isFill ? fillPrice : orderPrice),
            lastQuantity: Quantity(raw: last), cumulativeQuantity: Quantity(raw: cumulative), fee: fee, isTaker: isTaker,
            eventTime: eventTime)
        return OrderUpdate(report: report, tradeId: isFill ? tradeId : 0, feeAsset: asset, nativeFee: native)
    }

    /// A decimal field at `scale`; 0 if absent or empty (venues send "" for what does not apply).
    static func decimal(_ text: UnsafeRawBufferPointer?, scale: Int, _ field: StaticString) throws(DecodeError) -> Int64 {
        guard let text, !text.isEmpty else { return 0 }
        return try JSONCursor.parsed(text, scale: scale, field)
    }

    /// Whether a decimal text is zero ("0", "0.00000000", "-0").
    static func isZero(_ text: UnsafeRawBufferPointer) -> Bool {
        for b in text where b != 0x30 && b != 0x2E && b != 0x2D { return false }
        return true
    }

    /// A venue order id as 64 bits: its value where it is a decimal number that fits (Binance, OKX, Bybit), else
    /// the FNV-1a hash of its text (Kraken's txids, Coinbase's UUIDs).
    static func orderIdHash(_ text: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for b in text {
            let d = b &- 0x30
            guard d < 10 else { return textHash(text) }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return textHash(text) }
            value = sum
        }
        return text.isEmpty ? 0 : value
    }

    /// A request id echoed by a venue: ours are decimal numbers; any other text (not ours) is 0.
    static func requestId(_ text: UnsafeRawBufferPointer) -> UInt64 {
        var value: UInt64 = 0
        for b in text {
            let d = b &- 0x30
            guard d < 10 else { return 0 }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (sum, o2) = m.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return 0 }
            value = sum
        }
        return value
    }

    /// FNV-1a, 64 bits.
    static func textHash(_ text: UnsafeRawBufferPointer) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01B3
        }
        return h
    }
}

extension JSONCursor {
    /// The text of the scalar at the cursor: a string's bytes without quotes, a number's or literal's bytes as
    /// written; nil for `null`, and for an object or array (skipped).
    @usableFromInline
    mutating func scalarText() throws(DecodeError) -> UnsafeRawBufferPointer? {
        let b = try peek()
        if b == 0x22 { return try string() }
        if b == 0x7B || b == 0x5B || b == 0x6E {
            try skipValue()
            return nil
        }
        let start = offset
        try skipValue()
        return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
    }

    /// A millisecond time sent as a number or a numeric string, as wall-clock ns (0 for "" or null).
    @usableFromInline
    mutating func millisecondsText(_ field: StaticString) throws(DecodeError) -> Nanos {
        guard let text = try scalarText(), !text.isEmpty else { return .zero }
        let ms = try JSONCursor.unsigned(text, field)
        guard ms < UInt64(Int64.max / 1_000_000) else { throw .badNumber(field: "\(field)", .overflow) }
        return Nanos(raw: Int64(ms) * 1_000_000)
    }

    /// A signed integer sent as a number or a numeric string (OKX's "51008", Binance's -2010).
    @usableFromInline
    mutating func integerText(_ field: StaticString) throws(DecodeError) -> Int64 {
        guard let text = try scalarText(), !text.isEmpty else { return 0 }
        return try OrderFields.signedInteger(text, field)
    }
}

extension OrderFields {
    static func signedInteger(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> Int64 {
        let negative = text.first == 0x2D
        let magnitude = try JSONCursor.unsigned(negative ? UnsafeRawBufferPointer(rebasing: text[1...]) : text, field)
        guard magnitude <= UInt64(Int64.max) else { throw .badNumber(field: "\(field)", .overflow) }
        return negative ? -Int64(magnitude) : Int64(magnitude)
    }
}

/// Wall-clock times as the venues write them: RFC 3339 in UTC ("2023-09-22T10:33:05.709950Z", Kraken, Coinbase)
/// and ISO 8601 with milliseconds (OKX's REST timestamp header), converted with the civil-date algorithm, no
/// Foundation.
public enum WallTimeText {
    /// Nanoseconds since the epoch of an RFC 3339 UTC time with up to nine fraction digits.
    /// - Throws: `.badNumber` naming `field` for any other form.
    public static func parse(_ text: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> Nanos {
        let b = text
        func digits(_ from: Int, _ n: Int) throws(DecodeError) -> Int64 {
            var v: Int64 = 0
            for k in from..<(from + n) {
                let d = b[k] &- 0x30
                guard d < 10 else { throw .badNumber(field: "\(field)", nil) }
                v = v * 10 + Int64(d)
            }
            return v
        }
        guard b.count >= 20, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x20, b[13] == 0x3A, b[16] == 0x3A,
            b[b.count - 1] == 0x5A
        else { throw .badNumber(field: "\(field)", nil) }
        let (y, m, d) = (try digits(0, 4), try digits(5, 2), try digits(8, 2))
        let (h, mi, s) = (try digits(11, 2), try digits(14, 2), try digits(17, 2))
        guard (1...12).contains(m), (1...31).contains(d), h < 24, mi < 60, s < 61 else { throw .badNumber(field: "\(field)", nil) }
        var fraction: Int64 = 0
        if b.count > 20 {
            let n = b.count - 21
            guard b[19] == 0x2E, (1...9).contains(n) else { throw .badNumber(field: "\(field)", nil) }
            fraction = try digits(20, n)
            for _ in n..<9 { fraction *= 10 }
        } else {
            guard b.count == 20 else { throw .badNumber(field: "\(field)", nil) }
        }
        let seconds = daysFromCivil(y, m, d) * 86_400 + h * 3_600 + mi * 60 + s
        return Nanos(raw: seconds * 1_000_000_000 + fraction)
    }

    /// Days since 1970-01-01 of a civil date (proleptic Gregorian).
    public static func daysFromCivil(_ y: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let yy = m <= 2 ? y - 1 : y
        let era = (yy >= 0 ? yy : yy - 399) / 400
        let yoe = yy - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    /// Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" (24 bytes) for `now`, as OKX's `OK-ACCESS-TIMESTAMP` takes it.
    public static func writeISOMilliseconds(_ now: Nanos, to w: inout ByteWriter) {
        let ms = now.raw / 1_000_000
        var days = ms / 86_400_000
        var rest = ms % 86_400_000
        if rest < 0 {
            rest += 86_400_000
            days -= 1
        }
        // The civil date of `days` (the inverse of `daysFromCivil`).
        let (y, m, d) = CivilDate.from(days: days)
        func two(_ v: Int64, _ w: inout ByteWriter) {
            w.byte(UInt8(v / 10) + 0x30)
            w.byte(UInt8(v % 10) + 0x30)
        }
        two(y / 100, &w)
        two(y % 100, &w)
        w.byte(0x2D)
        two(m, &w)
        w.byte(0x2D)
        two(d, &w)
        w.byte(0x54)
        two(rest / 3_600_000, &w)
        w.byte(0x3A)
        two(rest / 60_000 % 60, &w)
        w.byte(0x3A)
        two(rest / 1_000 % 60, &w)
        w.byte(0x2E)
        w.byte(UInt8(rest % 1_000 / 100) + 0x30)
        two(rest % 100, &w)
        w.byte(0x5A)
    }
}
