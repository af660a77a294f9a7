"""The real tiendod (fake clock) and the real tiendo-web, driven in Debian's chromium through chromium-driver.

Run by `make test-web` (part of `make test`) in the venv that has selenium, openpyxl, varlink and pytest.
Screenshots and downloads go to tests/web/artifacts/ (ignored by git): look at them.
"""

import csv
import datetime
import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.environ.get("TIENDO_BIN_DIR", os.path.join(ROOT, ".build", "debug"))
ARTIFACTS = os.path.join(ROOT, "tests", "web", "artifacts")
FAKE_NOW = "2026-03-02T09:00:00+07:00"  # Monday

CHI_BO_A = "Chi bộ Khu dân cư số 1"
CHI_BO_B = "Chi bộ Khu dân cư số 2"

# A small workflow with a state deadline, milestones (one requiring the other) and a guarded event.
KIEM_TRA = """tiendo: 1
title: Kiểm tra hồ sơ đảng viên
fields:
  ho_ten: {type: text, required: true, title: Họ và tên}
  chi_bo: {type: text, required: true, title: Chi bộ}
  han: {type: date, required: true, title: Hạn nộp hồ sơ}
  diem: {type: integer, min: 0, max: 100, title: Điểm chấm}
group_by: chi_bo
initial: cho-nop
states:
  cho-nop:
    title: Chờ nộp hồ sơ
    deadline: {due: han, remind: [3d]}
    on:
      nop: da-nop
  da-nop:
    title: Đã nộp, chờ chấm
    on:
      cham:
        - {if: {diem: {ge: 50}}, to: dat}
        - to: khong-dat
  dat: {final: true, title: Đạt}
  khong-dat: {final: true, title: Không đạt}
milestones:
  xac-minh:
    title: Xác minh lý lịch
    due: han - 2d
    basis: "Hướng dẫn của Ban Tổ chức Thành ủy (ví dụ thử nghiệm)"
  bao-cao:
    title: Báo cáo chi ủy
    due: han + 5d
    requires: [xac-minh]
"""

# Next year's work (a due in the projected 2027: «dự kiến») and a monthly party fee since January (overdue
# occurrences `dong-dang-phi@2026-01`, `@2026-02`, and the open `@2026-03`).
NAM_SAU = """tiendo: 1
title: Việc năm sau và đảng phí
fields:
  ho_ten: {type: text, required: true, title: Họ và tên}
  chi_bo: {type: text, required: true, title: Chi bộ}
group_by: chi_bo
milestones:
  nop-ho-so:
    title: Nộp hồ sơ năm sau
    due: 2027-02-01
    roll: forward
  dong-dang-phi:
    title: Đóng đảng phí
    every: 1mo
    anchor: 2026-01-01
    due: period + 1mo - 1d
"""

NAM_SAU_CSV = f"""key,started,ho_ten,chi_bo
c1,2026-01-05,Vũ Thị Mai,{CHI_BO_A}
"""

# Synthetic people (no real personal data). Fake clock 02/03/2026: a1, b1 overdue; a2 due in 8 days.
KIEM_TRA_CSV = f"""key,ho_ten,chi_bo,han
a1,Nguyễn Thị Hà,{CHI_BO_A},2026-02-25
a2,Trần Văn Bình,{CHI_BO_A},2026-03-10
a3,Phạm Đức Anh,{CHI_BO_A},2026-03-20
b1,Lê Thị Cúc,{CHI_BO_B},2026-02-27
b2,Hoàng Minh Tuấn,{CHI_BO_B},2026-03-04
b3,"=HYPERLINK(""http://x"")",{CHI_BO_B},2026-03-25
"""

PASSWORDS = {"admin": "quan-tri-thu-nghiem", "ha": "can-bo-chi-bo-1", "xem": "chi-xem-thoi-1"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(*args, stdin=None, env=None):
    r = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=120, env=env)
    assert r.returncode == 0, (args, r.stdout, r.stderr)
    return r.stdout


class Stack:
    """tiendod and tiendo-web in a temporary directory; stopped by pid."""

    def __init__(self, workflows=None):
        """The suite's shared stack; with `workflows` ({file name: YAML}), a test's own: tiendod on those files alone
        (and the shipped calendars), nothing imported, no account."""
        self.dir = tempfile.mkdtemp(prefix="tiendo-web-test-")
        self.workflows = os.path.join(self.dir, "wf")
        if workflows is None:
            shutil.copytree(os.path.join(ROOT, "Workflows"), self.workflows, ignore=shutil.ignore_patterns("examples", "archive"))
            files = {"kiem-tra.yaml": KIEM_TRA, "nam-sau.yaml": NAM_SAU}
        else:
            shutil.copytree(os.path.join(ROOT, "Workflows", "calendars"), os.path.join(self.workflows, "calendars"))
            files = workflows
        for name, text in files.items():
            # A name may be a path inside the directory (`delivery/routing.yaml`).
            os.makedirs(os.path.dirname(os.path.join(self.workflows, name)), exist_ok=True)
            with open(os.path.join(self.workflows, name), "w", encoding="utf-8") as f:
                f.write(text)
        if workflows is None:
            # The election of 15/03/2026, archived in the repository (its dated milestones make a busy agenda).
            shutil.copy(os.path.join(ROOT, "Workflows", "archive", "bau-cu-xvi-2026.yaml"), self.workflows)
        self.socket = os.path.join(self.dir, "sock")
        self.web_state = os.path.join(self.dir, "web")
        self.procs = []
        self.logs = []
        env = dict(os.environ)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        self.env = env
        self.daemon = self.spawn(
            "tiendod", [os.path.join(BIN, "tiendod"), "--workflows", self.workflows, "--state-dir", os.path.join(self.dir, "state"),
                        "--runtime-dir", os.path.join(self.dir, "run"), "--socket", self.socket, "--fake-time", FAKE_NOW, "--time-rate", "1"])
        self.wait(lambda: self.connectable_unix(self.socket), "tiendod")
        if workflows is None:
            self.seed()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The organisation from the environment (as a systemd drop-in sets it), the place as an option.
        self.env["TIENDO_WEB_ORGANISATION"] = "Đảng bộ phường Tây Hồ"
        self.env["TIENDO_WEB_CONTACT"] = "Văn phòng Đảng ủy phường, 024 3823 4567"
        self.web = self.spawn(
            "tiendo-web", [os.path.join(BIN, "tiendo-web"), "serve", "--socket", self.socket, "--listen", f"127.0.0.1:{self.port}",
                           "--state-dir", self.web_state, "--place", "Tây Hồ"])
        self.wait(lambda: self.connectable_tcp(self.port), "tiendo-web")

    def seed(self):
        """The suite's records and accounts."""
        for wf, text in (("kiem-tra", KIEM_TRA_CSV), ("nam-sau", NAM_SAU_CSV)):
            path = os.path.join(self.dir, wf + ".csv")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            self.ctl("import", wf, path)
        # The shipped example is a ward's list as of December 2026: a member admitted after this stack's fake today
        # would be refused (`ngay_ket_nap` takes a day already come, `max: today`), so such a member is imported as
        # admitted a year earlier (the list keeps its members and chi bộ).
        with open(os.path.join(ROOT, "Workflows", "examples", "dang-vien-du-bi.csv"), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        today = datetime.date.fromisoformat(FAKE_NOW[:10])
        for r in rows:
            admitted = datetime.date.fromisoformat(r["ngay_ket_nap"])  # the example writes YYYY-MM-DD
            if admitted > today:
                r["ngay_ket_nap"] = admitted.replace(year=admitted.year - 1).isoformat()
        shifted = os.path.join(self.dir, "dang-vien-du-bi.csv")
        with open(shifted, "w", encoding="utf-8", newline="") as f:
            out = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
            out.writeheader()
            out.writerows(rows)
        self.ctl("import", "dang-vien-du-bi", shifted)
        self.ctl("import", "bau-cu-xvi-2026", os.path.join(ROOT, "Workflows", "archive", "bau-cu-xvi-2026.csv"))
        self.user("admin", "quan-tri")
        self.user("ha", "can-bo", CHI_BO_A)
        self.user("xem", "xem")

    def spawn(self, name, args):
        log = open(os.path.join(self.dir, name + ".log"), "wb")
        self.logs.append(log)
        p = subprocess.Popen(args, stdout=log, stderr=log, env=self.env)
        self.procs.append(p)
        return p

    def wait(self, ready, name):
        deadline = time.time() + 60
        while time.time() < deadline:
            if ready():
                return
            assert all(p.poll() is None for p in self.procs), self.log(name)
            time.sleep(0.05)
        raise AssertionError(f"{name} did not start: " + self.log(name))

    @staticmethod
    def connectable_unix(path):
        try:
            s = socket.socket(socket.AF_UNIX)
            s.connect(path)
            s.close()
            return True
        except OSError:
            return False

    @staticmethod
    def connectable_tcp(port):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            return False

    def log(self, name):
        with open(os.path.join(self.dir, name + ".log"), encoding="utf-8", errors="replace") as f:
            return f.read()

    def ctl(self, *args):
        return run(os.path.join(BIN, "tiendoctl"), *args, "--socket", self.socket)

    def user(self, name, role, group=None):
        args = [os.path.join(BIN, "tiendo-web"), "user", "add", name, "--role", role, "--password-stdin", "--state-dir", self.web_state]
        if group:
            args += ["--group", group]
        run(*args, stdin=PASSWORDS.get(name, "mat-khau-thu-nghiem") + "\n")

    def stop(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
        for log in self.logs:
            log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="session")
def stack():
    s = Stack()
    yield s
    s.stop()


@pytest.fixture(scope="session")
def browser():
    os.makedirs(ARTIFACTS, exist_ok=True)
    downloads = os.path.join(ARTIFACTS, "downloads")
    os.makedirs(downloads, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1366,768", "--lang=vi-VN",
                "--disable-gpu", "--force-device-scale-factor=1"):
        options.add_argument(arg)
    options.add_experimental_option("prefs", {"download.default_directory": downloads, "intl.accept_languages": "vi-VN,vi"})
    # An explicit driver path: Selenium Manager never downloads anything. LANGUAGE makes Chromium's own words (the
    # file chooser's button) Vietnamese, as on the offices' computers (chromium-l10n).
    service = Service(executable_path="/usr/bin/chromedriver", env={**os.environ, "LANGUAGE": "vi", "LANG": "vi_VN.UTF-8"})
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def login(driver, stack, name):
    driver.delete_all_cookies()
    driver.get(stack.url + "/dang-nhap")
    driver.find_element(By.ID, "ten").send_keys(name)
    driver.find_element(By.ID, "mat-khau").send_keys(PASSWORDS[name])
    submit(driver, driver.find_element(By.CSS_SELECTOR, "form.login button[type=submit]"))
    assert "/dang-nhap" not in driver.current_url, driver.page_source


def submit(driver, button, confirm=False):
    """Clicks `button` (accepting the page's confirmation dialog) and waits until the next document (after any
    redirect) has loaded: a new `performance.timeOrigin`, and `readyState` complete."""
    before = driver.execute_script("return performance.timeOrigin")
    button.click()
    if confirm:
        WebDriverWait(driver, 10).until(expected_conditions.alert_is_present())
        driver.switch_to.alert.accept()
    wait_for_new_document(driver, before)


def wait_for_new_document(driver, before):
    def loaded(d):
        try:
            origin = d.execute_script("return performance.timeOrigin")
            return origin != before and d.execute_script("return document.readyState") == "complete"
        except WebDriverException:  # between two documents
            return False

    WebDriverWait(driver, 30).until(loaded)


def shot(driver, name, full=False):
    """The viewport as a 1366×768 office screen shows it; with `full`, the whole page as well."""
    path = os.path.join(ARTIFACTS, name + ".png")
    driver.save_screenshot(path)
    # Every page a test looks at is also checked for what a browser gets wrong without a word: an id used twice (a
    # label's `for` then focuses the other form's box) or a label naming no element.
    problems = driver.execute_script("""
        const ids = {};
        for (const e of document.querySelectorAll('[id]')) ids[e.id] = (ids[e.id] || 0) + 1;
        const twice = Object.keys(ids).filter(k => ids[k] > 1);
        const orphans = [...document.querySelectorAll('label[for]')].map(l => l.htmlFor).filter(f => !document.getElementById(f));
        return {twice: twice, orphans: orphans};""")
    assert not problems["twice"] and not problems["orphans"], (name, problems)
    if full:
        import base64

        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics["cssContentSize"]
        data = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "captureBeyondViewport": True, "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        with open(os.path.join(ARTIFACTS, name + "-full.png"), "wb") as f:
            f.write(base64.b64decode(data["data"]))
    return path


def session_opener(driver):
    """A urllib opener carrying the browser's cookies (HttpOnly ones included), for downloads and raw POSTs."""
    jar = http.cookiejar.CookieJar()
    for c in driver.get_cookies():
        jar.set_cookie(http.cookiejar.Cookie(
            0, c["name"], c["value"], None, False, "127.0.0.1", False, False, "/", True, False, None, False, None, None, {}))
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    return opener


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def csrf_token(opener, url):
    """The session's CSRF token, as the page at `url` puts it in its forms: for a POST made by hand."""
    _, _, page = fetch(opener, url)
    return re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()


def fetch(opener, url, data=None):
    """(status, headers, body bytes); HTTP errors are answers, not exceptions."""
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()
