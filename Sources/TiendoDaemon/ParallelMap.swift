import Dispatch
import Foundation
import Synchronization

extension Array where Element: Sendable {
    /// `map` spread over the machine's cores for large arrays of pure work (an import's rows, a large batch of
    /// records to format), in order. The calling thread takes a share and waits for the rest; below
    /// `minimumPerThread` elements per core the work stays on the calling thread, where handing it out would cost more
    /// than it saves. `transform` must not touch state owned by the loop thread: the compiler checks it is `@Sendable`.
    func parallelMap<T: Sendable>(minimumPerThread: Int, _ transform: @Sendable (Element) -> T) -> [T] {
        let slices = Swift.min(ProcessInfo.processInfo.activeProcessorCount, count / Swift.max(1, minimumPerThread))
        guard slices > 1 else { return map(transform) }
        let size = (count + slices - 1) / slices
        let parts = Mutex([[T]](repeating: [], count: slices))
        DispatchQueue.concurrentPerform(iterations: slices) { s in
            let part = self[Swift.min(count, s * size)..<Swift.min(count, (s + 1) * size)].map(transform)
            parts.withLock { $0[s] = part }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }
}
