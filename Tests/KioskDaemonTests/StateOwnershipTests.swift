#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

/// The service runs as the `kioskd` user; the admin runs `kioskd enroll` or `kioskd sync` as
/// root. What root creates in the service's state directory must stay usable by the service.
@Suite struct StateOwnershipTests {
    @Test(.enabled(if: geteuid() == 0, "needs root: the ownership hand-over only happens when running as root"))
    func filesRootCreatesBelongToTheDirectorysOwner() async throws {
        let state = FileManager.default.temporaryDirectory.appendingPathComponent("kioskd-owner-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: state) }
        // 65534: nobody/nogroup, standing in for the kioskd system user.
        #expect(chown(state, 65534, 65534) == 0)
        let status = try await Kioskd.run(["status", "--state-dir", state])
        #expect(status.status == 0, "\(status.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: state)
        #expect(files.contains("kiosk.sqlite"))
        for name in files {
            let attributes = try FileManager.default.attributesOfItem(atPath: state + "/" + name)
            let owner = (attributes[.ownerAccountID] as? NSNumber)?.intValue, group = (attributes[.groupOwnerAccountID] as? NSNumber)?.intValue
            #expect(owner == 65534 && group == 65534, "\(name) is owned by \(owner ?? -1):\(group ?? -1)")
        }
    }
}
