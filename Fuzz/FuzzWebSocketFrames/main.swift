// libFuzzer target: RFC 6455 frames, messages and UTF-8, and permessage-deflate (RFC 7692) inflation.
// Built by `make fuzz` with -sanitize=fuzzer,address.
// Any input must give needMoreBytes, a frame or a violation: never a crash, a hang or an out-of-bounds read.
import GantryNet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebSocketFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 1)
    defer { copy.deallocate() }
    copy.copyMemory(from: UnsafeRawBufferPointer(start: data, count: size))
    var buffer = UnsafeMutableRawBufferPointer(rebasing: copy[0..<size])
    let role: WebSocketFrameParser.Role = size > 0 && data[0] & 1 == 1 ? .server : .client
    let compressed = size > 0 && data[0] & 2 == 2
    let parser = WebSocketFrameParser(role: role, maxFramePayload: 1 << 16, allowRSV1: compressed)
    var assembler = WebSocketMessageAssembler(maxMessage: 1 << 16)
    var inflater = WebSocketInflater(maxMessage: 1 << 16)
    while !buffer.isEmpty {
        guard case .frame(let h) = parser.parse(buffer) else { break }
        precondition(h.frameLength <= buffer.count)
        let event = assembler.receive(h, payload: UnsafeRawBufferPointer(rebasing: buffer[h.payloadOffset..<h.frameLength]))
        if case .compressedMessage(_, let payload) = event, case .success(let message) = inflater.inflate(payload) {
            precondition(message.count <= 1 << 16, "inflated past the limit")
        }
        buffer = UnsafeMutableRawBufferPointer(rebasing: buffer[h.frameLength...])
    }
    return 0
}

/// SwiftPM links an executable's entry point as `FuzzWebSocketFrames_main`; hand control to libFuzzer's driver from it.
@_cdecl("FuzzWebSocketFrames_main")
public func FuzzWebSocketFramesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments, fuzzWebSocketFrames)
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt
