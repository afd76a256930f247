/// Where the last file of a journal ends inside a record: a writer was stopped mid-write (its next open cuts
/// this), or is writing it now.
public struct JournalTornTail: Sendable, Equatable {
    public var file: String
    public var offset: Int
    public var bytes: Int
}

/// Reads every record of a journal directory's files in order, checking each one's CRC.
///
/// A record that fails its check is never handed out. One with intact records after it (or in a file that is
/// not the last) is thrown as `JournalError.corruptRecord`, and the next call goes on at the next intact record;
/// a torn tail at the end of the last file ends the journal (`tornTail` says where). Records of a kind this
/// build does not know, or of a newer layout version, are skipped (`skipped` counts them).
///
/// ```swift
/// var reader = try JournalReader(directory: "journal")
/// while let record = try reader.next() {
///     if let event = record.as(MarketEvent.self) { … }
/// }
/// ```
public struct JournalReader: ~Copyable {
    public let directory: String
    /// The journal's files, in order, as listed at open.
    public let files: [String]
    /// Set when the last file ends inside a record.
    public private(set) var tornTail: JournalTornTail?
    /// Records skipped: unknown kinds and newer layout versions (intact, but not for this build).
    public private(set) var skipped = 0
    /// Records handed out.
    public private(set) var recordsRead = 0
    var index = -1
    var scanner: JournalScanner?

    /// Lists the journal files of `directory`.
    /// - Throws: `JournalError.file` if it cannot be listed.
    public init(directory: String) throws(JournalError) {
        self.directory = directory
        files = try JournalFileName.list(directory).map(\.name)
    }

    /// The next intact record, or nil at the end of the journal. The record is valid until the next call.
    /// - Throws: `JournalError.corruptRecord`, `.badFileHeader`, `.brokenChain`, `.layoutMismatch` or
    ///   `.malformedRecord` for what it finds wrong (then call again to go on past it); `.file` if a file
    ///   cannot be read.
    public mutating func next() throws(JournalError) -> JournalRecord? {
        while true {
            guard let scanner = try currentScanner() else { return nil }
            let name = files[index]
            switch try scanner.step() {
            case .end:
                self.scanner = nil
            case .record(let found):
                guard let kind = JournalRecordKind(rawValue: found.kind), found.version <= kind.currentVersion else {
                    skipped += 1
                    continue
                }
                switch JournalRecord.check(kind: kind, payload: found.payload) {
                case .layout(let expected)?:
                    throw .layoutMismatch(path: scanner.path, offset: found.offset, kind: found.kind, expected: expected, found: found.payload.count)
                case .malformed(let why)?:
                    throw .malformedRecord(path: scanner.path, offset: found.offset, reason: why)
                case nil:
                    recordsRead += 1
                    return JournalRecord(
                        kind: kind, version: found.version, journaledTime: found.journaledTime, eventTime: found.eventTime,
                        file: name, offset: found.offset, payload: found.payload)
                }
            case .bad(let offset, let fault):
                if let next = try scanner.resync(after: offset) {
                    scanner.offset = next
                    throw .corruptRecord(path: scanner.path, offset: offset, bytes: next - offset, reason: fault.rawValue)
                }
                let bytes = scanner.size - offset
                self.scanner = nil
                if index == files.count - 1 {
                    tornTail = JournalTornTail(file: name, offset: offset, bytes: bytes)
                    return nil
                }
                throw .corruptRecord(path: scanner.path, offset: offset, bytes: bytes, reason: fault.rawValue)
            }
        }
    }

    /// The scanner of the file being read, opening the next file when the last one is done (nil past the last).
    private mutating func currentScanner() throws(JournalError) -> JournalScanner? {
        if let scanner { return scanner }
        guard tornTail == nil, index + 1 < files.count else { return nil }
        index += 1
        let path = journalPath(directory, files[index])
        let opened = try JournalScanner(path: path)
        switch opened.header {
        case .failure(.short) where index == files.count - 1:
            // A last file shorter than its header: created by a writer that stopped before writing it.
            tornTail = JournalTornTail(file: files[index], offset: 0, bytes: opened.size)
            return nil
        case .failure(let problem):
            throw .badFileHeader(path: path, reason: "\(problem)")
        case .success(let header):
            scanner = opened
            if index > 0 && header.previousName != files[index - 1] {
                throw .brokenChain(path: path, expectedPrevious: files[index - 1], found: header.previousName)
            }
            return opened
        }
    }
}
