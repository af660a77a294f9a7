import ArgumentParser
import Foundation
import TiendoCommandLine
import TiendoCore
import TiendoVersion

@main
struct Tiendoctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiendoctl",
        abstract: "Điều khiển tiendo: kiểm tra quy trình, lập kế hoạch hạn, mô phỏng, và nói chuyện với tiendod.",
        discussion: """
            Lệnh ngoại tuyến (không cần daemon): validate, plan, simulate, graph, calendar.
            Lệnh trực tuyến (qua socket điều khiển của tiendod; --socket PATH, biến TIENDO_SOCKET): status (mặc định), \
            list, show, start, import, send, done, undo, agenda, history, reload, watch, deliveries, backup.
            """,
        version: TiendoVersion.string,
        subcommands: [
            Status.self, List.self, Show.self, Start.self, Import.self, Send.self, Done.self, Undo.self, Agenda.self, History.self,
            Reload.self, Watch.self, DeliveriesCommand.self, Backup.self,
            Validate.self, Plan.self, Simulate.self, Graph.self, CalendarCommand.self,
        ],
        defaultSubcommand: Status.self
    )

    /// `tiendoctl --socket PATH status` works too: leading `--socket`/`--json` move after the subcommand (the default
    /// one when none is named). Declaring them on the root instead would make the root swallow every `--json`,
    /// including the offline commands' own.
    ///
    /// ArgumentParser's own errors and help headings are said in Vietnamese (`ArgumentText`), and a command that does
    /// not exist is named as such (it would otherwise read as an argument of `status`, whose usage followed).
    static func main() async {
        // Before the command's name is looked up: `tiendoctl $'\xff'` is an argument not UTF-8, not «không có lệnh '�'».
        refuseArgumentsNotUTF8()
        let arguments = ConnectionOptions.hoisted(Array(CommandLine.arguments.dropFirst()), into: subcommandNames)
        // `help nope` too: ArgumentParser printed the main help for it and exited 0.
        let named = arguments.first == "help" ? arguments.dropFirst().first : arguments.first
        if let first = named, !first.hasPrefix("-"), first != "help", subcommandNames[first] == nil {
            let known = subcommandNames.keys.sorted()
            printErr("tiendoctl: không có lệnh '\(first)'\(vietnameseSuggestion(first, known)); các lệnh: \(known.joined(separator: ", "))")
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
        await mainInVietnamese(arguments)
    }

    /// Each subcommand's name, with the names of its own subcommands (`deliveries`: `list`, `retry`).
    static var subcommandNames: [String: Set<String>] {
        Dictionary(
            uniqueKeysWithValues: configuration.subcommands.map {
                ($0._commandName, Set($0.configuration.subcommands.map { $0._commandName }))
            })
    }
}
