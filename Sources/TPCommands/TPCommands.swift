import Foundation
import TensorPrograms

/// The `tp` command-line front end; `main` maps every error to an exit code.
public enum TPCommands {
  /// Runs the command line `CommandLine.arguments` and exits the process.
  public static func main() {
    FileHandle.standardError.write(Data("tp: not built yet\n".utf8))
    exit(1)
  }
}
