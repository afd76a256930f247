import GantryCore

/// Up to 120 bytes of text held inline (an API key, a token, a venue's order id, an error message), so that a
/// value type can carry it without a heap object, a reference count or an allocation. Longer text is cut
/// (`init(_:)` says so by returning nil where that matters: keys and tokens).
@frozen
public struct InlineText: Sendable, BitwiseCopyable, Equatable, CustomStringConvertible {
    /// The most bytes it holds.
    public static let capacity = 120
    @usableFromInline var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    @usableFromInline var length: UInt8 = 0

    /// The empty text.
    public init() {}

    /// The text of `bytes`, or nil if it is longer than `capacity`.
    @inlinable
    public init?(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count <= Self.capacity else { return nil }
        self.init(truncating: bytes)
    }

    /// The first `capacity` bytes of `bytes` (an error message: the start says what it is).
    @inlinable
    public init(truncating bytes: UnsafeRawBufferPointer) {
        let n = min(bytes.count, Self.capacity)
        withUnsafeMutableBytes(of: &storage) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[0..<n])) }
        length = UInt8(n)
    }

    /// The text of a `String`, or nil if longer than `capacity` bytes (configuration, tests).
    public init?(_ text: String) {
        var text = text
        guard let t = text.withUTF8({ InlineText(UnsafeRawBufferPointer($0)) }) else { return nil }
        self = t
    }

    /// How many bytes it holds.
    @inlinable public var count: Int { Int(length) }
    @inlinable public var isEmpty: Bool { length == 0 }

    /// Calls `body` with the bytes.
    @inlinable
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try withUnsafeBytes(of: storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<Int(length)])) }
    }

    /// Byte-wise equality with `bytes`.
    @inlinable
    public func equals(_ bytes: UnsafeRawBufferPointer) -> Bool {
        withBytes { mine in mine.count == bytes.count && (mine.count == 0 || memcmp(mine.baseAddress!, bytes.baseAddress!, mine.count) == 0) }
    }

    public static func == (a: InlineText, b: InlineText) -> Bool { b.withBytes { a.equals($0) } }

    /// The text (allocates: for tests and logs of non-secret values).
    public var description: String { withBytes { String(decoding: $0, as: UTF8.self) } }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
