import GantryNet
import Testing

func validates(_ bytes: [UInt8], splitAt split: Int? = nil) -> Bool {
    var v = UTF8Validator()
    let cut = split ?? bytes.count
    let a = bytes[0..<cut].withUnsafeBytes { v.feed($0) }
    let b = bytes[cut...].withUnsafeBytes { v.feed($0) }
    return a && b && v.isComplete
}

@Suite("UTF-8 validation")
struct UTF8ValidatorTests {
    static let valid: [[UInt8]] = [
        [], Array("plain ASCII that is longer than eight bytes".utf8), Array("κόσμε".utf8), Array("€ and 𝄞".utf8),
        [0xF4, 0x8F, 0xBF, 0xBF],  // U+10FFFF
        [0xED, 0x9F, 0xBF],  // U+D7FF, just below the surrogates
        [0xEE, 0x80, 0x80],  // U+E000, just above them
    ]
    static let invalid: [[UInt8]] = [
        [0x80], [0xBF], [0xC0, 0x80], [0xC1, 0xBF],  // stray continuation, overlong 2-byte
        [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF],  // overlong 3-byte
        [0xED, 0xA0, 0x80], [0xED, 0xBF, 0xBF],  // surrogates
        [0xF0, 0x80, 0x80, 0x80], [0xF0, 0x8F, 0xBF, 0xBF],  // overlong 4-byte
        [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80], [0xFF],  // above U+10FFFF
        [0xCE], [0xE2, 0x82], [0xF0, 0x9D, 0x84],  // truncated
        Array("κόσμε".utf8) + [0xED, 0xA0, 0x80, 0x65, 0x64, 0x69, 0x74, 0x65, 0x64],  // Autobahn 6.4-style
    ]

    @Test("valid text passes whole and split at every offset", arguments: valid)
    func passes(_ bytes: [UInt8]) {
        for split in 0...bytes.count { #expect(validates(bytes, splitAt: split), "split at \(split)") }
    }

    @Test("invalid text fails whole and split at every offset", arguments: invalid)
    func fails(_ bytes: [UInt8]) {
        for split in 0...bytes.count { #expect(!validates(bytes, splitAt: split), "split at \(split)") }
    }

    @Test("agrees with the standard library's decoder on every two-byte sequence")
    func exhaustiveTwoBytes() {
        for a in 0...255 {
            for b in 0...255 {
                let bytes: [UInt8] = [UInt8(a), UInt8(b)]
                var iterator = bytes.makeIterator()
                var decoder = UTF8()
                var ok = true
                loop: while true {
                    switch decoder.decode(&iterator) {
                    case .scalarValue: continue
                    case .emptyInput: break loop
                    case .error: ok = false; break loop
                    }
                }
                #expect(validates(bytes) == ok, "\(bytes)")
            }
        }
    }
}
