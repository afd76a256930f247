// libFuzzer target: the venue decoders and their book syncs (Binance, OKX, Kraken v1 and v2, Bybit,
// Coinbase Advanced Trade and Exchange). Built by `make fuzz` with
// -sanitize=fuzzer,address. Any input must decode or throw a DecodeError: never a crash, a hang, an
// out-of-bounds read, or a book left crossed and live; and where a quick path takes it, the general path must
// read the same (QuickPaths.swift).
import GantryBook
import GantryCore
import GantryVenues

nonisolated(unsafe) var binance: BinanceBookSync? = nil
nonisolated(unsafe) var okx: OKXBookSync? = nil
nonisolated(unsafe) var kraken: KrakenV1BookSync? = nil
nonisolated(unsafe) var krakenV2: KrakenV2BookSync? = nil
nonisolated(unsafe) var bybit: BybitBookSync? = nil
nonisolated(unsafe) var coinbase: CoinbaseBookSync? = nil
nonisolated(unsafe) var coinbaseSequence = CoinbaseSequence()

/// A crossed book must never stay live, whatever the input.
func checkNotCrossedAndLive(_ book: borrowing L2Book, _ venue: StaticString) {
    let live = book.state == .live
    let crossed = book.isCrossed
    precondition(!(live && crossed), "a crossed \(venue) book stayed live")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVenueDecoders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    checkQuickPathsAgree(bytes)
    if binance == nil {
        binance = BinanceBookSync(venue: VenueId(raw: 1), instrument: InstrumentId(raw: 1), priceScale: 8, quantityScale: 8)
        let snapshot = #"{"lastUpdateId":10,"bids":[["1.00000000","5.00000000"]],"asks":[["1.10000000","5.00000000"]]}"#
        _ = try? Array(snapshot.utf8).withUnsafeBytes { try binance!.load(Binance.decodeSnapshot($0)) }
    }
    if let message = try? Binance.decode(bytes), case .depth(let diff) = message {
        _ = try? binance!.apply(diff)
        let live = binance!.book.state == .live
        let crossed = binance!.book.isCrossed
        precondition(!(live && crossed), "a crossed book stayed live")
    }
    _ = try? Binance.decodeSnapshot(bytes)
    if okx == nil { okx = OKXBookSync(venue: VenueId(raw: 4), instrument: InstrumentId(raw: 1), priceScale: 8, quantityScale: 8) }
    if let message = try? OKX.decodeBook(bytes) {
        let outcome = try? okx!.apply(message)
        let live = okx!.book.state == .live
        let crossed = okx!.book.isCrossed
        precondition(!(live && crossed), "a crossed OKX book stayed live")
        _ = outcome
    }
    if kraken == nil { kraken = KrakenV1BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 1), priceScale: 5, quantityScale: 8, depth: 10) }
    if let message = try? KrakenV1.decodeBook(bytes) { _ = try? kraken!.apply(message) }
    if krakenV2 == nil { krakenV2 = KrakenV2BookSync(venue: VenueId(raw: 3), instrument: InstrumentId(raw: 2), priceScale: 1, quantityScale: 8, depth: 10) }
    if let message = try? KrakenV2.decodeBook(bytes) {
        _ = try? krakenV2!.apply(message)
        checkNotCrossedAndLive(krakenV2!.book, "Kraken v2")
    }
    if bybit == nil { bybit = BybitBookSync(venue: VenueId(raw: 5), instrument: InstrumentId(raw: 1), priceScale: 4, quantityScale: 2) }
    if let message = try? Bybit.decodeBook(bytes) {
        _ = try? bybit!.apply(message)
        checkNotCrossedAndLive(bybit!.book, "Bybit")
    }
    if coinbase == nil { coinbase = CoinbaseBookSync(venue: VenueId(raw: 2), instrument: InstrumentId(raw: 1), priceScale: 8, quantityScale: 8) }
    if let message = try? CoinbaseAdvanced.decode(bytes) {
        if case .gap = coinbaseSequence.check(message.sequence) { coinbase!.markStale() }
        try? message.forEachBookEvent { event throws(DecodeError) in _ = try coinbase!.apply(event) }
        checkNotCrossedAndLive(coinbase!.book, "Coinbase")
    }
    switch try? CoinbaseExchange.decode(bytes) {
    case .snapshot(let m)?: _ = try? coinbase!.apply(m, isSnapshot: true)
    case .update(let m)?: _ = try? coinbase!.apply(m, isSnapshot: false)
    default: break
    }
    checkNotCrossedAndLive(coinbase!.book, "Coinbase")
    // The readers of messages that are not book data (control, the venue's errors, unknown).
    _ = try? Binance.classifyOther(bytes)
    _ = try? Bybit.classifyOther(bytes)
    _ = try? OKX.classifyOther(bytes)
    _ = try? KrakenV2.classifyOther(bytes)
    if case .venueError(let words)? = try? CoinbaseAdvanced.classifyOther(bytes), words.utf8.count > OtherMessage.errorTextLimit {
        fatalError("a venue error's words are longer than the limit: \(words.utf8.count) bytes")
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzVenueDecoders_main`; hand control to libFuzzer's driver.
@_cdecl("FuzzVenueDecoders_main")
public func FuzzVenueDecodersMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzVenueDecoders)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
