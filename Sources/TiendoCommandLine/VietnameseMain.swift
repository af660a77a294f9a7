public import ArgumentParser
import CLinux
import Foundation
import TiendoCore

extension ParsableCommand {
    /// Parses the arguments and runs the command as ArgumentParser's `main` does, but says the library's own words
    /// (its errors, its help's headings and built-in flags) in Vietnamese (`ArgumentText`), line by line escaped
    /// as any shown text (an argument it quotes may hold control characters). Shared by the four programs.
    public static func mainInVietnamese(_ arguments: [String]? = nil) async -> Never {
        refuseArgumentsNotUTF8()
        do {
            var command = try parseAsRoot(arguments)
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
            exitAfterOutput()
        } catch {
            exitInVietnamese(error)
        }
    }

    /// Exits 64 when an argument is not UTF-8 (a file named in a legacy code page, a value typed in a terminal set
    /// to one): Swift would read its bytes as U+FFFD, so a file that exists was «không có tệp» and a name was stored
    /// as «�(» without a word. Which argument, and what to do, instead.
    public static func refuseArgumentsNotUTF8() {
        for i in 1..<max(1, Int(CommandLine.argc)) {
            guard let raw = CommandLine.unsafeArgv[i], String(validatingCString: raw) == nil else { continue }
            let shown = TerminalText.escaped(
                String(decoding: UnsafeBufferPointer(start: raw, count: strlen(raw)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
            FileHandle.standardError.write(
                Data(
                    ("\(Self._commandName): tham số thứ \(i) («\(shown)») không phải văn bản UTF-8: nếu là tên tệp, hãy đặt lại tên "
                        + "cho tệp (tên viết bằng Unicode, UTF-8); nếu là một giá trị, hãy gõ lại trong cửa sổ lệnh dùng UTF-8\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }

    /// Exits 0 once what was printed has reached standard output, 1 with the reason when it could not (a full disk,
    /// `> /dev/full`): a script reading `plan --json > file` must not take a truncated file for a success (audit,
    /// 07/12/2026).
    static func exitAfterOutput() -> Never {
        let failure = tiendo_stdout_flush_status()
        if failure != 0 {
            let reason = ErrnoText.describe(failure)
            FileHandle.standardError.write(Data("\(Self._commandName): không ghi được hết ra đầu ra chuẩn: \(reason)\n".utf8))
            Foundation.exit(1)
        }
        Foundation.exit(0)
    }

    /// The same for a program whose commands are all synchronous (`tiendod`).
    public static func mainInVietnameseSynchronously(_ arguments: [String]? = nil) -> Never {
        refuseArgumentsNotUTF8()
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            exitAfterOutput()
        } catch {
            exitInVietnamese(error)
        }
    }

    /// Prints what ArgumentParser would for `error` (help to stdout, an error to stderr), in Vietnamese, and exits
    /// with its status.
    static func exitInVietnamese(_ error: any Error) -> Never {
        let code = exitCode(for: error)
        let text = ArgumentText.vietnamese(fullMessage(for: error))
        if !text.isEmpty {
            let shown = text.split(separator: "\n", omittingEmptySubsequences: false).map { TerminalText.escaped(String($0)) }
                .joined(separator: "\n")
            if code == .success {
                print(shown)
            } else {
                // Under systemd (a service that cannot start: tiendo-deliver without its routing file) each line is an
                // error in the journal, not an entry at info that `journalctl -p warning` hides (package audit,
                // 07/12/2026).
                let lines =
                    JournalStream.isJournal(STDERR_FILENO) ? shown.split(separator: "\n").map { "<3>" + $0 }.joined(separator: "\n") : shown
                FileHandle.standardError.write(Data((lines + "\n").utf8))
            }
        }
        Foundation.exit(code.rawValue)
    }
}
