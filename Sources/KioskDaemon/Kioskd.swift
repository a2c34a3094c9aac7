import ArgumentParser
@main struct Kioskd: AsyncParsableCommand {}
