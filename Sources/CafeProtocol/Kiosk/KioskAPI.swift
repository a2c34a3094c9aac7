import Foundation

/// The kiosk contract, version 1: the paths `cafe-server` serves and `kioskd` calls. Every
/// request but enrolment carries `Authorization: Device <device token>`.
///
/// | method, path | body → response |
/// |---|---|
/// | `POST /kiosk/v1/enroll` | `EnrollRequest` → `EnrollResponse` |
/// | `GET /kiosk/v1/sync?cursor=C&limit=N[&outbox=N&outbox_oldest=T]` | → `SyncPage` (no cursor: from the start; `outbox`: see `OutboxReport`) |
/// | `POST /kiosk/v1/check-ins` | `CheckInRequest` → `CheckInResponse` (idempotent by event id) |
/// | `POST /kiosk/v1/events` | `EventBatch` → `EventBatchResult` (idempotent by event id) |
/// | `POST /kiosk/v1/print-jobs/{job id}/ack` | `PrintJobAck` → 204 |
///
/// Errors are `APIError` bodies with a 4xx or 5xx status.
public enum KioskAPI {
    public static let version = "v1"
    public static let basePath = "/kiosk/v1"
    public static let enrollPath = basePath + "/enroll"
    public static let syncPath = basePath + "/sync"
    public static let checkInsPath = basePath + "/check-ins"
    public static let eventsPath = basePath + "/events"

    public static func printJobAckPath(_ jobID: String) -> String { basePath + "/print-jobs/\(jobID)/ack" }

    /// The scheme of the device's `Authorization` header.
    public static let authorizationScheme = "Device"

    /// Most events one upload may carry; more are refused with `invalid_request`.
    public static let maxEventsPerBatch = 500
    /// Largest sync page a kiosk may ask for.
    public static let maxSyncPageSize = 5_000
}

/// What the kiosk still holds, told with a sync's first page so the owner's device list shows
/// "outbox 3, oldest 14:02" — the events decided offline that the server has not yet received.
public struct OutboxReport: Sendable, Equatable {
    public static let pendingParameter = "outbox"
    public static let oldestParameter = "outbox_oldest"

    public var pending: Int
    public var oldest: Date?
    public init(pending: Int, oldest: Date?) {
        self.pending = pending
        self.oldest = oldest
    }
}
