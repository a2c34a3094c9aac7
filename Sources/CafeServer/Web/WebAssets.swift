/// The web app's files, compiled into the binary (nothing to install beside it). Korean first,
/// English beside it. Plain text here so a reader sees exactly what the browser gets.
enum WebAssets {
    struct File: Sendable {
        var type: String
        var body: String
    }

    static let files: [String: File] = [
        "app.js": File(type: "text/javascript; charset=utf-8", body: script),
        "app.css": File(type: "text/css; charset=utf-8", body: style),
        "sw.js": File(type: "text/javascript; charset=utf-8", body: serviceWorker),
        "manifest.webmanifest": File(type: "application/manifest+json", body: manifest),
        "icon.svg": File(type: "image/svg+xml", body: icon),
    ]

    static let page = #"""
        <!doctype html>
        <html lang="ko">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="theme-color" content="#1f4e79">
        <title>스터디카페 · Study cafe</title>
        <link rel="manifest" href="/app/manifest.webmanifest">
        <link rel="icon" href="/app/icon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/app/app.css">
        <script src="/app/app.js" defer></script>
        </head>
        <body>
        <header><a href="/app/passes" class="brand" data-link>스터디카페 <span lang="en">Study cafe</span></a>
        <nav id="nav" hidden><a href="/app/passes" data-link>내 이용권 <span lang="en">My passes</span></a>
        <a href="/app/buy" data-link>구매 <span lang="en">Buy</span></a>
        <a href="/app/notices" data-link>공지 <span lang="en">Notices</span></a>
        <a href="/app/owner" data-link id="owner-link" hidden>오늘 <span lang="en">Today</span></a>
        <button type="button" id="logout">로그아웃 <span lang="en">Log out</span></button></nav></header>
        <p id="banner" role="status" hidden></p>
        <main id="main" tabindex="-1"><p>불러오는 중… <span lang="en">Loading…</span></p></main>
        <noscript>이 페이지는 JavaScript가 필요합니다. This page needs JavaScript.</noscript>
        </body>
        </html>

        """#

    static let style = #"""
        :root { --ink: #111; --muted: #555; --accent: #1f4e79; --bg: #f6f7f9; --card: #fff; --bad: #a4161a; --ok: #1b6e3a; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, "Noto Sans CJK KR", "Noto Sans KR", sans-serif; color: var(--ink); background: var(--bg); }
        header { display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem; padding: .75rem 1rem; background: var(--accent); }
        header a, header button { color: #fff; }
        .brand { font-weight: 700; text-decoration: none; }
        nav { display: flex; gap: 1rem; align-items: center; }
        h2 { font-size: 1.1rem; margin: 1rem 0 .25rem; }
        .card .primary { margin-left: .5rem; padding: .3rem .8rem; }
        nav button { background: none; border: 1px solid #fff; border-radius: .4rem; padding: .3rem .6rem; font: inherit; cursor: pointer; }
        main { max-width: 40rem; margin: 0 auto; padding: 1rem; }
        main:focus { outline: none; }
        h1 { font-size: 1.4rem; margin: .5rem 0 1rem; }
        [lang="en"] { color: var(--muted); font-size: .9em; }
        header [lang="en"], .primary [lang="en"] { color: #dbe6f3; }
        form { display: grid; gap: .75rem; background: var(--card); padding: 1rem; border-radius: .6rem; }
        label { display: grid; gap: .25rem; font-weight: 600; }
        input { font: inherit; padding: .6rem; border: 1px solid #767676; border-radius: .4rem; }
        button.primary { font: inherit; font-weight: 700; padding: .7rem; border: 0; border-radius: .4rem; background: var(--accent); color: #fff; cursor: pointer; }
        button.link { font: inherit; background: none; border: 0; color: var(--accent); text-decoration: underline; cursor: pointer; padding: 0; }
        :focus-visible { outline: 3px solid #f5b700; outline-offset: 2px; }
        .error { color: var(--bad); font-weight: 600; }
        #banner { margin: 0; padding: .5rem 1rem; background: #fff3cd; color: #5c4400; }
        .cards { list-style: none; padding: 0; display: grid; gap: .75rem; }
        .card { background: var(--card); border-radius: .6rem; padding: 1rem; }
        .card a { color: var(--accent); font-weight: 700; }
        .state { font-weight: 700; }
        .state.inside { color: var(--ok); }
        .state.denied { color: var(--bad); }
        .qr { background: #fff; padding: .5rem; border-radius: .6rem; }
        .qr svg { display: block; width: 100%; height: auto; max-width: 28rem; margin: 0 auto; image-rendering: pixelated; }
        section { background: var(--card); border-radius: .6rem; padding: 1rem; margin-top: 1rem; }
        dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
        dt { font-weight: 600; }
        dd { margin: 0; }
        dl.terms { grid-template-columns: 1fr max-content; }
        .figures { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .5rem; }
        .figures li { background: var(--card); border-radius: .6rem; padding: .5rem .8rem; }
        table { width: 100%; border-collapse: collapse; background: var(--card); }
        caption { text-align: left; font-weight: 700; padding: .5rem 0; }
        th, td { text-align: left; padding: .4rem .5rem; border-bottom: 1px solid #ddd; }
        dl.terms dt { font-weight: 400; }
        dl.terms dd { text-align: right; font-variant-numeric: tabular-nums; }

        """#

    static let manifest = #"""
        {
          "name": "스터디카페 · Study cafe",
          "short_name": "스터디카페",
          "start_url": "/app/passes",
          "scope": "/app/",
          "display": "standalone",
          "background_color": "#f6f7f9",
          "theme_color": "#1f4e79",
          "icons": [{"src": "/app/icon.svg", "sizes": "any", "type": "image/svg+xml", "purpose": "any"}]
        }

        """#

    static let icon = #"""
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="12" fill="#1f4e79"/>
        <path fill="#fff" d="M14 14h14v14H14zM36 14h14v14H36zM14 36h14v14H14zM40 40h6v6h-6zM36 36h4v4h-4zM46 46h4v4h-4z"/></svg>

        """#

    /// The service worker: the page and its files from the cache when the network fails, so the
    /// pass (kept by the page) is still shown at the door without signal. API calls are never
    /// cached here.
    static let serviceWorker = #"""
        const CACHE = "cafe-app-v1";
        const SHELL = ["/app/", "/app/app.js", "/app/app.css", "/app/manifest.webmanifest", "/app/icon.svg"];
        self.addEventListener("install", (event) => {
          event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
        });
        self.addEventListener("activate", (event) => {
          event.waitUntil(caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
            .then(() => self.clients.claim()));
        });
        self.addEventListener("fetch", (event) => {
          const url = new URL(event.request.url);
          if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app")) return;
          const isPage = event.request.mode === "navigate";
          event.respondWith(fetch(event.request).then((response) => {
            if (response.ok) {
              const copy = response.clone();
              caches.open(CACHE).then((cache) => cache.put(isPage ? "/app/" : event.request, copy));
            }
            return response;
          }).catch(() => caches.match(isPage ? "/app/" : event.request)));
        });

        """#

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
        function clearSession() { localStorage.removeItem(SESSION); localStorage.removeItem(PASSES); }

        class APIError extends Error {
          constructor(status, code, message) { super(message); this.status = status; this.code = code; }
        }
        const MESSAGES = {
          invalid_credentials: "아이디 또는 비밀번호가 맞지 않습니다 · Wrong login or password",
          login_taken: "이미 쓰고 있는 아이디입니다 · That login is taken",
          rate_limited: "시도가 너무 많습니다. 잠시 후 다시 해 주세요 · Too many attempts; try again shortly",
          invalid_request: "입력을 확인해 주세요 · Please check what you entered",
          not_found: "찾을 수 없습니다 · Not found",
          ticket_archived: "끝난 이용권입니다 · This pass has ended",
          offline: "연결되지 않았습니다 · No connection",
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
        const won = (n) => "₩" + n.toLocaleString("ko-KR");

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
              const url = new URL(cfg.payment_page);
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

        // The owner's day at a glance: who is inside (seat, time left), the day's doors, sales today.
        function zoneOffset(timeZone, date) {
          const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }).formatToParts(date)
            .find((part) => part.type === "timeZoneName").value;
          return name === "GMT" ? "+00:00" : name.slice(3);
        }
        async function ownerPage() {
          const cfg = await webConfig();
          let store = null, day = null;
          for (const candidate of cfg.stores) {
            try { day = await api("GET", "/stores/" + candidate.store_id + "/day"); store = candidate; break; }
            catch (e) { if (e.status !== 403) throw e; }
          }
          if (!store) return render(both("오늘", "Today"), el("p", {}, ...both("관리하는 매장이 없습니다.", "You own no store here.")));
          const settings = await api("GET", "/stores/" + store.store_id);
          const from = day.date + "T00:00:00" + zoneOffset(settings.time_zone, new Date());
          const sales = await api("GET", "/stores/" + store.store_id + "/sales?from=" + encodeURIComponent(from));
          const figures = el("ul", { class: "figures" },
            el("li", {}, el("strong", { text: String(day.inside.length) }), " ", ...both("입실 중", "inside")),
            el("li", {}, el("strong", { text: String(day.entries) }), " ", ...both("입장", "entries")),
            el("li", {}, el("strong", { text: String(day.exits) }), " ", ...both("퇴장", "exits")),
            el("li", {}, el("strong", { text: String(day.denials) }), " ", ...both("거절", "denied")),
            el("li", {}, el("strong", { text: String(day.conflicts) }), " ", ...both("충돌", "conflicts")),
            el("li", {}, el("strong", { text: won(sales.revenue) }), " ", ...both("오늘 매출 (" + sales.sold + "건)", "sales today")));
          const table = el("table", {}, el("caption", {}, ...both("지금 입실 중", "Inside now")),
            el("thead", {}, el("tr", {}, ...[["좌석", "Seat"], ["이름", "Name"], ["이용권", "Pass"], ["남은 시간", "Left"]]
              .map(([ko, en]) => el("th", { scope: "col" }, ...both(ko, en))))));
          const body = el("tbody");
          for (const holder of day.inside) {
            const left = holder.minutes_left == null ? "—" : Math.floor(holder.minutes_left / 60) + ":" + String(holder.minutes_left % 60).padStart(2, "0");
            body.append(el("tr", {}, el("td", { text: holder.seat || "—" }), el("td", { text: holder.holder_name || "—" }),
                           el("td", { text: holder.label }), el("td", { text: left })));
          }
          table.append(body);
          render([store.name + " · 오늘 "], figures, day.inside.length ? table : el("p", {}, ...both("입실한 사람이 없습니다.", "Nobody is inside.")));
        }

        // MARK: routing
        function go(path) { history.pushState(null, "", path); route(); }
        async function route() {
          const path = location.pathname.replace(/\/+$/, "");
          const signedIn = !!session();
          document.getElementById("nav").hidden = !signedIn;
          document.getElementById("owner-link").hidden = !(signedIn && session().role === "owner");
          try {
            if (path === "/app/signup") return loginPage("signup");
            if (path === "/app/login" || !signedIn) return loginPage("login");
            if (path === "/app/buy") return await buyPage();
            if (path === "/app/notices") return await noticesPage();
            if (path === "/app/owner") return await ownerPage();
            const paid = path.match(/^\/app\/orders\/([0-9a-fA-F-]{36})\/paid$/);
            if (paid) return await paidPage(paid[1]);
            const pass = path.match(/^\/app\/passes\/([0-9a-fA-F-]{36})$/);
            if (pass) return await passPage(pass[1]);
            return await passesPage();
          } catch (e) {
            render(both("문제가 생겼습니다", "Something went wrong"), el("p", { class: "error", role: "alert", text: explain(e) }),
                   el("p", {}, el("a", { href: "/app/passes", "data-link": "" }, ...both("내 이용권으로", "Back to my passes"))));
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
        });

        """#
}
