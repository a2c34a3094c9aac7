internal import CCurl
import Dispatch
import Foundation
import Synchronization

/// HTTP over libcurl: system CA store for TLS (optionally a pinned CA file), one connection
/// kept alive and reused, proxies from the environment (`https_proxy`, `no_proxy`, as curl
/// reads them), gzip, connect and total timeouts.
///
/// libcurl's easy handle is blocking and not thread-safe: it lives on one serial queue, and
/// `send` waits for that queue without blocking Swift's cooperative threads. Requests on one
/// transport therefore run one after the other, and a request's timeout starts only when its
/// turn comes: callers that must not wait for each other (the door's check-ins and the sync
/// loop) each get a transport of their own.
public final class CurlTransport: HTTPTransport, @unchecked Sendable {
    // @unchecked: `handle` and `buffer` are only touched on `queue`, one request at a time.
    private let handle: UnsafeMutableRawPointer
    private let queue = DispatchQueue(label: "kioskd.curl")
    private let caFile: String?
    private let maxResponseBytes: Int

    /// - Parameters:
    ///   - caFile: trust only this CA bundle (pinning the server's CA) instead of the system's.
    ///   - maxResponseBytes: a larger response is cut off and reported (a sync page is a few MB).
    public init(caFile: String? = nil, maxResponseBytes: Int = 64 << 20) {
        _ = Self.globalInit
        guard let handle = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.handle = handle
        self.caFile = caFile
        self.maxResponseBytes = maxResponseBytes
    }

    deinit { curl_easy_cleanup(handle) }

    /// curl_global_init must run once, before any thread uses curl.
    private static let globalInit: Void = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) }()

    /// Cancelling the calling task answers at once with `.cancelled`, so a stopping daemon never
    /// waits for a hanging server; curl itself gives up the transfer at its next progress call
    /// (within about a second) and the connection is freed for the next request.
    public func send(_ request: HTTPRequest) async throws(TransportError) -> HTTPResponse {
        let pending = PendingRequest()
        let result: Result<HTTPResponse, TransportError> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard pending.attach(continuation) else { return }
                queue.async { pending.finish(self.perform(request, pending: pending)) }
            }
        } onCancel: {
            pending.cancel()
        }
        return try result.get()
    }

    /// One request's answer, given once: by curl when it finishes, or by cancellation first.
    final class PendingRequest: Sendable {
        private struct State {
            var continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>?
            var cancelled = false
        }
        private let state = Mutex(State())

        /// False when cancelled already (the continuation has been answered).
        func attach(_ continuation: CheckedContinuation<Result<HTTPResponse, TransportError>, Never>) -> Bool {
            let cancelled = state.withLock { state in
                if !state.cancelled { state.continuation = continuation }
                return state.cancelled
            }
            if cancelled { continuation.resume(returning: .failure(.cancelled)) }
            return !cancelled
        }

        func cancel() {
            let waiting = state.withLock { state in
                state.cancelled = true
                defer { state.continuation = nil }
                return state.continuation
            }
            waiting?.resume(returning: .failure(.cancelled))
        }

        func finish(_ result: Result<HTTPResponse, TransportError>) {
            let waiting = state.withLock { state in
                defer { state.continuation = nil }
                return state.continuation
            }
            waiting?.resume(returning: result)
        }

        var isCancelled: Bool { state.withLock { $0.cancelled } }
    }

    /// Accumulates the body; refuses to grow past the limit.
    private final class Sink {
        var bytes = [UInt8]()
        let limit: Int
        var overflowed = false
        let pending: PendingRequest
        init(limit: Int, pending: PendingRequest) {
            self.limit = limit
            self.pending = pending
        }
    }

    private func perform(_ request: HTTPRequest, pending: PendingRequest) -> Result<HTTPResponse, TransportError> {
        // reset keeps the live connection, DNS and TLS session caches: keep-alive survives.
        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            headerList = curl_slist_append(headerList, "\(header.name): \(header.value)")
        }
        // curl adds "Expect: 100-continue" to larger POSTs: a round trip we never want.
        headerList = curl_slist_append(headerList, "Expect:")

        let sink = Sink(limit: maxResponseBytes, pending: pending)
        let sinkPointer = Unmanaged.passRetained(sink)
        defer { sinkPointer.release() }
        var errorBuffer = [CChar](repeating: 0, count: Int(CURL_ERROR_SIZE))

        let status: CURLcode = errorBuffer.withUnsafeMutableBufferPointer { errorPointer in
            ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorPointer.baseAddress)
            ccurl_setopt_string(handle, CURLOPT_URL, request.url)
            ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)  // threads: no SIGALRM for timeouts
            ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, Self.milliseconds(request.timeout))
            ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.connectTimeout))
            ccurl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
            ccurl_setopt_string(handle, CURLOPT_ACCEPT_ENCODING, "")  // every encoding curl supports
            ccurl_setopt_long(handle, CURLOPT_FOLLOWLOCATION, 0)
            ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "http,https")
            if let caFile { ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile) }
            ccurl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
            ccurl_setopt_write_function(handle) { data, size, count, context in
                let sink = Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue()
                let length = size * count
                if sink.bytes.count + length > sink.limit {
                    sink.overflowed = true
                    return 0  // makes curl stop with CURLE_WRITE_ERROR
                }
                data!.withMemoryRebound(to: UInt8.self, capacity: length) {
                    sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: length))
                }
                return length
            }
            ccurl_setopt_pointer(handle, CURLOPT_WRITEDATA, sinkPointer.toOpaque())
            // The progress callback is where a cancelled request is given up.
            ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
            ccurl_setopt_xferinfo_function(handle) { context, _, _, _, _ in
                Unmanaged<Sink>.fromOpaque(context!).takeUnretainedValue().pending.isCancelled ? 1 : 0
            }
            ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, sinkPointer.toOpaque())
            switch request.method {
            case "GET":
                ccurl_setopt_long(handle, CURLOPT_HTTPGET, 1)
            default:
                if request.method != "POST" { ccurl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, request.method) }
                ccurl_setopt_long(handle, CURLOPT_POST, 1)
                let body = request.body ?? []
                ccurl_setopt_long(handle, CURLOPT_POSTFIELDSIZE, body.count)
                // COPYPOSTFIELDS copies: the body need not outlive this call.
                body.withUnsafeBytes { raw in
                    _ = ccurl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!))
                }
            }
            return curl_easy_perform(handle)
        }

        let detail = String(decoding: errorBuffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(status)) : detail
        switch status {
        case CURLE_OK:
            var code = 0
            ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            return .success(HTTPResponse(status: code, body: sink.bytes))
        case CURLE_OPERATION_TIMEDOUT:
            return .failure(.timedOut(milliseconds: Self.milliseconds(request.timeout)))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .failure(.unreachable(message))
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_CERTPROBLEM:
            return .failure(.tls(message))
        case CURLE_ABORTED_BY_CALLBACK:
            return .failure(.cancelled)
        case CURLE_WRITE_ERROR where sink.overflowed:
            return .failure(.responseTooLarge(limit: maxResponseBytes))
        default:
            return .failure(.failed(message))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int {
        max(1, Int(duration.inMilliseconds.rounded(.up)))
    }
}
