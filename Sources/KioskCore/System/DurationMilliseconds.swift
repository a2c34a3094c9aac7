extension Duration {
    /// The duration in milliseconds, fractions kept: for timings and logs.
    public var inMilliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }

    /// The duration in seconds, fractions kept: for rates and for APIs that take a TimeInterval.
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
