#!/usr/bin/python3
"""The customer's web app in a real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium), against the real binaries: a cafe-server on SQLite serving /app/, and an enrolled kiosk
state for `kioskd check`.

Checks: the page loads with no console error and under 100 KB; a customer signs up and logs in
through the page and buys a pass through the (fake) gateway's payment window; its page shows the
QR code, which our own decoder reads back from the page's screenshot and a kiosk engine lets in
(`kioskd check --file`); reload and the back button land on the same screens; after the access
token is made invalid the page refreshes it by itself; with the server stopped, the pass page still
shows the saved QR code (service worker + the page's copy). Then the owner's console on a desktop:
the customer inside on her seat after a kiosk's check-in (table and seat map), sales by day and
month with the CSV, a kiosk and a new enrolment code, a notice sent from the form, a price changed,
the pass found by login and refunded with the quote, a counter sale that reaches the kiosk's print
queue, the error page; and the customer's phone again: her pass refunded with its history, the
notice, her alert settings, her own refund of the counter-sold pass. Screenshots of every page at
phone and desktop sizes (fixed clock) go to the output folder.

usage: web_test.py BIN_DIR OUTPUT_DIR     (BIN_DIR holds cafe-server and kioskd)
"""
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Browser"))
import chromium  # noqa: E402

# 2026-12-01 10:00 in Seoul: the clock every screenshot shows.
FIXED_CLOCK_MS = int(datetime.datetime(2026, 12, 1, 1, 0, tzinfo=datetime.timezone.utc).timestamp() * 1000)
FIXED_CLOCK = f"""(() => {{
  const offset = {FIXED_CLOCK_MS} - Date.now(); const RealDate = Date;
  class FixedDate extends RealDate {{ constructor(...a) {{ super(...(a.length ? a : [RealDate.now() + offset])); }}
    static now() {{ return RealDate.now() + offset; }} }}
  globalThis.Date = FixedDate; }})();"""
STEP_TIMEOUT = 20.0
PAGE_BUDGET = 100 * 1024


class Failure(Exception):
    pass


def check(condition, message):
    if not condition:
        raise Failure(message)


def wait_for(what, predicate, timeout=STEP_TIMEOUT, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = predicate()
        except Exception:  # an element replaced while read: look again
            value = None
        if value:
            return value
        time.sleep(interval)
    raise Failure(f"timed out waiting for {what}")


class System:
    """cafe-server with a store, and a kiosk enrolled and synced for `kioskd check`."""

    def __init__(self, bin_dir, work):
        self.bin, self.work = bin_dir, work
        self.env = dict(os.environ, CAFE_DATABASE=os.path.join(work, "cafe.sqlite"), CAFE_BCRYPT_COST="4")
        self.state = os.path.join(work, "kiosk")
        self.server = None
        self.gateway = None
        self.url = None

    def run(self, program, *args, stdin=None, ok=(0,)):
        done = subprocess.run([os.path.join(self.bin, program), *args], env=self.env, input=stdin, capture_output=True, text=True)
        check(done.returncode in ok, f"{program} {' '.join(args)}: exit {done.returncode}: {done.stderr}")
        return done

    def start_gateway(self):
        """The fake BootPay (REST API and payment page) the server verifies receipts with."""
        log = os.path.join(self.work, "gateway.out")
        self.gateway = subprocess.Popen([os.path.join(self.bin, "fake-bootpay")], stdout=open(log, "w"), stderr=subprocess.STDOUT)
        api = wait_for("fake-bootpay to listen", lambda: re.search(r"listening on (http://\S+)", open(log).read())).group(1)
        # The payment page loads the fake's stand-in for BootPay's SDK in place of js.bootpay.co.kr.
        self.gateway_origin = api.removesuffix("/v2")
        self.env.update(BOOTPAY_URL=api, BOOTPAY_APPLICATION_ID="fake-application", BOOTPAY_PRIVATE_KEY="fake-private-key",
                        BOOTPAY_WEB_APPLICATION_ID="fake-web-application", BOOTPAY_JS_URL=self.gateway_origin + "/fake/bootpay.js")

    def start(self):
        self.start_gateway()
        self.run("cafe-server", "admin", "create-owner", "--login", "owner", "--password-stdin", stdin="web-test-password\n")
        self.run("cafe-server", "admin", "create-store", "--id", "1", "--name", "스터디카페 강남점", "--owner", "owner", "--seats", "40")
        self.serve()
        code = self.run("cafe-server", "admin", "enrollment-code", "--store", "1").stdout.strip()
        self.run("kioskd", "enroll", "--server", self.url, "--code", code, "--name", "entrance", "--state-dir", self.state)

    def serve(self):
        log = os.path.join(self.work, "serve.out")
        # The same port again after a restart: the page's origin (and its service worker) stay.
        port = re.search(r":(\d+)$", self.url).group(1) if self.url else "0"
        out = open(log, "w")
        self.server = subprocess.Popen([os.path.join(self.bin, "cafe-server"), "serve", "--port", port, "--log-level", "warning"],
                                       env=self.env, stdout=out, stderr=subprocess.STDOUT)
        found = wait_for("cafe-server to listen", lambda: re.search(r"listening on (http://\S+)", open(log).read()))
        self.url = found.group(1)

    def stop(self):
        if self.server and self.server.poll() is None:
            self.server.terminate()
            self.server.wait(10)

    def stop_all(self):
        self.stop()
        if self.gateway and self.gateway.poll() is None:
            self.gateway.terminate()
            self.gateway.wait(10)


def browser():
    # A phone: 390×844 CSS pixels.
    return chromium.browser(390, 844, mobile=True, first_script=FIXED_CLOCK)


class Page:
    def __init__(self, driver, out_dir):
        self.driver, self.out_dir = driver, out_dir

    def heading(self):
        return self.driver.find_element(By.CSS_SELECTOR, "main h1").text

    def wait_heading(self, text):
        return wait_for(f"the heading {text!r}", lambda: text in self.heading())

    def fill(self, name, value):
        field = self.driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)

    def errors(self):
        # The test's own doing, not the page's: a refused fetch while the server is stopped, and
        # the 401s of the wrong password and the spoilt token (the browser logs every 4xx).
        provoked = ["Failed to fetch", "ERR_CONNECTION_REFUSED", "status of 401"]
        return [e for e in self.driver.get_log("browser") if e["level"] == "SEVERE" and not any(p in e["message"] for p in provoked)]

    PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
    DESKTOP = {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False}

    def size(self, metrics):
        self.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        self.metrics = metrics
        # Laid out and painted at the new size before anything is read or shot.
        self.driver.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")

    def phone(self):
        self.size(self.PHONE)

    def desktop(self):
        self.size(self.DESKTOP)

    # What a screen reader or a keyboard needs of every page: each field named by a label, each
    # button and link with words, each picture with a name, one h1.
    UNNAMED = """return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
          .filter((e) => !e.closest('label') && !e.getAttribute('aria-label')).map((e) => e.outerHTML.slice(0, 80))
        .concat([...document.querySelectorAll('button, a[href]')].filter((e) => !e.textContent.trim() && !e.getAttribute('aria-label'))
          .map((e) => e.outerHTML.slice(0, 80)))
        .concat([...document.querySelectorAll('main svg, main img')].filter((e) => !e.closest('[aria-label]') && !e.getAttribute('alt'))
          .map((e) => e.outerHTML.slice(0, 80)))
        .concat(document.querySelectorAll('h1').length === 1 ? [] : ['h1 × ' + document.querySelectorAll('h1').length]);"""

    def shots(self, name):
        """The page as it is, at both sizes (phone-NAME.png, desktop-NAME.png); the size it had stays.
        Every page shot is also checked for unnamed fields, buttons and pictures."""
        unnamed = self.driver.execute_script(self.UNNAMED)
        check(not unnamed, f"{name}: elements without a name for assistive technology: {unnamed}")
        was = getattr(self, "metrics", self.PHONE)
        for label, metrics in (("phone", self.PHONE), ("desktop", self.DESKTOP)):
            self.size(metrics)
            self.driver.execute_script("window.scrollTo(0, 0)")  # the page from its top, header and all
            self.screenshot(f"{label}-{name}")
        self.size(was)

    def screenshot(self, name):
        path = os.path.join(self.out_dir, f"{name}.png")
        check(self.driver.save_screenshot(path), f"screenshot {path}")
        return path


def api(base, method, path, body=None, token=None, scheme="Bearer"):
    request = urllib.request.Request(base + path, method=method, data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Content-Type": "application/json", **({"Authorization": f"{scheme} {token}"} if token else {})})
    with urllib.request.urlopen(request) as answer:
        return json.loads(answer.read() or b"null")


def page_weight(url):
    """Bytes of the first page: the HTML and everything it loads."""
    total = 0
    for path in ["/app/", "/app/app.js", "/app/app.css", "/app/manifest.webmanifest", "/app/icon.svg"]:
        with urllib.request.urlopen(url + path) as answer:
            total += len(answer.read())
    return total


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    bin_dir, out_dir = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    os.makedirs(out_dir, exist_ok=True)
    for old in os.listdir(out_dir):  # this run's pages only: none left from a page renamed or gone
        if old.endswith(".png"):
            os.remove(os.path.join(out_dir, old))
    with tempfile.TemporaryDirectory(prefix="web-test-") as work:
        system = System(bin_dir, work)
        driver = None
        try:
            system.start()
            weight = page_weight(system.url)
            check(weight < PAGE_BUDGET, f"the first page weighs {weight} bytes (budget {PAGE_BUDGET})")
            print(f"  first page: {weight} bytes with its script, style, manifest and icon")

            driver = browser()
            page = Page(driver, out_dir)
            driver.get(system.url + "/app/")
            page.wait_heading("로그인")
            page.shots("login")

            # Sign up through the page; it logs in and lands on "my passes", empty.
            driver.find_element(By.CSS_SELECTOR, "main button.link").click()
            page.wait_heading("가입")
            page.fill("login", "minji")
            page.fill("password", "password-1234")
            page.fill("display_name", "김민지")
            page.shots("signup")
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            page.wait_heading("내 이용권")
            wait_for("the empty list", lambda: "아직 이용권이 없습니다" in driver.find_element(By.ID, "main").text)
            check(driver.current_url.endswith("/app/passes"), f"after sign-up the page is {driver.current_url}")

            # A wrong password is said plainly, in both languages.
            driver.execute_script("localStorage.clear()")
            driver.get(system.url + "/app/login")
            page.wait_heading("로그인")
            page.fill("login", "minji")
            page.fill("password", "wrong-password")
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for("the wrong-password message", lambda: "Wrong login or password" in driver.find_element(By.CSS_SELECTOR, ".error").text)
            page.fill("password", "password-1234")
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            page.wait_heading("내 이용권")

            # She buys a 7-day pass in the page: the catalog, the refund terms before paying, the
            # (fake) gateway's payment window, and back with the pass.
            driver.find_element(By.CSS_SELECTOR, "nav a[href='/app/buy']").click()
            page.wait_heading("이용권 구매")
            page.shots("buy")
            driver.find_element(By.CSS_SELECTOR, "button[data-product='period-7']").click()
            page.wait_heading("결제 전 확인")
            terms = driver.find_element(By.ID, "main").text
            check("환불 규정" in terms and "₩15,000" in terms, f"the order page shows: {terms}")
            page.shots("before-paying")
            driver.find_element(By.ID, "pay").click()
            # Our payment page opens BootPay's window (the SDK from the one origin its policy lets
            # in); cancelled, it says so; paid, it returns with the receipt the server verifies.
            wait_for("BootPay's window", lambda: "/app/pay?" in driver.current_url and driver.find_element(By.ID, "bootpay-window"))
            with urllib.request.urlopen(system.url + "/app/pay") as answer:
                policy = answer.headers["Content-Security-Policy"]
            check(f"script-src 'self' {system.gateway_origin};" in policy, f"the payment page's policy: {policy}")
            with urllib.request.urlopen(system.url + "/app/") as answer:
                check(system.gateway_origin not in answer.headers["Content-Security-Policy"], "the rest of the app lets no other script in")
            page.shots("payment-window")
            driver.find_element(By.ID, "bootpay-cancel").click()
            wait_for("the cancelled payment", lambda: "Payment cancelled" in driver.find_element(By.ID, "pay-status").text)
            driver.find_element(By.CSS_SELECTOR, "#pay-status a[href='/app/buy']").click()
            page.wait_heading("이용권 구매")
            driver.find_element(By.CSS_SELECTOR, "button[data-product='period-7']").click()
            page.wait_heading("결제 전 확인")
            driver.find_element(By.ID, "pay").click()
            wait_for("BootPay's window again", lambda: driver.find_element(By.ID, "bootpay-window"))
            driver.find_element(By.ID, "bootpay-pay").click()
            wait_for("the pass after paying", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))
            check("/app/passes/" in driver.current_url, f"after paying the page is {driver.current_url}")
            ticket = driver.current_url.rsplit("/", 1)[-1].lower()
            system.run("kioskd", "sync", "--state-dir", system.state)
            driver.get(system.url + "/app/passes")
            link = wait_for("the pass in the list", lambda: driver.find_element(By.CSS_SELECTOR, "main .card a"))
            check("7일권" in link.text, f"the list shows {link.text!r}")
            check("퇴실 상태" in driver.find_element(By.CSS_SELECTOR, "main .card").text, "the pass shows outside")
            passes = driver.execute_script("return JSON.parse(localStorage.getItem('cafe.passes')).passes")
            token = next(p["token"] for p in passes if p["ticket_id"].lower() == ticket)
            page.shots("passes")
            link.click()
            wait_for("the QR code", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))
            check(driver.current_url.lower().endswith("/app/passes/" + ticket), f"the pass page is {driver.current_url}")
            page.shots("pass")
            shot = os.path.join(out_dir, "phone-pass.png")

            # Our decoder reads the QR code off the screenshot, and a kiosk engine lets it in.
            checked = system.run("kioskd", "check", "--state-dir", system.state, "--file", shot, ok=(0, 1, 3))
            check(checked.returncode == 0, f"kioskd check --file on the page's screenshot: exit {checked.returncode}\n{checked.stdout}{checked.stderr}")
            check("enter" in checked.stdout.lower(), f"kioskd check said: {checked.stdout}")
            print(f"  the page's QR code, read from its screenshot: {checked.stdout.strip().splitlines()[0]}")
            scanned = system.run("kioskd", "scan", "--format", "tsv", shot).stdout.strip().split("\t")
            check(scanned[-1] == token, f"the screenshot decodes to {scanned[-1][:20]}…, not the pass sold")

            # Reload and back: real routes.
            driver.refresh()
            wait_for("the QR code after a reload", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))
            driver.back()
            page.wait_heading("내 이용권")
            driver.forward()
            wait_for("the QR code after forward", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))

            # An access token that no longer verifies: the page refreshes it and goes on.
            driver.execute_script("""const s = JSON.parse(localStorage.getItem('cafe.session'));
                s.access = s.access.slice(0, -4) + 'AAAA'; localStorage.setItem('cafe.session', JSON.stringify(s));""")
            driver.refresh()
            wait_for("the QR code after a token refresh", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))
            check("로그인" not in page.heading(), "the page asked to log in again instead of refreshing")

            # No signal at the door: the server is gone, the saved QR code is still shown.
            wait_for("the service worker to control the page",
                     lambda: driver.execute_script("return !!navigator.serviceWorker.controller"))
            system.stop()
            driver.refresh()
            wait_for("the saved QR code offline", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))
            wait_for("the offline note", lambda: "Offline" in driver.find_element(By.ID, "banner").text)
            page.shots("pass-offline")
            offline_shot = os.path.join(out_dir, "phone-pass-offline.png")
            again = system.run("kioskd", "check", "--state-dir", system.state, "--file", offline_shot, ok=(0, 1, 3))
            check(again.returncode == 0, f"the offline page's QR code: {again.stdout}{again.stderr}")

            # The server is back. Minji scans in at the door (the kiosk's online check-in); the
            # owner logs in on a desktop and runs the store from the console.
            system.serve()
            device = json.load(open(os.path.join(system.state, "device.json")))
            def door(pass_token):
                scan = {"event_id": str(uuid.uuid4()), "token": pass_token, "direction": "auto",
                        "scanned_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
                return api(system.url, "POST", "/kiosk/v1/check-ins", scan, device["device_token"], scheme="Device")
            entered = door(token)
            check(entered["verdict"] == "enter", f"the door said {entered}")
            seat = entered["display"].get("seat", "—")
            def log_in(login, password, landing):
                driver.execute_script("localStorage.clear()")
                driver.get(system.url + "/app/login")
                page.wait_heading("로그인")
                page.fill("login", login)
                page.fill("password", password)
                driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
                page.wait_heading(landing)
            def text():
                return driver.find_element(By.ID, "main").text
            def console(section, heading):
                driver.find_element(By.CSS_SELECTOR, f"nav.console a[href='/app/owner{section}']").click()
                page.wait_heading(heading)
                check(driver.find_element(By.CSS_SELECTOR, "nav.console a[aria-current=page]").get_attribute("href").endswith("/app/owner" + section),
                      f"the console marks {section or 'today'} as the current page")

            page.desktop()
            log_in("owner", "web-test-password", "오늘")
            row = wait_for("Minji inside on the owner's page", lambda: next(
                (r for r in driver.find_elements(By.CSS_SELECTOR, "main tbody tr") if "김민지" in r.text), None))
            check(row.text.split()[0] == seat, f"the seat on the owner's page: {row.text}")
            occupied = driver.find_elements(By.CSS_SELECTOR, ".seatmap .seat.occupied")
            check(len(occupied) == 1 and occupied[0].text.startswith(seat) and "김민지" in occupied[0].text,
                  f"the seat map shows her seat taken: {[o.text for o in occupied]}")
            check(len(driver.find_elements(By.CSS_SELECTOR, ".seatmap .seat")) == 40, "the seat map has the store's 40 seats")
            check("₩15,000" in driver.find_element(By.CSS_SELECTOR, ".figures").text, "today's sales on the owner's page")
            page.shots("owner-today")
            check(door(token)["verdict"] == "exit", "Minji scans out")

            # Sales: the chart and the table for the last 30 days, and the CSV.
            console("/sales", "매출")
            wait_for("the sales chart", lambda: driver.find_elements(By.CSS_SELECTOR, "svg.chart rect"))
            check("₩15,000" in driver.find_element(By.CSS_SELECTOR, ".figures").text, f"the sales figures: {driver.find_element(By.CSS_SELECTOR, '.figures').text}")
            driver.find_element(By.CSS_SELECTOR, "select[name=by] option[value=month]").click()
            driver.find_element(By.CSS_SELECTOR, "form.inline button[type=submit]").click()
            wait_for("the report by month", lambda: "by=month" in driver.current_url and len(driver.find_elements(By.CSS_SELECTOR, "svg.chart rect")) in (1, 2))
            driver.find_element(By.ID, "csv").click()
            wait_for("the CSV", lambda: "CSV 2줄" in text())  # the month's period-7 line and the total
            page.shots("owner-sales")
            driver.back()
            wait_for("back to the report by day", lambda: "by=month" not in driver.current_url and page.heading().endswith("Sales"))

            # Kiosks: the entrance box with its last sync, and a new enrolment code.
            console("/kiosks", "키오스크")
            check("entrance" in text(), f"the kiosk is listed: {text()}")
            driver.find_element(By.ID, "new-code").click()
            code = wait_for("the enrolment code", lambda: driver.find_element(By.CSS_SELECTOR, "#enrollment .code").text)
            check(re.fullmatch(r"[A-Z0-9-]{6,}", code), f"the enrolment code looks like {code!r}")
            check(f"kioskd enroll --server {system.url} --code {code}" in text(), "the page says how to enrol the box")
            page.shots("owner-kiosks")

            # Notices: written in the form, sent to everyone with a pass, listed.
            console("/notices", "공지")
            page.fill("title", "휴무 안내")
            driver.find_element(By.NAME, "body").send_keys("12월 25일은 쉽니다.")
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            wait_for("the notice sent", lambda: "Sent to 1" in driver.find_element(By.ID, "banner").text)
            check("휴무 안내" in driver.find_element(By.CSS_SELECTOR, "main table").text, "the sent notice is listed")
            page.shots("owner-notices")

            # Prices and the refund policy: a price changed, the policy shown as the store set it.
            console("/settings", "가격·환불")
            price = driver.find_element(By.NAME, "price-time-100h")
            price.clear()
            price.send_keys("49000")
            driver.find_element(By.CSS_SELECTOR, "button[data-save='time-100h']").click()
            wait_for("the price saved", lambda: "₩49,000 ✓" in text())
            check(api(system.url, "GET", "/catalog")["products"][-1]["price"] == 49000 or
                  any(p["code"] == "time-100h" and p["price"] == 49000 for p in api(system.url, "GET", "/catalog")["products"]), "the catalog has the new price")
            check(driver.find_element(By.NAME, "preset").get_attribute("value") == "reading_room", "the store's refund rule")
            page.shots("owner-settings")

            console("/conflicts", "충돌")
            check("No conflicts" in text(), f"the conflicts page: {text()}")
            page.shots("owner-conflicts")

            # Passes: Minji found by her login, her pass refunded with the quote; a time pass sold
            # to her at the counter goes to the kiosk's print queue and into her app.
            console("/passes", "이용권")
            page.fill("q", "minji")
            driver.find_element(By.CSS_SELECTOR, "form[role=search] button").click()
            wait_for("the search", lambda: "q=minji" in driver.current_url and driver.find_elements(By.CSS_SELECTOR, f"button[data-refund]"))
            driver.find_element(By.CSS_SELECTOR, "button[data-refund]").click()
            confirm = wait_for("the owner's refund quote", lambda: driver.find_element(By.ID, "confirm-refund"))
            panel = driver.find_element(By.ID, "refund-panel").text
            check("₩5,000" in panel and "별표 4" in panel, f"the quote: {panel}")  # used today: ₩15,000 − one ₩10,000 day
            page.shots("owner-refund")
            confirm.click()
            wait_for("the refund note", lambda: "Refunded ₩5,000" in driver.find_element(By.ID, "banner").text)
            wait_for("the pass shown refunded", lambda: "환불됨" in driver.find_element(By.CSS_SELECTOR, "main tbody").text)
            driver.find_element(By.CSS_SELECTOR, "select[name=product_code] option[value='time-10h']").click()
            page.fill("customer_login", "minji")
            driver.find_element(By.CSS_SELECTOR, "section form button[type=submit]").click()
            wait_for("the counter sale", lambda: "the kiosk prints it" in driver.find_element(By.ID, "sale-status").text)
            page.shots("owner-passes")
            system.run("kioskd", "sync", "--state-dir", system.state)
            status = system.run("kioskd", "status", "--state-dir", system.state, "--json").stdout
            check(json.loads(status)["print_jobs_waiting"] == 1, f"the kiosk has the pass to print: {status}")

            # A console page that does not exist: the error page says so, with the code.
            driver.get(system.url + "/app/owner/nonsense")
            wait_for("the error page", lambda: driver.find_element(By.CSS_SELECTOR, "main[data-error=not_found]"))
            check("찾을 수 없습니다" in page.heading() and "code not_found" in text(), f"the error page: {text()}")
            page.shots("error")

            # Minji, on her phone: the first pass refunded (by the owner), with its history; the
            # notice; the counter-sold time pass, which she refunds herself before using it.
            # The owner logs out with the button and Minji logs in in the same tab (no reload):
            # nothing of the owner's login is left (the console's stores are not hers).
            page.phone()
            driver.find_element(By.ID, "logout").click()
            page.wait_heading("로그인")
            page.fill("login", "minji")
            page.fill("password", "password-1234")
            driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            page.wait_heading("내 이용권")
            driver.execute_script("history.pushState(null, '', '/app/owner'); dispatchEvent(new PopStateEvent('popstate'))")
            wait_for("no store for a customer", lambda: "You own no store here" in text())
            driver.get(system.url + "/app/passes/" + ticket)
            wait_for("the refunded pass", lambda: "환불됨" in text())
            check(not driver.find_elements(By.CSS_SELECTOR, "figure.qr"), "a refunded pass shows no QR code")
            history = wait_for("the pass's history", lambda: driver.find_elements(By.CSS_SELECTOR, ".history li"))
            check(len(history) == 2 and "퇴실" in history[0].text and "입실" in history[1].text, f"the history, newest first: {[h.text for h in history]}")
            page.shots("refunded")
            system.run("kioskd", "sync", "--state-dir", system.state)
            denied = system.run("kioskd", "check", "--state-dir", system.state, "--", token, ok=(3,))
            check("refunded" in denied.stdout, f"after the refund the door says: {denied.stdout}")

            driver.get(system.url + "/app/notices")
            page.wait_heading("공지")
            wait_for("the owner's notice", lambda: "12월 25일은 쉽니다." in text())
            page.shots("notices")

            driver.get(system.url + "/app/alerts")
            page.wait_heading("알림")
            driver.find_element(By.NAME, "entry_exit").click()
            wait_for("the alert settings saved", lambda: "Saved" in text())
            check(api(system.url, "GET", "/me/alerts", token=driver.execute_script("return JSON.parse(localStorage.getItem('cafe.session')).access"))
                  ["settings"]["entry_exit"] is True, "the server has her choice")
            page.shots("alerts")

            driver.get(system.url + "/app/passes")
            timed = wait_for("the counter-sold pass", lambda: next((a for a in driver.find_elements(By.CSS_SELECTOR, "main .card a") if "10시간" in a.text), None))
            timed.click()
            refund = wait_for("the refund quote", lambda: driver.find_element(By.ID, "refund"))
            quote = driver.find_element(By.CSS_SELECTOR, "section").text
            check("₩10,000" in quote, f"the quote of an unused pass: {quote}")
            page.shots("refund-quote")
            refund.click()
            driver.switch_to.alert.accept()
            wait_for("the refund note", lambda: "Refunded ₩10,000" in driver.find_element(By.ID, "banner").text)

            errors = page.errors()
            check(not errors, f"console errors: {errors}")
            print("web test: passed")
            return 0
        finally:
            if driver:
                driver.quit()
            system.stop_all()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Failure as failure:
        print(f"web test: FAILED: {failure}", file=sys.stderr)
        sys.exit(1)
