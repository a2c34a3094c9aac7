import ArgumentParser
extension Kioskd { struct Scan: AsyncParsableCommand {} }
