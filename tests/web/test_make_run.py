"""`make run` as the README's newcomer meets it (scripts/run.sh, with the binaries the tests use): tiendod on the
shipped workflows and tiendo-web beside it, the first run printing the administrator's password once; the page
signs in with it and shows the shipped workflows; Ctrl-C stops both programs; a second run keeps the account and
the records."""

import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request

from conftest import ARTIFACTS, BIN, ROOT, NoRedirect, fetch, free_port


class Run:
    """scripts/run.sh in a process group of its own, its output read line by line."""

    def __init__(self, state, port):
        env = dict(os.environ, STATE=state, WEB_LISTEN=f"127.0.0.1:{port}", BIN=BIN)
        self.lines = []
        self.out = open(os.path.join(state + ".log"), "ab")
        # SIGINT as a terminal gives it: a runner started in the background (CI) ignores it, and a shell cannot
        # trap a signal ignored when it starts.
        self.proc = subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "run.sh")], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                                     preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.url = f"http://127.0.0.1:{port}"

    def wait_for(self, pattern, timeout=120):
        """The first line of the output that matches `pattern` (the lines before it kept in `lines`)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("run.sh ended before «%s»: %s" % (pattern, "".join(self.lines)))
            text = line.decode("utf-8", "replace")
            self.out.write(line)
            self.lines.append(text)
            if re.search(pattern, text):
                return text
        raise AssertionError("no «%s» in %s" % (pattern, "".join(self.lines)))

    def interrupt(self):
        """Ctrl-C in the terminal: SIGINT to the whole foreground group."""
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            rest, _ = self.proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            raise
        self.out.write(rest)
        self.out.close()
        return self.proc.returncode


def sign_in(url, name, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect())
    for _ in range(100):
        try:
            _, _, page = fetch(opener, url + "/dang-nhap")
            break
        except OSError:
            time.sleep(0.1)
    token = re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()
    status, headers, _ = fetch(opener, url + "/dang-nhap", {"_csrf": token, "ten": name, "mat-khau": password})
    return status, headers, opener


def programs(state):
    """The tiendod and tiendo-web processes running on `state`."""
    found = subprocess.run(["pgrep", "-af", state], capture_output=True, text=True).stdout
    return [l for l in found.splitlines() if "tiendod" in l or "tiendo-web" in l]


def test_make_run_starts_both_programs_and_prints_the_first_password():
    state = tempfile.mkdtemp(prefix="tiendo-make-run-") + "/.tiendo"
    port = free_port()
    run = Run(state, port)
    try:
        run.wait_for(r"^tiendod: trạng thái ")
        password = run.wait_for(r"^Mật khẩu: ").split(":", 1)[1].strip()
        run.wait_for(r"^tiendo-web: http://127\.0\.0\.1:%d/" % port)
        status, headers, opener = sign_in(run.url, "admin", password)
        assert status == 303 and headers["Location"] == "/", (status, dict(headers))
        status, _, body = fetch(opener, run.url + "/ho-so")
        page = body.decode()
        assert status == 200 and "<h1>Hồ sơ</h1>" in page, page[:500]
        # The shipped workflows, in Vietnamese, are the filter's choices.
        for title in ("Kết nạp đảng viên", "Phát thẻ, cấp lại, đổi thẻ đảng viên", "Thi đua, khen thưởng hằng năm"):
            assert title in page, title
        # A record started from the command line the README shows is on the page.
        sock = os.path.join(state, "vn.tiendo.Manager")
        subprocess.run([os.path.join(BIN, "tiendoctl"), "--socket", sock, "start", "ket-nap-dang-vien", "kn-thu",
                        "--set", "ho_ten=Nguyễn Văn Thử", "--set", "chi_bo=Chi bộ 1"], check=True, capture_output=True)
        _, _, body = fetch(opener, run.url + "/ho-so/ket-nap-dang-vien/kn-thu")
        assert "Nguyễn Văn Thử" in body.decode()
        # The database holds personal data: not readable by other local users.
        assert os.stat(os.path.join(state, "state", "tiendo.sqlite")).st_mode & 0o007 == 0
    finally:
        code = run.interrupt()
    # Ctrl-C stops both programs, and the script says nothing went wrong beyond the interruption.
    assert code == 130, (code, "".join(run.lines))
    assert not programs(state), programs(state)

    # A second run: no new account, the password still opens it, the record is still there.
    again = Run(state, port)
    try:
        again.wait_for(r"^tiendo-web: http://")
        assert not any("Mật khẩu:" in l for l in again.lines), again.lines
        status, _, opener = sign_in(again.url, "admin", password)
        assert status == 303, status
        _, _, body = fetch(opener, again.url + "/ho-so/ket-nap-dang-vien/kn-thu")
        assert "Nguyễn Văn Thử" in body.decode()
    finally:
        assert again.interrupt() == 130
    assert not programs(state)
    shutil.copy(state + ".log", os.path.join(ARTIFACTS, "make-run.log"))
    shutil.rmtree(os.path.dirname(state), ignore_errors=True)
