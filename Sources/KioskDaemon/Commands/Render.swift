import ArgumentParser
extension Kioskd { struct Render: AsyncParsableCommand {} }
