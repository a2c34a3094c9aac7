extension WebAssets {
    /// `app.js`: the shared core (session, API calls with refresh, DOM helpers, error page,
    /// routing) and the customer's pages. The owner's console is `owner.js`, loaded only when an
    /// owner opens it, so a customer's phone never downloads it.
    static let script = #"""
        "use strict";
        // The customer's app: routes by location.pathname, talks to the JSON API with the bearer
        // tokens kept in localStorage, and keeps the passes it last showed for offline use.
        const SESSION = "cafe.session", PASSES = "cafe.passes";
        const main = () => document.getElementById("main");

        function session() { try { return JSON.parse(localStorage.getItem(SESSION)); } catch { return null; } }
        function saveSession(pair) {
          const role = (session() || {}).role;
          localStorage.setItem(SESSION, JSON.stringify({ access: pair.access_token, refresh: pair.refresh_token, role }));
        }
        function saveRole(role) { const s = session(); if (s) { s.role = role; localStorage.setItem(SESSION, JSON.stringify(s)); } }
        function clearSession() {
          localStorage.removeItem(SESSION);
          localStorage.removeItem(PASSES);
          window.dispatchEvent(new Event("cafe:signed-out"));  // what a page kept of this login goes too
        }

        class APIError extends Error {
          constructor(status, code, message) { super(message); this.status = status; this.code = code; }
        }
        // Every code the API answers with (a test checks that none is missing), in words.
        const MESSAGES = {
          already_inside: "이미 입실 중인 이용권입니다 · This pass is already inside",
          already_printed: "이미 출력된 이용권입니다 · Already printed",
          enrollment_code_invalid: "등록 코드가 맞지 않거나 만료되었습니다 · The enrolment code is wrong or expired",
          event_exists: "이미 기록된 일입니다 · Already recorded",
          forbidden: "이 화면을 볼 권한이 없습니다 · You may not see this",
          gateway_not_configured: "온라인 결제가 아직 설정되지 않았습니다 · Online payment is not set up yet",
          gateway_unavailable: "결제 회사가 응답하지 않습니다. 잠시 후 다시 해 주세요 · The payment service does not answer; try again shortly",
          internal_error: "서버에 문제가 생겼습니다. 기록되었습니다 · The server failed; it is logged",
          invalid_credentials: "아이디 또는 비밀번호가 맞지 않습니다 · Wrong login or password",
          invalid_refresh_token: "다시 로그인해 주세요 · Please log in again",
          invalid_request: "입력을 확인해 주세요 · Please check what you entered",
          key_not_retirable: "지금 쓰는 서명 키는 폐기할 수 없습니다 · The key in use cannot be retired",
          login_taken: "이미 쓰고 있는 아이디입니다 · That login is taken",
          method_not_allowed: "할 수 없는 요청입니다 · That request is not allowed",
          not_found: "찾을 수 없습니다 · Not found",
          not_ready: "서버가 아직 준비되지 않았습니다 · The server is not ready",
          not_refundable: "환불할 수 없는 이용권입니다 · This pass cannot be refunded",
          not_usable: "쓸 수 없는 이용권입니다 · This pass cannot be used",
          offline: "연결되지 않았습니다 · No connection",
          order_not_pending: "이미 처리된 주문입니다 · This order was already handled",
          quote_changed: "환불 금액이 바뀌었습니다. 다시 확인해 주세요 · The refund amount changed; please look again",
          rate_limited: "시도가 너무 많습니다. 잠시 후 다시 해 주세요 · Too many attempts; try again shortly",
          receipt_already_used: "이미 사용된 결제입니다 · This payment was already used",
          refresh_token_reused: "보안을 위해 로그아웃되었습니다. 다시 로그인해 주세요 · Logged out for safety; please log in again",
          refund_in_progress: "환불이 처리 중입니다 · A refund is in progress",
          refund_pending: "환불이 처리 중입니다 · A refund is in progress",
          seat_taken: "다른 분이 쓰는 좌석입니다 · That seat is taken",
          store_exists: "이미 있는 매장 번호입니다 · That store number exists",
          ticket_archived: "끝난 이용권입니다 · This pass has ended",
          unauthorized: "다시 로그인해 주세요 · Please log in again",
        };
        function explain(error) {
          const known = MESSAGES[error.code];
          return known ? (error.message && error.code === "invalid_request" ? known + " — " + error.message : known)
                       : (error.message || "문제가 생겼습니다 · Something went wrong");
        }

        // One call; on 401 the refresh token is used once and the call repeated.
        async function api(method, path, body, retried) {
          const headers = { "Accept": "application/json" };
          const s = session();
          if (s) headers["Authorization"] = "Bearer " + s.access;
          if (body !== undefined) headers["Content-Type"] = "application/json";
          let response;
          try {
            response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
          } catch {
            throw new APIError(0, "offline", "");
          }
          if (response.status === 401 && s && !retried && !path.startsWith("/auth/") && path !== "/accounts") {
            if (await refresh()) return api(method, path, body, true);
            clearSession();
            go("/app/login");
            throw new APIError(401, "unauthorized", "다시 로그인해 주세요 · Please log in again");
          }
          const type = response.headers.get("Content-Type") || "";
          const data = type.includes("json") ? await response.json() : await response.text();
          if (!response.ok) throw new APIError(response.status, data.code || "error", data.message || "");
          return data;
        }
        async function refresh() {
          const s = session();
          if (!s) return false;
          try {
            const response = await fetch("/auth/refresh", { method: "POST", headers: { "Content-Type": "application/json" },
                                                            body: JSON.stringify({ refresh_token: s.refresh }) });
            if (!response.ok) return false;
            saveSession(await response.json());
            return true;
          } catch { return false; }
        }

        // DOM helpers: text only through textContent, never HTML from data.
        function el(tag, attributes, ...children) {
          const node = document.createElement(tag);
          for (const [key, value] of Object.entries(attributes || {})) {
            if (key === "text") node.textContent = value; else node.setAttribute(key, value);
          }
          for (const child of children) node.append(child);
          return node;
        }
        function both(korean, english) { return [korean + " ", el("span", { lang: "en", text: english })]; }
        function render(title, ...nodes) {
          const m = main();
          m.replaceChildren(el("h1", {}, ...title), ...nodes);
          document.title = title[0].trim() + " · 스터디카페";
          m.focus();
        }
        function banner(text) {
          const b = document.getElementById("banner");
          b.textContent = text || "";
          b.hidden = !text;
        }

        // MARK: pages
        function loginPage(mode) {
          const signup = mode === "signup";
          const error = el("p", { class: "error", role: "alert" });
          const form = el("form", { novalidate: "" },
            el("label", {}, ...both("아이디", "Login"), el("input", { name: "login", autocomplete: "username", required: "", minlength: "3" })),
            el("label", {}, ...both("비밀번호", "Password"),
               el("input", { name: "password", type: "password", autocomplete: signup ? "new-password" : "current-password", required: "", minlength: "8" })),
            ...(signup ? [el("label", {}, ...both("이름", "Name"), el("input", { name: "display_name", autocomplete: "name", required: "" }))] : []),
            error,
            el("button", { class: "primary", type: "submit" }, ...(signup ? both("가입하기", "Sign up") : both("로그인", "Log in"))));
          form.addEventListener("submit", async (event) => {
            event.preventDefault();
            const data = Object.fromEntries(new FormData(form));
            error.textContent = "";
            try {
              if (signup) await api("POST", "/accounts", data);
              clearSession();
              saveSession(await api("POST", "/auth/login", { login: data.login, password: data.password }));
              const me = await api("GET", "/me");
              saveRole(me.role);
              go(me.role === "owner" ? "/app/owner" : "/app/passes");
            } catch (e) { error.textContent = explain(e); }
          });
          const other = el("button", { class: "link", type: "button" },
            ...(signup ? both("이미 계정이 있어요 — 로그인", "I have an account — log in") : both("처음이에요 — 가입하기", "New here — sign up")));
          other.addEventListener("click", () => go(signup ? "/app/login" : "/app/signup"));
          render(signup ? ["가입", "Sign up"].map((t, i) => i ? el("span", { lang: "en", text: t }) : t + " ")
                        : ["로그인", "Log in"].map((t, i) => i ? el("span", { lang: "en", text: t }) : t + " "), form, el("p", {}, other));
        }

        const KIND = { day: ["1일권", "Day pass"], period: ["기간권", "Period pass"], time: ["시간권", "Time pass"] };
        function timeLeft(pass) {
          if (pass.kind === "time" && pass.remaining_minutes != null) {
            const h = Math.floor(pass.remaining_minutes / 60), m = pass.remaining_minutes % 60;
            return both((h ? h + "시간 " : "") + m + "분 남음", (h ? h + " h " : "") + m + " min left");
          }
          const until = new Date(pass.valid_until);
          const ko = new Intl.DateTimeFormat("ko-KR", { timeZone: "Asia/Seoul", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false }).format(until);
          const en = new Intl.DateTimeFormat("en-GB", { timeZone: "Asia/Seoul", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(until);
          return both(ko + "까지", "until " + en);
        }
        function state(pass) {
          if (pass.status === "refunded") return el("span", { class: "state denied" }, ...both("환불됨", "Refunded"));
          if (pass.status === "revoked") return el("span", { class: "state denied" }, ...both("사용 중지", "Revoked"));
          if (new Date(pass.valid_until) <= new Date()) return el("span", { class: "state denied" }, ...both("기간 끝남", "Ended"));
          return pass.inside ? el("span", { class: "state inside" }, ...both("입실 중", "Inside"))
                             : el("span", { class: "state" }, ...both("퇴실 상태", "Outside"));
        }
        function usable(pass) { return pass.status === "valid" && new Date(pass.valid_until) > new Date(); }

        async function passesPage() {
          let passes;
          try {
            passes = (await api("GET", "/me/tickets")).tickets;
            localStorage.setItem(PASSES, JSON.stringify({ at: new Date().toISOString(), passes }));
            banner("");
          } catch (e) {
            if (e.code !== "offline") throw e;
            passes = (JSON.parse(localStorage.getItem(PASSES) || "null") || { passes: [] }).passes;
            banner("오프라인: 마지막으로 받은 이용권입니다 · Offline: the passes last received");
          }
          if (!passes.length) return render(both("내 이용권", "My passes"), el("p", {}, ...both("아직 이용권이 없습니다.", "No passes yet.")));
          const list = el("ul", { class: "cards" });
          for (const pass of passes) {
            list.append(el("li", { class: "card" },
              el("a", { href: "/app/passes/" + pass.ticket_id.toLowerCase(), "data-link": "" }, pass.label), el("br"),
              state(pass), " · ", ...timeLeft(pass)));
          }
          render(both("내 이용권", "My passes"), list);
        }

        async function passPage(id) {
          const cached = (JSON.parse(localStorage.getItem("cafe.pass." + id) || "null"));
          let pass, svg, offline = false;
          try {
            pass = (await api("GET", "/me/tickets")).tickets.find((p) => p.ticket_id.toLowerCase() === id.toLowerCase());
            if (!pass) return render(both("이용권 없음", "No such pass"), el("p", {}, el("a", { href: "/app/passes", "data-link": "" }, ...both("내 이용권", "My passes"))));
            svg = usable(pass) ? await api("GET", "/me/tickets/" + pass.ticket_id + "/qr.svg") : null;
            localStorage.setItem("cafe.pass." + id, JSON.stringify({ pass, svg }));
          } catch (e) {
            if (e.code !== "offline" || !cached) throw e;
            ({ pass, svg } = cached);
            offline = true;
          }
          banner(offline ? "오프라인: 저장된 QR 코드입니다 · Offline: the saved QR code" : "");
          const details = el("dl", {},
            el("dt", {}, ...both("종류", "Kind")), el("dd", {}, ...both(...(KIND[pass.kind] || [pass.kind, pass.kind]))),
            el("dt", {}, ...both("상태", "State")), el("dd", {}, state(pass)),
            el("dt", {}, ...both("남은 시간", "Left")), el("dd", {}, ...timeLeft(pass)));
          if (pass.seat) details.append(el("dt", {}, ...both("좌석", "Seat")), el("dd", { text: pass.seat }));
          const nodes = [];
          if (svg) {
            const box = el("figure", { class: "qr", role: "img", "aria-label": "입장 QR 코드 · Entry QR code" });
            // Our server's own SVG (one path, no script): parsed as an image document, not HTML.
            const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
            box.append(document.importNode(doc.documentElement, true));
            nodes.push(box, el("p", {}, ...both("입구 카메라에 화면을 보여 주세요. 화면 밝기를 최대로 하면 잘 읽힙니다.",
                                                "Show this screen to the camera at the door; full brightness reads best.")));
          }
          render([pass.label + " "], ...nodes, details);
          if (!offline && pass.status === "valid") main().append(await refundSection(pass));
          if (!offline) main().append(await historySection(pass));
        }

        // Door events in words: what the kiosk decided, why, and how the server closed a visit.
        const VERDICTS = { enter: ["입실", "Entered"], exit: ["퇴실", "Left"], deny: ["거절", "Denied"] };
        const REASONS = {
          invalid_signature: ["위조된 코드", "forged code"], unknown_key: ["모르는 키", "unknown key"], wrong_store: ["다른 매장 이용권", "another store's pass"],
          not_yet_valid: ["아직 시작 전", "not yet valid"], expired: ["기간 끝남", "expired"], no_time_left: ["남은 시간 없음", "no time left"],
          refunded: ["환불됨", "refunded"], revoked: ["사용 중지", "revoked"], already_inside: ["이미 입실 중", "already inside"],
          store_closed: ["영업 시간 아님", "store closed"], unreadable: ["읽을 수 없음", "unreadable"],
          minutes_used_up: ["시간을 다 씀 (자동 퇴실)", "time used up (auto exit)"], validity_ended: ["기간 끝남 (자동 퇴실)", "pass ended (auto exit)"],
          closing: ["영업 종료 (자동 퇴실)", "closing time (auto exit)"], forgotten_exit: ["퇴실 누락 (자동 퇴실)", "forgotten exit (auto exit)"],
        };
        function verdictText(verdict, reason) {
          const [ko, en] = VERDICTS[verdict] || [verdict, verdict];
          const why = reason && (REASONS[reason] || [reason, reason]);
          return why ? [ko + " · " + why[0] + " ", el("span", { lang: "en", text: en + ": " + why[1] })] : both(ko, en);
        }
        const clock = new Intl.DateTimeFormat("ko-KR", { timeZone: "Asia/Seoul", month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });

        async function historySection(pass) {
          const section = el("section", { "aria-labelledby": "history-title" }, el("h2", { id: "history-title" }, ...both("이용 기록", "History")));
          let events;
          try { ({ events } = await api("GET", "/me/tickets/" + pass.ticket_id + "/history")); }
          catch (e) { section.append(el("p", { text: explain(e) })); return section; }
          if (!events.length) { section.append(el("p", {}, ...both("아직 기록이 없습니다.", "Nothing yet."))); return section; }
          const list = el("ol", { class: "history" });
          for (const event of events) {
            const item = el("li", {}, el("time", { datetime: event.occurred_at, text: clock.format(new Date(event.occurred_at)) }), " ",
                            ...verdictText(event.verdict, event.reason));
            if (event.minutes_charged) item.append(" · " + event.minutes_charged + "분");
            if (event.annulled) item.append(" ", el("em", {}, ...both("(문이 열리지 않아 취소됨)", "(annulled: the door did not open)")));
            list.append(item);
          }
          section.append(list);
          return section;
        }

        // Alerts the customer chose ("10 minutes left", entry and exit), kept by the server and
        // shown here; while the app is open, a new one is announced in the banner.
        async function alertsPage() {
          const inbox = await api("GET", "/me/alerts");
          const toggle = (name, ko, en) => {
            const box = el("input", { type: "checkbox", name });
            box.checked = inbox.settings[name];
            return el("label", { class: "check" }, box, " ", ...both(ko, en));
          };
          const status = el("p", { role: "status" });
          const form = el("form", {}, toggle("time_warnings", "10분 남았을 때 알림", "When 10 minutes are left"),
                          toggle("entry_exit", "입실·퇴실 알림", "On entry and exit"), status);
          form.addEventListener("change", async () => {
            const body = { time_warnings: form.elements.time_warnings.checked, entry_exit: form.elements.entry_exit.checked };
            try { await api("PUT", "/me/alert-settings", body); status.textContent = "저장했습니다 · Saved"; }
            catch (e) { status.textContent = explain(e); }
          });
          const nodes = [form];
          if (!inbox.alerts.length) nodes.push(el("p", {}, ...both("알림이 없습니다.", "No alerts.")));
          else {
            const list = el("ul", { class: "cards" });
            for (const alert of inbox.alerts) {
              list.append(el("li", { class: "card" }, el("strong", { text: alert.title }), el("br"),
                             el("time", { datetime: alert.created_at, text: clock.format(new Date(alert.created_at)) }), el("p", { text: alert.body })));
            }
            nodes.push(list);
          }
          localStorage.setItem(SEEN_ALERT, inbox.alerts.length ? inbox.alerts[0].created_at : new Date().toISOString());
          render(both("알림", "Alerts"), ...nodes);
        }
        const SEEN_ALERT = "cafe.alerts.seen";
        async function pollAlerts() {
          if (!session() || document.hidden || location.pathname.startsWith("/app/alerts")) return;
          try {
            const { alerts } = await api("GET", "/me/alerts");
            const seen = localStorage.getItem(SEEN_ALERT) || "";
            const fresh = alerts.filter((a) => a.created_at > seen);
            if (fresh.length) {
              localStorage.setItem(SEEN_ALERT, fresh[0].created_at);
              banner("🔔 " + fresh[0].title + " — " + fresh[0].body);
            }
          } catch {}
        }

        // The refund the store's policy gives now, term by term, before anything happens; where
        // the store allows it, the customer refunds here (the quoted amount, or nothing changes).
        async function refundSection(pass) {
          const section = el("section", { "aria-labelledby": "refund-title" }, el("h2", { id: "refund-title" }, ...both("환불", "Refund")));
          let quote;
          try { quote = await api("GET", "/me/tickets/" + pass.ticket_id + "/refund-quote"); }
          catch (e) { section.append(el("p", { text: explain(e) })); return section; }
          const terms = el("dl", { class: "terms" });
          for (const term of quote.terms) terms.append(el("dt", { text: term.description }), el("dd", { text: won(term.amount) }));
          section.append(terms, el("p", {}, el("strong", {}, ...both("돌려받는 금액", "Given back")), " " + won(quote.amount)),
                         el("p", {}, el("small", { text: quote.legal_basis })));
          if (!quote.self_refund) {
            section.append(el("p", {}, ...both("환불은 카운터에 문의해 주세요.", "Ask at the counter for a refund.")));
            return section;
          }
          const error = el("p", { class: "error", role: "alert" });
          const button = el("button", { class: "primary", type: "button", id: "refund" }, ...both("환불 받기", "Refund"), " " + won(quote.amount));
          button.addEventListener("click", async () => {
            if (!confirm("이 이용권을 환불할까요? " + won(quote.amount) + " · Refund this pass?")) return;
            button.disabled = true;
            try {
              const refund = await api("POST", "/me/tickets/" + pass.ticket_id + "/refund?amount=" + quote.amount);
              await route();
              banner(refund.state === "done" ? "환불되었습니다 · Refunded " + won(refund.amount)
                                             : "환불 처리 중입니다 · The refund is being processed");
            } catch (e) { error.textContent = explain(e); button.disabled = false; }
          });
          section.append(button, error);
          return section;
        }

        async function noticesPage() {
          const { notices } = await api("GET", "/me/notices");
          if (!notices.length) return render(both("공지", "Notices"), el("p", {}, ...both("공지가 없습니다.", "No notices.")));
          const list = el("ul", { class: "cards" });
          const when = new Intl.DateTimeFormat("ko-KR", { timeZone: "Asia/Seoul", month: "long", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
          for (const notice of notices) {
            list.append(el("li", { class: "card" }, el("strong", { text: notice.title }), el("br"),
                           el("small", { text: when.format(new Date(notice.created_at)) }), el("p", { text: notice.body })));
          }
          render(both("공지", "Notices"), list);
        }

        let config = null;
        async function webConfig() {
          if (!config) config = await api("GET", "/app/config.json");
          return config;
        }
        const won = (n) => (n < 0 ? "−₩" : "₩") + Math.abs(n).toLocaleString("ko-KR");

        // Buying: the catalog, an order (its refund terms shown before paying), then the payment
        // window — BootPay's in production, the configured stand-in page in tests and the demo.
        async function buyPage() {
          const [{ products }, cfg] = await Promise.all([api("GET", "/catalog"), webConfig()]);
          const store = cfg.stores[0];
          if (!store) return render(both("구매", "Buy"), el("p", {}, ...both("아직 매장이 없습니다.", "No store yet.")));
          const list = el("ul", { class: "cards" });
          for (const product of products) {
            const button = el("button", { class: "primary", type: "button", "data-product": product.code }, ...both("선택", "Choose"));
            button.addEventListener("click", () => orderPage(store, product));
            list.append(el("li", { class: "card" }, el("strong", { text: product.label }), " · " + won(product.price) + " ", button));
          }
          render(both("이용권 구매", "Buy a pass"), el("p", { text: store.name }), list);
        }

        async function orderPage(store, product) {
          const order = await api("POST", "/orders", { store_id: store.store_id, product_code: product.code });
          const cfg = await webConfig();
          const terms = order.refund_terms;
          const nodes = [el("p", {}, el("strong", { text: product.label }), " · " + won(order.price)),
            el("h2", {}, ...both("환불 규정", "Refund terms")),
            el("p", { text: terms.summary }), el("p", {}, el("small", { text: terms.legal_basis }))];
          if (cfg.payment_page) {
            const pay = el("button", { class: "primary", type: "button", id: "pay" }, ...both("결제하기", "Pay") , " " + won(order.price));
            pay.addEventListener("click", () => {
              const back = location.origin + "/app/orders/" + order.order_id + "/paid";
              const url = new URL(cfg.payment_page, location.origin);
              url.search = new URLSearchParams({ order_id: order.order_id, price: String(order.price), order_name: product.label, return: back });
              location.assign(url.toString());
            });
            nodes.push(pay);
          } else {
            nodes.push(el("p", { class: "error" }, ...both("이 매장은 아직 온라인 결제를 받지 않습니다. 카운터에서 구매해 주세요.",
                                                          "This store takes no online payment yet; please buy at the counter.")));
          }
          render(both("결제 전 확인", "Before you pay"), ...nodes);
        }

        // Back from the payment window: the server checks the receipt with the gateway.
        async function paidPage(orderID) {
          const receipt = new URLSearchParams(location.search).get("receipt_id");
          if (!receipt) return render(both("결제가 끝나지 않았습니다", "Payment not finished"), el("p", { text: "receipt_id" }));
          render(both("결제 확인 중…", "Checking the payment…"));
          const order = await api("POST", "/orders/" + orderID + "/confirm", { receipt_id: receipt });
          if (order.status !== "done" || !order.ticket) {
            return render(both("결제가 확인되지 않았습니다", "The payment was not confirmed"),
                          el("p", { class: "error", role: "alert", text: order.failure || order.status }));
          }
          history.replaceState(null, "", "/app/passes/" + order.ticket.ticket_id.toLowerCase());
          return passPage(order.ticket.ticket_id);
        }

        // The owner's console lives in owner.js, fetched the first time an owner opens it.
        let ownerScript = null;
        async function ownerConsole(path) {
          if (!ownerScript) {
            ownerScript = new Promise((resolve, reject) => {
              const tag = el("script", { src: "/app/owner.js" });
              tag.addEventListener("load", resolve);
              tag.addEventListener("error", () => { ownerScript = null; reject(new APIError(0, "offline", "")); });
              document.head.append(tag);
            });
          }
          await ownerScript;
          return ownerRoute(path);
        }

        // The error page: what happened in words, the API's code (for a call to the counter or the
        // admin), and a way on.
        const HEADLINES = {
          0: ["연결되지 않았습니다", "No connection"], 400: ["입력을 확인해 주세요", "Please check the request"],
          401: ["로그인이 필요합니다", "Please log in"], 403: ["권한이 없습니다", "Not allowed"], 404: ["찾을 수 없습니다", "Not found"],
          409: ["지금은 할 수 없습니다", "Not possible now"], 429: ["잠시 후 다시 해 주세요", "Try again shortly"],
        };
        function errorPage(e) {
          const [ko, en] = HEADLINES[e.status] || (e.status >= 500 ? ["서버에 문제가 생겼습니다", "The server failed"] : ["문제가 생겼습니다", "Something went wrong"]);
          const home = (session() || {}).role === "owner" ? "/app/owner" : "/app/passes";
          const nodes = [el("p", { class: "error", role: "alert", text: explain(e) }),
            el("p", {}, el("small", { text: "code " + (e.code || "error") + (e.status ? " · HTTP " + e.status : "") }))];
          if (e.status === 401) nodes.push(el("p", {}, el("a", { href: "/app/login", "data-link": "" }, ...both("로그인", "Log in"))));
          nodes.push(el("p", {}, el("a", { href: home, "data-link": "" }, ...both("처음으로", "Back to the start"))));
          render(both(ko, en), ...nodes);
          main().setAttribute("data-error", e.code || "error");
        }

        // MARK: routing
        function go(path) { history.pushState(null, "", path); route(); }
        async function route() {
          const path = location.pathname.replace(/\/+$/, "");
          main().removeAttribute("data-error");
          banner("");  // a note belongs to the page that made it
          document.body.classList.remove("wide");
          const signedIn = !!session();
          document.getElementById("nav").hidden = !signedIn;
          document.getElementById("owner-link").hidden = !(signedIn && session().role === "owner");
          try {
            if (path === "/app/signup") return loginPage("signup");
            if (path === "/app/login" || !signedIn) return loginPage("login");
            if (path === "/app/buy") return await buyPage();
            if (path === "/app/notices") return await noticesPage();
            if (path === "/app/alerts") return await alertsPage();
            if (path === "/app/owner" || path.startsWith("/app/owner/")) return await ownerConsole(path);
            const paid = path.match(/^\/app\/orders\/([0-9a-fA-F-]{36})\/paid$/);
            if (paid) return await paidPage(paid[1]);
            const pass = path.match(/^\/app\/passes\/([0-9a-fA-F-]{36})$/);
            if (pass) return await passPage(pass[1]);
            return await passesPage();
          } catch (e) {
            errorPage(e instanceof APIError ? e : new APIError(0, "error", String(e)));
          }
        }
        document.addEventListener("click", (event) => {
          const link = event.target.closest("a[data-link]");
          if (!link || event.ctrlKey || event.metaKey) return;
          event.preventDefault();
          go(link.getAttribute("href"));
        });
        window.addEventListener("popstate", route);
        document.addEventListener("DOMContentLoaded", () => {
          document.getElementById("logout").addEventListener("click", async () => {
            const s = session();
            if (s) { try { await api("POST", "/auth/logout", { refresh_token: s.refresh }); } catch {} }
            clearSession();
            go("/app/login");
          });
          if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => {});
          route();
          setInterval(pollAlerts, 30000);
        });

        """#
}
