import Logging

/// What the writer found at open in the directory's last file, and what it did about it.
public struct JournalRecovery: Sendable, Equatable {
    /// The file examined (the directory's last), or nil if the directory held none.
    public var examined: String?
    /// Intact records in it.
    public var records = 0
    /// Where its torn or corrupt tail began (nil if it ended after a whole record), and how many bytes were cut
    /// there: a partial header, a short payload or a CRC mismatch with no intact record after it.
    public var cutAt: Int?
    public var bytesCut = 0
    /// The first corrupt record with intact records after it (nil if none): such a file is left as it is, for
    /// the reader to report, and writing goes on in a new file.
    public var corruptAt: Int?
    /// Whether the examined file's header was invalid (left as it is; writing goes on in a new file).
    public var badHeader = false
    /// Files removed because their header was never completely written (created just before a crash).
    public var removedFiles: [String] = []

    public init() {}
}

/// Where recovery says writing goes on.
struct RecoveredTail {
    /// The file to append to and where its intact records end; nil: start a new file.
    var continueIn: (name: JournalFileName, end: Int)?
    /// For a new file: its sequence and the name of the file before it ("" for the first).
    var nextSequence: UInt64
    var previousName: String
    var report: JournalRecovery
}

extension JournalWriter {
    /// Scans the last file of `directory`: cuts a torn tail, removes a file whose header was never written,
    /// leaves a file with corruption inside (or a bad header) as it is.
    /// - Throws: `JournalError.file` if a file cannot be listed, read, removed or cut.
    static func recover(_ directory: String, fileSizeLimit: Int, logger: Logger) throws(JournalError) -> RecoveredTail {
        var files = try JournalFileName.list(directory)
        var report = JournalRecovery()
        while let last = files.last {
            let path = journalPath(directory, last.name)
            let scanner = try JournalScanner(path: path)
            report.examined = last.name
            if case .failure(let problem) = scanner.header {
                if scanner.size < JournalLayout.fileHeaderLength {
                    // Created just before a crash: nothing can follow a header that was never completely written.
                    let rc = Sys.unlink(path)
                    guard rc == 0 else { throw .file(operation: "remove", path: path, errno: rc) }
                    logger.warning("journal: removed \(last.name): its header was never completely written (\(scanner.size) bytes)")
                    report.removedFiles.append(last.name)
                    files.removeLast()
                    continue
                }
                logger.error("journal: \(last.name) has no valid header (\(problem)); left as it is, writing goes on in a new file")
                report.badHeader = true
                return RecoveredTail(continueIn: nil, nextSequence: last.sequence + 1, previousName: last.name, report: report)
            }
            var end = scanner.offset
            scan: while true {
                switch try scanner.step() {
                case .record:
                    report.records += 1
                    end = scanner.offset
                case .end:
                    break scan
                case .bad(let offset, let fault):
                    if let next = try scanner.resync(after: offset) {
                        if report.corruptAt == nil {
                            report.corruptAt = offset
                            logger.error(
                                "journal: \(last.name) has a corrupt record at offset \(offset) (\(fault.rawValue)) with intact records after it; left as it is for readers to report, writing goes on in a new file"
                            )
                        }
                        scanner.offset = next
                        continue scan
                    }
                    let cut = scanner.size - offset
                    let rc = Sys.truncate(path: path, to: offset)
                    guard rc == 0 else { throw .file(operation: "truncate", path: path, errno: rc) }
                    logger.warning("journal: cut the torn tail of \(last.name) at offset \(offset): \(cut) bytes (\(fault.rawValue))")
                    report.cutAt = offset
                    report.bytesCut = cut
                    end = offset
                    break scan
                }
            }
            if report.corruptAt != nil || end >= fileSizeLimit {
                return RecoveredTail(continueIn: nil, nextSequence: last.sequence + 1, previousName: last.name, report: report)
            }
            return RecoveredTail(continueIn: (last, end), nextSequence: last.sequence, previousName: "", report: report)
        }
        return RecoveredTail(continueIn: nil, nextSequence: 1, previousName: "", report: report)
    }
}
