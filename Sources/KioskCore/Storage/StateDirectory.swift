import CafeProtocol
import Foundation

/// What enrolment gave this kiosk: where its server is and how to prove who it is.
public struct DeviceCredentials: Codable, Equatable, Sendable {
    public var serverURL: String
    public var deviceID: UUID
    /// Secret: the file holding it is 0600 and it is never logged.
    public var deviceToken: String
    public var deviceName: String
    public var storeID: UInt32
    public var storeName: String
    public var enrolledAt: Date
    /// The only CA the kiosk trusts for its server (`kioskd enroll --ca-file`, copied into the state
    /// directory); nil: the system's trust store.
    public var caFile: String?

    public init(serverURL: String, deviceID: UUID, deviceToken: String, deviceName: String,
                storeID: UInt32, storeName: String, enrolledAt: Date, caFile: String? = nil) {
        self.serverURL = serverURL
        self.deviceID = deviceID
        self.deviceToken = deviceToken
        self.deviceName = deviceName
        self.storeID = storeID
        self.storeName = storeName
        self.enrolledAt = enrolledAt
        self.caFile = caFile
    }

    /// The transport every command and service reaches the server with: pinned to the enrolled CA
    /// when there is one (a sync that trusted the system's store instead would fail against a
    /// private CA, and the door would stay offline for good).
    public func transport() -> CurlTransport { CurlTransport(caFile: caFile) }

    enum CodingKeys: String, CodingKey {
        case serverURL = "server_url", deviceID = "device_id", deviceToken = "device_token", deviceName = "device_name"
        case storeID = "store_id", storeName = "store_name", enrolledAt = "enrolled_at", caFile = "ca_file"
    }
}

/// The kiosk's state directory: `kiosk.sqlite` (cache and outbox) and `device.json`
/// (credentials). Chosen by `--state-dir`, else systemd's `$STATE_DIRECTORY`, else
/// `/var/lib/kioskd`.
public struct StateDirectory: Sendable {
    public static let defaultPath = "/var/lib/kioskd"
    public let path: String

    public init(path: String) { self.path = path }

    public static func resolve(option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> StateDirectory {
        if let option, !option.isEmpty { return StateDirectory(path: option) }
        // systemd passes a colon-separated list when the unit names several.
        if let fromSystemd = environment["STATE_DIRECTORY"]?.split(separator: ":").first, !fromSystemd.isEmpty {
            return StateDirectory(path: String(fromSystemd))
        }
        return StateDirectory(path: defaultPath)
    }

    public var databasePath: String { path + "/kiosk.sqlite" }
    public var devicePath: String { path + "/device.json" }
    /// The largest CA file `readCA` accepts.
    public static let maximumCASize = 1 << 20
    /// The pinned CA's copy: the service reads it from here, whatever becomes of the admin's file.
    public var pinnedCAPath: String { path + "/server-ca.pem" }

    /// Creates the directory (0700) if needed.
    public func prepare() throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o700])
    }

    /// An admin runs `kioskd enroll` or `kioskd sync` as root, but the service runs as its own
    /// user (`kioskd`): files root creates in the service's directory are given to the
    /// directory's owner, so the service can still open its cache and read its credentials.
    /// Does nothing unless running as root in a directory someone else owns.
    public func handOverToOwner() throws {
        guard System.isRoot else { return }
        let owner = try System.owner(of: path)
        guard owner.uid != 0 else { return }
        for name in try FileManager.default.contentsOfDirectory(atPath: path) {
            let file = path + "/" + name
            if try System.owner(of: file) != owner { try System.changeOwner(of: file, to: owner) }
        }
    }

    public func loadDevice() throws -> DeviceCredentials? {
        guard FileManager.default.fileExists(atPath: devicePath) else { return nil }
        let data = try Data(contentsOf: URL(fileURLWithPath: devicePath))
        return try WireCoding.decoder().decode(DeviceCredentials.self, from: data)
    }

    /// The CA file an admin pins, read and checked before anything is enrolled: PEM certificates.
    public static func readCA(from source: String) throws(PinnedCAError) -> Data {
        // A regular file of a sane size (the system's whole bundle is about 200 kB): not a device
        // that never ends, not a directory. Symbolic links, as in /etc/ssl/certs, are followed.
        let resolved = URL(fileURLWithPath: source).resolvingSymlinksInPath().path
        if let attributes = try? FileManager.default.attributesOfItem(atPath: resolved) {
            guard attributes[.type] as? FileAttributeType == .typeRegular else { throw .unreadable(source, "not a regular file") }
            guard ((attributes[.size] as? NSNumber)?.intValue ?? 0) <= maximumCASize else {
                throw .unreadable(source, "over \(maximumCASize >> 20) MiB, too large for CA certificates")
            }
        }
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: source)) } catch {
            throw .unreadable(source, (error as NSError).localizedDescription)
        }
        guard String(decoding: data, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else { throw .notPEM(source) }
        return data
    }

    /// Keeps the pinned CA in the directory, atomically and readable by the service; returns the
    /// copy's path.
    public func savePinnedCA(_ data: Data) throws(PinnedCAError) -> String {
        do {
            try writeAtomically(data, to: pinnedCAPath, permissions: 0o644)
        } catch {
            throw .unwritable(pinnedCAPath, (error as NSError).localizedDescription)
        }
        return pinnedCAPath
    }

    /// Forgets a pinned CA (enrolled again without one).
    public func removePinnedCA() {
        try? FileManager.default.removeItem(atPath: pinnedCAPath)
    }

    /// Writes the credentials atomically (temporary file, fsync, rename) with mode 0600.
    public func saveDevice(_ credentials: DeviceCredentials) throws {
        try writeAtomically(try WireCoding.encoder().encode(credentials), to: devicePath, permissions: 0o600)
    }

    /// Writes a file of the directory atomically (a temporary file, fsync, rename) with these
    /// permissions, and gives it to the directory's owner: after a power cut it is the old file or
    /// the whole new one, never a credentials file naming a CA copy that is still empty.
    private func writeAtomically(_ data: Data, to target: String, permissions: Int) throws {
        try prepare()
        let temporary = target + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: nil, attributes: [.posixPermissions: permissions]) else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: temporary])
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: temporary))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: data)
        try handle.synchronize()
        try handle.close()
        if rename(temporary, target) != 0 {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target])
        }
        try handOverToOwner()
    }
}

/// Why a CA file cannot be pinned, said with its path.
public enum PinnedCAError: Error, CustomStringConvertible, Sendable {
    case unreadable(String, String)
    case notPEM(String)
    case unwritable(String, String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): "cannot read the CA file \(path): \(reason)"
        case .notPEM(let path): "\(path) holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        case .unwritable(let path, let reason): "cannot write the pinned CA to \(path): \(reason)"
        }
    }
}
