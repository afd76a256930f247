import GantryCore
import GantryRing

/// A chunk of a text note on its way to the journal stage through a ring: 16 bytes of header and up to 112
/// bytes of UTF-8, 128 bytes in all (two cache lines). A note longer than one chunk goes as several with one
/// `id`, the last without `more`; the stage joins them into one text record.
///
/// ```
///   0 time i64 │ 8 id u32 │ 12 kind u16 │ 14 count u8 │ 15 flags u8 (1: more follow) │ 16 text[112]
/// ```
@frozen
public struct JournalNote: Sendable, BitwiseCopyable {
    /// The note's own time (monotonic ns), for the record header.
    public var time: Nanos
    /// The producer's number for the note its chunks belong to.
    public var id: UInt32
    /// The text kind (`JournalRecordKind` raw value).
    public var kind: UInt16
    /// Text bytes in this chunk.
    public var count: UInt8
    /// 1 if more chunks of the note follow.
    public var flags: UInt8
    /// The text bytes: 112, inline.
    public var text: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// Text bytes one chunk holds.
    public static let capacity = 112

    init(time: Nanos, id: UInt32, kind: UInt16, count: UInt8, more: Bool) {
        self.time = time
        self.id = id
        self.kind = kind
        self.count = count
        flags = more ? 1 : 0
        text = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }
}

/// The producer side of a note ring: texts from any one thread (an alert, a kill-switch step, a note) to the
/// journal stage, without a lock and without waiting. One producer per ring; a thread that needs to post gets
/// its own ring (the stage reads any number).
public struct JournalNotes: ~Copyable, Sendable {
    var producer: RingProducer<JournalNote>
    var nextId: UInt32 = 1

    /// The longest text a note may have (the stage joins chunks into a buffer of this size).
    public static let maximumLength = 16 * 1024

    public init(_ producer: consuming RingProducer<JournalNote>) { self.producer = producer }

    /// Publishes `text` as a record of `kind` for the journal, in chunks, if the ring has room for all of them.
    /// - Returns: false if the text is longer than `maximumLength` or the ring filled up before its last chunk
    ///   (the stage then drops the chunks that made it). Never waits.
    /// - Traps if `kind` is not a text kind.
    public mutating func post(_ text: String, kind: JournalRecordKind = .note, time: Nanos = MonotonicClock.now()) -> Bool {
        precondition(kind.isText, "journal: \(kind) is not a text kind")
        var text = text
        guard text.utf8.count <= Self.maximumLength else { return false }
        let id = nextId
        nextId &+= 1
        return text.withUTF8 { bytes in
            var at = 0
            repeat {
                let count = min(JournalNote.capacity, bytes.count - at)
                var note = JournalNote(time: time, id: id, kind: kind.rawValue, count: UInt8(count), more: at + count < bytes.count)
                withUnsafeMutableBytes(of: &note.text) { chunk in
                    // SAFETY: `count` ≤ 112 bytes into the 112-byte inline text, from inside `bytes`.
                    if count > 0 { chunk.baseAddress!.copyMemory(from: bytes.baseAddress! + at, byteCount: count) }
                }
                guard producer.tryPublish(note) else { return false }
                at += count
            } while at < bytes.count
            return true
        }
    }
}
