"""Log lines under systemd (tiendo-web's, a command's refusal to start): each begins with its syslog priority, which
journald files as the entry's PRIORITY (every line, errors included, was filed at info, so `journalctl -p warning` showed no web failure)."""

import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from conftest import BIN, free_port


def test_under_the_journal_each_line_carries_its_priority():
    state = tempfile.mkdtemp(prefix="tiendo-web-journal-")
    read, write = os.pipe()
    st = os.fstat(write)
    port = free_port()
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    # No tiendod on this socket: the page fails, which is an error.
    web = subprocess.Popen([os.path.join(BIN, "tiendo-web"), "serve", "--socket", os.path.join(state, "khong-co"),
                            "--listen", f"127.0.0.1:{port}", "--state-dir", state],
                           stdout=write, stderr=write, env=env)
    os.close(write)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/dang-nhap", timeout=5).read()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/tai-nguyen/khong-co.css", timeout=5).read()
        except urllib.error.HTTPError:
            pass
    finally:
        web.terminate()
        web.wait(30)
    out = os.read(read, 1 << 20).decode("utf-8", "replace")
    os.close(read)
    lines = [l for l in out.splitlines() if l]
    # The warning that no account exists yet, at its priority, without a second time of its own.
    warning = [l for l in lines if "chưa có tài khoản nào" in l]
    assert warning and warning[0].startswith("<4>tiendo-web: "), lines
    assert all(l[0] == "<" and l[2] == ">" for l in lines), lines
    assert not any("+0000" in l for l in lines), lines


def test_a_command_that_cannot_start_under_the_journal_says_so_as_an_error():
    """tiendo-deliver without its routing file exits at once: its reason is an error in the journal, not info."""
    read, write = os.pipe()
    st = os.fstat(write)
    env = dict(os.environ, JOURNAL_STREAM=f"{st.st_dev}:{st.st_ino}")
    empty = tempfile.mkdtemp(prefix="tiendo-deliver-journal-")
    p = subprocess.run([os.path.join(BIN, "tiendo-deliver"), "check", "--workflows", empty], stdout=subprocess.DEVNULL,
                       stderr=write, env=env, timeout=60)
    os.close(write)
    out = os.read(read, 1 << 20).decode("utf-8", "replace")
    os.close(read)
    assert p.returncode != 0 and out.startswith("<3>"), (p.returncode, out)
