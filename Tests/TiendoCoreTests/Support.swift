import Foundation
import Testing

@testable import TiendoCore

/// Test helpers shared by the suites.
enum Fixtures {
    /// `Tests/TiendoCoreTests/Fixtures`.
    static let directory: String = {
        let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        return here.appendingPathComponent("Fixtures").path
    }()

    static func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }
}
