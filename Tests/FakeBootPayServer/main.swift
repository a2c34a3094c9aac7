import FakeBootPay
import Foundation

// A local stand-in for BootPay's REST API v2, for the OpenAPI check and the demo:
//   fake-bootpay [PORT]   prints "fake-bootpay listening on http://127.0.0.1:PORT/v2", serves until killed.
// Its application id and private key are "fake-application" / "fake-private-key"; it knows no
// receipts, so every confirmation it is asked about fails verification (as an unknown receipt).
let port = CommandLine.arguments.dropFirst().first.flatMap(Int.init) ?? 0
let gateway = FakeBootPay()
try await gateway.run(port: port) { url in
    FileHandle.standardOutput.write(Data("fake-bootpay listening on \(url)\n".utf8))
    while true { try await Task.sleep(for: .seconds(3600)) }
}
