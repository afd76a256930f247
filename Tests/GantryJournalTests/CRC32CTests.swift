import Testing

@testable import GantryJournal

@Suite("CRC-32C")
struct CRC32CTests {
    static func crc(_ bytes: [UInt8], portable: Bool = false) -> UInt32 {
        bytes.withUnsafeBytes { b in
            portable ? CRC32C.portable(b.baseAddress ?? UnsafeRawPointer(bitPattern: 8)!, count: b.count) : CRC32C.checksum(b)
        }
    }

    // The check value of the CRC catalogue, and RFC 3720's (iSCSI) test vectors (B.4), read as little-endian.
    static let vectors: [(String, [UInt8], UInt32)] = [
        ("123456789", Array("123456789".utf8), 0xE306_9283),
        ("32 zero bytes", [UInt8](repeating: 0, count: 32), 0x8A91_36AA),
        ("32 bytes of 0xFF", [UInt8](repeating: 0xFF, count: 32), 0x62A8_AB43),
        ("32 ascending bytes", (0..<32).map { UInt8($0) }, 0x46DD_794E),
        ("32 descending bytes", (0..<32).map { UInt8(31 - $0) }, 0x113F_DB5C),
        ("nothing", [], 0),
    ]

    @Test("the hardware path and the portable table give the published CRC-32C values", arguments: 0..<6)
    func knownVectors(_ k: Int) {
        let (_, bytes, expected) = Self.vectors[k]
        #expect(Self.crc(bytes) == expected)
        #expect(Self.crc(bytes, portable: true) == expected)
    }

    @Test("the hardware path equals the portable table on every length 0…1,100 at every alignment")
    func hardwareEqualsPortable() {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let bytes = (0..<1_120).map { _ -> UInt8 in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for length in 0...1_100 {
                    let p = all.baseAddress! + start
                    let hardware = CRC32C.checksum(UnsafeRawBufferPointer(start: p, count: length))
                    let portable = CRC32C.portable(p, count: length)
                    if hardware != portable {
                        Issue.record("length \(length) at offset \(start): hardware \(hardware), portable \(portable)")
                        return
                    }
                }
            }
        }
    }

    @Test("a CRC continued over two parts, split anywhere, equals the CRC of the whole")
    func continuation() {
        let bytes = Array("The journal checks every record with CRC-32C, Castagnoli's polynomial.".utf8)
        let whole = Self.crc(bytes)
        bytes.withUnsafeBytes { all in
            for split in 0...bytes.count {
                let first = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[..<split]))
                #expect(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[split...]), continuing: first) == whole)
                let portableFirst = CRC32C.portable(all.baseAddress!, count: split)
                #expect(CRC32C.portable(all.baseAddress! + split, count: bytes.count - split, continuing: portableFirst) == whole)
            }
        }
    }
}
