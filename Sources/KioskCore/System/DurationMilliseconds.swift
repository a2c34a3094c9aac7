extension Duration {
    /// The duration in milliseconds, fractions kept: for timings and logs.
    public var inMilliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
