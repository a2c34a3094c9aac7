import CafeServerTesting
import Foundation
import Testing

@Suite("Accounts: sign-up, login, refresh rotation, logout, access control")
struct AccountTests {
    @Test(arguments: TestBackend.available)
    func signUpLogInAndWhoAmI(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let customer = try await cafe.customer("lee.ji", password: "correct-horse")
            let me = try await cafe.call("GET", "/me", bearer: customer.access)
            #expect(me.status == 200)
            #expect(me.object["login"] as? String == "lee.ji")
            #expect(me.object["role"] as? String == "customer")
            #expect(me.object["password_hash"] == nil)

            let wrong = try await cafe.call("POST", "/auth/login", json: ["login": "lee.ji", "password": "wrong-password"])
            #expect(wrong.status == 401)
            #expect(wrong.code == "invalid_credentials")
            let unknown = try await cafe.call("POST", "/auth/login", json: ["login": "nobody", "password": "wrong-password"])
            #expect(unknown.status == 401)
            #expect(unknown.code == "invalid_credentials")

            let taken = try await cafe.call("POST", "/accounts", json: ["login": "lee.ji", "password": "another-one", "display_name": "X"])
            #expect(taken.status == 409)
            #expect(taken.code == "login_taken")
        }
    }

    @Test(arguments: TestBackend.available)
    func inputIsValidated(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            for (body, expected) in [
                (["login": "ab", "password": "long-enough", "display_name": "A"], "login"),
                (["login": "valid-login", "password": "short", "display_name": "A"], "password"),
                (["login": "valid-login", "password": String(repeating: "x", count: 73), "display_name": "A"], "72"),
                (["login": "valid-login", "password": "long-enough", "display_name": ""], "display_name"),
                (["login": "has space", "password": "long-enough", "display_name": "A"], "login"),
            ] as [([String: any Sendable], String)] {
                let answer = try await cafe.call("POST", "/accounts", json: body)
                #expect(answer.status == 400, "\(body)")
                #expect(answer.code == "invalid_request")
                #expect((answer.object["message"] as? String)?.contains(expected) == true, "\(answer)")
            }
            let malformed = try await cafe.call("POST", "/accounts", rawBody: "{\"login\": 12")
            #expect(malformed.status == 400)
            let mistyped = try await cafe.call("POST", "/accounts", rawBody: "{\"login\": 12, \"password\": \"x\", \"display_name\": \"y\"}")
            #expect(mistyped.status == 400)
            #expect((mistyped.object["message"] as? String)?.contains("login") == true)
        }
    }

    @Test(arguments: TestBackend.available)
    func refreshRotatesAndReuseRevokesTheFamily(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let customer = try await cafe.customer()
            let first = try await cafe.call("POST", "/auth/refresh", json: ["refresh_token": customer.refresh])
            #expect(first.status == 200)
            let rotated = try #require(first.object["refresh_token"] as? String)
            #expect(rotated != customer.refresh)

            // The old token again: somebody copied it. Both it and its descendants stop working.
            let reused = try await cafe.call("POST", "/auth/refresh", json: ["refresh_token": customer.refresh])
            #expect(reused.status == 401)
            #expect(reused.code == "refresh_token_reused")
            let descendant = try await cafe.call("POST", "/auth/refresh", json: ["refresh_token": rotated])
            #expect(descendant.status == 401)
            #expect(descendant.code == "invalid_refresh_token")
        }
    }

    @Test(arguments: TestBackend.available)
    func logoutEndsTheSession(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let customer = try await cafe.customer()
            let out = try await cafe.call("POST", "/auth/logout", json: ["refresh_token": customer.refresh])
            #expect(out.status == 204)
            let after = try await cafe.call("POST", "/auth/refresh", json: ["refresh_token": customer.refresh])
            #expect(after.status == 401)
        }
    }

    @Test(arguments: TestBackend.available)
    func forgedOrMissingAccessTokensAreRefused(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let customer = try await cafe.customer()
            #expect(try await cafe.call("GET", "/me").status == 401)
            var parts = customer.access.split(separator: ".").map(String.init)
            parts[1] = parts[1].replacingOccurrences(of: "customer".data(using: .utf8)!.base64EncodedString().prefix(6), with: "b3duZX")
            let tampered = parts.joined(separator: ".") + "x"
            #expect(try await cafe.call("GET", "/me", bearer: tampered).status == 401)
            #expect(try await cafe.call("GET", "/me", bearer: "not-a-jwt").status == 401)
        }
    }

    @Test(arguments: TestBackend.available)
    func customersCannotReachOtherCustomersOrOwnerRoutes(backend: TestBackend) async throws {
        try await TestCafe.run(backend) { cafe in
            let kim = try await cafe.customer()
            let lee = try await cafe.customer()
            let bought = try await cafe.buy("day", as: kim.access)
            let orderID = try #require(bought.object["order_id"] as? String)

            let peek = try await cafe.call("GET", "/orders/\(orderID)", bearer: lee.access)
            #expect(peek.status == 404)
            let confirm = try await cafe.call("POST", "/orders/\(orderID)/confirm", json: ["receipt_id": "x"], bearer: lee.access)
            #expect(confirm.status == 404)
            let leeTickets = try await cafe.call("GET", "/me/tickets", bearer: lee.access)
            #expect((leeTickets.object["tickets"] as? [Any])?.isEmpty == true)

            for (method, path) in [("POST", "/stores/1/enrollment-codes"), ("GET", "/stores/1/devices"), ("GET", "/stores/1/sales"),
                                   ("GET", "/stores/1/conflicts"), ("POST", "/stores/1/keys/rotate")] {
                let answer = try await cafe.call(method, path, bearer: kim.access)
                #expect(answer.status == 403, "\(method) \(path): \(answer)")
            }
            let price = try await cafe.call("PUT", "/catalog/day", json: ["price": 1], bearer: kim.access)
            #expect(price.status == 403)
        }
    }
}

@Suite("Login throttling")
struct LoginThrottleTests {
    @Test func fiveWrongPasswordsLockTheLoginForAWhile() async throws {
        try await TestCafe.run { cafe in
            _ = try await cafe.customer("park.min", password: "right-password")
            for _ in 0..<5 {
                let wrong = try await cafe.call("POST", "/auth/login", json: ["login": "park.min", "password": "guess-guess"])
                #expect(wrong.status == 401)
            }
            // Now even the right password is refused: the throttle confirms nothing.
            let locked = try await cafe.call("POST", "/auth/login", json: ["login": "park.min", "password": "right-password"])
            #expect(locked.status == 429)
            #expect(locked.code == "rate_limited")
            #expect(Int(locked.headers["retry-after"] ?? "") ?? 0 > 0)
            // Other logins are not affected.
            let other = try await cafe.customer("lee.jun", password: "another-password")
            #expect(!other.access.isEmpty)

            cafe.clock.advance(by: 301)
            let later = try await cafe.call("POST", "/auth/login", json: ["login": "park.min", "password": "right-password"])
            #expect(later.status == 200)
        }
    }
}
