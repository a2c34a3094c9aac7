"""Debian's headless Chromium under chromedriver, as the browser tests drive it: a fixed window and
device metrics (screenshots are comparable run to run), console logs kept, and a script run in
every document before the page's own (the tests fix the page's clock with it)."""
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def browser(width, height, mobile=False, language="ko-KR", first_script=None):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--window-size={width},{height}",
                 "--hide-scrollbars", "--force-device-scale-factor=1", f"--lang={language}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    if first_script:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": first_script})
    # The viewport in CSS pixels, whatever the headless window's frame takes.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile})
    return driver
