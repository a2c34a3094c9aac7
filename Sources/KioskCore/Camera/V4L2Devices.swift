internal import CV4L2
import Foundation

/// One capture device as `kioskd cameras` shows it: what `v4l2-ctl --list-formats-ext` lists,
/// so an installer can pick a mode.
public struct CameraDescription: Sendable, Equatable, Encodable {
    public var path: String
    public var card: String
    public var driver: String
    public var bus: String
    /// Names of the device that survive replugging (udev's /dev/v4l/by-id and by-path links).
    public var stableNames: [String] = []
    public var formats: [Format]

    public struct Format: Sendable, Equatable, Encodable {
        /// The four-character code ("MJPG", "YUYV", "GREY", "H264").
        public var fourcc: String
        public var name: String
        /// The kiosk's name for it when it can capture it (`camera.format`), else nil.
        public var kioskFormat: String?
        public var sizes: [Size]
    }

    public struct Size: Sendable, Equatable, Encodable {
        public var width: Int
        public var height: Int
        /// Discrete frame rates, fastest first (empty when the driver gives a range).
        public var fps: [Double]
        /// For drivers that give a continuous or stepwise range of sizes instead.
        public var stepwise: String?
    }
}

/// Lists the V4L2 capture devices and their modes.
public enum V4L2Devices {
    /// The `/dev/video*` nodes, in number order.
    public static func paths(in directory: String = "/dev") -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
            .map { "\(directory)/\($0)" }
    }

    /// udev's persistent links to each device: `/dev/video0` → [`/dev/v4l/by-id/usb-…-video-index0`, …].
    public static func stableNames(in directories: [String] = ["/dev/v4l/by-id", "/dev/v4l/by-path"]) -> [String: [String]] {
        var names = [String: [String]]()
        for directory in directories {
            for link in ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted() {
                let path = "\(directory)/\(link)"
                guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) else { continue }
                let resolved = target.hasPrefix("/") ? target : URL(fileURLWithPath: directory).appendingPathComponent(target).standardized.path
                names[resolved, default: []].append(path)
            }
        }
        return names
    }

    /// What the device at `path` can capture; nil when it is not a capture device (a UVC
    /// camera's metadata node). Throws when it cannot be opened at all.
    public static func describe(_ path: String) throws(SystemCallError) -> CameraDescription? {
        let fd = try System.openDevice(path)
        defer { System.close(fd) }
        var capability = v4l2_capability()
        try System.ioctl(fd, cv4l2_querycap(), "VIDIOC_QUERYCAP", &capability)
        let capabilities = capability.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? capability.device_caps : capability.capabilities
        guard capabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0 else { return nil }
        var description = CameraDescription(path: path, card: V4L2Text.string(capability.card), driver: V4L2Text.string(capability.driver),
                                            bus: V4L2Text.string(capability.bus_info), formats: [])
        var formatIndex: UInt32 = 0
        while true {
            var format = v4l2_fmtdesc()
            format.index = formatIndex
            format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard (try? System.ioctl(fd, cv4l2_enum_fmt(), "VIDIOC_ENUM_FMT", &format)) != nil else { break }
            description.formats.append(CameraDescription.Format(
                fourcc: V4L2Text.fourcc(format.pixelformat), name: V4L2Text.string(format.description),
                kioskFormat: CameraPixelFormat(fourcc: format.pixelformat)?.rawValue,
                sizes: sizes(fd, pixelFormat: format.pixelformat)))
            formatIndex += 1
        }
        return description
    }

    private static func sizes(_ fd: Int32, pixelFormat: UInt32) -> [CameraDescription.Size] {
        var sizes = [CameraDescription.Size]()
        var index: UInt32 = 0
        while true {
            var size = v4l2_frmsizeenum()
            size.index = index
            size.pixel_format = pixelFormat
            guard (try? System.ioctl(fd, cv4l2_enum_framesizes(), "VIDIOC_ENUM_FRAMESIZES", &size)) != nil else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let width = Int(size.discrete.width), height = Int(size.discrete.height)
                sizes.append(CameraDescription.Size(width: width, height: height,
                                                    fps: rates(fd, pixelFormat: pixelFormat, width: width, height: height), stepwise: nil))
            } else {
                let step = size.stepwise
                sizes.append(CameraDescription.Size(width: Int(step.max_width), height: Int(step.max_height), fps: [],
                                                    stepwise: "\(step.min_width)x\(step.min_height) to \(step.max_width)x\(step.max_height) in steps of \(step.step_width)x\(step.step_height)"))
                break
            }
            index += 1
        }
        return sizes
    }

    private static func rates(_ fd: Int32, pixelFormat: UInt32, width: Int, height: Int) -> [Double] {
        var rates = [Double]()
        var index: UInt32 = 0
        while true {
            var interval = v4l2_frmivalenum()
            interval.index = index
            interval.pixel_format = pixelFormat
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard (try? System.ioctl(fd, cv4l2_enum_frameintervals(), "VIDIOC_ENUM_FRAMEINTERVALS", &interval)) != nil else { break }
            if interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue {
                let fraction = interval.discrete
                if fraction.numerator > 0 { rates.append(Double(fraction.denominator) / Double(fraction.numerator)) }
            } else {
                let fastest = interval.stepwise.min
                if fastest.numerator > 0 { rates.append(Double(fastest.denominator) / Double(fastest.numerator)) }
                break
            }
            index += 1
        }
        return rates.sorted(by: >)
    }
}
