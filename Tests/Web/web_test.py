#!/usr/bin/python3
"""The customer's web app in a real headless Chromium (Debian's chromium + chromedriver, driven by
Selenium), against the real binaries: a cafe-server on SQLite serving /app/, and an enrolled kiosk
state for `kioskd check`.

Checks: the page loads with no console error and under 100 KB; a customer signs up and logs in
through the page; a pass sold to them at the counter appears in "my passes"; its page shows the QR
code, which our own decoder reads back from the page's screenshot and a kiosk engine lets in
(`kioskd check --file`); reload and the back button land on the same screens; after the access
token is made invalid the page refreshes it by itself; with the server stopped, the pass page still
shows the saved QR code (service worker + the page's copy). Screenshots (phone size, fixed clock)
go to the output folder.

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
        self.env.update(BOOTPAY_URL=api, BOOTPAY_APPLICATION_ID="fake-application", BOOTPAY_PRIVATE_KEY="fake-private-key",
                        BOOTPAY_PAYMENT_PAGE=api.removesuffix("/v2") + "/fake/pay")

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
            page.screenshot("phone-login")

            # Sign up through the page; it logs in and lands on "my passes", empty.
            driver.find_element(By.CSS_SELECTOR, "main button.link").click()
            page.wait_heading("가입")
            page.fill("login", "minji")
            page.fill("password", "password-1234")
            page.fill("display_name", "김민지")
            page.screenshot("phone-signup")
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
            page.screenshot("phone-buy")
            driver.find_element(By.CSS_SELECTOR, "button[data-product='period-7']").click()
            page.wait_heading("결제 전 확인")
            terms = driver.find_element(By.ID, "main").text
            check("환불 규정" in terms and "₩15,000" in terms, f"the order page shows: {terms}")
            page.screenshot("phone-before-paying")
            driver.find_element(By.ID, "pay").click()
            wait_for("the gateway's payment window", lambda: "/fake/pay" in driver.current_url)
            driver.find_element(By.ID, "pay").click()
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
            page.screenshot("phone-passes")
            link.click()
            wait_for("the QR code", lambda: driver.find_element(By.CSS_SELECTOR, "figure.qr svg path"))
            check(driver.current_url.lower().endswith("/app/passes/" + ticket), f"the pass page is {driver.current_url}")
            shot = page.screenshot("phone-pass")

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
            offline_shot = page.screenshot("phone-pass-offline")
            again = system.run("kioskd", "check", "--state-dir", system.state, "--file", offline_shot, ok=(0, 1, 3))
            check(again.returncode == 0, f"the offline page's QR code: {again.stdout}{again.stderr}")

            # The server is back: the owner's notice is listed, and Minji refunds her pass in the
            # page with the quote (the store's policy allows it), after which the door denies it.
            system.serve()
            owner = api(system.url, "POST", "/auth/login", {"login": "owner", "password": "web-test-password"})["access_token"]
            api(system.url, "POST", "/stores/1/notices", {"title": "휴무 안내", "body": "12월 25일은 쉽니다.", "audience": "all"}, owner)
            driver.get(system.url + "/app/notices")
            page.wait_heading("공지")
            wait_for("the owner's notice", lambda: "12월 25일은 쉽니다." in driver.find_element(By.ID, "main").text)
            page.screenshot("phone-notices")
            # Minji scans in at the door (the kiosk's online check-in); the owner logs in and sees
            # her inside, on her seat, on the desktop console's today page.
            device = json.load(open(os.path.join(system.state, "device.json")))
            def door():
                scan = {"event_id": str(uuid.uuid4()), "token": token, "direction": "auto",
                        "scanned_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
                return api(system.url, "POST", "/kiosk/v1/check-ins", scan, device["device_token"], scheme="Device")
            entered = door()
            check(entered["verdict"] == "enter", f"the door said {entered}")
            def log_in(login, password):
                driver.execute_script("localStorage.clear()")
                driver.get(system.url + "/app/login")
                page.wait_heading("로그인")
                page.fill("login", login)
                page.fill("password", password)
                driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
            log_in("owner", "web-test-password")
            page.wait_heading("오늘")
            row = wait_for("Minji inside on the owner's page", lambda: next(
                (r for r in driver.find_elements(By.CSS_SELECTOR, "main tbody tr") if "김민지" in r.text), None))
            check(row.text.split()[0] == entered["display"].get("seat", "—"), f"the seat on the owner's page: {row.text}")
            check("₩15,000" in driver.find_element(By.CSS_SELECTOR, ".figures").text, "today's sales on the owner's page")
            page.screenshot("desktop-owner-today")
            check(door()["verdict"] == "exit", "Minji scans out")
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True})
            log_in("minji", "password-1234")
            page.wait_heading("내 이용권")

            driver.get(system.url + "/app/passes/" + ticket)
            refund = wait_for("the refund quote", lambda: driver.find_element(By.ID, "refund"))
            quote = driver.find_element(By.CSS_SELECTOR, "section").text
            check("₩15,000" in quote and "별표 4" in quote, f"the quote shows: {quote}")
            page.screenshot("phone-refund-quote")
            refund.click()
            driver.switch_to.alert.accept()
            wait_for("the refunded pass", lambda: "환불됨" in driver.find_element(By.ID, "main").text)
            wait_for("the refund note", lambda: "Refunded ₩5,000" in driver.find_element(By.ID, "banner").text)  # used today: ₩15,000 − one ₩10,000 day
            check(not driver.find_elements(By.CSS_SELECTOR, "figure.qr"), "a refunded pass shows no QR code")
            page.screenshot("phone-refunded")
            system.run("kioskd", "sync", "--state-dir", system.state)
            denied = system.run("kioskd", "check", "--state-dir", system.state, "--", token, ok=(3,))
            check("refunded" in denied.stdout, f"after the refund the door says: {denied.stdout}")

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
