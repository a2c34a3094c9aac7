import Foundation

public enum ServerConfigurationError: Error, CustomStringConvertible, Equatable {
    case invalid(String, String)
    public var description: String {
        switch self {
        case .invalid(let setting, let message): "\(setting): \(message)"
        }
    }
}

/// Everything `cafe-server serve` can be told, with the defaults a single store needs.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var database = DatabaseLocation.sqlite(path: "cafe.sqlite")
    /// Access tokens are short-lived; refresh tokens are long-lived, rotated, revocable.
    public var accessTokenLifetime: TimeInterval = 15 * 60
    public var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    /// bcrypt's work factor: 12 ≈ 0.25 s a hash on the reference box; tests use the minimum.
    public var bcryptCost: UInt8 = 12
    /// One-time enrollment codes expire after this long.
    public var enrollmentCodeLifetime: TimeInterval = 24 * 3600
    /// The payment gateway; nil refuses online purchases (counter sales still work).
    public var gateway: PaymentGatewayConfiguration?
    /// Push notifications (FCM); nil: none are sent.
    public var push: PushConfiguration?
    /// A payment page that stands in for BootPay's window in the web app (the fake gateway's
    /// `/fake/pay`, in tests and the demo): it is given the order and a return address and comes
    /// back with `receipt_id`. Nil: the web app offers no online purchase yet.
    public var paymentPage: String?
    /// BootPay's own payment window (its JavaScript SDK) on the web app's payment page
    /// `/app/pay` — the one page whose policy lets a script from another origin in.
    public var paymentWindow: BootPayWindow?

    public init() {}
}

/// What the browser needs to open BootPay's window: the web application id (public: it is in
/// every shop's page) and the SDK's address, a pinned version.
public struct BootPayWindow: Sendable, Equatable {
    public static let productionScript = "https://js.bootpay.co.kr/bootpay-5.3.0.min.js"
    public var applicationID: String
    public var scriptURL: String

    public init(applicationID: String, scriptURL: String = BootPayWindow.productionScript) {
        self.applicationID = applicationID
        self.scriptURL = scriptURL
    }

    /// `https://js.bootpay.co.kr`: what the payment page's policy allows beside itself.
    public var scriptOrigin: String? {
        guard let url = URL(string: scriptURL), let scheme = url.scheme, let host = url.host, scheme == "https" || scheme == "http" else { return nil }
        return "\(scheme)://\(host)" + (url.port.map { ":\($0)" } ?? "")
    }
}

/// How to reach BootPay's REST API v2.
public struct PaymentGatewayConfiguration: Sendable, Equatable {
    /// BootPay's two ways to authenticate a server.
    public enum Credentials: Sendable, Equatable {
        /// The REST application id and private key, exchanged for a bearer token (`POST request/token`).
        case applicationKey(applicationID: String, privateKey: String)
        /// The client key and secret key of BootPay's current SDKs, sent as HTTP Basic on every call.
        case clientSecret(clientKey: String, secretKey: String)
    }

    /// `https://api.bootpay.co.kr/v2`, `https://dev-api.bootpay.co.kr/v2`, or a local fake.
    public var baseURL: String
    /// Secrets: from the environment or a config file, never from the repository, never logged.
    public var credentials: Credentials
    public var timeout: TimeInterval = 10

    public init(baseURL: String, applicationID: String, privateKey: String, timeout: TimeInterval = 10) {
        self.init(baseURL: baseURL, credentials: .applicationKey(applicationID: applicationID, privateKey: privateKey), timeout: timeout)
    }

    public init(baseURL: String, credentials: Credentials, timeout: TimeInterval = 10) {
        self.baseURL = baseURL
        self.credentials = credentials
        self.timeout = timeout
    }

    public static let productionURL = "https://api.bootpay.co.kr/v2"
    public static let developmentURL = "https://dev-api.bootpay.co.kr/v2"
}

/// How to reach Firebase Cloud Messaging.
public struct PushConfiguration: Sendable, Equatable {
    public var serviceAccount: FCMServiceAccount
    /// `https://fcm.googleapis.com`, or a local fake.
    public var baseURL: String

    public init(serviceAccount: FCMServiceAccount, baseURL: String = FCMClient.productionURL) {
        self.serviceAccount = serviceAccount
        self.baseURL = baseURL
    }
}
