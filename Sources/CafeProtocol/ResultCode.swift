/// Why a scan was denied. The raw values are the wire and log form, modelled on pretix's
/// check-in results; they never change once shipped.
public enum DenyReason: String, Codable, Sendable, CaseIterable {
    case invalidSignature = "invalid_signature"
    case unknownKey = "unknown_key"
    case wrongStore = "wrong_store"
    case notYetValid = "not_yet_valid"
    case expired = "expired"
    case noTimeLeft = "no_time_left"
    case refunded = "refunded"
    case revoked = "revoked"
    case alreadyInside = "already_inside"
    case storeClosed = "store_closed"
    case unreadable = "unreadable"
}

/// What the door does for a scan.
public enum Verdict: Equatable, Hashable, Sendable {
    case enter
    case exit
    case deny(DenyReason)
}
