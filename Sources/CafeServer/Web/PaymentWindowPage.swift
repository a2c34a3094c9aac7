import Foundation

/// `/app/pay`: the page that opens BootPay's payment window for an order. The only page whose
/// policy lets a script of another origin in — BootPay's SDK, from the one address configured —
/// so the rest of the app keeps `script-src 'self'`. The SDK draws its window in an iframe of
/// BootPay's own origin; when it says `done`, the page goes back to the app with the receipt id,
/// and the server verifies that receipt with BootPay's REST API as for any client.
enum PaymentWindowPage {
    static func html(window: BootPayWindow) -> String {
        WebAssets.head(title: "결제 · Payment · 스터디카페") + """

        <script src="\(escape(window.scriptURL))" defer></script>
        <script src="/app/pay.js" defer></script>
        </head>
        <body>
        <header><a href="/app/passes" class="brand">스터디카페 <span lang="en">Study cafe</span></a></header>
        <main id="main" data-application-id="\(escape(window.applicationID))">
        <h1>결제 <span lang="en">Payment</span></h1>
        <p id="pay-status" role="status">결제창을 여는 중… <span lang="en">Opening the payment window…</span></p>
        </main>
        </body>
        </html>

        """
    }

    /// Script and frames from BootPay's origin (its SDK and window), styles it injects; nothing else.
    static func policy(window: BootPayWindow) -> String {
        let origin = window.scriptOrigin ?? "'none'"
        let bootpay = "https://*.bootpay.co.kr"
        return "default-src 'self'; img-src 'self' data: \(origin) \(bootpay); style-src 'self' 'unsafe-inline' \(origin) \(bootpay); "
            + "script-src 'self' \(origin); connect-src 'self' \(origin) \(bootpay); frame-src \(origin) \(bootpay); "
            + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// `pay.js`: the order from the query, BootPay's `requestPayment`, and back. The return
    /// address must be this app's own "paid" page (no open redirect through the payment page).
    static let script = #"""
        "use strict";
        (() => {
          const status = document.getElementById("pay-status");
          const say = (korean, english, ...links) => {
            const en = document.createElement("span");
            en.lang = "en";
            en.textContent = english;
            status.replaceChildren(korean + " ", en, ...links);
          };
          const back = () => {
            const a = document.createElement("a");
            a.href = "/app/buy";
            a.textContent = " 구매 화면으로 · Back to buying";
            return a;
          };
          const query = new URLSearchParams(location.search);
          const order = query.get("order_id") || "", price = Number(query.get("price")), name = query.get("order_name") || "";
          let target;
          try { target = new URL(query.get("return") || "", location.origin); } catch { target = null; }
          if (!target || target.origin !== location.origin || !/^\/app\/orders\/[0-9a-fA-F-]{36}\/paid$/.test(target.pathname)
              || !/^[0-9a-fA-F-]{36}$/.test(order) || !(price > 0)) {
            return say("잘못된 결제 요청입니다.", "This payment request is not valid.", back());
          }
          if (!window.Bootpay || typeof window.Bootpay.requestPayment !== "function") {
            return say("결제창을 불러오지 못했습니다. 잠시 후 다시 해 주세요.", "The payment window did not load; try again shortly.", back());
          }
          window.Bootpay.requestPayment({
            application_id: document.getElementById("main").dataset.applicationId,
            price, order_name: name, order_id: order,
            extra: { open_type: "iframe" },
          }).then((result) => {
            if (result && result.event === "done" && result.data && result.data.receipt_id) {
              target.search = new URLSearchParams({ receipt_id: result.data.receipt_id }).toString();
              location.replace(target.toString());
            } else {
              say("결제가 끝나지 않았습니다.", "The payment did not finish.", back());
            }
          }).catch((error) => {
            if (error && error.event === "cancel") say("결제를 취소했습니다.", "Payment cancelled.", back());
            else say("결제하지 못했습니다: " + ((error && error.message) || ""), "The payment failed.", back());
          });
        })();

        """#
}
