/// The customer's screen: one page, its style and its script, all inside the binary (no CDN, no
/// files to install); fonts from the system (Hangul from Debian's fonts-nanum or fonts-noto-cjk).
/// Chromium shows it full-screen (`chromium --kiosk http://127.0.0.1:8080/`). The page gets
/// everything over Server-Sent Events from `/events` — the words already in the store's language
/// — and reconnects by itself when kioskd restarts.
enum ScreenPage {
    static let html = """
        <!doctype html>
        <html lang="ko">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>kioskd</title>
        <link rel="icon" href="data:,">
        <link rel="stylesheet" href="/screen.css">
        <script src="/screen.js" defer></script>
        </head>
        <body data-state="idle" data-connection="connecting">
        <main id="idle" class="screen" aria-live="polite">
          <h1 id="store"></h1>
          <p id="clock"></p>
          <section id="sale" hidden>
            <div id="sale-qr"></div>
            <p id="sale-caption"></p>
            <p id="sale-label"></p>
          </section>
          <p id="hint"></p>
          <p id="arrow" aria-hidden="true">↓</p>
        </main>
        <main id="verdict" class="screen" hidden aria-live="assertive">
          <p id="icon" aria-hidden="true"></p>
          <h1 id="title"></h1>
          <p id="name"></p>
          <ul id="lines"></ul>
          <p id="next"></p>
        </main>
        <aside id="staff" hidden></aside>
        </body>
        </html>
        """

    static let css = """
        :root { color-scheme: dark; }
        * { box-sizing: border-box; margin: 0; padding: 0; }
        html, body { height: 100%; overflow: hidden; cursor: none; user-select: none; }
        body {
          font-family: "NanumBarunGothic", "NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", sans-serif;
          background: #151a21; color: #fff; transition: background-color 120ms;
        }
        .screen { height: 100%; display: flex; flex-direction: column; align-items: center; justify-content: center;
                  text-align: center; gap: 2.5vh; padding: 4vh 5vw; }
        .screen[hidden] { display: none; }
        #store { font-size: 6vh; font-weight: 700; letter-spacing: .02em; }
        #clock { font-size: 14vh; font-weight: 300; font-variant-numeric: tabular-nums; color: #dbe4ee; }
        #hint { font-size: 4.4vh; color: #c9d3de; }
        #arrow { font-size: 9vh; color: #7fb2ff; animation: nudge 1.6s ease-in-out infinite; }
        @keyframes nudge { 50% { transform: translateY(1.5vh); } }
        #sale { display: flex; flex-direction: column; align-items: center; gap: 1vh; background: #fff; color: #111;
                border-radius: 2vh; padding: 2vh 3vh; }
        #sale[hidden] { display: none; }
        #sale-qr svg { width: 34vh; height: 34vh; display: block; }
        #sale-caption { font-size: 2.8vh; font-weight: 700; }
        #sale-label { font-size: 2.6vh; }
        body[data-sale="shown"] #clock { font-size: 7vh; }
        body[data-sale="shown"] #arrow { display: none; }
        #icon { font-size: 16vh; line-height: 1; }
        #title { font-size: 9vh; font-weight: 800; line-height: 1.15; max-width: 90vw; }
        #name { font-size: 6vh; font-weight: 700; }
        #lines { list-style: none; font-size: 5vh; line-height: 1.4; }
        #next { font-size: 4.6vh; font-weight: 700; background: rgba(0,0,0,.22); border-radius: 1.5vh; padding: 1.2vh 3vh; }
        #next:empty, #name:empty { display: none; }
        body[data-state="welcome"] { background: #0b7a35; }
        body[data-state="goodbye"] { background: #1456b8; }
        body[data-state="denied"] { background: #b3261e; }
        body[data-state="annulled"] { background: #9a5b00; }
        #staff { position: fixed; right: 1.4vh; bottom: 1.4vh; font-size: 1.9vh; color: #e8edf2;
                 background: rgba(0,0,0,.45); border-radius: 1vh; padding: .5vh 1.2vh; }
        #staff[hidden] { display: none; }
        """

    static let script = """
        "use strict";
        (() => {
          const $ = (id) => document.getElementById(id);
          let language = "ko", timeZone = undefined, backToIdle = null, state = null, source = null, lostSince = null;

          function tick() {
            const locale = language === "ko" ? "ko-KR" : "en-GB";
            try {
              $("clock").textContent = new Date().toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone });
            } catch (e) {
              $("clock").textContent = new Date().toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", hour12: false });
            }
          }

          function staffNotes() {
            const notes = state ? state.staff.slice() : [];
            if (lostSince !== null && state) notes.unshift(state.connection_lost);
            $("staff").textContent = notes.join(" · ");
            $("staff").hidden = notes.length === 0;
          }

          function applyState(next) {
            state = next;
            language = next.language;
            timeZone = next.time_zone || undefined;
            document.documentElement.lang = language;
            document.body.dataset.language = language;
            $("store").textContent = next.store;
            $("hint").textContent = next.hint;
            if (next.sale) {
              $("sale-qr").innerHTML = next.sale.svg;
              $("sale-caption").textContent = next.sale.caption;
              $("sale-label").textContent = next.sale.label + " · " + next.sale.number;
              $("sale").hidden = false;
              document.body.dataset.sale = "shown";
            } else {
              $("sale").hidden = true;
              $("sale-qr").textContent = "";
              document.body.dataset.sale = "none";
            }
            staffNotes();
            tick();
          }

          function idle() {
            backToIdle = null;
            $("verdict").hidden = true;
            $("idle").hidden = false;
            document.body.dataset.state = "idle";
          }

          const icons = { welcome: "✓", goodbye: "→", denied: "✕", annulled: "↻" };

          function showVerdict(verdict) {
            $("icon").textContent = icons[verdict.kind] || "";
            $("title").textContent = verdict.title;
            $("name").textContent = verdict.name || "";
            const lines = $("lines");
            lines.textContent = "";
            for (const text of verdict.lines) {
              const item = document.createElement("li");
              item.textContent = text;
              lines.appendChild(item);
            }
            $("next").textContent = verdict.next || "";
            $("idle").hidden = true;
            $("verdict").hidden = false;
            document.body.dataset.state = verdict.kind;
            document.body.dataset.event = verdict.event || "";
            // From the door's commit to this frame on the page (same machine, same clock).
            requestAnimationFrame(() => {
              document.body.dataset.latencyMs = (performance.timeOrigin + performance.now() - verdict.committed_at).toFixed(1);
            });
            if (backToIdle !== null) clearTimeout(backToIdle);
            backToIdle = setTimeout(idle, verdict.show_ms);
          }

          function connect() {
            source = new EventSource("/events");
            source.addEventListener("open", () => {
              lostSince = null;
              document.body.dataset.connection = "open";
              staffNotes();
            });
            source.addEventListener("state", (event) => applyState(JSON.parse(event.data)));
            source.addEventListener("verdict", (event) => showVerdict(JSON.parse(event.data)));
            source.addEventListener("error", () => {
              if (lostSince === null) lostSince = Date.now();
              document.body.dataset.connection = "lost";
              staffNotes();
              // The browser retries by itself, unless the answer was not an event stream at all.
              if (source.readyState === EventSource.CLOSED) {
                source = null;
                setTimeout(connect, 2000);
              }
            });
          }

          setInterval(tick, 1000);
          tick();
          connect();
        })();
        """
}
