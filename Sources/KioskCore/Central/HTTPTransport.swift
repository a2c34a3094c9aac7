/// One HTTP exchange, as the kiosk's client needs it: small JSON bodies, hard time limits.
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// The whole exchange, connection included, must end within this.
    public var timeout: Duration
    /// Establishing the connection (TCP and TLS) must end within this.
    public var connectTimeout: Duration

    public init(method: String, url: String, headers: [(name: String, value: String)] = [], body: [UInt8]? = nil,
                timeout: Duration = .seconds(10), connectTimeout: Duration = .seconds(3)) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.connectTimeout = connectTimeout
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}

/// Why an exchange produced no HTTP response.
public enum TransportError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The time limit passed (a hanging server or a dead network).
    case timedOut(milliseconds: Int)
    /// No connection: refused, no route, DNS failure.
    case unreachable(String)
    /// TLS failed: certificate not trusted, pin mismatch, handshake error.
    case tls(String)
    /// The response was larger than the client accepts.
    case responseTooLarge(limit: Int)
    /// The caller's task was cancelled (the daemon is stopping): the request was abandoned.
    case cancelled
    case failed(String)

    public var description: String {
        switch self {
        case .timedOut(let ms): "no answer within \(ms) ms"
        case .unreachable(let reason): "server unreachable: \(reason)"
        case .tls(let reason): "TLS error: \(reason)"
        case .responseTooLarge(let limit): "response larger than \(limit) bytes"
        case .cancelled: "cancelled: the kiosk is stopping"
        case .failed(let reason): reason
        }
    }
}

/// Sends HTTP requests. One real implementation (`CurlTransport`, libcurl); tests inject
/// faults through their own.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse
}
