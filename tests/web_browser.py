#!/usr/bin/env python3
"""Browser tests of `kyso web` (issue 20): headless Chromium driven over WebDriver (selenium).

Run by tests/it/web.rs (#[ignore]d; .ci/run runs it), which starts the servers and makes the
files. Arguments: URL of a server trusting the certs-example root, the folder of the files,
URL of a server trusting the CA that issued the markup-named certificate, its folder, and the
folder where screenshots are written. Exit status 0 only when every check passed; any missing
tool (chromium, chromedriver, selenium) is a failure, never a skip.
"""

import base64
import os
import sys

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

URL, FILES, XSS_URL, XSS_FILES, SHOTS = sys.argv[1:6]
os.makedirs(SHOTS, exist_ok=True)
CHECKS = []


def check(cond, what):
    CHECKS.append(what)
    if not cond:
        raise AssertionError(what)


def driver(javascript=True):
    o = webdriver.ChromeOptions()
    o.binary_location = os.environ.get("KYSO_CHROMIUM", "/usr/bin/chromium")
    for a in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1100,900", "--lang=vi"]:
        o.add_argument(a)
    if not javascript:
        o.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
    o.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("KYSO_CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=o)


def shot(d, name):
    """A full-page screenshot."""
    h = d.execute_script("return document.documentElement.scrollHeight") if js_on(d) else 2400
    d.set_window_size(1100, min(max(int(h) + 40, 600), 4000))
    d.save_screenshot(os.path.join(SHOTS, name))
    d.set_window_size(1100, 900)


def js_on(d):
    try:
        return d.execute_script("return true") is True
    except Exception:
        return False


def gone(old):
    """A wait condition: `old` no longer belongs to the page. Selenium's staleness_of expects
    StaleElementReferenceException, but Chromium sometimes answers a node of a replaced document
    with "Node with given id does not belong to the document" (a plain WebDriverException):
    that is gone too (seen once in CI)."""
    def check(_driver):
        try:
            old.is_enabled()
            return False
        except WebDriverException:
            return True
    return check


def upload(d, names, folder=FILES, wait_for_result=True):
    inp = d.find_element(By.ID, "files")
    inp.send_keys("\n".join(os.path.join(folder, n) for n in names))
    old = d.find_element(By.TAG_NAME, "body")
    d.find_element(By.ID, "submit").click()
    if wait_for_result:
        WebDriverWait(d, 30).until(gone(old))
        WebDriverWait(d, 30).until(EC.presence_of_element_located((By.ID, "overall")))


def overall(d):
    return d.find_element(By.ID, "overall").text


def page_text(d):
    return d.find_element(By.TAG_NAME, "body").text


def no_alert(d):
    try:
        d.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def csp_errors(d):
    return [e["message"] for e in d.get_log("browser") if "Content Security Policy" in e["message"] or "Refused" in e["message"]]


def cards(d):
    return d.find_elements(By.CSS_SELECTOR, "#result article.card")


def field(card, label):
    for row in card.find_elements(By.CSS_SELECTOR, "div.row"):
        dts = row.find_elements(By.TAG_NAME, "dt")
        if dts and dts[0].text.strip() == label:
            return row.find_element(By.TAG_NAME, "dd").text
    raise AssertionError(f"no field {label!r} in card: {card.text}")


verdicts = {}

# 1. With JavaScript: upload without a reload, every case, language switch, printable view.
d = driver(True)
try:
    d.get(URL + "/")
    check(d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "vi", "the page is in Vietnamese by default")
    check(d.find_element(By.ID, "drop").is_displayed(), "the drop zone is shown when JavaScript runs")
    labels = d.execute_script("return document.getElementById('files').labels.length")
    check(labels == 1, "the file input has a label")
    # Keyboard: Tab from the top reaches the language link, then the file input, the language
    # select and the submit button, in that order.
    order = []
    for _ in range(4):
        ActionChains(d).send_keys(Keys.TAB).perform()
        order.append(d.execute_script("return document.activeElement.id"))
    check(order == ["lang-switch", "files", "lang", "submit"], f"focus order {order}")

    upload(d, ["to-trinh.txt", "to-trinh.txt.p7s"])
    check(d.current_url.rstrip("/") == URL, "the JavaScript path posts without leaving the page")
    check(overall(d) == "HỢP LỆ (TOTAL_PASSED)", f"valid pair: {overall(d)}")
    cs = cards(d)
    check(len(cs) == 2, f"two signature cards, got {len(cs)}")
    # The cards are in signing-time order; find each signer's.
    person = [c for c in cs if "Nguyễn Văn An" in field(c, "Người ký")]
    agency = [c for c in cs if field(c, "Người ký") == "Sở Y tế tỉnh Bắc Ninh"]
    check(len(person) == 1 and len(agency) == 1, "one card per signer: " + " | ".join(c.text for c in cs))
    p0 = person[0]
    check(field(p0, "Mã định danh") == "CCCD:027080000001", "identifier of the person")
    check(field(p0, "Đơn vị") == "Văn phòng UBND tỉnh Bắc Ninh", "unit of the person")
    check("CA Tỉnh Bắc Ninh" in field(p0, "Tổ chức cấp chứng thư số (CA)"), "CA")
    check("do người ký khai báo" in field(p0, "Thời điểm ký"), "signing time and its source")
    check("nguyên vẹn" in field(p0, "Tính toàn vẹn"), "integrity")
    check("còn hiệu lực" in field(p0, "Thời hạn chứng thư số"), "validity")
    check("chưa bị thu hồi" in field(p0, "Tình trạng thu hồi"), "revocation")
    check("Root CA Tỉnh Bắc Ninh" in field(p0, "Chuỗi chứng thư"), "chain")
    check(field(p0, "Thuật toán") == "ECDSA với SHA-256", "algorithm")
    check(field(agency[0], "Mã định danh") == "MNS:1000002", "identifier of the agency")
    check(not csp_errors(d), f"no CSP violation: {csp_errors(d)}")
    verdicts["valid"] = overall(d)
    shot(d, "valid-vi.png")

    # Language switch: the files are posted again in English.
    old = d.find_element(By.TAG_NAME, "body")
    d.find_element(By.ID, "lang-switch").click()
    WebDriverWait(d, 30).until(gone(old))
    WebDriverWait(d, 30).until(lambda x: x.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    check(overall(d) == "VALID (TOTAL_PASSED)", f"English verdict: {overall(d)}")
    check(field(cards(d)[0], "Integrity").startswith("intact"), "English integrity")
    shot(d, "valid-en.png")
    # And back.
    old = d.find_element(By.TAG_NAME, "body")
    d.find_element(By.ID, "lang-switch").click()
    WebDriverWait(d, 30).until(gone(old))
    check(overall(d) == "HỢP LỆ (TOTAL_PASSED)", "back to Vietnamese")

    # The printable view: the record alone, with the verdict, SHA-256, time, trust anchors.
    d.find_element(By.ID, "record-link").click()
    WebDriverWait(d, 10).until(lambda x: x.find_element(By.ID, "record").is_displayed())
    rec = d.find_element(By.ID, "record").text
    check("Biên bản kiểm tra chữ ký số" in rec, "record title")
    check("HỢP LỆ (TOTAL_PASSED)" in rec and "Thời điểm kiểm tra" in rec, "record verdict and time")
    check("Root CA Tỉnh Bắc Ninh" in rec and "SHA-256" in rec, "record trust anchors")
    check(not d.find_element(By.ID, "result").is_displayed() and not d.find_element(By.ID, "upload").is_displayed(), "only the record is shown")
    check(d.find_element(By.CSS_SELECTOR, "#record a[href='#result']").is_displayed(), "the record links back to the result")
    shot(d, "record.png")
    pdf = base64.b64decode(d.print_page())
    check(pdf.startswith(b"%PDF-"), "the record prints (Chromium's print to PDF)")
    open(os.path.join(SHOTS, "record.pdf"), "wb").write(pdf)
    d.get(URL + "/")

    # The JSON download link holds the API's report.
    upload(d, ["sua.txt", "sua.txt.p7s"])
    href = d.find_element(By.ID, "json-link").get_attribute("href")
    check(href.startswith("data:application/json;base64,"), "JSON download link")
    check(b'"HASH_FAILURE"' in base64.b64decode(href.split(",", 1)[1]), "the JSON download is the report")
    check(overall(d) == "KHÔNG HỢP LỆ (TOTAL_FAILED)", f"tampered: {overall(d)}")
    check("HASH_FAILURE" in page_text(d) and "ĐÃ BỊ THAY ĐỔI" in page_text(d), "tampered: why")
    verdicts["tampered"] = overall(d)
    shot(d, "tampered-vi.png")

    upload(d, ["cong-van-ky.pdf"])
    check(overall(d) == "HỢP LỆ (TOTAL_PASSED)", f"signed PDF: {overall(d)}")
    c = cards(d)[0]
    check(" trên " in field(c, "Phiên bản được ký"), "PDF: signed revision")
    check(field(c, "Thay đổi sau khi ký").startswith("không có"), "PDF: changes after signing")
    verdicts["pdf"] = overall(d)
    shot(d, "pdf-vi.png")

    upload(d, ["giay-moi.txt", "giay-moi.txt.p7s"])
    check(overall(d) == "KHÔNG HỢP LỆ (TOTAL_FAILED)", f"revoked: {overall(d)}")
    check("REVOKED" in page_text(d) and "ĐÃ BỊ THU HỒI" in field(cards(d)[0], "Tình trạng thu hồi").upper(), "revoked: status")
    verdicts["revoked"] = overall(d)
    shot(d, "revoked-vi.png")

    upload(d, ["bao-cao.txt"])
    check(overall(d) == "KHÔNG HỢP LỆ (TOTAL_FAILED)", f"not signed: {overall(d)}")
    check("bao-cao.txt.p7s" in page_text(d) and "FORMAT_FAILURE" in page_text(d), "not signed: the missing .p7s is named")
    verdicts["unsigned"] = overall(d)
    shot(d, "unsigned-vi.png")
    check(not csp_errors(d), f"no CSP violation: {csp_errors(d)}")
finally:
    d.quit()

# 2. Without JavaScript: the plain form post gives the same verdicts.
d = driver(False)
try:
    d.get(URL + "/")
    # WebDriver's own scripts still run; the page's do not: kyso.js would show the drop zone.
    check(not d.find_element(By.ID, "drop").is_displayed(), "JavaScript is off: kyso.js did not run")
    for case, names in [("valid", ["to-trinh.txt", "to-trinh.txt.p7s"]), ("tampered", ["sua.txt", "sua.txt.p7s"]), ("pdf", ["cong-van-ky.pdf"]), ("revoked", ["giay-moi.txt", "giay-moi.txt.p7s"]), ("unsigned", ["bao-cao.txt"])]:
        d.get(URL + "/")
        upload(d, names)
        check(d.current_url.endswith("/verify"), "the form posted to /verify")
        check(overall(d) == verdicts[case], f"no-JS {case}: {overall(d)} vs {verdicts[case]}")
    # English through the form's select.
    d.get(URL + "/?lang=en")
    upload(d, ["sua.txt", "sua.txt.p7s"])
    check(overall(d) == "INVALID (TOTAL_FAILED)", f"no-JS English: {overall(d)}")
    shot(d, "tampered-en-nojs.png")
    # The printable view works through the link alone.
    d.find_element(By.ID, "record-link").click()
    check(d.find_element(By.ID, "record").is_displayed() and not d.find_element(By.ID, "result").is_displayed(), "no-JS printable view")
finally:
    d.quit()

# 3. A certificate whose names are markup: shown as text, no dialog, no element made.
d = driver(True)
try:
    d.get(XSS_URL + "/")
    upload(d, ["thu.txt", "thu.txt.p7s"], folder=XSS_FILES)
    check(no_alert(d), "no dialog opened")
    check("<img src=x onerror=alert(1)>" in page_text(d), "the CN is visible as text")
    check("<script>alert(2)</script>" in page_text(d), "the O is visible as text")
    check(not d.find_elements(By.TAG_NAME, "img"), "no img element on the page")
    check(d.execute_script("return document.scripts.length") == 1, "only kyso.js")
    shot(d, "xss.png")
    # The language switch re-renders the same names, still escaped.
    d.find_element(By.ID, "lang-switch").click()
    WebDriverWait(d, 30).until(lambda x: x.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en")
    check(no_alert(d) and "<img src=x onerror=alert(1)>" in page_text(d), "escaped after the language switch")
finally:
    d.quit()

print(f"web browser tests: {len(CHECKS)} checks passed; screenshots in {SHOTS}")
