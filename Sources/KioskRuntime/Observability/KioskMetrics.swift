import CafeProtocol
import KioskCore
import Prometheus

/// The daemon's Prometheus metrics, each created once with fixed labels (per-scan labels would
/// grow a new series with every pass). Served as text at `/metrics`.
public final class KioskMetrics: DoorObserver, Sendable {
    public let registry: PrometheusCollectorRegistry

    let frames: Counter
    let unusableFrames: Counter
    let droppedFrames: Counter
    let cameraFPS: Gauge
    let cameraUp: Gauge
    let decodeSeconds: DurationHistogram
    let scans: Counter
    let verdictSecondsOnline: DurationHistogram
    let verdictSecondsOffline: DurationHistogram
    private let verdictCounters: [String: Counter]
    let outboxEvents: Gauge
    let ticketsCached: Gauge
    let printQueueJobs: Gauge
    let secondsSinceSync: Gauge
    let syncFailures: Counter
    let circuitOpen: Gauge
    let clockSkew: Gauge
    private let doorHookResults: [String: Counter]
    let annuls: Counter
    private let doorRelayResults: [String: Counter]

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        let milliseconds: [Duration] = [1, 2, 5, 10, 15, 20, 30, 50, 100, 250, 500, 1_000].map { .milliseconds($0) }
        frames = registry.makeCounter(descriptor: Self.name("frames", "total", "Camera frames decoded."))
        unusableFrames = registry.makeCounter(descriptor: Self.name("frames_unusable", "total", "Camera frames that could not be read (corrupt JPEG, truncated)."))
        droppedFrames = registry.makeCounter(descriptor: Self.name("frames_dropped", "total", "Camera frames dropped because the decoder was still busy."))
        cameraFPS = registry.makeGauge(descriptor: Self.name("camera", "fps", "Frames per second arriving from the camera, last second."))
        cameraUp = registry.makeGauge(descriptor: Self.name("camera", "up", "1 while the camera delivers frames, 0 when it is missing or lost."))
        decodeSeconds = registry.makeDurationHistogram(descriptor: Self.name("decode", "seconds", "Time to decode one frame."), buckets: milliseconds)
        scans = registry.makeCounter(descriptor: Self.name("scans", "total", "New codes decided (each showing once)."))
        let verdictHelp = "From the frame a code was found in to its verdict."
        verdictSecondsOnline = registry.makeDurationHistogram(descriptor: Self.name("verdict", "seconds", verdictHelp),
                                                              labels: [("mode", "online")], buckets: milliseconds)
        verdictSecondsOffline = registry.makeDurationHistogram(descriptor: Self.name("verdict", "seconds", verdictHelp),
                                                               labels: [("mode", "offline")], buckets: milliseconds)
        var counters = [String: Counter]()
        let help = "Verdicts by result: enter, exit, or deny with its reason."
        counters["enter"] = registry.makeCounter(descriptor: Self.name("verdicts", "total", help), labels: [("verdict", "enter"), ("reason", "")])
        counters["exit"] = registry.makeCounter(descriptor: Self.name("verdicts", "total", help), labels: [("verdict", "exit"), ("reason", "")])
        for reason in DenyReason.allCases {
            counters["deny:\(reason.rawValue)"] = registry.makeCounter(descriptor: Self.name("verdicts", "total", help), labels: [("verdict", "deny"), ("reason", reason.rawValue)])
        }
        verdictCounters = counters
        outboxEvents = registry.makeGauge(descriptor: Self.name("outbox", "events", "Decisions waiting to be uploaded."))
        ticketsCached = registry.makeGauge(descriptor: Self.name("tickets", "cached", "Passes in the local cache."))
        printQueueJobs = registry.makeGauge(descriptor: Self.name("print_queue", "jobs", "Passes sold at the counter waiting to be printed."))
        secondsSinceSync = registry.makeGauge(descriptor: Self.name("since_sync", "seconds", "Seconds since the last good sync (-1: never)."))
        syncFailures = registry.makeCounter(descriptor: Self.name("sync_failures", "total", "Sync rounds that failed."))
        clockSkew = registry.makeGauge(descriptor: Self.name("clock_skew", "seconds", "This box's clock minus the server's at the last sync."))
        circuitOpen = registry.makeGauge(descriptor: Self.name("circuit", "open", "1 while the door decides offline without asking the server."))
        annuls = registry.makeCounter(descriptor: Self.name("annuls", "total", "Grants reversed because the door reported it stayed shut."))
        let relayHelp = "Door relay pulses on grants, by what the door sensor saw (pulsed: no sensor)."
        doorRelayResults = Self.counters(registry, "door_relay", relayHelp, results: ["opened", "stayed_shut", "pulsed", "failed"])
        let hookHelp = "Door hooks run on grants, by the door's answer."
        doorHookResults = Self.counters(registry, "door_hook", hookHelp, results: ["opened", "stayed_shut", "timed_out", "failed", "skipped"])
    }

    func doorHook(_ result: DoorHook.Result) {
        let key = switch result {
        case .opened: "opened"
        case .stayedShut: "stayed_shut"
        case .timedOut: "timed_out"
        case .failedToStart: "failed"
        }
        doorHookResults[key]?.increment()
    }

    func doorHookSkipped() { doorHookResults["skipped"]?.increment() }

    public func frameDecoded(in duration: Duration) {
        frames.increment()
        decodeSeconds.record(duration)
    }

    public func frameUnusable() { unusableFrames.increment() }

    public func decided(_ outcome: CheckInOutcome, latency: Duration) {
        scans.increment()
        verdictCounters[outcome.verdict.logName]?.increment()
        if outcome.event?.decidedOffline == false {
            verdictSecondsOnline.record(latency)
        } else {
            verdictSecondsOffline.record(latency)
        }
    }

    public func annulled(_ annul: AnnulOutcome) { annuls.increment() }

    func doorRelay(_ result: DoorRelay.Result) {
        let key = switch result {
        case .opened: "opened"
        case .stayedShut: "stayed_shut"
        case .pulsed: "pulsed"
        case .failed: "failed"
        }
        doorRelayResults[key]?.increment()
    }

    public func text() -> String { registry.emitToString() }

    /// One `kioskd_<metric>_total{result=…}` series per result, all made at start.
    static func counters(_ registry: PrometheusCollectorRegistry, _ metric: String, _ help: String, results: [String]) -> [String: Counter] {
        Dictionary(uniqueKeysWithValues: results.map { result in
            (result, registry.makeCounter(descriptor: name(metric, "total", help), labels: [("result", result)]))
        })
    }

    static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "kioskd", metricName: metric, unitName: unit, helpText: help)
    }
}
