/// The keys a `Decodable` type reads, found by decoding it from nothing: every key it asks for is recorded with
/// its path, so `ConfigurationCheck`'s list of known keys is the parsers' own and cannot drift from them.
///
/// Paths: `venues[].instruments[].symbol`; a map with keys of the file's choosing (`max_position = { … }`) is
/// recorded as `strategies[].max_position{}`. Only types made of strings, numbers, booleans, arrays, maps and
/// nested structs can be probed (the configuration's tables are).
struct KeyProbe {
    /// Every key path read, and the paths of free-form maps.
    var keys: Set<String> = []
    var maps: Set<String> = []

    /// Adds the keys `type` reads, under `prefix` ("" for the file's top level).
    mutating func add<T: Decodable>(_ type: T.Type, at prefix: String = "") {
        let sink = Sink()
        // The probe's decoder never throws: every value asked for is made up (see ProbeValue).
        _ = try? T(from: ProbeDecoder(path: prefix, sink: sink))
        keys.formUnion(sink.keys)
        maps.formUnion(sink.maps)
    }

    /// What the decoders record into (a class, as the containers are values handed out by protocol methods).
    final class Sink {
        var keys: Set<String> = []
        var maps: Set<String> = []
    }
}

/// A value of each primitive type for the probe to hand back.
private enum ProbeValue {
    static func make<T>(_ type: T.Type) -> T? {
        switch type {
        case is String.Type: return "" as? T
        case is Bool.Type: return false as? T
        case is Double.Type: return 0.0 as? T
        case is Float.Type: return Float(0) as? T
        case is Int.Type: return 0 as? T
        case is Int8.Type: return Int8(0) as? T
        case is Int16.Type: return Int16(0) as? T
        case is Int32.Type: return Int32(0) as? T
        case is Int64.Type: return Int64(0) as? T
        case is UInt.Type: return UInt(0) as? T
        case is UInt8.Type: return UInt8(0) as? T
        case is UInt16.Type: return UInt16(0) as? T
        case is UInt32.Type: return UInt32(0) as? T
        case is UInt64.Type: return UInt64(0) as? T
        default: return nil
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, path: String, sink: KeyProbe.Sink) throws -> T {
        if let v = make(type) { return v }
        return try T(from: ProbeDecoder(path: path, sink: sink))
    }
}

private struct ProbeDecoder: Decoder {
    var path: String
    var sink: KeyProbe.Sink
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(ProbeKeyed<Key>(path: path, sink: sink))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { ProbeUnkeyed(path: path + "[]", sink: sink) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { ProbeSingle(path: path, sink: sink) }
}

private struct ProbeKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    var path: String
    var sink: KeyProbe.Sink
    var codingPath: [any CodingKey] { [] }
    /// Asked for only by a map decoding itself: the table's keys are the file's to choose.
    var allKeys: [Key] {
        sink.maps.insert(path)
        return []
    }

    func child(_ key: Key) -> String {
        let p = path.isEmpty ? key.stringValue : path + "." + key.stringValue
        sink.keys.insert(p)
        return p
    }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try ProbeValue.decode(type, path: child(key), sink: sink) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { _ = child(key); return false }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { _ = child(key); return "" }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { _ = child(key); return 0 }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { _ = child(key); return 0 }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { _ = child(key); return 0 }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { _ = child(key); return 0 }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { _ = child(key); return 0 }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { _ = child(key); return 0 }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { _ = child(key); return 0 }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { _ = child(key); return 0 }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { _ = child(key); return 0 }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { _ = child(key); return 0 }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { _ = child(key); return 0 }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { _ = child(key); return 0 }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        KeyedDecodingContainer(ProbeKeyed<NestedKey>(path: child(key), sink: sink))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { ProbeUnkeyed(path: child(key) + "[]", sink: sink) }
    func superDecoder() throws -> any Decoder { ProbeDecoder(path: path, sink: sink) }
    func superDecoder(forKey key: Key) throws -> any Decoder { ProbeDecoder(path: child(key), sink: sink) }
}

/// An array of one element: enough to learn the element's keys.
private struct ProbeUnkeyed: UnkeyedDecodingContainer {
    var path: String
    var sink: KeyProbe.Sink
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 1 }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex >= 1 }

    init(path: String, sink: KeyProbe.Sink) {
        self.path = path
        self.sink = sink
    }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode(_ type: Bool.Type) throws -> Bool { currentIndex += 1; return false }
    mutating func decode(_ type: String.Type) throws -> String { currentIndex += 1; return "" }
    mutating func decode(_ type: Double.Type) throws -> Double { currentIndex += 1; return 0 }
    mutating func decode(_ type: Float.Type) throws -> Float { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int.Type) throws -> Int { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { currentIndex += 1; return 0 }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt.Type) throws -> UInt { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { currentIndex += 1; return 0 }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { currentIndex += 1; return 0 }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        currentIndex += 1
        return try ProbeValue.decode(type, path: path, sink: sink)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        currentIndex += 1
        return KeyedDecodingContainer(ProbeKeyed<NestedKey>(path: path, sink: sink))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        currentIndex += 1
        return ProbeUnkeyed(path: path + "[]", sink: sink)
    }
    mutating func superDecoder() throws -> any Decoder { ProbeDecoder(path: path, sink: sink) }
}

private struct ProbeSingle: SingleValueDecodingContainer {
    var path: String
    var sink: KeyProbe.Sink
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { false }
    func decode(_ type: String.Type) throws -> String { "" }
    func decode(_ type: Double.Type) throws -> Double { 0 }
    func decode(_ type: Float.Type) throws -> Float { 0 }
    func decode(_ type: Int.Type) throws -> Int { 0 }
    func decode(_ type: Int8.Type) throws -> Int8 { 0 }
    func decode(_ type: Int16.Type) throws -> Int16 { 0 }
    func decode(_ type: Int32.Type) throws -> Int32 { 0 }
    func decode(_ type: Int64.Type) throws -> Int64 { 0 }
    func decode(_ type: UInt.Type) throws -> UInt { 0 }
    func decode(_ type: UInt8.Type) throws -> UInt8 { 0 }
    func decode(_ type: UInt16.Type) throws -> UInt16 { 0 }
    func decode(_ type: UInt32.Type) throws -> UInt32 { 0 }
    func decode(_ type: UInt64.Type) throws -> UInt64 { 0 }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try ProbeValue.decode(type, path: path, sink: sink) }
}
