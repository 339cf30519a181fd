import Foundation
import TensorPrograms

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The text of the last `errno`, as the C library says it ("Permission denied").
func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

/// `read(2)` and `write(2)`, named apart from the methods here.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
  #else
    Darwin.read(fd, buffer, count)
  #endif
}

private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
  #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
  #else
    Darwin.write(fd, buffer, count)
  #endif
}

/// Reading the program file without hanging and writing output files without harm.
enum FileIO {
  /// How long a pipe, FIFO, terminal or other non-regular input may stay silent before the read
  /// gives up (a FIFO nobody writes to would otherwise block `tp` forever). Tests shorten it.
  @TaskLocal static var inputTimeout: Duration = .seconds(30)

  /// The bytes of `path`, at most `limit + 1` of them (so the caller can tell a file past the
  /// limit from one at it).
  ///
  /// The file is opened without blocking, so a FIFO with no writer does not hang the `open`.
  /// A regular file is read to its end; anything else (FIFO, pipe, terminal, device) is read
  /// while data keeps arriving, and the read fails when none arrives for ``inputTimeout``.
  static func read(_ path: String, limit: Int) throws(CommandError) -> [UInt8] {
    let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
    guard fd >= 0 else { throw .usage(Message.cannotRead(path, errnoText())) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { throw .usage(Message.cannotRead(path, errnoText())) }
    let type = info.st_mode & S_IFMT
    if type == S_IFDIR { throw .usage(Message.isADirectory(path)) }
    let regular = type == S_IFREG
    if regular {
      // Regular files never block; clear the flag so reads are plain reads.
      _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
    }
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 1 << 16)
    let timeout = inputTimeout
    let milliseconds = Int32(
      clamping: timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000)
    while out.count <= limit {
      if !regular {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&p, 1, milliseconds)
        if ready < 0 {
          if errno == EINTR { continue }
          throw .usage(Message.cannotRead(path, errnoText()))
        }
        if ready == 0 { throw .usage(Message.inputTimedOut(path, timeout)) }
      }
      let want = min(buffer.count, limit + 1 - out.count)
      let got = buffer.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, want) }
      if got > 0 {
        out.append(contentsOf: buffer[0..<got])
      } else if got == 0 {
        break
      } else if errno == EAGAIN || errno == EINTR {
        continue
      } else {
        throw .usage(Message.cannotRead(path, errnoText()))
      }
    }
    return out
  }
}

/// A file the command line asked to write (`--plot OUT.svg`): checked before the run, so a bad
/// path fails fast, and written after the results are printed.
///
/// Only regular files and new paths are written. Symbolic links are followed to their target;
/// a directory, a device, a FIFO or a socket is refused, as is the input program itself. An
/// existing file that is not writable is an error (even for root, a file without write
/// permission is treated as read-only). An existing regular file is replaced through a
/// temporary file in its directory and a rename, with its permissions kept, so it is never left
/// half-written; when that is not possible (the directory is read-only, or the file has other
/// hard links) it is rewritten in place. A new file is created with the usual permissions
/// (`0666` less the umask).
struct OutputFile {
  /// The path as given (for messages).
  let path: String
  /// What `path` resolves to: symbolic links followed.
  let target: String
  /// The existing target's status, or nil for a new file.
  let existing: stat?

  /// Checks that `path` can be written as `option`'s output without harming anything.
  static func prepare(_ path: String, option: String, input: String) throws(CommandError) -> OutputFile {
    guard !path.isEmpty else { throw .usage(Message.emptyOutputPath(option)) }
    var info = stat()
    if stat(path, &info) != 0 {
      guard errno == ENOENT else { throw CommandError(Message.cannotWrite(path, errnoText()), code: .usage) }
      // A new file, or a symbolic link to one: its directory must exist and be writable.
      let target = danglingTarget(path) ?? path
      let directory = (target as NSString).deletingLastPathComponent
      let dir = directory.isEmpty ? "." : directory
      var d = stat()
      guard stat(dir, &d) == 0 else {
        throw CommandError(Message.cannotWrite(path, errnoText()), code: .usage)
      }
      guard d.st_mode & S_IFMT == S_IFDIR else {
        throw CommandError(Message.cannotWrite(path, errnoText(ENOTDIR)), code: .usage)
      }
      guard access(dir, W_OK) == 0 else {
        throw CommandError(Message.cannotWrite(path, errnoText()), code: .usage)
      }
      return OutputFile(path: path, target: target, existing: nil)
    }
    switch info.st_mode & S_IFMT {
    case S_IFREG: break
    case S_IFDIR: throw CommandError(Message.cannotWrite(path, "it is a directory"), code: .usage)
    default: throw CommandError(Message.cannotWrite(path, Message.notARegularFile), code: .usage)
    }
    var inputInfo = stat()
    if stat(input, &inputInfo) == 0, inputInfo.st_dev == info.st_dev, inputInfo.st_ino == info.st_ino {
      throw CommandError(Message.outputIsInput(path, option), code: .usage)
    }
    guard access(path, W_OK) == 0, geteuid() != 0 || info.st_mode & 0o222 != 0 else {
      throw CommandError(Message.cannotWrite(path, errnoText(EACCES)), code: .usage)
    }
    let resolved = realpath(path, nil).map { p in
      defer { free(p) }
      return String(cString: p)
    }
    return OutputFile(path: path, target: resolved ?? path, existing: info)
  }

  /// For a symbolic link whose target does not exist: the target's path (relative targets are
  /// relative to the link's directory).
  static func danglingTarget(_ path: String) -> String? {
    var info = stat()
    guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else { return nil }
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let n = readlink(path, &buffer, buffer.count - 1)
    guard n > 0 else { return nil }
    let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    if link.hasPrefix("/") { return link }
    return ((path as NSString).deletingLastPathComponent as NSString).appendingPathComponent(link)
  }

  /// Makes every ``write(_:)`` fail with this `errno` (tests of what a failed write reports).
  @TaskLocal static var simulatedWriteError: Int32? = nil

  /// Writes `text`; failures are errno-style messages ("tp: cannot write 'out.svg': No space
  /// left on device").
  func write(_ text: String) throws(CommandError) { try write(bytes: Array(text.utf8)) }

  /// Writes `bytes`, like ``write(_:)``, while no watchdog can end the process (``OutputGate``).
  func write(bytes: [UInt8]) throws(CommandError) { try write(pieces: [.bytes(bytes)]) }

  /// A part of a file's contents, written from its own storage (no concatenated copy).
  enum Piece {
    case bytes([UInt8])
    /// Doubles whose in-memory bytes are the file's.
    case doubles([Double])

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
      switch self {
      case .bytes(let b): return b.withUnsafeBytes(body)
      case .doubles(let d): return d.withUnsafeBytes(body)
      }
    }
  }

  /// Writes `pieces` one after the other, like ``write(bytes:)``.
  func write(pieces: [Piece]) throws(CommandError) {
    try OutputGate.writing { () throws(CommandError) in try unguardedWrite(pieces) }
  }

  private func unguardedWrite(_ bytes: [Piece]) throws(CommandError) {
    if let code = Self.simulatedWriteError {
      throw CommandError(Message.cannotWrite(path, errnoText(code)), code: .usage)
    }
    guard let existing else {
      // A new file: created exclusively, removed again if it cannot be written completely.
      let fd = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
      guard fd >= 0 else { throw CommandError(Message.cannotWrite(path, errnoText()), code: .usage) }
      if let failure = Self.writeAll(fd, bytes) {
        close(fd)
        unlink(target)
        throw CommandError(Message.cannotWrite(path, failure), code: .usage)
      }
      guard close(fd) == 0 else {
        let failure = errnoText()
        unlink(target)
        throw CommandError(Message.cannotWrite(path, failure), code: .usage)
      }
      return
    }
    if existing.st_nlink <= 1, replaceThroughTemporary(bytes, mode: existing.st_mode & 0o7777, existing) {
      return
    }
    // In place: the directory does not take a temporary file, or the file has other links.
    let fd = open(target, O_WRONLY | O_TRUNC | O_CLOEXEC)
    guard fd >= 0 else { throw CommandError(Message.cannotWrite(path, errnoText()), code: .usage) }
    let failure = Self.writeAll(fd, bytes)
    let closed = close(fd) == 0 ? nil : errnoText()
    if let reason = failure ?? closed { throw CommandError(Message.cannotWrite(path, reason), code: .usage) }
  }

  /// Writes `bytes` to a temporary file next to the target and renames it over the target,
  /// keeping the target's permissions (and owner, when running as root). False when the
  /// temporary file cannot be made or written; the target is then untouched.
  func replaceThroughTemporary(_ bytes: [Piece], mode: mode_t, _ existing: stat) -> Bool {
    let directory = (target as NSString).deletingLastPathComponent
    let name = (target as NSString).lastPathComponent
    var template = Array(((directory.isEmpty ? "." : directory) + "/." + name + ".tp-XXXXXX").utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }  // safe: non-empty
    guard fd >= 0 else { return false }
    let temporary = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    var ok = Self.writeAll(fd, bytes) == nil && fchmod(fd, mode) == 0
    if ok, geteuid() == 0 { ok = fchown(fd, existing.st_uid, existing.st_gid) == 0 }
    ok = close(fd) == 0 && ok
    guard ok, rename(temporary, target) == 0 else {
      unlink(temporary)
      return false
    }
    return true
  }

  /// Writes every byte of every piece, in order; the reason on failure.
  static func writeAll(_ fd: Int32, _ pieces: [Piece]) -> String? {
    for piece in pieces {
      let failure: String? = piece.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
          let n = systemWrite(fd, bytes.baseAddress.map { $0 + offset }, bytes.count - offset)
          if n < 0 {
            if errno == EINTR { continue }
            return errnoText()
          }
          offset += n
        }
        return nil
      }
      if let failure { return failure }
    }
    return nil
  }
}
