// The differential half of the venue decoder target: where a decoder's literal quick path takes an input, its
// general path (any key order, white space, escapes) must read the same header and the same levels, or both
// must refuse the levels. A quick path that reads something the general one would not is a wrong book that no
// crash would show.
import GantryCore

@testable import GantryVenues

/// A message read by a quick path (nil: not taken) or the general one: its fields and every level, or "error".
func describe<M>(
    _ bytes: UnsafeRawBufferPointer, _ decode: (UnsafeRawBufferPointer) throws(DecodeError) -> M?, fields: (M) -> String,
    levels: (M, (Side, Price, Quantity) -> Void) throws(DecodeError) -> Void
) -> String? {
    do throws(DecodeError) {
        guard let m = try decode(bytes) else { return nil }
        var out = fields(m)
        try levels(m) { out += " | \($0) \($1.raw) \($2.raw)" }
        return out
    } catch {
        return "error"
    }
}

/// Both reads of one venue's message; stops the run if the quick path took it and they differ.
func agree<M>(
    _ venue: StaticString, _ bytes: UnsafeRawBufferPointer, quick: (UnsafeRawBufferPointer) -> M?,
    general: (UnsafeRawBufferPointer) throws(DecodeError) -> M, fields: (M) -> String,
    levels: (M, (Side, Price, Quantity) -> Void) throws(DecodeError) -> Void
) {
    guard let fast = describe(bytes, { quick($0) }, fields: fields, levels: levels) else { return }
    let full = describe(bytes, { bytes throws(DecodeError) in try general(bytes) }, fields: fields, levels: levels)
    precondition(fast == full, "\(venue): the quick path read \(fast), the general path \(full ?? "nothing")")
}

func text(_ bytes: UnsafeRawBufferPointer) -> String { String(decoding: bytes, as: UTF8.self) }

func checkQuickPathsAgree(_ bytes: UnsafeRawBufferPointer) {
    agree(
        "Binance", bytes, quick: { Binance.quickDepthHeader($0).map { Binance.Message.depth($0) } }, general: Binance.decodeInFull,
        fields: { m in
            guard case .depth(let d) = m else { return "other" }
            return "\(text(d.symbol)) \(d.firstUpdateId) \(d.finalUpdateId) \(d.eventTime.raw)"
        },
        levels: { m, body throws(DecodeError) in
            if case .depth(let d) = m { try d.forEachLevel(priceScale: 8, quantityScale: 8, body) }
        })
    agree(
        "Bybit", bytes, quick: Bybit.quickBook, general: Bybit.decodeBookInFull,
        fields: { "\($0.action) \($0.depth) \(text($0.symbol)) \($0.updateId) \($0.crossSequence) \($0.time.raw) \($0.matchingTime.raw)" },
        levels: { m, body throws(DecodeError) in try m.forEachLevel(priceScale: 4, quantityScale: 4, body) })
    agree(
        "OKX", bytes, quick: OKX.quickBook, general: OKX.decodeBookInFull,
        fields: { "\($0.action) \(text($0.instrument)) \($0.time.raw) \($0.checksum) \(String(describing: $0.seqId)) \(String(describing: $0.prevSeqId))" },
        levels: { m, body throws(DecodeError) in try m.forEachLevel(priceScale: 8, quantityScale: 8, body) })
    agree(
        "Kraken v2", bytes, quick: KrakenV2.quickBook, general: KrakenV2.decodeBookInFull,
        fields: { "\($0.isSnapshot) \(text($0.symbol)) \($0.checksum) \($0.hasChecksum)" },
        levels: { m, body throws(DecodeError) in try m.forEachLevel(priceScale: 1, quantityScale: 8, body) })
    agree(
        "Coinbase", bytes, quick: CoinbaseAdvanced.quickDecode, general: CoinbaseAdvanced.decodeInFull,
        fields: { "\($0.channel) \($0.sequence)" },
        levels: { m, body throws(DecodeError) in
            try m.forEachBookEvent { event throws(DecodeError) in
                body(event.isSnapshot ? .buy : .sell, Price(raw: Int64(event.product.count)), Quantity(raw: -1))
                try event.forEachLevel(priceScale: 2, quantityScale: 8, body)
            }
        })
}
