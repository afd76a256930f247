// Every C call of GantryJournal passes through this file: EINTR is retried and errno read once, here.
import CCRC32C

#if canImport(Glibc)
import Glibc
#endif

enum Sys {
    /// Opens `path` read-only. Returns the descriptor or -errno.
    static func openForReading(_ path: String) -> Int32 {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC) }
        return fd >= 0 ? fd : -errno
    }

    /// Opens an existing file for appending (every write goes to its end). Returns the descriptor or -errno.
    static func openForAppending(_ path: String) -> Int32 {
        let fd = path.withCString { open($0, O_WRONLY | O_APPEND | O_CLOEXEC) }
        return fd >= 0 ? fd : -errno
    }

    /// Creates `path`, which must not exist (0600), for appending. Returns the descriptor or -errno.
    static func createForAppending(_ path: String) -> Int32 {
        let fd = path.withCString { open($0, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, 0o600) }
        return fd >= 0 ? fd : -errno
    }

    /// Opens a directory (to fsync its entries). Returns the descriptor or -errno.
    static func openDirectory(_ path: String) -> Int32 {
        let fd = path.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        return fd >= 0 ? fd : -errno
    }

    /// Creates `path` and its missing parents (0700). Returns 0 or an errno value.
    static func makeDirectories(_ path: String) -> Int32 {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") {
            prefix += part
            if prefix.withCString({ mkdir($0, 0o700) }) != 0 && errno != EEXIST { return errno }
            prefix += "/"
        }
        return 0
    }

    /// The names in directory `path`, or an errno value.
    static func directoryEntries(_ path: String) -> Result<[String], Errno> {
        guard let dir = path.withCString({ opendir($0) }) else { return .failure(Errno(errno)) }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return .success(names)
    }

    /// Writes all `count` bytes at `bytes` (retrying short writes and EINTR). Returns 0 or an errno value.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int32 {
        var done = 0
        while done < count {
            let n = write(fd, bytes + done, count - done)
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return n < 0 ? errno : EIO
            }
        }
        return 0
    }

    /// Reads up to `count` bytes at file offset `offset` (retrying EINTR and short reads until end of file).
    /// Returns the bytes read, or -errno.
    static func readFully(_ fd: Int32, into bytes: UnsafeMutableRawPointer, count: Int, at offset: Int) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, bytes + done, count - done, off_t(offset + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                return -Int(errno)
            }
        }
        return done
    }

    /// fdatasync(2): the file's data and size on disk. Returns 0 or an errno value.
    static func dataSync(_ fd: Int32) -> Int32 {
        while fdatasync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }

    /// fsync(2) (for a directory: its entries). Returns 0 or an errno value.
    static func sync(_ fd: Int32) -> Int32 {
        while fsync(fd) != 0 {
            if errno != EINTR { return errno }
        }
        return 0
    }

    /// Cuts the file to `bytes`. Returns 0 or an errno value.
    static func truncate(_ fd: Int32, to bytes: Int) -> Int32 { ftruncate(fd, off_t(bytes)) == 0 ? 0 : errno }

    /// Cuts the file at `path` to `bytes`. Returns 0 or an errno value.
    static func truncate(path: String, to bytes: Int) -> Int32 {
        path.withCString { Glibc.truncate($0, off_t(bytes)) } == 0 ? 0 : errno
    }

    /// The file's size in bytes, or -errno.
    static func fileSize(_ fd: Int32) -> Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : -Int(errno)
    }

    static func unlink(_ path: String) -> Int32 { path.withCString { Glibc.unlink($0) } == 0 ? 0 : errno }

    static func close(_ fd: Int32) { _ = Glibc.close(fd) }

    /// The error text of `code` (strerror).
    static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// CRC-32C with SSE4.2, or nil on a CPU without it.
    static func crc32cHardware(_ crc: UInt32, _ bytes: UnsafeRawPointer, _ count: Int) -> UInt32? {
        var done: Int32 = 0
        let value = gantry_crc32c_sse42(crc, bytes.assumingMemoryBound(to: UInt8.self), count, &done)
        return done != 0 ? value : nil
    }
}

/// An errno value.
struct Errno: Error, Equatable {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}
