import KioskCore
/// A camera double: plays a script of scenes as a frame source, re-rendering each frame with
/// fresh sensor noise and the code drifting a little, as a hand holds a phone. For the demo
/// and the tests of everything downstream of the camera.
public struct SyntheticCamera: FrameSource {
    /// `frames` consecutive frames of one scene.
    public struct Shot: Sendable {
        public var frames: Int
        public var scene: SyntheticScene
        /// Pixels the codes move a frame (a hand is never still).
        public var drift: Double

        public init(frames: Int, scene: SyntheticScene, drift: Double = 1.5) {
            self.frames = frames
            self.scene = scene
            self.drift = drift
        }
    }

    public let shots: [Shot]
    private var shotIndex = 0
    private var frameInShot = 0
    private var count = 0
    /// An empty doorway does not move: its frame is rendered once per shot.
    private var emptyFrame: (shot: Int, image: GrayImage)?

    public init(shots: [Shot]) { self.shots = shots }

    public var totalFrames: Int { shots.reduce(0) { $0 + $1.frames } }

    public mutating func nextFrame() throws(FrameSourceError) -> Frame? {
        while shotIndex < shots.count, frameInShot >= shots[shotIndex].frames {
            shotIndex += 1
            frameInShot = 0
        }
        guard shotIndex < shots.count else { return nil }
        let shot = shots[shotIndex]
        if shot.scene.codes.isEmpty {
            frameInShot += 1
            count += 1
            if let cached = emptyFrame, cached.shot == shotIndex { return Frame(number: count, image: cached.image) }
            let image = shot.scene.render()
            emptyFrame = (shotIndex, image)
            return Frame(number: count, image: image)
        }
        var scene = shot.scene
        scene.seed = scene.seed &+ UInt64(frameInShot)
        for index in scene.codes.indices {
            scene.codes[index].centreX += shot.drift * Double(frameInShot % 10 - 5)
            scene.codes[index].centreY += shot.drift * 0.5 * Double(frameInShot % 6 - 3)
        }
        frameInShot += 1
        count += 1
        return Frame(number: count, image: scene.render())
    }
}
