import CafeProtocol
import Foundation
import KioskCore
import Testing

/// kill -9 at random moments while the door records decisions: no committed event is lost,
/// none is stored twice, and the cache opens cleanly every time.
@Suite struct CrashSafetyTests {
    /// Collects a child's stdout lines as they come and wakes a waiter at a line count.
    final class LineWatcher: @unchecked Sendable {
        // @unchecked: `lines` and `target` are guarded by `condition`.
        private let condition = NSCondition()
        private var lines: [String] = []
        private var ended = false

        init(_ handle: FileHandle) {
            Thread.detachNewThread { [self] in
                var pending = Data()
                while true {
                    let chunk = handle.availableData
                    condition.lock()
                    if chunk.isEmpty { ended = true; condition.broadcast(); condition.unlock(); return }
                    pending.append(chunk)
                    while let newline = pending.firstIndex(of: 0x0A) {
                        lines.append(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                        pending.removeSubrange(pending.startIndex...newline)
                    }
                    condition.broadcast()
                    condition.unlock()
                }
            }
        }

        /// Blocks this (non-cooperative) thread until `count` lines arrived or output ended.
        func wait(for count: Int) -> Int {
            condition.lock()
            defer { condition.unlock() }
            while lines.count < count && !ended { condition.wait() }
            return lines.count
        }

        func waitForEnd() -> [String] {
            condition.lock()
            defer { condition.unlock() }
            while !ended { condition.wait() }
            return lines
        }
    }

    /// Starts kioskd, kills it with SIGKILL once it printed `killAt` lines, and returns every
    /// line it printed. Waiting happens on threads of their own, not the cooperative pool.
    static func runAndKill(_ arguments: [String], afterLines killAt: Int, executable: URL = Kioskd.executable) async throws -> (lines: [String], killed: Bool) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let watcher = LineWatcher(out.fileHandleForReading)
        let lines: [String] = await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                _ = watcher.wait(for: killAt)
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                continuation.resume(returning: watcher.waitForEnd())
            }
        }
        return (lines, process.terminationReason == .uncaughtSignal)
    }

    @Test func killingTheProcessMidScanLosesAndDuplicatesNothing() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-crash-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: state) }
        var committed = Set<String>()
        var generator = SystemRandomNumberGenerator()
        for round in 0..<6 {
            let killAt = Int.random(in: 5...150, using: &generator)
            let (lines, killed) = try await Self.runAndKill(
                ["checkin", "--tickets", "500", "--scans", "1000000", "--print-events", "--state-dir", state], afterLines: killAt,
                executable: Kioskd.benchExecutable)
            #expect(killed, "round \(round): the child was killed, not finished")
            let printed = lines.filter { $0.hasPrefix("committed ") }.map { String($0.dropFirst("committed ".count)) }
            #expect(printed.count >= killAt)
            committed.formUnion(printed)
        }
        let opened = try KioskDatabase.open(path: state + "/kiosk.sqlite")
        #expect(opened.movedAside == nil, "the cache survived every kill intact")
        let stored = try opened.database.pendingEvents(limit: 10_000_000).map(\.eventID.uuidString)
        #expect(Set(stored).count == stored.count, "no event stored twice")
        #expect(committed.isSubset(of: Set(stored)), "\(committed.subtracting(stored).count) committed event(s) lost")
    }
}
