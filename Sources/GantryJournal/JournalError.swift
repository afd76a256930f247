/// Why a journal could not be opened, written or read. Each case names the file (or directory) and the errno
/// value or the offset, so that the message says what to look at.
public enum JournalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The directory could not be created or listed, or a file opened or created (`operation`, errno).
    case file(operation: String, path: String, errno: Int32)
    /// write(2) failed (errno): nothing of the batch stays in the file; the records stay buffered.
    case writeFailed(path: String, errno: Int32)
    /// fdatasync(2) or fsync(2) failed (errno): records written since the last sync may not be on disk.
    case syncFailed(path: String, errno: Int32)
    /// A record does not fit the writer's buffer or the format (payload bytes, the largest allowed).
    case recordTooLarge(payload: Int, limit: Int)
    /// A file's header is not a journal header (bad magic, a newer format version, a bad length or CRC).
    case badFileHeader(path: String, reason: String)
    /// A record that fails its check (`reason`: partial header, short payload, bad length, CRC mismatch) with
    /// intact records after it, or in a file that is not the last: never accepted. `bytes` were skipped; the
    /// reader continues at the next intact record.
    case corruptRecord(path: String, offset: Int, bytes: Int, reason: String)
    /// A record whose CRC holds but whose payload does not have its kind's size (a journal written with
    /// another layout of the event: `expected` and `found` bytes).
    case layoutMismatch(path: String, offset: Int, kind: UInt16, expected: Int, found: Int)
    /// A record whose CRC holds but whose payload is malformed for its kind (text that is not UTF-8, a book
    /// snapshot whose level counts do not match its length).
    case malformedRecord(path: String, offset: Int, reason: String)
    /// A file's header does not follow the file before it (a missing or renamed file between them).
    case brokenChain(path: String, expectedPrevious: String, found: String)

    public var description: String {
        switch self {
        case .file(let op, let path, let e): "journal: \(op) \(path) failed: \(Sys.describe(e)) (errno \(e))"
        case .writeFailed(let path, let e): "journal: write to \(path) failed: \(Sys.describe(e)) (errno \(e))"
        case .syncFailed(let path, let e): "journal: fsync of \(path) failed: \(Sys.describe(e)) (errno \(e))"
        case .recordTooLarge(let n, let limit): "journal: a record of \(n) payload bytes is larger than the \(limit) allowed"
        case .badFileHeader(let path, let why): "journal: \(path) has no valid journal header (\(why))"
        case .corruptRecord(let path, let offset, let bytes, let why):
            "journal: corrupt record in \(path) at offset \(offset) (\(why)); \(bytes) bytes skipped"
        case .layoutMismatch(let path, let offset, let kind, let expected, let found):
            "journal: record of kind \(kind) in \(path) at offset \(offset) has \(found) payload bytes, this build's layout has \(expected)"
        case .malformedRecord(let path, let offset, let why): "journal: malformed record in \(path) at offset \(offset): \(why)"
        case .brokenChain(let path, let expected, let found):
            "journal: \(path) says it follows \"\(found)\", but the file before it is \"\(expected)\""
        }
    }
}
