extension WebAssets {
    /// `owner.js`: the owner's console (desktop first), loaded by `app.js` the first time an owner
    /// opens `/app/owner…`. It uses `app.js`'s helpers (`api`, `el`, `both`, `render`, `won`,
    /// `explain`, `banner`) and only the API any client has; the server checks ownership on
    /// every call, the page only hides what the caller may not use.
    static let ownerScript = #"""
        "use strict";
        const OWNER_STORE = "cafe.owner.store";
        let ownerStores = null;
        // Another login in the same tab must not see this one's stores.
        window.addEventListener("cafe:signed-out", () => { ownerStores = null; sessionStorage.removeItem(OWNER_STORE); });

        async function ownedStore() {
          if (!ownerStores) ownerStores = (await api("GET", "/me/stores")).stores;
          const wanted = Number(sessionStorage.getItem(OWNER_STORE));
          return ownerStores.find((s) => s.store_id === wanted) || ownerStores[0] || null;
        }

        const SECTIONS = [["", "오늘", "Today"], ["sales", "매출", "Sales"], ["passes", "이용권", "Passes"], ["kiosks", "키오스크", "Kiosks"],
                          ["notices", "공지", "Notices"], ["settings", "가격·환불", "Prices & refunds"], ["conflicts", "충돌", "Conflicts"]];
        function consoleNav(current) {
          const nav = el("nav", { class: "console", "aria-label": "관리 메뉴 · Console" });
          for (const [section, ko, en] of SECTIONS) {
            const link = el("a", { href: "/app/owner" + (section ? "/" + section : ""), "data-link": "" }, ...both(ko, en));
            if (section === current) link.setAttribute("aria-current", "page");
            nav.append(link);
          }
          if (ownerStores.length > 1) {
            const pick = el("select", { "aria-label": "매장 · Store" });
            for (const store of ownerStores) pick.append(el("option", { value: String(store.store_id), text: store.name }));
            pick.value = String(sessionStorage.getItem(OWNER_STORE) || ownerStores[0].store_id);
            pick.addEventListener("change", () => { sessionStorage.setItem(OWNER_STORE, pick.value); route(); });
            nav.append(pick);
          }
          return nav;
        }
        function page(store, section, ko, en, ...nodes) {
          render([store.name + " · " + ko + " ", el("span", { lang: "en", text: en })], consoleNav(section), ...nodes);
          document.body.classList.add("wide");
        }

        async function ownerRoute(path) {
          const store = await ownedStore();
          if (!store) return render(both("관리", "Console"), el("p", {}, ...both("관리하는 매장이 없습니다.", "You own no store here.")));
          const section = path.replace(/^\/app\/owner\/?/, "");
          switch (section) {
            case "": return todayPage(store);
            case "sales": return salesPage(store);
            case "passes": return passesAdminPage(store);
            case "kiosks": return kiosksPage(store);
            case "notices": return noticesAdminPage(store);
            case "settings": return settingsPage(store);
            case "conflicts": return conflictsPage(store);
          }
          throw new APIError(404, "not_found", "");
        }

        // Times in the store's zone.
        function zoneOffset(timeZone, date) {
          const name = new Intl.DateTimeFormat("en-US", { timeZone, timeZoneName: "longOffset" }).formatToParts(date)
            .find((part) => part.type === "timeZoneName").value;
          return name === "GMT" ? "+00:00" : name.slice(3);
        }
        function localDay(store, date) {
          return new Intl.DateTimeFormat("en-CA", { timeZone: store.time_zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
        }
        function dayStart(store, day) { return day + "T00:00:00" + zoneOffset(store.time_zone, new Date(day + "T12:00:00Z")); }
        function storeClock(store, text) {
          if (!text) return "—";
          return new Intl.DateTimeFormat("ko-KR", { timeZone: store.time_zone, month: "numeric", day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false })
            .format(new Date(text));
        }
        function hoursMinutes(minutes) {
          if (minutes == null) return "—";
          const sign = minutes < 0 ? "-" : "", m = Math.abs(minutes);
          return sign + Math.floor(m / 60) + ":" + String(m % 60).padStart(2, "0");
        }
        function table(caption, headers, rows) {
          const t = el("table", {}, el("caption", {}, ...caption),
            el("thead", {}, el("tr", {}, ...headers.map(([ko, en]) => el("th", { scope: "col" }, ...both(ko, en))))));
          const body = el("tbody");
          for (const cells of rows) body.append(el("tr", {}, ...cells.map((c) => c instanceof Node ? el("td", {}, c) : el("td", { text: String(c) }))));
          t.append(body);
          return t;
        }
        function form(fields, submitLabel, onSubmit) {
          const error = el("p", { class: "error", role: "alert" });
          const f = el("form", {}, ...fields, error, el("button", { class: "primary", type: "submit" }, ...submitLabel));
          f.addEventListener("submit", async (event) => {
            event.preventDefault();
            error.textContent = "";
            const button = f.querySelector("button[type=submit]");
            button.disabled = true;
            try { await onSubmit(Object.fromEntries(new FormData(f)), f); } catch (e) { error.textContent = explain(e); }
            button.disabled = false;
          });
          return f;
        }
        function field(ko, en, attributes) { return el("label", {}, ...both(ko, en), el("input", attributes)); }

        // MARK: today — who is inside, on the seat map, and the day's doors and sales
        async function todayPage(store) {
          const base = "/stores/" + store.store_id;
          const day = await api("GET", base + "/day");
          const [sales, { seats }] = await Promise.all([
            api("GET", base + "/sales?from=" + encodeURIComponent(dayStart(store, day.date))), api("GET", base + "/seats")]);
          const figures = el("ul", { class: "figures" },
            el("li", {}, el("strong", { text: String(day.inside.length) }), " ", ...both("입실 중", "inside")),
            el("li", {}, el("strong", { text: String(day.entries) }), " ", ...both("입장", "entries")),
            el("li", {}, el("strong", { text: String(day.exits) }), " ", ...both("퇴장", "exits")),
            el("li", {}, el("strong", { text: String(day.denials) }), " ", ...both("거절", "denied")),
            el("li", {}, el("strong", { text: String(day.conflicts) }), " ", ...both("충돌", "conflicts")),
            el("li", {}, el("strong", { text: won(sales.revenue) }), " ", ...both("오늘 매출 (" + sales.sold + "건)", "sales today")));
          const inside = day.inside.length
            ? table(both("지금 입실 중", "Inside now"), [["좌석", "Seat"], ["이름", "Name"], ["이용권", "Pass"], ["입실", "Entered"], ["남은 시간", "Left"]],
                    day.inside.map((h) => [h.seat || "—", h.holder_name || "—", h.label, storeClock(store, h.entered_at), hoursMinutes(h.minutes_left)]))
            : el("p", {}, ...both("입실한 사람이 없습니다.", "Nobody is inside."));
          const doors = table(both("오늘의 출입", "Today's doors"), [["시각", "Time"], ["이름", "Name"], ["결과", "Result"], ["비고", "Note"]],
            day.events.slice(-50).reverse().map((e) => [storeClock(store, e.occurred_at), e.holder_name || "—", el("span", {}, ...verdictText(e.verdict, e.reason)),
              [e.decided_offline ? "오프라인 · offline" : "", e.by_server ? "서버 · server" : "", e.annulled ? "취소 · annulled" : "", e.conflict || ""]
                .filter(Boolean).join(" · ") || "—"]));
          page(store, "", "오늘", "Today", figures, seatMap(store, seats), inside, day.events.length ? doors : el("p", {}, ...both("오늘 출입이 없습니다.", "No doors today.")));
        }

        function seatMap(store, seats) {
          const map = el("ol", { class: "seatmap", "aria-label": "좌석 배치도 · Seat map" });
          const names = { free: ["빈 좌석", "free"], held: ["예약", "held"], occupied: ["사용 중", "occupied"] };
          for (const seat of seats) {
            const [ko, en] = names[seat.state];
            // Until when: the time when it is today, else the day.
            const until = !seat.until ? "" : localDay(store, new Date(seat.until)) === localDay(store, new Date())
              ? storeClock(store, seat.until).split(" ").pop() : storeClock(store, seat.until).split(" ").slice(0, 2).join(" ");
            map.append(el("li", { class: "seat " + seat.state, "aria-label": seat.seat + ": " + ko + " · " + en + (seat.holder_name ? ", " + seat.holder_name : "") },
              el("b", { text: seat.seat }), el("span", { text: seat.holder_name || ko }), el("small", { text: until ? "~" + until : "" })));
          }
          return el("section", { "aria-labelledby": "seat-title" }, el("h2", { id: "seat-title" }, ...both("좌석", "Seats")), map);
        }

        // MARK: sales — by day, week or month, a chart and a table, CSV
        async function salesPage(store) {
          const params = new URLSearchParams(location.search);
          const now = new Date((await api("GET", "/app/config.json")).server_time);  // the server's today, not a stale copy
          const to = params.get("to") || localDay(store, now);
          const from = params.get("from") || localDay(store, new Date(now.getTime() - 29 * 86400000));
          const by = params.get("by") || "day";
          const next = (day) => { const d = new Date(day + "T12:00:00Z"); d.setUTCDate(d.getUTCDate() + 1); return d.toISOString().slice(0, 10); };
          const query = "from=" + encodeURIComponent(dayStart(store, from)) + "&to=" + encodeURIComponent(dayStart(store, next(to))) + "&by=" + by;
          const report = await api("GET", "/stores/" + store.store_id + "/sales?" + query);
          const choose = el("form", { class: "inline", method: "get", action: "/app/owner/sales" },
            field("시작", "From", { type: "date", name: "from", value: from }), field("끝", "To", { type: "date", name: "to", value: to }),
            el("label", {}, ...both("단위", "By"), el("select", { name: "by" }, ...[["day", "일 · day"], ["week", "주 · week"], ["month", "월 · month"]]
              .map(([v, t]) => { const o = el("option", { value: v, text: t }); if (v === by) o.selected = true; return o; }))),
            el("button", { class: "primary", type: "submit" }, ...both("보기", "Show")));
          choose.addEventListener("submit", (event) => {
            event.preventDefault();
            go("/app/owner/sales?" + new URLSearchParams(new FormData(choose)).toString());
          });
          const periods = report.periods || [];
          const label = (start) => localDay(store, new Date(start));
          const figures = el("ul", { class: "figures" },
            el("li", {}, el("strong", { text: won(report.revenue) }), " ", ...both("순매출", "net sales")),
            el("li", {}, el("strong", { text: String(report.sold) }), " ", ...both("판매", "sold")),
            el("li", {}, el("strong", { text: String(report.refunded) }), " ", ...both("환불 (" + won(report.refunded_amount) + ")", "refunded")));
          const csvStatus = el("p", { role: "status" });
          const csv = el("button", { type: "button", class: "secondary", id: "csv" }, ...both("CSV 내려받기", "Download CSV"));
          csv.addEventListener("click", async () => {
            try {
              const text = await apiText("/stores/" + store.store_id + "/sales?" + query, "text/csv");
              const link = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })), download: "sales-" + store.store_id + "-" + from + "-" + to + ".csv" });
              document.body.append(link);
              link.click();
              link.remove();
              csvStatus.textContent = "CSV " + (text.trim().split("\n").length - 1) + "줄 · lines";
            } catch (e) { csvStatus.textContent = explain(e); }
          });
          const byPeriod = table(both("기간별", "By period"), [["시작", "Start"], ["판매", "Sold"], ["환불", "Refunded"], ["순매출", "Net"]],
            periods.map((p) => [label(p.start), p.sold, p.refunded, won(p.revenue)]));
          const byProduct = table(both("상품별", "By product"), [["상품", "Product"], ["판매", "Sold"], ["순매출", "Net"]],
            report.lines.map((l) => [l.product_code, l.count, won(l.revenue)]));
          page(store, "sales", "매출", "Sales", choose, figures, barChart(periods.map((p) => [label(p.start), p.revenue])), el("p", {}, csv), csvStatus, byPeriod, byProduct);
        }
        async function apiText(path, type) {
          const s = session();
          const response = await fetch(path, { headers: { "Accept": type, "Authorization": "Bearer " + (s && s.access) } });
          if (response.status === 401 && await refresh()) return apiText(path, type);
          if (!response.ok) { const data = await response.json().catch(() => ({})); throw new APIError(response.status, data.code || "error", data.message || ""); }
          return response.text();
        }

        // An SVG bar chart drawn here (no library): one bar per period, the value in its title.
        function barChart(points) {
          const NS = "http://www.w3.org/2000/svg";
          const svg = document.createElementNS(NS, "svg");
          const width = 720, height = 200, pad = 24;
          svg.setAttribute("viewBox", "0 0 " + width + " " + (height + pad));
          svg.setAttribute("class", "chart");
          svg.setAttribute("role", "img");
          svg.setAttribute("aria-label", "매출 그래프 · Sales chart");
          const top = Math.max(1, ...points.map(([, v]) => v));
          const step = points.length ? width / points.length : width;
          const barWidth = Math.max(1, Math.min(48, step - 4));
          points.forEach(([name, value], i) => {
            const h = Math.max(0, Math.round((value / top) * (height - 24)));
            const x = i * step + (step - barWidth) / 2;
            const bar = document.createElementNS(NS, "rect");
            bar.setAttribute("x", String(x));
            bar.setAttribute("y", String(height - h));
            bar.setAttribute("width", String(barWidth));
            bar.setAttribute("height", String(h));
            if (points.length <= 12) {
              const amount = document.createElementNS(NS, "text");
              amount.setAttribute("x", String(x));
              amount.setAttribute("y", String(height - h - 6));
              amount.textContent = won(value);
              svg.append(amount);
            }
            const title = document.createElementNS(NS, "title");
            title.textContent = name + ": " + won(value);
            bar.append(title);
            svg.append(bar);
            if (points.length <= 12 || i % Math.ceil(points.length / 8) === 0) {
              const text = document.createElementNS(NS, "text");
              text.setAttribute("x", String(x));
              text.setAttribute("y", String(height + pad - 6));
              text.textContent = name.slice(5);
              svg.append(text);
            }
          });
          return el("figure", { class: "chart" }, svg);
        }

        // MARK: passes — search, refund with the quote, counter sale with its print job
        async function passesAdminPage(store) {
          const base = "/stores/" + store.store_id;
          const q = new URLSearchParams(location.search).get("q") || "";
          const [{ tickets }, { products }] = await Promise.all([api("GET", base + "/tickets?q=" + encodeURIComponent(q)), api("GET", "/catalog")]);
          const search = el("form", { class: "inline", role: "search" }, field("이름·아이디", "Name or login", { type: "search", name: "q", value: q }),
            el("button", { class: "primary", type: "submit" }, ...both("찾기", "Search")));
          search.addEventListener("submit", (event) => { event.preventDefault(); go("/app/owner/passes?q=" + encodeURIComponent(search.elements.q.value)); });
          const detail = el("section", { id: "refund-panel", hidden: "" });
          const results = tickets.length
            ? table(both("이용권", "Passes"), [["이름", "Holder"], ["아이디", "Login"], ["이용권", "Pass"], ["상태", "State"], ["남은 시간·기한", "Left / until"], [" ", ""]],
                tickets.map((t) => {
                  const action = t.status === "valid" ? el("button", { type: "button", class: "secondary", "data-refund": t.ticket_id }, ...both("환불", "Refund")) : "—";
                  if (action !== "—") action.addEventListener("click", () => refundPanel(store, t, detail));
                  const left = t.kind === "time" && t.remaining_minutes != null ? hoursMinutes(t.remaining_minutes) : storeClock(store, t.valid_until);
                  return [t.holder_name || "—", t.customer_login || "—", t.label, el("span", {}, state(t), t.seat ? " · " + t.seat : ""), left, action];
                }))
            : el("p", {}, ...both("찾은 이용권이 없습니다.", "No passes found."));
          const select = el("select", { name: "product_code", required: "" }, ...products.map((p) => el("option", { value: p.code, text: p.label + " · " + won(p.price) })));
          const sold = el("p", { role: "status", id: "sale-status" });
          const sale = form([el("label", {}, ...both("상품", "Product"), select), field("이름 (선택)", "Holder name (optional)", { name: "holder_name", maxlength: "50" }),
                             field("회원 아이디 (선택)", "Customer login (optional)", { name: "customer_login", maxlength: "64" })],
            both("판매하고 출력", "Sell and print"), async (data) => {
              const body = { product_code: data.product_code };
              if (data.holder_name) body.holder_name = data.holder_name;
              if (data.customer_login) body.customer_login = data.customer_login;
              const result = await api("POST", base + "/counter-sales", body);
              sold.textContent = "판매됨: " + result.ticket.label + " — 키오스크에서 출력됩니다 · Sold; the kiosk prints it (job " + result.print_job.job_id.slice(0, 8) + ")";
            });
          page(store, "passes", "이용권", "Passes", search, results, detail,
               el("section", { "aria-labelledby": "sale-title" }, el("h2", { id: "sale-title" }, ...both("카운터 판매", "Counter sale")), sale, sold));
        }

        async function refundPanel(store, ticket, panel) {
          const base = "/stores/" + store.store_id + "/tickets/" + ticket.ticket_id;
          panel.hidden = false;
          panel.replaceChildren(el("h2", {}, ...both("환불: " + (ticket.holder_name || ticket.customer_login || ""), "Refund"), " " + ticket.label));
          let quote;
          try { quote = await api("GET", base + "/refund-quote"); } catch (e) { panel.append(el("p", { class: "error", text: explain(e) })); return; }
          const terms = el("dl", { class: "terms" });
          for (const term of quote.terms) terms.append(el("dt", { text: term.description }), el("dd", { text: won(term.amount) }));
          const error = el("p", { class: "error", role: "alert" });
          const button = el("button", { class: "primary", type: "button", id: "confirm-refund" }, ...both("환불하기", "Refund"), " " + won(quote.amount));
          button.addEventListener("click", async () => {
            button.disabled = true;
            try {
              const refund = await api("POST", base + "/refund?amount=" + quote.amount);
              await route();
              banner(refund.state === "done" ? "환불되었습니다 · Refunded " + won(refund.amount) : "환불 처리 중 · The refund is being processed");
            } catch (e) { error.textContent = explain(e); button.disabled = false; }
          });
          panel.append(terms, el("p", {}, el("strong", {}, ...both("돌려줄 금액", "To give back")), " " + won(quote.amount)),
                       el("p", {}, el("small", { text: quote.legal_basis })), button, error);
          button.focus();
        }

        // MARK: kiosks — enrolment codes, devices with their last sync and outbox, revoke
        async function kiosksPage(store) {
          const base = "/stores/" + store.store_id;
          const { devices } = await api("GET", base + "/devices");
          const code = el("div", { role: "status", id: "enrollment" });
          const make = el("button", { class: "primary", type: "button", id: "new-code" }, ...both("등록 코드 만들기", "New enrolment code"));
          make.addEventListener("click", async () => {
            try {
              const made = await api("POST", base + "/enrollment-codes");
              code.replaceChildren(el("p", {}, el("strong", { class: "code", text: made.code }), " ", ...both(storeClock(store, made.expires_at) + "까지", "valid until then")),
                el("p", {}, ...both("입구 기기에서:", "On the entrance box:"), " ", el("code", { text: "kioskd enroll --server " + location.origin + " --code " + made.code })));
            } catch (e) { code.textContent = explain(e); }
          });
          const stale = 10 * 60 * 1000;
          const rows = devices.map((d) => {
            const seen = d.last_seen_at ? new Date(d.last_seen_at) : null;
            const late = !d.revoked && (!seen || Date.now() - seen > stale);
            const outbox = d.outbox_pending == null ? "—" : d.outbox_pending === 0 ? "0" : d.outbox_pending + " (" + storeClock(store, d.outbox_oldest_at) + "~)";
            const revoke = d.revoked ? el("span", { class: "state denied" }, ...both("해지됨", "revoked"))
                                     : el("button", { type: "button", class: "secondary", "data-revoke": d.device_id }, ...both("해지", "Revoke"));
            if (!d.revoked) revoke.addEventListener("click", async () => {
              if (!confirm(d.name + ": 이 기기의 접근을 끝낼까요? · End this device's access?")) return;
              try { await api("POST", base + "/devices/" + d.device_id + "/revoke"); await route(); } catch (e) { banner(explain(e)); }
            });
            return [d.name, storeClock(store, d.enrolled_at), el("span", { class: late ? "state denied" : "" }, storeClock(store, d.last_seen_at) + (late ? " ⚠" : "")), outbox, revoke];
          });
          page(store, "kiosks", "키오스크", "Kiosks", el("p", {}, make), code,
               devices.length ? table(both("기기", "Devices"), [["이름", "Name"], ["등록", "Enrolled"], ["마지막 동기화", "Last sync"], ["미전송", "Outbox"], ["", ""]], rows)
                              : el("p", {}, ...both("등록된 기기가 없습니다.", "No kiosk enrolled yet.")),
               el("p", {}, el("small", {}, ...both("10분 넘게 동기화하지 않은 기기에는 ⚠ 표시가 붙습니다. 미전송은 기기가 마지막 동기화 때 아직 보내지 못한 기록입니다.",
                                                   "⚠: no sync for over 10 minutes. Outbox: records the kiosk still held at its last sync."))));
        }

        // MARK: notices
        async function noticesAdminPage(store) {
          const base = "/stores/" + store.store_id;
          const { notices } = await api("GET", base + "/notices");
          const sent = el("p", { role: "status" });
          const audience = el("select", { name: "audience" }, el("option", { value: "all", text: "이용권이 있는 모든 고객 · everyone with a pass" }),
                              el("option", { value: "inside", text: "지금 입실 중인 고객 · those inside now" }));
          const compose = form([field("제목", "Title", { name: "title", required: "", maxlength: "100" }),
                                el("label", {}, ...both("내용", "Message"), el("textarea", { name: "body", required: "", maxlength: "1000", rows: "4" })),
                                el("label", {}, ...both("받는 사람", "To"), audience)],
            both("보내기", "Send"), async (data, f) => {
              const notice = await api("POST", base + "/notices", data);
              f.reset();
              await route();
              banner("공지를 " + notice.recipients + "명에게 보냈습니다 · Sent to " + notice.recipients);
            });
          const list = notices.length
            ? table(both("보낸 공지", "Sent"), [["시각", "Sent at"], ["제목", "Title"], ["받는 사람", "To"], ["인원", "Recipients"]],
                    notices.map((n) => [storeClock(store, n.created_at), n.title, n.audience === "inside" ? "입실 중 · inside" : "전체 · all", n.recipients]))
            : el("p", {}, ...both("보낸 공지가 없습니다.", "No notice sent yet."));
          page(store, "notices", "공지", "Notices", compose, sent, list);
        }

        // MARK: prices and the refund policy
        const PRESETS = [["reading_room", "독서실 (학원법 별표 4) · reading room"], ["academy_steps", "교습비 단계 (1/3, 1/2) · academy steps"],
                         ["continuous_contract", "계속거래 (방문판매법 31조) · continuous contract"], ["custom", "매장 규정 · the store's own"]];
        async function settingsPage(store) {
          const base = "/stores/" + store.store_id;
          const [{ products }, policy] = await Promise.all([api("GET", "/catalog?all=true"), api("GET", base + "/refund-policy")]);
          const prices = table(both("가격", "Prices"), [["상품", "Product"], ["가격 (원)", "Price (₩)"], ["판매", "On sale"], ["", ""]], products.map((p) => {
            const price = el("input", { type: "number", min: "0", max: "10000000", step: "100", value: String(p.price), "aria-label": p.label + " 가격 · price", name: "price-" + p.code });
            const active = el("input", { type: "checkbox", "aria-label": p.label + " 판매 · on sale" });
            active.checked = p.active;
            const status = el("span", { role: "status" });
            const save = el("button", { type: "button", class: "secondary", "data-save": p.code }, ...both("저장", "Save"));
            save.addEventListener("click", async () => {
              try {
                const saved = await api("PUT", "/catalog/" + encodeURIComponent(p.code), { price: Number(price.value), active: active.checked });
                status.textContent = " " + won(saved.price) + " ✓";
              } catch (e) { status.textContent = " " + explain(e); }
            });
            return [p.label, price, active, el("span", {}, save, status)];
          }));
          const preset = el("select", { name: "preset" }, ...PRESETS.map(([v, t]) => el("option", { value: v, text: t })));
          preset.value = policy.preset;
          const selfRefund = el("input", { type: "checkbox", name: "self_refund" });
          selfRefund.checked = policy.self_refund;
          const number = (ko, en, name, value) => field(ko, en, { type: "number", min: "0", name, value: value == null ? "" : String(value) });
          const prorate = el("select", { name: "prorate" }, ...[["", "—"], ["days", "일수 · days"], ["minutes", "분 · minutes"], ["none", "없음 · none"]]
            .map(([v, t]) => el("option", { value: v, text: t })));
          prorate.value = policy.prorate || "";
          const saved = el("p", { role: "status" });
          const refund = form([el("label", {}, ...both("환불 규정", "Refund rule"), preset),
                               number("1일 가격 (원, 독서실)", "Day price (₩, reading room)", "day_price", policy.day_price),
                               number("수수료 (%)", "Fee (%)", "fee_percent", policy.fee_percent),
                               el("label", {}, ...both("사용분 계산 (매장 규정)", "Charge for use (own rule)"), prorate),
                               number("이만큼 쓰면 환불 없음 (%)", "No refund after use of (%)", "no_refund_after_percent", policy.no_refund_after_percent),
                               number("구매 후 이 날수가 지나면 환불 없음", "No refund after days", "no_refund_after_days", policy.no_refund_after_days),
                               el("label", { class: "check" }, selfRefund, " ", ...both("고객이 앱에서 직접 환불", "Customers refund in the app"))],
            both("환불 규정 저장", "Save the refund rule"), async (data) => {
              const body = { preset: data.preset, self_refund: selfRefund.checked };
              for (const key of ["day_price", "fee_percent", "no_refund_after_percent", "no_refund_after_days"]) if (data[key] !== "") body[key] = Number(data[key]);
              if (data.prorate) body.prorate = data.prorate;
              const result = await api("PUT", base + "/refund-policy", body);
              saved.textContent = "저장했습니다 · Saved: " + result.preset;
            });
          page(store, "settings", "가격·환불", "Prices & refunds", prices,
               el("section", { "aria-labelledby": "policy-title" }, el("h2", { id: "policy-title" }, ...both("환불 규정", "Refund policy")), refund, saved));
        }

        // MARK: conflicts — offline decisions the server would have made otherwise
        async function conflictsPage(store) {
          const { conflicts } = await api("GET", "/stores/" + store.store_id + "/conflicts");
          page(store, "conflicts", "충돌", "Conflicts",
               el("p", {}, ...both("오프라인일 때 키오스크가 내린 결정 중 서버라면 다르게 했을 것들입니다.", "Offline decisions the server would have made otherwise.")),
               conflicts.length
                 ? table(both("충돌", "Conflicts"), [["시각", "Time"], ["이용권", "Pass"], ["서버 판단", "Server said"], ["내용", "What happened"]],
                         conflicts.map((c) => [storeClock(store, c.occurred_at), c.ticket_id ? c.ticket_id.slice(0, 8) : "—", c.server_reason || "—", c.message]))
                 : el("p", {}, ...both("충돌이 없습니다.", "No conflicts.")));
        }

        """#
}
