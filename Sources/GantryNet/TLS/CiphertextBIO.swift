import COpenSSL

/// The ciphertext between the socket and OpenSSL: what arrived and OpenSSL has not read yet, and what
/// OpenSSL wrote and the socket has not taken yet. OpenSSL reaches them through `CiphertextBIO`, a memory
/// BIO of ours, so that the socket reads straight into `incoming` and sends straight from `outgoing`: the
/// copies into and out of OpenSSL's own memory BIOs are gone.
final class CiphertextBuffers {
    var incoming = ByteQueue(capacity: 256 << 10)
    var outgoing = ByteQueue(capacity: 256 << 10)
}

/// The BIO method over `CiphertextBuffers` (a source/sink BIO; the BIO's data pointer is the buffers,
/// unretained: the TLS session keeps them alive longer than its SSL and BIOs).
enum CiphertextBIO {
    /// Created once and never changed; OpenSSL reads method tables from any thread.
    nonisolated(unsafe) static let method: OpaquePointer = {
        let m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "gantry ciphertext")!
        BIO_meth_set_write_ex(m) { bio, data, length, written in
            let buffers = CiphertextBIO.buffers(bio)
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            if let data, length > 0 { buffers.outgoing.append(UnsafeRawBufferPointer(start: data, count: length)) }
            written?.pointee = length
            return 1
        }
        BIO_meth_set_read_ex(m) { bio, data, length, read in
            let buffers = CiphertextBIO.buffers(bio)
            BIO_clear_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_WRITE | BIO_FLAGS_IO_SPECIAL | BIO_FLAGS_SHOULD_RETRY)
            let n = min(length, buffers.incoming.count)
            guard n > 0, let data else {
                // Nothing yet: "retry", as a memory BIO says, so that OpenSSL reports WANT_READ.
                BIO_set_flags(bio, BIO_FLAGS_READ | BIO_FLAGS_SHOULD_RETRY)
                read?.pointee = 0
                return 0
            }
            UnsafeMutableRawPointer(data).copyMemory(from: buffers.incoming.readable.baseAddress!, byteCount: n)
            buffers.incoming.consume(n)
            read?.pointee = n
            return 1
        }
        BIO_meth_set_ctrl(m) { bio, command, _, _ in
            switch command {
            case BIO_CTRL_FLUSH: return 1
            case BIO_CTRL_PENDING: return Int(CiphertextBIO.buffers(bio).incoming.count)
            case BIO_CTRL_WPENDING: return Int(CiphertextBIO.buffers(bio).outgoing.count)
            default: return 0
            }
        }
        BIO_meth_set_create(m) { bio in
            BIO_set_init(bio, 1)
            return 1
        }
        BIO_meth_set_destroy(m) { _ in 1 }
        return m
    }()

    static func buffers(_ bio: OpaquePointer?) -> CiphertextBuffers {
        Unmanaged<CiphertextBuffers>.fromOpaque(BIO_get_data(bio)!).takeUnretainedValue()
    }

    /// A BIO over `buffers` (one for reading, one for writing: SSL_set_bio takes one reference of each).
    static func make(_ buffers: CiphertextBuffers) -> OpaquePointer? {
        guard let bio = BIO_new(method) else { return nil }
        BIO_set_data(bio, Unmanaged.passUnretained(buffers).toOpaque())
        return bio
    }
}
