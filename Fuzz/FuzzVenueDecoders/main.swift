// libFuzzer target: the venue decoders and their book syncs (Binance, OKX and Kraken v1 so far). Built by `make fuzz` with
// -sanitize=fuzzer,address. Any input must decode or throw a DecodeError: never a crash, a hang, an
// out-of-bounds read, or a book left crossed and live.
import GantryBook
import GantryCore
import GantryVenues

nonisolated(unsafe) var binance: BinanceBookSync? = nil
nonisolated(unsafe) var okx: OKXBookSync? = nil
nonisolated(unsafe) var kraken: KrakenV1BookSync? = nil

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVenueDecoders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
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
