import ArgumentParser
import Foundation
import TiendoCore

@main
struct Tiendoctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tiendoctl",
        abstract: "Điều khiển tiendo: kiểm tra quy trình, lập kế hoạch hạn, mô phỏng, và nói chuyện với tiendod.",
        discussion: """
            Lệnh ngoại tuyến (không cần daemon): validate, plan, simulate, graph, calendar.
            Offline commands (no daemon needed): validate, plan, simulate, graph, calendar.
            """,
        version: TiendoVersion.string,
        subcommands: [Validate.self, Plan.self, Simulate.self, Graph.self, CalendarCommand.self]
    )
}
