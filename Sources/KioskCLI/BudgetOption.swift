import ArgumentParser
import KioskCore

/// `--budget`, shared by the commands that decode a live stream.
public struct BudgetOption: ParsableArguments {
    public init() {}

    @Option(help: "Per-frame decoding budget in milliseconds (default: 2 ms + 14 ms a megapixel: 14.9 ms at 1280x720).")
    public var budget: Double?

    public func validate() throws {
        if let budget, !(budget > 0 && budget <= 1000) { throw ValidationError("--budget must be between 0 and 1000 ms") }
    }
}

extension CascadeDecoder {
    /// The live decoder: the given budget in milliseconds, or the standard one.
    public static func live(budget: Double?) -> CascadeDecoder {
        budget.map { CascadeDecoder(budget: $0) } ?? CascadeDecoder()
    }
}

