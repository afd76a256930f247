import CCRC32
import CZlib
import Foundation
import Testing

@testable import GantryVenues

@Suite("CRC-32 folded with PCLMULQDQ equals zlib's")
struct CRC32Tests {
    /// zlib's CRC of the bytes, continuing from `crc`.
    func zlib(_ bytes: [UInt8], _ crc: UInt32) -> UInt32 {
        UInt32(truncatingIfNeeded: bytes.withUnsafeBufferPointer { crc32(uLong(crc), $0.baseAddress, uInt($0.count)) })
    }

    @Test("every length from 0 to 1,100 bytes, random bytes, from 0 and from a running value")
    func everyLength() {
        var draws = Draws(state: 0x6372_6333_32)
        for count in 0...1_100 {
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: draws.next(256)) }
            for start: UInt32 in [0, UInt32(truncatingIfNeeded: draws.next(Int(Int32.max)) &* 3)] {
                let folded = bytes.withUnsafeBufferPointer { CRC32.checksum($0.baseAddress ?? UnsafePointer(bitPattern: 1)!, count: count, continuing: start) }
                #expect(folded == zlib(bytes, start), "\(count) bytes from \(start)")
            }
        }
        // The standard check value.
        #expect(Array("123456789".utf8).withUnsafeBufferPointer { CRC32.checksum($0.baseAddress!, count: 9) } == 0xCBF4_3926)
    }

    @Test("a text with zeros in front is folded whole at every length from 0 to 600 bytes, and equals zlib")
    func zeroPadded() {
        var draws = Draws(state: 0x7A65_726F)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let canFold = flags.contains(" pclmulqdq") && flags.contains(" sse4_1")
        for count in 0...600 {
            var buffer = [UInt8](repeating: 0, count: 16 + count)
            for k in 0..<count { buffer[16 + k] = UInt8(truncatingIfNeeded: draws.next(256)) }
            let text = Array(buffer[16...])
            let folded = buffer.withUnsafeBufferPointer { CRC32.checksum(zeroPadded: $0.baseAddress! + 16, count: count) }
            #expect(folded == zlib(text, 0), "\(count) bytes")
            var done: Int32 = 0
            _ = buffer.withUnsafeBufferPointer { gantry_crc32_front_padded($0.baseAddress! + 16, count, &done) }
            #expect((done != 0) == (canFold && (count + 15) / 16 * 16 >= 64), "\(count) bytes")
        }
    }

    @Test("the fold takes every whole 16-byte block from 64 bytes up where the CPU has PCLMULQDQ, none below")
    func foldTaken() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let canFold = flags.contains(" pclmulqdq") && flags.contains(" sse4_1")
        let bytes = [UInt8](repeating: 0x5A, count: 333)
        for (count, expected) in [(63, 0), (64, 64), (79, 64), (80, 80), (333, 320)] {
            var taken = 0
            _ = bytes.withUnsafeBufferPointer { gantry_crc32_blocks(0, $0.baseAddress, count, &taken) }
            #expect(taken == (canFold ? expected : 0), "\(count) bytes")
        }
    }
}
