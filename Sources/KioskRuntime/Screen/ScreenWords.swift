import CafeProtocol
import Foundation

/// The customer's screen in the store's language: Korean by default, English. The English titles
/// are the reason codes' own messages (`CheckInRules.message`), so the screen, the log and the
/// API say the same; each denial adds what to do next.
public enum ScreenLanguage: String, Sendable, CaseIterable, Codable {
    case ko, en
}

struct ScreenWords: Sendable {
    let language: ScreenLanguage
    /// The store's zone: valid-until is the store's wall-clock time.
    let timeZone: ZoneClock

    var welcome: String { pick("환영합니다", "Welcome") }
    var goodbye: String { pick("안녕히 가세요", "Goodbye") }
    var goodbyeTimeUsedUp: String { pick("안녕히 가세요 — 시간을 모두 사용했습니다", "Goodbye — time used up") }
    var doorStayedShut: String { pick("문이 열리지 않았습니다", "The door did not open") }
    var scanAgain: String { pick("다시 스캔해 주세요", "Please scan again") }
    var idleHint: String { pick("QR 코드를 아래 카메라에 비춰 주세요", "Hold your QR code up to the camera below") }
    var offline: String { pick("오프라인", "offline") }
    var connectionLost: String { pick("화면 연결 끊김", "screen disconnected") }
    var newPass: String { pick("방금 구매한 이용권 — 휴대폰으로 찍어 두세요", "Your new pass — take a photo of this code") }

    func name(_ holder: String) -> String { pick("\(holder) 님", holder) }
    func seat(_ seat: String) -> String { pick("좌석 \(seat)", "Seat \(seat)") }
    func timeLeft(minutes: Int) -> String { pick("남은 시간 \(duration(minutes))", "\(duration(minutes)) left") }
    func used(minutes: Int) -> String { pick("이용 시간 \(duration(minutes))", "\(duration(minutes)) used") }
    /// The problem's headline only ("printer unreachable", "out of paper"): the details are in the log.
    func printerProblem(_ problem: String) -> String {
        let headline = problem.components(separatedBy: ": ").first ?? problem
        return pick("프린터: \(headline)", "printer: \(headline)")
    }
    func uncertainPrints(_ count: Int) -> String {
        pick("인쇄 확인 필요 \(count)건 (kioskd status)", "\(count) receipt(s) to check (kioskd status)")
    }
    func passNumber(_ number: String) -> String { pick("번호 \(number)", "No. \(number)") }

    func validUntil(_ date: Date) -> String {
        let wall = timeZone.wallTime(at: date)
        let (month, day) = (wall.month, wall.day)
        let time = String(wall.text(separator: " ", milliseconds: false, zone: "").dropFirst(11).prefix(5))  // "HH:MM"
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return pick("\(month)월 \(day)일 \(time)까지", "Valid until \(day) \(months[(month - 1) % 12]) \(time)")
    }

    /// "2시간 5분" / "2 h 5 min"; minutes alone under an hour.
    func duration(_ minutes: Int) -> String {
        let (hours, rest) = (max(minutes, 0) / 60, max(minutes, 0) % 60)
        switch (hours, rest) {
        case (0, _): return pick("\(rest)분", "\(rest) min")
        case (_, 0): return pick("\(hours)시간", "\(hours) h")
        default: return pick("\(hours)시간 \(rest)분", "\(hours) h \(rest) min")
        }
    }

    /// The denial in plain words, and what to do next.
    func denial(_ reason: DenyReason) -> (title: String, next: String) {
        switch (language, reason) {
        case (.en, _): return (CheckInRules.message(for: reason), englishNext(reason))
        case (.ko, .invalidSignature): return ("유효한 이용권이 아닙니다", "카운터에 문의해 주세요")
        case (.ko, .unknownKey): return ("이 매장에서 확인할 수 없는 이용권입니다", "직원에게 문의해 주세요")
        case (.ko, .wrongStore): return ("다른 매장의 이용권입니다", "이용권을 구매한 매장에서 사용해 주세요")
        case (.ko, .notYetValid): return ("아직 시작되지 않은 이용권입니다", "시작 시간 이후에 다시 스캔해 주세요")
        case (.ko, .expired): return ("기간이 끝난 이용권입니다", "새 이용권을 구매해 주세요")
        case (.ko, .noTimeLeft): return ("남은 시간이 없습니다", "시간을 충전해 주세요")
        case (.ko, .refunded): return ("환불된 이용권입니다", "카운터에 문의해 주세요")
        case (.ko, .revoked): return ("취소된 이용권입니다", "카운터에 문의해 주세요")
        case (.ko, .alreadyInside): return ("이미 입장한 상태입니다", "나가실 때 스캔해 주세요")
        case (.ko, .storeClosed): return ("지금은 입장할 수 없는 시간입니다", "영업 시간에 다시 와 주세요")
        case (.ko, .unreadable): return ("코드를 읽을 수 없습니다", "코드를 카메라에 조금 더 가까이 대 주세요")
        }
    }

    private func englishNext(_ reason: DenyReason) -> String {
        switch reason {
        case .invalidSignature, .refunded, .revoked: "Please see the counter"
        case .unknownKey: "Please ask the staff"
        case .wrongStore: "Use it at the store that sold it"
        case .notYetValid: "Scan again once it starts"
        case .expired: "Please buy a new pass"
        case .noTimeLeft: "Please top up your time"
        case .alreadyInside: "You are already inside — scan when you leave"
        case .storeClosed: "Please come back during opening hours"
        case .unreadable: "Hold the code a little closer to the camera"
        }
    }

    private func pick(_ korean: String, _ english: String) -> String { language == .ko ? korean : english }
}
