import Foundation
import Synchronization

/// Hands each screen message to every open page (usually one: the Chromium on the box's display;
/// a second when staff open it from a laptop). Each page has a small buffer of its own: a page
/// that stops reading loses old messages, never holds up the door or grows the daemon's memory.
final class ScreenBroadcaster: Sendable {
    enum Message: Sendable {
        case verdict(ScreenVerdict)
        case state(ScreenState)
        /// Nothing to say: keeps the connection known alive.
        case ping
    }

    private struct Pages {
        var open: [UUID: AsyncStream<Message>.Continuation] = [:]
        var state: ScreenState?
        var finished = false
    }
    private let pages = Mutex(Pages())
    /// Messages one page may have waiting: a few verdicts and a state.
    static let bufferPerPage = 16
    static let maximumPages = 8

    /// A new page's messages, starting with the current state. Nil when too many pages are open
    /// or the screen is shutting down.
    func subscribe() -> AsyncStream<Message>? {
        let (stream, continuation) = AsyncStream<Message>.makeStream(bufferingPolicy: .bufferingNewest(Self.bufferPerPage))
        let id = UUID()
        let admitted = pages.withLock { pages -> Bool in
            guard !pages.finished, pages.open.count < Self.maximumPages else { return false }
            pages.open[id] = continuation
            if let state = pages.state { continuation.yield(.state(state)) }
            return true
        }
        guard admitted else { return nil }
        continuation.onTermination = { [weak self] _ in
            _ = self?.pages.withLock { $0.open.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ verdict: ScreenVerdict) {
        pages.withLock { pages in for page in pages.open.values { page.yield(.verdict(verdict)) } }
    }

    /// Sends the state to every page when it changed.
    func update(_ state: ScreenState) {
        pages.withLock { pages in
            guard pages.state != state else { return }
            pages.state = state
            for page in pages.open.values { page.yield(.state(state)) }
        }
    }

    func ping() {
        pages.withLock { pages in for page in pages.open.values { page.yield(.ping) } }
    }

    var currentState: ScreenState? { pages.withLock { $0.state } }
    var openPages: Int { pages.withLock { $0.open.count } }

    /// Ends every page's stream (shutdown): the server can then close its connections.
    func finish() {
        let open = pages.withLock { pages -> [AsyncStream<Message>.Continuation] in
            pages.finished = true
            defer { pages.open = [:] }
            return Array(pages.open.values)
        }
        for page in open { page.finish() }
    }
}
