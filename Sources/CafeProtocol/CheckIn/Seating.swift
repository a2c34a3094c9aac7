/// The store's numbered seats, as both sides count them: "1" … "`seats`". The server gives a
/// seat at an online entry, the kiosk at an offline one, by the same rule — the lowest free
/// seat — so a kiosk that knew everyone inside picks what the server would have picked.
public enum Seating {
    public static func labels(count: Int) -> [String] { count > 0 ? (1...count).map(String.init) : [] }

    /// The lowest seat not in `taken`; nil when every seat is taken or the store has none.
    public static func lowestFree(seats: Int, taken: Set<String>) -> String? {
        guard seats > 0 else { return nil }
        return (1...seats).lazy.map(String.init).first { !taken.contains($0) }
    }
}
