#if canImport(Glibc)
import Glibc
#endif
import CafeProtocol
import Foundation
import Synchronization
import Testing
@testable import KioskCore

/// The door hook as a real /bin/sh process: what it is told, what its exit status means, and
/// that it never holds up the door.
@Suite(.timeLimit(.minutes(1))) struct DoorHookTests {
    let folder = Fixtures.temporaryDirectory()

    static func outcome(_ verdict: Verdict, kind: PassKind = .time, offline: Bool = false) -> CheckInOutcome {
        let now = Date()
        let token = PassToken(keyID: Fixtures.signer.keyID, passID: UUID(), storeID: 3, kind: kind,
                              validFrom: now, validUntil: now.addingTimeInterval(3_600), issuedAt: now)
        let decision = CheckInRules.Decision(verdict: verdict, token: token, updatedTicket: nil,
                                             minutesCharged: verdict == .exit ? 42 : nil, overstayMinutes: nil,
                                             display: VerdictDisplay(title: verdict == .exit ? "안녕히 가세요" : "환영합니다"))
        let event = KioskEvent(eventID: UUID(), passID: token.passID, verdict: verdict, occurredAt: now, decidedOffline: offline,
                               minutesCharged: decision.minutesCharged)
        return CheckInOutcome(decision: decision, event: event, isRepeat: false, recordError: nil)
    }

    /// Waits on a thread of its own for the hook's answer.
    final class Answer: Sendable {
        let result = Mutex<DoorHook.Result?>(nil)
        let done = DispatchSemaphore(value: 0)
        func set(_ value: DoorHook.Result) { result.withLock { $0 = value }; done.signal() }
        func wait() async -> DoorHook.Result? {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread { [self] in
                    done.wait()
                    continuation.resume(returning: result.withLock { $0 })
                }
            }
        }
        var isSet: Bool { result.withLock { $0 != nil } }
    }

    @Test func aGrantRunsTheHookWithTheVerdictInItsEnvironment() async throws {
        let record = folder.appendingPathComponent("calls").path
        let hook = DoorHook(command: "env | grep '^KIOSK_' | sort > '\(record)'")
        let outcome = Self.outcome(.exit, offline: true)
        let answer = Answer()
        #expect(hook.open(for: outcome, frame: 17) { answer.set($0) })
        #expect(await answer.wait() == .opened)
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.contains("KIOSK_VERDICT=exit"))
        #expect(lines.contains("KIOSK_PASS=\(outcome.decision.token!.passID.uuidString.lowercased())"))
        #expect(lines.contains("KIOSK_EVENT=\(outcome.event!.eventID.uuidString.lowercased())"))
        #expect(lines.contains("KIOSK_PASS_KIND=time"))
        #expect(lines.contains("KIOSK_DECIDED=offline"))
        #expect(lines.contains("KIOSK_MINUTES_CHARGED=42"))
        #expect(lines.contains("KIOSK_FRAME=17"))
        #expect(lines.contains("KIOSK_MESSAGE=안녕히 가세요"))
    }

    @Test func aDenialOpensNothing() {
        let hook = DoorHook(command: "touch '\(folder.appendingPathComponent("opened").path)'")
        #expect(!hook.open(for: Self.outcome(.deny(.refunded)), frame: 1) { _ in Issue.record("no hook for a denial") })
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("opened").path))
    }

    @Test func aNonZeroExitMeansTheDoorStayedShut() async {
        let answer = Answer()
        DoorHook(command: "exit 3").open(for: Self.outcome(.enter), frame: 1) { answer.set($0) }
        #expect(await answer.wait() == .stayedShut(status: 3))
    }

    @Test func theHookNeverHoldsUpTheDoorAndAHungOneIsStopped() async throws {
        let pidFile = folder.appendingPathComponent("pid").path
        // The hook writes its pid and then hangs (as a relay driver stuck on a bus might).
        let hook = DoorHook(command: "echo $$ > '\(pidFile)'; exec sleep 30", timeout: .milliseconds(300), maxInFlight: 1)
        let answer = Answer()
        #expect(hook.open(for: Self.outcome(.enter), frame: 1) { answer.set($0) })
        // open returned while the hook runs: its answer is not in yet.
        #expect(!answer.isSet)
        // One in flight at most: the next grant's hook is skipped, not queued.
        #expect(!hook.open(for: Self.outcome(.enter), frame: 2) { _ in Issue.record("skipped hooks report nothing") })
        #expect(await answer.wait() == .timedOut)
        let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Stopped: the process goes away (the time limit bounds the wait).
        while kill(pid, 0) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        // And the slot is free again.
        let next = Answer()
        #expect(DoorHook(command: "true", maxInFlight: 1).open(for: Self.outcome(.enter), frame: 3) { next.set($0) })
        #expect(hook.open(for: Self.outcome(.enter), frame: 4) { next.set($0) })
    }
}
