import Synchronization

/// A setting the daemon may change while it runs (SIGHUP re-reads the configuration): the
/// readers hold the box and read it when they need it.
public final class LiveSetting<Value: Sendable>: Sendable {
    private let current: Mutex<Value>

    public init(_ value: Value) { current = Mutex(value) }

    public var value: Value {
        get { current.withLock { $0 } }
        set { current.withLock { $0 = newValue } }
    }
}
