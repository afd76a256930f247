import GantryCore
import Logging

/// When the writer asks the kernel to put written records on disk (fdatasync).
public enum JournalSyncPolicy: Sendable, Equatable {
    /// After every batch's write, before `flush` returns: a flushed record is on disk. The writer waits for the
    /// disk once per batch.
    case everyBatch
    /// From a background thread every interval, when something was written since the last sync: a record is on
    /// disk within about the interval (plus the sync's own time) after its batch was written, and the writer
    /// never waits for the disk but at close (at a rotation the background thread syncs and closes the old file).
    case interval(Nanos)
    /// Never (not at rotation or close either): a process crash loses nothing written (the kernel holds it);
    /// a power loss may lose what the kernel had not yet written back, and the torn tail is cut at the next open.
    case never
}

/// Where and how a journal is written.
public struct JournalConfiguration: Sendable, Equatable {
    /// The directory of the journal's files (created with its parents if missing, 0700).
    public var directory: String
    /// When records are forced to disk.
    public var sync: JournalSyncPolicy
    /// A new file is started before a record would take the current one past this many bytes.
    public var fileSizeLimit: Int
    /// The group-commit buffer, allocated and touched once at open; a record's payload must fit in it.
    public var bufferSize: Int

    /// - Traps if `fileSizeLimit` or `bufferSize` is under 4 KiB.
    public init(
        directory: String, sync: JournalSyncPolicy = .interval(.milliseconds(10)), fileSizeLimit: Int = 256 << 20,
        bufferSize: Int = 4 << 20
    ) {
        precondition(fileSizeLimit >= 4096 && bufferSize >= 4096, "journal file size limit and buffer must be at least 4 KiB")
        self.directory = directory
        self.sync = sync
        self.fileSizeLimit = fileSizeLimit
        self.bufferSize = bufferSize
    }
}

/// What a writer has done since it opened.
public struct JournalWriterStats: Sendable, Equatable {
    /// Records appended (buffered or written).
    public var records = 0
    /// Bytes written to files: records and file headers.
    public var bytes = 0
    /// write(2) calls: one per batch.
    public var batches = 0
    /// New files started after the first.
    public var rotations = 0
    /// fdatasyncs the writer waited for itself (every batch, rotation, `sync`, close); the background ones of
    /// the `.interval` policy are `JournalWriter.backgroundSyncs`.
    public var syncs = 0
    /// The longest single batch write.
    public var longestWrite: Nanos = .zero
    /// The longest rotation (the old file's sync, the new file's creation and header, the directory's sync).
    public var longestRotation: Nanos = .zero

    public init() {}
}

/// Appends records to a journal directory: each is copied into one preallocated buffer (its header and CRC
/// written there) and a batch goes to the file in one write(2) at `flush`, or when the buffer is full. Nothing
/// is allocated per record; a rotation (a new file's name) allocates a little.
///
/// Opening recovers the directory's last file (see `JournalRecovery`): a torn tail is cut at the last intact
/// record and writing continues there.
///
/// `@unchecked Sendable`: it may move to another thread (it is `~Copyable`, so one thread owns it at a time, and
/// it is used only there); what it shares with the `.interval` policy's sync thread is atomic.
///
/// ```
///   buffer ┌ record ┬ record ┬ … ┬─────── free ───────┐   flush: write(2) of [0, used), then used = 0
///          0                    used                capacity
/// ```
public struct JournalWriter: ~Copyable, @unchecked Sendable {
    public let configuration: JournalConfiguration
    /// What opening found and did.
    public let recovery: JournalRecovery
    public private(set) var stats = JournalWriterStats()
    /// The name of the file being written.
    public private(set) var fileName: String
    var fileSequence: UInt64
    var fd: Int32
    let directoryFd: Int32
    /// Bytes in the current file, written (not counting the buffer).
    var fileOffset: Int
    let buffer: UnsafeMutableRawPointer
    let capacity: Int
    /// Bytes of records in the buffer, not yet written.
    var used = 0
    let syncer: JournalSyncer?
    var closed = false
    /// A failed write left part of a batch in the current file: the next batch starts a new file.
    var damaged = false
    let logger = Logger(label: "gantry.journal")

    /// Opens (creating if needed) the journal in `configuration.directory`, recovering its last file.
    /// - Throws: `JournalError.file` if the directory or a file cannot be created, read or cut.
    public init(_ configuration: JournalConfiguration) throws(JournalError) {
        let directory = configuration.directory
        let made = Sys.makeDirectories(directory)
        guard made == 0 else { throw .file(operation: "create directory", path: directory, errno: made) }
        let directoryFd = Sys.openDirectory(directory)
        guard directoryFd >= 0 else { throw .file(operation: "open directory", path: directory, errno: -directoryFd) }
        let syncs = configuration.sync != .never
        let fd: Int32
        let name: JournalFileName
        let end: Int
        let tail: RecoveredTail
        do throws(JournalError) {
            tail = try Self.recover(directory, fileSizeLimit: configuration.fileSizeLimit, logger: Logger(label: "gantry.journal"))
            if let (existing, at) = tail.continueIn {
                let path = journalPath(directory, existing.name)
                fd = Sys.openForAppending(path)
                guard fd >= 0 else { throw .file(operation: "open", path: path, errno: -fd) }
                if syncs && tail.report.bytesCut > 0 {
                    let rc = Sys.dataSync(fd)
                    guard rc == 0 else {
                        Sys.close(fd)
                        throw .syncFailed(path: path, errno: rc)
                    }
                }
                (name, end) = (existing, at)
            } else {
                (fd, name) = try Self.createFile(
                    directory, directoryFd: directoryFd, sequence: tail.nextSequence, previous: tail.previousName, sync: syncs)
                end = JournalLayout.fileHeaderLength
            }
        } catch {
            Sys.close(directoryFd)
            throw error
        }
        self.configuration = configuration
        self.directoryFd = directoryFd
        self.fd = fd
        recovery = tail.report
        fileName = name.name
        fileSequence = name.sequence
        fileOffset = end
        capacity = configuration.bufferSize
        buffer = .allocate(byteCount: capacity, alignment: 4096)
        // Touched now, so that no page fault waits in the first batches.
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity)
        if case .interval(let every) = configuration.sync {
            syncer = JournalSyncer(fd: fd, directoryFd: directoryFd, interval: every)
        } else {
            syncer = nil
        }
        if tail.continueIn == nil { stats.bytes = JournalLayout.fileHeaderLength }
    }

    deinit {
        if !closed {
            if used > 0 {
                let rc = Sys.writeAll(fd, buffer, used)
                if rc != 0 { logger.error("journal: \(used) buffered bytes lost at close: write failed (errno \(rc))") }
            }
            syncer?.stop()
            if let e = syncer?.takeFailure() { logger.error("journal: a background fsync of \(fileName) failed (errno \(e))") }
            if configuration.sync != .never {
                let rc = Sys.dataSync(fd)
                if rc != 0 { logger.error("journal: fsync of \(fileName) at close failed (errno \(rc))") }
            }
            Sys.close(fd)
            Sys.close(directoryFd)
        }
        buffer.deallocate()
    }

    /// The path of the file being written.
    public var path: String { journalPath(configuration.directory, fileName) }

    /// fdatasyncs done by the `.interval` policy's background thread.
    public var backgroundSyncs: Int { syncer?.syncs.load(ordering: .relaxed) ?? 0 }

    /// Bytes buffered, not yet written.
    public var pendingBytes: Int { used }

    /// Appends one event as a record of its kind (its bytes as they are in memory).
    /// - Parameter journaledTime: Wall-clock ns for the record header (a stage reads the clock once per batch).
    /// - Throws: `JournalError` if the buffer was full and writing it (or rotating) failed: the event is not
    ///   appended.
    public mutating func append<E: JournalEvent>(_ event: E, journaledTime: Nanos = WallClock.now()) throws(JournalError) {
        let size = MemoryLayout<E>.size
        let record = try claim(payload: size)
        // SAFETY: `claim` made room for the header and `size` payload bytes at `record`.
        withUnsafeBytes(of: event) { (record + JournalLayout.recordHeaderLength).copyMemory(from: $0.baseAddress!, byteCount: size) }
        seal(record, kind: E.journalKind.rawValue, version: E.journalKind.currentVersion, payload: size,
             eventTime: event.journalEventTime, journaledTime: journaledTime)
    }

    /// Appends UTF-8 text as a record of a text kind (`configuration`, `alert`, `killSwitchStep`, `note`).
    /// - Throws: `JournalError.recordTooLarge`, or a write error as `append(_:journaledTime:)`.
    /// - Traps if `kind` is not a text kind.
    public mutating func append(
        text: String, kind: JournalRecordKind, eventTime: Nanos = .zero, journaledTime: Nanos = WallClock.now()
    ) throws(JournalError) {
        precondition(kind.isText, "journal: \(kind) is not a text kind")
        var text = text
        let count = text.utf8.count
        let record = try claim(payload: count)
        // SAFETY: `claim` made room for `count` payload bytes; `withUTF8` hands exactly those.
        if count > 0 { text.withUTF8 { (record + JournalLayout.recordHeaderLength).copyMemory(from: $0.baseAddress!, byteCount: count) } }
        seal(record, kind: kind.rawValue, version: kind.currentVersion, payload: count, eventTime: eventTime, journaledTime: journaledTime)
    }

    /// Appends a book snapshot.
    /// - Throws: as `append(text:kind:eventTime:journaledTime:)`.
    public mutating func append(_ snapshot: JournalBookSnapshot, eventTime: Nanos, journaledTime: Nanos = WallClock.now()) throws(JournalError) {
        try appendBookSnapshot(
            venue: snapshot.venue, instrument: snapshot.instrument, sequence: snapshot.sequence, exchangeTime: snapshot.exchangeTime,
            bidCount: snapshot.bids.count, askCount: snapshot.asks.count, eventTime: eventTime, journaledTime: journaledTime
        ) { bids, asks in
            _ = bids.initialize(from: snapshot.bids)
            _ = asks.initialize(from: snapshot.asks)
        }
    }

    /// Appends a book snapshot whose levels `fill` writes in place (best first on each side), allocating nothing.
    /// - Parameter fill: Gets room for exactly `bidCount` bids and `askCount` asks and must write every one.
    /// - Throws: as `append(text:kind:eventTime:journaledTime:)`.
    public mutating func appendBookSnapshot(
        venue: VenueId, instrument: InstrumentId, sequence: UInt64, exchangeTime: Nanos, bidCount: Int, askCount: Int,
        eventTime: Nanos, journaledTime: Nanos = WallClock.now(),
        _ fill: (UnsafeMutableBufferPointer<JournalLevel>, UnsafeMutableBufferPointer<JournalLevel>) -> Void
    ) throws(JournalError) {
        let levels = MemoryLayout<JournalLevel>.stride
        let size = JournalLayout.snapshotHeaderLength + (bidCount + askCount) * levels
        let record = try claim(payload: size)
        let payload = record + JournalLayout.recordHeaderLength
        payload.initializeMemory(as: UInt8.self, repeating: 0, count: JournalLayout.snapshotHeaderLength)
        payload.storeBytes(of: instrument.raw.littleEndian, as: UInt32.self)
        payload.storeBytes(of: venue.raw, toByteOffset: 4, as: UInt8.self)
        payload.storeBytes(of: UInt32(bidCount).littleEndian, toByteOffset: 8, as: UInt32.self)
        payload.storeBytes(of: UInt32(askCount).littleEndian, toByteOffset: 12, as: UInt32.self)
        payload.storeBytes(of: sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        payload.storeBytes(of: exchangeTime.raw.littleEndian, toByteOffset: 24, as: Int64.self)
        // SAFETY: the levels follow the 32-byte snapshot header at an 8-byte aligned offset in the buffer.
        let first = (payload + JournalLayout.snapshotHeaderLength).bindMemory(to: JournalLevel.self, capacity: bidCount + askCount)
        fill(UnsafeMutableBufferPointer(start: first, count: bidCount), UnsafeMutableBufferPointer(start: first + bidCount, count: askCount))
        seal(record, kind: JournalRecordKind.bookSnapshot.rawValue, version: 1, payload: size, eventTime: eventTime, journaledTime: journaledTime)
    }

    /// Appends a record of any kind number from raw payload bytes (text from the note ring; tests' unknown kinds).
    mutating func appendRaw(
        kind: UInt16, version: UInt16, payload bytes: UnsafeRawBufferPointer, eventTime: Nanos, journaledTime: Nanos
    ) throws(JournalError) {
        let record = try claim(payload: bytes.count)
        if let base = bytes.baseAddress { (record + JournalLayout.recordHeaderLength).copyMemory(from: base, byteCount: bytes.count) }
        seal(record, kind: kind, version: version, payload: bytes.count, eventTime: eventTime, journaledTime: journaledTime)
    }

    /// Writes the buffered records to the file in one write(2) (the batch), then syncs as the policy says.
    /// - Throws: `JournalError.writeFailed` (the file is cut back to its last whole batch; the records stay
    ///   buffered for the next flush), `.syncFailed` (written, but perhaps not on disk).
    public mutating func flush() throws(JournalError) {
        if used > 0 {
            if damaged {
                try rotate()
                damaged = false
            }
            let start = MonotonicClock.now()
            let rc = Sys.writeAll(fd, buffer, used)
            if rc != 0 {
                let cut = Sys.truncate(fd, to: fileOffset)
                if cut != 0 {
                    // Part of the batch may stay in the file: the batch goes to a new file, and readers report
                    // this one's torn end as corruption.
                    logger.error("journal: cannot cut \(fileName) back to \(fileOffset) bytes after a failed write (errno \(cut))")
                    damaged = true
                }
                throw .writeFailed(path: path, errno: rc)
            }
            let took = MonotonicClock.now() - start
            if took > stats.longestWrite { stats.longestWrite = took }
            fileOffset += used
            stats.bytes += used
            stats.batches += 1
            used = 0
            if configuration.sync == .everyBatch { try syncFile() }
            syncer?.written.store(stats.bytes, ordering: .releasing)
        }
        if let e = syncer?.takeFailure() { throw .syncFailed(path: path, errno: e) }
    }

    /// Writes what is buffered and waits until the file's data is on disk (fdatasync), whatever the policy.
    /// - Throws: as `flush`.
    public mutating func sync() throws(JournalError) {
        try flush()
        try syncFile()
    }

    /// Writes what is buffered, syncs (unless the policy is `.never`) and closes the file. Idempotent; a writer
    /// dropped without `close` does the same and logs what fails.
    /// - Throws: as `flush`; the descriptors are closed either way (records still buffered are then lost).
    public mutating func close() throws(JournalError) {
        guard !closed else { return }
        defer {
            syncer?.stop()
            Sys.close(fd)
            Sys.close(directoryFd)
            closed = true
        }
        try flush()
        if configuration.sync != .never { try syncFile() }
        syncer?.stop()
        if let e = syncer?.takeFailure() { throw .syncFailed(path: path, errno: e) }
    }

    mutating func syncFile() throws(JournalError) {
        let rc = Sys.dataSync(fd)
        guard rc == 0 else { throw .syncFailed(path: path, errno: rc) }
        stats.syncs += 1
    }

    /// Room for a record of `payload` bytes in the buffer: where its header goes. Writes the buffer first if the
    /// record does not fit, and starts a new file first if the record would take the current one past its limit.
    mutating func claim(payload: Int) throws(JournalError) -> UnsafeMutableRawPointer {
        let footprint = JournalLayout.footprint(payload: payload)
        guard footprint <= capacity, payload <= JournalLayout.maximumPayload else {
            throw .recordTooLarge(payload: payload, limit: min(capacity - JournalLayout.recordHeaderLength, JournalLayout.maximumPayload))
        }
        let inFile = fileOffset + used
        if inFile + footprint > configuration.fileSizeLimit && inFile > JournalLayout.fileHeaderLength {
            try flush()
            try rotate()
        } else if used + footprint > capacity {
            try flush()
        }
        return buffer + used
    }

    /// Writes a record's header and CRC around the payload already at `record + 32`, and takes it into the batch.
    mutating func seal(
        _ record: UnsafeMutableRawPointer, kind: UInt16, version: UInt16, payload: Int, eventTime: Nanos, journaledTime: Nanos
    ) {
        let footprint = JournalLayout.footprint(payload: payload)
        record.storeBytes(of: UInt32(payload).littleEndian, as: UInt32.self)
        record.storeBytes(of: kind.littleEndian, toByteOffset: 8, as: UInt16.self)
        record.storeBytes(of: version.littleEndian, toByteOffset: 10, as: UInt16.self)
        record.storeBytes(of: UInt32(0), toByteOffset: 12, as: UInt32.self)
        record.storeBytes(of: journaledTime.raw.littleEndian, toByteOffset: 16, as: Int64.self)
        record.storeBytes(of: eventTime.raw.littleEndian, toByteOffset: 24, as: Int64.self)
        let end = JournalLayout.recordHeaderLength + payload
        if footprint > end { (record + end).initializeMemory(as: UInt8.self, repeating: 0, count: footprint - end) }
        let crc = CRC32C.checksum(record + JournalLayout.checkedFrom, count: end - JournalLayout.checkedFrom)
        record.storeBytes(of: crc.littleEndian, toByteOffset: 4, as: UInt32.self)
        used += footprint
        stats.records += 1
    }

    /// Starts the next file (the buffer is empty). With `.everyBatch` the old file and the new one's header and
    /// directory entry are synced here; with `.interval` the background thread syncs and closes the old file and
    /// syncs the directory; with `.never` nothing is synced.
    mutating func rotate() throws(JournalError) {
        let start = MonotonicClock.now()
        defer {
            let took = MonotonicClock.now() - start
            if took > stats.longestRotation { stats.longestRotation = took }
        }
        let syncs = configuration.sync == .everyBatch
        if syncs { try syncFile() }
        let (newFd, name) = try Self.createFile(
            configuration.directory, directoryFd: directoryFd, sequence: fileSequence + 1, previous: fileName, sync: syncs)
        if let syncer {
            // Retired before the new descriptor is published: see JournalSyncer.
            syncer.retire(fd)
            syncer.fd.store(newFd, ordering: .releasing)
        } else {
            Sys.close(fd)
        }
        fd = newFd
        fileName = name.name
        fileSequence = name.sequence
        fileOffset = JournalLayout.fileHeaderLength
        stats.bytes += JournalLayout.fileHeaderLength
        stats.rotations += 1
    }

    /// Creates journal file `sequence` with its header (synced with its directory entry when `sync`).
    /// - Throws: `JournalError.file` or `.writeFailed`; a file whose header could not be written is removed.
    static func createFile(
        _ directory: String, directoryFd: Int32, sequence: UInt64, previous: String, sync: Bool
    ) throws(JournalError) -> (Int32, JournalFileName) {
        let created = WallClock.now()
        let name = JournalFileName(sequence: sequence, createdMillis: created.raw / 1_000_000)
        let path = journalPath(directory, name.name)
        let fd = Sys.createForAppending(path)
        guard fd >= 0 else { throw .file(operation: "create", path: path, errno: -fd) }
        let header = JournalFileHeader(sequence: sequence, created: created, previousName: previous, headerLength: JournalLayout.fileHeaderLength)
        let rc = withUnsafeTemporaryAllocation(byteCount: JournalLayout.fileHeaderLength, alignment: 8) { bytes in
            header.encode(to: bytes.baseAddress!)
            return Sys.writeAll(fd, bytes.baseAddress!, bytes.count)
        }
        guard rc == 0 else {
            Sys.close(fd)
            // If it cannot be removed, the next open removes it (a file shorter than its header).
            if Sys.unlink(path) != 0 { Logger(label: "gantry.journal").error("journal: cannot remove \(path) after its header failed") }
            throw .writeFailed(path: path, errno: rc)
        }
        if sync {
            let synced = Sys.dataSync(fd)
            let listed = Sys.sync(directoryFd)
            guard synced == 0, listed == 0 else {
                Sys.close(fd)
                throw .syncFailed(path: path, errno: synced != 0 ? synced : listed)
            }
        }
        return (fd, name)
    }
}
