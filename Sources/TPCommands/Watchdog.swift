import Dispatch
import Foundation
import TensorPrograms

/// Serialises what `tp` writes — stdout, stderr, output files — against the watchdog
/// (``Watchdog``), so that a `--timeout` or a Ctrl-C never cuts a write in two: the watchdog
/// takes the same lock before it ends the process, hence waits for a write in progress, and
/// a file is never left half-written or as a stray temporary.
///
/// Once a command has its results (``commit()``), a timeout no longer stops it: printing them
/// is quick and they are what the user waited for.
enum OutputGate {
  private static let lock = NSRecursiveLock()
  nonisolated(unsafe) private static var committed = false
  nonisolated(unsafe) private static var progressShown = false

  /// Runs `body` (a write) while no watchdog can end the process.
  static func writing<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
    lock.lock()
    defer { lock.unlock() }
    if progressShown {
      // A progress line is on the terminal without a newline: clear it first.
      FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
      progressShown = false
    }
    return try body()
  }

  /// The computation is over and its results are about to be printed.
  static func commit() { lock.withLock { committed = true } }

  /// Runs `body` with the lock held and tells it whether the results were committed; used by
  /// the watchdog (which ends the process inside `body`) and the progress line.
  static func holding<T>(_ body: (_ committed: Bool) -> T) -> T {
    lock.lock()
    defer { lock.unlock() }
    return body(committed)
  }

  /// Shows a progress line that later writes clear (a terminal), or clears it.
  static func markProgress(shown: Bool) { lock.withLock { progressShown = shown } }
}

/// `tp`'s guard over a long computation, armed by the process's `main` only (an embedding
/// application or a test calling ``TPCommands/run(_:io:)`` gets none of it):
///
/// * **Progress.** After 2 s, what ``ProgressMeter/shared`` reports goes to stderr — on a
///   terminal one line rewritten in place every half second, otherwise a plain line every 10 s.
/// * **`--timeout S`.** After `S` seconds without results the process stops with exit 3 and
///   says where it was, i.e. what had been finished.
/// * **Ctrl-C and SIGTERM.** The process stops at once with exit 130 (143 for SIGTERM), the
///   shell's code for a process ended by that signal, after any write in progress has
///   completed, so no output file is left partial.
enum Watchdog {
  nonisolated(unsafe) private static var sources: [any DispatchSourceProtocol] = []
  nonisolated(unsafe) private static var armed = false
  private static let queue = DispatchQueue(label: "tp.watchdog")
  nonisolated(unsafe) private static var start = ContinuousClock.now

  /// Installs the signal handlers and the progress line; called once by `main`.
  static func arm() {
    guard !armed else { return }
    armed = true
    start = .now
    for (sig, code) in [(SIGINT, Int32(130)), (SIGTERM, Int32(143))] {
      signal(sig, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: sig, queue: queue)
      source.setEventHandler {
        stop(code: code, reason: sig == SIGINT ? "interrupted" : "terminated", evenAfterCommit: true)
      }
      source.resume()
      sources.append(source)
    }
    let terminal = isatty(2) != 0
    let progress = DispatchSource.makeTimerSource(queue: queue)
    nonisolated(unsafe) var lastPlain = ContinuousClock.now
    progress.schedule(deadline: .now() + 2, repeating: terminal ? 0.5 : 1)
    progress.setEventHandler {
      let what = ProgressMeter.shared.snapshot().description
      guard !what.isEmpty else { return }
      let line = "tp: \(what) — \(elapsedText())"
      OutputGate.holding { committed in
        guard !committed else { return }
        if terminal {
          FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
        } else {
          guard ContinuousClock.now - lastPlain >= .seconds(10) else { return }
          FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        lastPlain = ContinuousClock.now
        if terminal { OutputGate.markProgress(shown: true) }
      }
    }
    // The first plain line comes 2 s in, later ones every 10 s.
    lastPlain = ContinuousClock.now - .seconds(8)
    progress.resume()
    sources.append(progress)
  }

  /// Stops the process after `seconds` unless its results are committed by then.
  static func arm(timeout seconds: Double) {
    guard armed else { return }
    let timer = DispatchSource.makeTimerSource(queue: queue)
    timer.schedule(deadline: .now() + seconds)
    timer.setEventHandler {
      stop(
        code: ExitCode.numerical.rawValue, reason: "stopped by --timeout \(Program.format(seconds)) s",
        evenAfterCommit: false)
    }
    timer.resume()
    sources.append(timer)
  }

  /// The message printed when the watchdog ends a run: the reason, the elapsed time and where
  /// the computation was (everything before that part was finished, nothing was printed).
  static func message(reason: String, at snapshot: ProgressMeter.Snapshot, elapsed: String) -> String {
    let place = snapshot.description
    return "tp: \(reason) after \(elapsed)"
      + (place.isEmpty ? "" : ", in \(place) (the parts before it were finished)")
      + "; no results were printed\n"
  }

  private static func elapsedText() -> String {
    let s = Double((ContinuousClock.now - start).components.seconds)
    return s < 120 ? "\(Int(s)) s" : "\(Int(s / 60)) min \(Int(s) % 60) s"
  }

  private static func stop(code: Int32, reason: String, evenAfterCommit: Bool) {
    OutputGate.holding { committed in
      guard evenAfterCommit || !committed else { return }
      let text =
        committed
        ? "\r\u{1B}[Ktp: \(reason)\n"
        : "\r\u{1B}[K"
          + message(reason: reason, at: ProgressMeter.shared.snapshot(), elapsed: elapsedText())
      FileHandle.standardError.write(Data((isatty(2) != 0 ? text : String(text.dropFirst(4))).utf8))
      _exit(code)
    }
  }
}
