import Foundation

/// A fresh, empty directory for one test under the system's temporary one (`tiendo-NAME-PID-RANDOM`); the test
/// removes it with `removeTemporaryDirectory` in a `defer`.
func makeTemporaryDirectory(_ name: String) throws -> String {
    let dir = NSTemporaryDirectory() + "tiendo-\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

func removeTemporaryDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }
