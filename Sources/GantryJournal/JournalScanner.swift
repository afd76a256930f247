import GantryCore

/// Reads one journal file's records in order and checks each (length, whole record present, CRC): what the
/// reader iterates and what the writer's recovery scans. Reads through a buffer (1 MiB, grown for a larger
/// record) with pread, so a file larger than memory is fine; a record it hands out points into that buffer
/// and stays valid until the next `step` or `resync`.
///
/// A final class owned by one reader or one recovery at a time (not shared between threads).
final class JournalScanner {
    let path: String
    let fd: Int32
    private(set) var header: Result<JournalFileHeader, JournalFileHeader.Problem>
    /// The file's size as last seen (looked at again when a record seems to run past it).
    private(set) var size: Int
    /// Where the next record starts.
    var offset: Int
    private var buffer: UnsafeMutableRawPointer
    private var capacity: Int
    /// The file offset of `buffer[0]`, and how many bytes from there the buffer holds.
    private var base = 0
    private var filled = 0

    /// A record found intact.
    struct Found {
        var offset: Int
        var kind: UInt16
        var version: UInt16
        var journaledTime: Nanos
        var eventTime: Nanos
        var payload: UnsafeRawBufferPointer
    }

    /// Why the bytes at an offset are not a record.
    enum Fault: String, Equatable {
        case partialHeader = "partial header"
        case shortPayload = "short payload"
        case badLength = "length past the format's limit"
        case checksumMismatch = "CRC mismatch"
    }

    enum Step {
        case record(Found)
        /// The file ends exactly after the last record.
        case end
        /// The bytes at `offset` are not an intact record.
        case bad(offset: Int, Fault)
    }

    /// Opens `path` and reads its header; records start after it (or at the 128-byte mark if it is bad).
    /// - Throws: `JournalError.file` if it cannot be opened or read.
    init(path: String) throws(JournalError) {
        let fd = Sys.openForReading(path)
        guard fd >= 0 else { throw .file(operation: "open", path: path, errno: -fd) }
        let size = Sys.fileSize(fd)
        guard size >= 0 else {
            Sys.close(fd)
            throw .file(operation: "stat", path: path, errno: Int32(-size))
        }
        self.path = path
        self.fd = fd
        self.size = size
        capacity = 1 << 20
        buffer = .allocate(byteCount: capacity, alignment: 4096)
        offset = JournalLayout.fileHeaderLength
        header = .failure(.short)
        let got = try load(0, min(size, JournalLayout.fileHeaderLength + 4096))
        header = JournalFileHeader.decode(UnsafeRawBufferPointer(start: buffer, count: got))
        if case .success(let h) = header { offset = h.headerLength }
    }

    deinit {
        Sys.close(fd)
        buffer.deallocate()
    }

    /// The next record, the clean end of the file, or what is wrong at the current offset (which then stays).
    /// - Throws: `JournalError.file` if the file cannot be read.
    func step() throws(JournalError) -> Step {
        let o = offset
        if o >= size { try refreshSize() }
        if o == size { return .end }
        guard try ensure(o, JournalLayout.recordHeaderLength) else { return .bad(offset: o, .partialHeader) }
        let at = buffer + (o - base)
        let length = Int(UInt32(littleEndian: at.loadUnaligned(as: UInt32.self)))
        guard length <= JournalLayout.maximumPayload else { return .bad(offset: o, .badLength) }
        let footprint = JournalLayout.footprint(payload: length)
        guard try ensure(o, footprint) else { return .bad(offset: o, .shortPayload) }
        let record = buffer + (o - base)
        let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let checked = JournalLayout.recordHeaderLength - JournalLayout.checkedFrom + length
        guard CRC32C.checksum(record + JournalLayout.checkedFrom, count: checked) == stored else {
            return .bad(offset: o, .checksumMismatch)
        }
        offset = o + footprint
        return .record(
            Found(
                offset: o,
                kind: UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 8, as: UInt16.self)),
                version: UInt16(littleEndian: record.loadUnaligned(fromByteOffset: 10, as: UInt16.self)),
                journaledTime: Nanos(raw: Int64(littleEndian: record.loadUnaligned(fromByteOffset: 16, as: Int64.self))),
                eventTime: Nanos(raw: Int64(littleEndian: record.loadUnaligned(fromByteOffset: 24, as: Int64.self))),
                payload: UnsafeRawBufferPointer(start: record + JournalLayout.recordHeaderLength, count: length)))
    }

    /// The offset of the first intact record after the bad bytes at `bad` (looked for at every multiple of 8,
    /// as records are), or nil if none follows before the end of the file: then the bad bytes are a torn tail.
    /// - Throws: `JournalError.file` if the file cannot be read.
    func resync(after bad: Int) throws(JournalError) -> Int? {
        try refreshSize()
        var candidate = bad + 8
        while candidate + JournalLayout.recordHeaderLength <= size {
            guard try ensure(candidate, JournalLayout.recordHeaderLength) else { return nil }
            let at = buffer + (candidate - base)
            let length = Int(UInt32(littleEndian: at.loadUnaligned(as: UInt32.self)))
            let kind = UInt16(littleEndian: at.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
            if kind != 0, length <= JournalLayout.maximumPayload, candidate + JournalLayout.footprint(payload: length) <= size {
                let footprint = JournalLayout.footprint(payload: length)
                if try ensure(candidate, footprint) {
                    let record = buffer + (candidate - base)
                    let stored = UInt32(littleEndian: record.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                    let checked = JournalLayout.recordHeaderLength - JournalLayout.checkedFrom + length
                    if CRC32C.checksum(record + JournalLayout.checkedFrom, count: checked) == stored { return candidate }
                }
            }
            candidate += 8
        }
        return nil
    }

    private func refreshSize() throws(JournalError) {
        let now = Sys.fileSize(fd)
        guard now >= 0 else { throw .file(operation: "stat", path: path, errno: Int32(-now)) }
        size = now
    }

    /// Makes the buffer hold bytes `o ..< o + count` of the file. - Returns: false if the file ends before.
    private func ensure(_ o: Int, _ count: Int) throws(JournalError) -> Bool {
        if o >= base && o + count <= base + filled { return true }
        if o + count > size { try refreshSize() }
        if o + count > size { return false }
        if count > capacity {
            buffer.deallocate()
            capacity = max(count, capacity * 2)
            buffer = .allocate(byteCount: capacity, alignment: 4096)
            filled = 0
        }
        return try load(o, capacity) >= count
    }

    /// Reads up to `count` bytes from file offset `o` to the start of the buffer. - Returns: bytes read.
    @discardableResult
    private func load(_ o: Int, _ count: Int) throws(JournalError) -> Int {
        let n = Sys.readFully(fd, into: buffer, count: min(count, capacity), at: o)
        guard n >= 0 else { throw .file(operation: "read", path: path, errno: Int32(-n)) }
        base = o
        filled = n
        return n
    }
}
