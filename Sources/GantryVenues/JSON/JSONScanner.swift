import GantryCore

#if canImport(Glibc)
import Glibc
#endif

/// Why a venue message could not be decoded. Each names where (byte offset) and what was expected.
public enum DecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The bytes are not the JSON expected at `offset`.
    case malformed(offset: Int, expected: String)
    /// The message ended early.
    case truncated
    /// A field the message type requires is missing.
    case missingField(String)
    /// A number field that does not fit or is not a decimal.
    case badNumber(field: String, DecimalError?)
    /// A symbol the configuration does not know.
    case unknownSymbol
    /// A message type this decoder does not handle (counted, not an error of the venue).
    case unknownMessage

    public var description: String {
        switch self {
        case .malformed(let o, let e): "malformed JSON at byte \(o): expected \(e)"
        case .truncated: "message truncated"
        case .missingField(let f): "missing field \(f)"
        case .badNumber(let f, let e): "bad number in \(f)" + (e.map { ": \($0)" } ?? "")
        case .unknownSymbol: "unknown symbol"
        case .unknownMessage: "unknown message type"
        }
    }
}

/// Reads JSON in place: no tree, no String, no allocation. Values are handed out as byte ranges of the
/// message (strings without their quotes; escapes are left as they are, which venue numbers and symbols
/// never contain). The caller walks the structure it expects and skips what it does not need.
public struct JSONScanner {
    public let bytes: UnsafeRawBufferPointer
    public var offset = 0

    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inlinable
    var atEnd: Bool { offset >= bytes.count }

    /// The next byte that is not white space (without consuming it).
    @inlinable
    public mutating func peek() throws(DecodeError) -> UInt8 {
        while offset < bytes.count {
            let b = bytes[offset]
            if b != 0x20 && b != 0x0A && b != 0x0D && b != 0x09 { return b }
            offset &+= 1
        }
        throw .truncated
    }

    /// After the message's top-level value: nothing but white space may follow.
    @inlinable
    public mutating func expectEnd() throws(DecodeError) {
        while offset < bytes.count {
            let b = bytes[offset]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else {
                throw .malformed(offset: offset, expected: "the end of the message")
            }
            offset &+= 1
        }
    }

    /// Consumes `byte` (after white space).
    @inlinable
    public mutating func expect(_ byte: UInt8, _ what: StaticString) throws(DecodeError) {
        guard try peek() == byte else { throw .malformed(offset: offset, expected: "\(what)") }
        offset &+= 1
    }

    /// Consumes `byte` if it is next. - Returns: whether it was.
    @inlinable
    public mutating func consume(_ byte: UInt8) throws(DecodeError) -> Bool {
        guard try peek() == byte else { return false }
        offset &+= 1
        return true
    }

    /// A string's bytes, without the quotes. The closing quote is found with `memchr` (vectorised); a
    /// backslash before it (rare in venue data) sends the search past the escaped byte.
    @inlinable
    public mutating func string() throws(DecodeError) -> UnsafeRawBufferPointer {
        try expect(0x22, "a string")
        let start = offset
        guard let base = bytes.baseAddress else { throw .truncated }
        var from = offset
        while from < bytes.count {
            guard let hit = memchr(base + from, 0x22, bytes.count - from) else { break }
            let end = UnsafeRawPointer(hit) - base
            // An odd run of backslashes right before the quote escapes it.
            var slashes = 0
            while end - slashes - 1 >= start && bytes[end - slashes - 1] == 0x5C { slashes += 1 }
            if slashes & 1 == 0 {
                offset = end + 1
                return UnsafeRawBufferPointer(rebasing: bytes[start..<end])
            }
            from = end + 1
        }
        throw .truncated
    }

    /// A number's bytes as they stand (integer, fraction, exponent).
    @inlinable
    public mutating func numberBytes() throws(DecodeError) -> UnsafeRawBufferPointer {
        _ = try peek()
        let start = offset
        while offset < bytes.count {
            let b = bytes[offset]
            let isNumberByte = (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x2B || b == 0x2E || b == 0x65 || b == 0x45
            if !isNumberByte { break }
            offset &+= 1
        }
        if offset == start { throw .malformed(offset: offset, expected: "a number") }
        if offset == bytes.count { throw .truncated }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
    }

    /// A non-negative integer (ids, sequence numbers, millisecond times).
    @inlinable
    public mutating func uint64(_ field: StaticString) throws(DecodeError) -> UInt64 {
        try Self.unsigned(try numberBytes(), field)
    }

    /// A signed integer (OKX's checksum and sequence ids).
    @inlinable
    public mutating func int64(_ field: StaticString) throws(DecodeError) -> Int64 {
        let text = try numberBytes()
        var digits = text
        var negative = false
        if let first = text.first, first == 0x2D {
            negative = true
            digits = UnsafeRawBufferPointer(rebasing: text[1...])
        }
        let magnitude = try Self.unsigned(digits, field)
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .badNumber(field: "\(field)", .overflow) }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .badNumber(field: "\(field)", .overflow) }
        return Int64(magnitude)
    }

    /// Decimal digits as an unsigned integer (also for numbers sent as strings, such as OKX's `ts`).
    @inlinable
    public static func unsigned(_ digits: UnsafeRawBufferPointer, _ field: StaticString) throws(DecodeError) -> UInt64 {
        guard !digits.isEmpty else { throw .badNumber(field: "\(field)", nil) }
        var value: UInt64 = 0
        for d in digits {
            let v = d &- 0x30
            guard v < 10 else { throw .badNumber(field: "\(field)", nil) }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(UInt64(v))
            if o1 || o2 { throw .badNumber(field: "\(field)", .overflow) }
            value = s
        }
        return value
    }

    /// A JSON boolean.
    @inlinable
    public mutating func bool() throws(DecodeError) -> Bool {
        _ = try peek()
        if literal("true") { return true }
        if literal("false") { return false }
        throw .malformed(offset: offset, expected: "true or false")
    }

    /// Consumes `word` if the bytes at the offset spell it exactly.
    @inlinable
    mutating func literal(_ word: StaticString) -> Bool {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { return false }
        let w = word.utf8Start
        for i in 0..<n where bytes[offset + i] != w[i] { return false }
        offset += n
        return true
    }

    /// Skips any value (nested objects and arrays included). A container's grammar is checked as it is
    /// stepped over (keys, colons, commas, what follows each value), so that a message whose unread parts are
    /// not JSON is refused, as the quick paths that read those parts refuse it; the numbers and strings in it
    /// are stepped over, not converted.
    public mutating func skipValue() throws(DecodeError) {
        switch try peek() {
        case 0x7B, 0x5B: try skipContainer()
        default: try skipScalar()
        }
    }

    /// A string, a literal or a number at the offset (the number's bytes up to the first that cannot be in one).
    @inlinable
    mutating func skipScalar() throws(DecodeError) {
        switch try peek() {
        case 0x22: _ = try string()
        case 0x74, 0x66: _ = try bool()
        case 0x6E:
            guard literal("null") else { throw .malformed(offset: offset, expected: "null") }
        default: _ = try numberBytes()
        }
    }

    /// Steps over the object or array at the offset, nested ones included (at most 64 deep).
    mutating func skipContainer() throws(DecodeError) {
        // Bit d: the container open at depth d is an object (else an array).
        var objects: UInt64 = 0
        var depth = 0
        var b = try peek()
        while true {
            if b == 0x7B || b == 0x5B {
                guard depth < 64 else { throw .malformed(offset: offset, expected: "at most 64 nested containers") }
                let isObject = b == 0x7B
                if isObject { objects |= 1 << UInt64(depth) } else { objects &= ~(1 << UInt64(depth)) }
                depth += 1
                offset += 1
                if try peek() == (isObject ? 0x7D : 0x5D) {
                    // Empty: it is a whole value; what follows it is checked below.
                    offset += 1
                    depth -= 1
                } else {
                    if isObject {
                        _ = try string()
                        try expect(0x3A, ":")
                    }
                    b = try peek()
                    continue
                }
            } else {
                try skipScalar()
            }
            // After a value: a comma and the next member, or the containers that end here.
            while true {
                if depth == 0 { return }
                let isObject = (objects >> UInt64(depth - 1)) & 1 == 1
                let c = try peek()
                if c == 0x2C {
                    offset += 1
                    if isObject {
                        _ = try string()
                        try expect(0x3A, ":")
                    }
                    b = try peek()
                    break
                }
                guard c == (isObject ? 0x7D : 0x5D) else { throw .malformed(offset: offset, expected: isObject ? ", or }" : ", or ]") }
                offset += 1
                depth -= 1
            }
        }
    }

    /// Walks an object's fields: `body` gets each key and must consume its value (or call `skipValue`).
    @inlinable
    public mutating func object(_ body: (UnsafeRawBufferPointer, inout JSONScanner) throws(DecodeError) -> Void) throws(DecodeError) {
        try expect(0x7B, "{")
        if try consume(0x7D) { return }
        while true {
            let key = try string()
            try expect(0x3A, ":")
            try body(key, &self)
            if try consume(0x2C) { continue }
            try expect(0x7D, "} or ,")
            return
        }
    }

    /// Walks an array: `body` must consume each element.
    @inlinable
    public mutating func array(_ body: (inout JSONScanner) throws(DecodeError) -> Void) throws(DecodeError) {
        try expect(0x5B, "[")
        if try consume(0x5D) { return }
        while true {
            try body(&self)
            if try consume(0x2C) { continue }
            try expect(0x5D, "] or ,")
            return
        }
    }
}

extension UnsafeRawBufferPointer {
    /// Byte-wise equality with an ASCII literal (keys, event names): no allocation.
    ///
    /// Compared a word at a time (two overlapping loads from each side); inlined where it is called, where the
    /// literal's words are constants.
    @_transparent
    public func equals(_ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard count == n else { return false }
        if n == 0 { return true }
        let a = baseAddress!
        let b = UnsafeRawPointer(literal.utf8Start)
        if n >= 8 {
            var k = 0
            while k &+ 8 < n {
                if a.loadUnaligned(fromByteOffset: k, as: UInt64.self) != b.loadUnaligned(fromByteOffset: k, as: UInt64.self) {
                    return false
                }
                k &+= 8
            }
            return a.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) == b.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        }
        if n >= 4 {
            return a.loadUnaligned(as: UInt32.self) == b.loadUnaligned(as: UInt32.self)
                && a.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self) == b.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
        }
        if n >= 2 {
            return a.loadUnaligned(as: UInt16.self) == b.loadUnaligned(as: UInt16.self)
                && a.load(fromByteOffset: n &- 1, as: UInt8.self) == b.load(fromByteOffset: n &- 1, as: UInt8.self)
        }
        return a.load(as: UInt8.self) == b.load(as: UInt8.self)
    }
}
