/// A code held up to the camera is in many consecutive frames: report it once, and again only
/// after it has been out of view for `quietFrames` frames (shown again, or another customer
/// with the same pass).
public struct ScanDebouncer: Sendable {
    public let quietFrames: Int
    private var lastSeen: [[UInt8]: Int] = [:]

    /// - Parameter quietFrames: frames a payload must be absent before it counts as new
    ///   (30 = one second at 30 fps).
    public init(quietFrames: Int = 30) {
        self.quietFrames = quietFrames
    }

    /// The payloads of this frame that are new, in the order found.
    public mutating func newPayloads(_ payloads: [[UInt8]], frame: Int) -> [[UInt8]] {
        var fresh = [[UInt8]]()
        for payload in payloads {
            if let seen = lastSeen[payload], frame - seen <= quietFrames {
                lastSeen[payload] = frame
                continue
            }
            lastSeen[payload] = frame
            fresh.append(payload)
        }
        // Forget payloads long gone, so the table stays small on a box that runs for months.
        if lastSeen.count > 64 {
            lastSeen = lastSeen.filter { frame - $0.value <= quietFrames }
        }
        return fresh
    }
}
