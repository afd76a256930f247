/// A journal file's name: `journal-<sequence, at least 6 digits>-<created, Unix ms>.gj`; a directory's files are
/// read in sequence order.
struct JournalFileName: Equatable, Comparable {
    let sequence: UInt64
    let createdMillis: Int64
    let name: String

    init(sequence: UInt64, createdMillis: Int64) {
        self.sequence = sequence
        self.createdMillis = createdMillis
        let digits = String(sequence)
        name = "journal-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits + "-\(createdMillis).gj"
    }

    /// The parts of `name`, or nil if it is not a journal file's name.
    init?(parsing name: String) {
        guard name.hasPrefix("journal-"), name.hasSuffix(".gj") else { return nil }
        let middle = name.dropFirst(8).dropLast(3).split(separator: "-", omittingEmptySubsequences: false)
        guard middle.count == 2, middle.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
            let sequence = UInt64(middle[0]), let created = Int64(middle[1])
        else { return nil }
        self.sequence = sequence
        self.createdMillis = created
        self.name = name
    }

    static func < (a: JournalFileName, b: JournalFileName) -> Bool {
        (a.sequence, a.createdMillis, a.name) < (b.sequence, b.createdMillis, b.name)
    }

    /// The journal files in `directory`, in order; other names are ignored.
    /// - Throws: `JournalError.file` if the directory cannot be listed.
    static func list(_ directory: String) throws(JournalError) -> [JournalFileName] {
        switch Sys.directoryEntries(directory) {
        case .success(let names): return names.compactMap(JournalFileName.init(parsing:)).sorted()
        case .failure(let e): throw .file(operation: "list", path: directory, errno: e.code)
        }
    }
}

/// `directory/name`.
func journalPath(_ directory: String, _ name: String) -> String {
    directory.hasSuffix("/") ? directory + name : directory + "/" + name
}
