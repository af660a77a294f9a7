/// The new-record forms already sent, by the token each form carries (`lan-gui`, drawn when the form is shown): the
/// same form sent again — a second click before the page changed, the browser's «gửi lại», a retry after the page
/// said the change «có thể đã được ghi» — opens the record the first sending added instead of adding the same
/// person twice under another generated code. StartInstance has no idempotency key (the contract's); the web keeps
/// its own, in memory, for a day: a restart of tiendo-web forgets them, which only a form left open across it meets.
actor SentForms {
    enum State: Sendable, Equatable {
        /// The first sending is being handled.
        case running
        /// It added this record.
        case added(String)
    }

    private var entries: [String: (state: State, at: ContinuousClock.Instant)] = [:]
    static let keptFor: Duration = .seconds(86_400)
    static let maxEntries = 50_000

    /// Nil when `token` is new (it is marked running now); else what became of its first sending.
    func begin(_ token: String) -> State? {
        let now = ContinuousClock.now
        if let e = entries[token], now - e.at < SentForms.keptFor { return e.state }
        if entries.count >= SentForms.maxEntries { entries = entries.filter { now - $0.value.at < SentForms.keptFor } }
        if entries.count >= SentForms.maxEntries, let oldest = entries.min(by: { $0.value.at < $1.value.at })?.key {
            entries[oldest] = nil
        }
        entries[token] = (.running, now)
        return nil
    }

    /// The first sending ended: it added `id`, or nothing (refused, failed), so that the form may be sent again.
    func finish(_ token: String, added id: String?) {
        if let id { entries[token] = (.added(id), ContinuousClock.now) } else { entries[token] = nil }
    }

    /// What became of a sending still running, once it ends (polled: it ends within a daemon call's time).
    func outcome(_ token: String, within: Duration = .seconds(15)) async -> State? {
        let deadline = ContinuousClock.now + within
        while ContinuousClock.now < deadline {
            guard let e = entries[token] else { return nil }
            if e.state != .running { return e.state }
            try? await Task.sleep(for: .milliseconds(100))
        }
        return entries[token]?.state
    }
}
