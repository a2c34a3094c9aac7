/// The web app's files, compiled into the binary (nothing to install beside it). Korean first,
/// English beside it. Plain text here so a reader sees exactly what the browser gets.
enum WebAssets {
    struct File: Sendable {
        var type: String
        var body: String
    }

    static let files: [String: File] = [
        "app.js": File(type: "text/javascript; charset=utf-8", body: script),
        "owner.js": File(type: "text/javascript; charset=utf-8", body: ownerScript),
        "pay.js": File(type: "text/javascript; charset=utf-8", body: PaymentWindowPage.script),
        "app.css": File(type: "text/css; charset=utf-8", body: style),
        "sw.js": File(type: "text/javascript; charset=utf-8", body: serviceWorker),
        "manifest.webmanifest": File(type: "application/manifest+json", body: manifest),
        "icon.svg": File(type: "image/svg+xml", body: icon),
    ]

    /// The start of every page's head: the document, the phone viewport, the icon and the style.
    static func head(title: String) -> String {
        """
        <!doctype html>
        <html lang="ko">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="theme-color" content="#1f4e79">
        <title>\(title)</title>
        <link rel="icon" href="/app/icon.svg" type="image/svg+xml">
        <link rel="stylesheet" href="/app/app.css">
        """
    }

    static let page = head(title: "스터디카페 · Study cafe") + #"""

        <link rel="manifest" href="/app/manifest.webmanifest">
        <script src="/app/app.js" defer></script>
        </head>
        <body>
        <header><a href="/app/passes" class="brand" data-link>스터디카페 <span lang="en">Study cafe</span></a>
        <nav id="nav" hidden><a href="/app/passes" data-link>내 이용권 <span lang="en">My passes</span></a>
        <a href="/app/buy" data-link>구매 <span lang="en">Buy</span></a>
        <a href="/app/notices" data-link>공지 <span lang="en">Notices</span></a>
        <a href="/app/alerts" data-link>알림 <span lang="en">Alerts</span></a>
        <a href="/app/owner" data-link id="owner-link" hidden>관리 <span lang="en">Console</span></a>
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
        .history { list-style: none; padding: 0; display: grid; gap: .25rem; }
        label.check { display: flex; gap: .5rem; align-items: center; font-weight: 400; }
        select, textarea { font: inherit; padding: .5rem; border: 1px solid #767676; border-radius: .4rem; }
        button.secondary { font: inherit; padding: .3rem .7rem; border: 1px solid var(--accent); border-radius: .4rem; background: #fff; color: var(--accent); cursor: pointer; }
        body.wide main { max-width: 72rem; }
        nav.console { display: flex; flex-wrap: wrap; gap: .25rem .75rem; margin: 0 0 1rem; padding: .5rem .75rem; background: var(--card); border-radius: .6rem; }
        nav.console a { color: var(--accent); }
        nav.console a[aria-current="page"] { font-weight: 700; text-decoration: none; border-bottom: 3px solid var(--accent); }
        form.inline { display: flex; flex-wrap: wrap; align-items: end; gap: .75rem; }
        .seatmap { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(6.5rem, 1fr)); gap: .4rem; }
        .seat { display: grid; padding: .4rem; border-radius: .4rem; border: 2px solid #9aa5b1; background: #fff; font-size: .85rem; min-height: 3.6rem; }
        .seat.occupied { border-color: var(--ok); background: #e3f4e8; }
        .seat.held { border-color: #b7791f; background: #fdf3dc; border-style: dashed; }
        .seat span { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
        figure.chart { margin: 1rem 0; background: var(--card); border-radius: .6rem; padding: .5rem; }
        svg.chart { width: 100%; height: 14rem; }
        body.wide section form, body.wide main > form:not(.inline) { max-width: 40rem; }
        svg.chart rect { fill: var(--accent); }
        svg.chart text { font-size: 12px; fill: var(--muted); }
        .code { font-size: 1.6rem; letter-spacing: .15em; font-family: ui-monospace, monospace; }
        td { font-variant-numeric: tabular-nums; }
        @media (max-width: 40rem) { table { font-size: .85rem; } th, td { padding: .3rem; } }

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
        const CACHE = "cafe-app-v2";
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
          // The payment page is never kept (nor stored as the app's page): it needs the network anyway.
          if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/app") || url.pathname === "/app/pay") return;
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
}
