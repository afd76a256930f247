// libFuzzer target: HTTP/1.1 response heads and bodies (content-length, chunked, until-close).
import GantryNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzHTTPResponse(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    guard case .head(let head)? = try? parseHTTPHead(bytes, limit: 8_192) else { return 0 }
    guard let framing = try? HTTPBodyFraming.of(head) else { return 0 }
    var decoder = HTTPBodyDecoder(framing: framing, limit: 1 << 16)
    var rest = UnsafeRawBufferPointer(rebasing: bytes[head.length...])
    // Feed in two pieces split by the first byte's value, to exercise resumption.
    let cut = rest.isEmpty ? 0 : Int(rest[0]) % (rest.count + 1)
    for piece in [UnsafeRawBufferPointer(rebasing: rest[0..<cut]), UnsafeRawBufferPointer(rebasing: rest[cut...])] {
        guard let used = try? decoder.feed(piece) else { return 0 }
        precondition(used <= piece.count)
        if decoder.isComplete { break }
    }
    rest = UnsafeRawBufferPointer(start: nil, count: 0)
    _ = decoder.finishAtClose()
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzHTTPResponse_main`; hand control to libFuzzer's driver from it.
@_cdecl("FuzzHTTPResponse_main")
public func FuzzHTTPResponseMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzHTTPResponse)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
