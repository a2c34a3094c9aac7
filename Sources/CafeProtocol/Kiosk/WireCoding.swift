import Foundation

/// The JSON conventions of every request and response between kiosk and server: snake_case keys
/// (spelled out in each type's CodingKeys, never left to a key strategy), dates as RFC 3339 UTC
/// strings with milliseconds, UUIDs in their canonical upper-case form.
public enum WireCoding {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(CivilTime.rfc3339(date))
        }
        return encoder
    }

    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = parseTimestamp(text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 timestamp: \(text)")
            }
            return date
        }
        return decoder
    }

    /// RFC 3339 with milliseconds, as the encoder writes dates (by `CivilTime`'s arithmetic, not
    /// `ISO8601FormatStyle`, which would map ICU into the kiosk).
    public static func timestamp(_ date: Date) -> String { CivilTime.rfc3339(date) }

    /// RFC 3339 with or without fractional seconds, `Z` or an offset.
    public static func parseTimestamp(_ text: String) -> Date? { CivilTime.parse(text) }
}

/// Error body of every non-2xx response: a stable machine code and a sentence for people.
public struct APIError: Codable, Error, Equatable, Sendable, CustomStringConvertible {
    public var code: String
    public var message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    // Codes the kiosk acts on.
    public static let unauthorized = "unauthorized"          // no, unknown or revoked device token
    public static let invalidRequest = "invalid_request"     // malformed JSON or out-of-range field
    public static let enrollmentCodeInvalid = "enrollment_code_invalid"
    public static let notFound = "not_found"
    public static let rateLimited = "rate_limited"
    public static let internalError = "internal_error"
}
