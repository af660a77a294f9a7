"""tiendo-deliver against relays and receivers that misbehave in ways aiosmtpd and the webhook receiver do not: a
relay that answers a message and closes at once, one that stops reading a long message, a receiver whose
Retry-After is absurd or whose body trickles, and a routing file whose ca_file is no certificate. Found by an audit
of 07/12/2026; each one once sent a message twice, hung a channel, crashed the sender or stopped every channel."""

import datetime
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import wait_until
from test_smtp import ANYTIME_ROUTE, member, smtp_channel
from test_webhook import ROUTE, channel, overdue, secret_file


class ScriptedRelay:
    """An SMTP server run by a script per connection: `script(relay, lines, sock)`."""

    def __init__(self, script):
        self.script = script
        self.messages = []
        self.connections = 0
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        try:
            self.script(self, c.makefile("rb"), c)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.sock.close()


def say(c, line):
    c.sendall(line.encode() + b"\r\n")


def one_message_then_close(gap):
    """Takes one message, answers 250 and closes the connection `gap` seconds later (as some relays do)."""
    def script(relay, f, c):
        say(c, "220 relay")
        for line in iter(f.readline, b""):
            if line.upper().startswith(b"DATA"):
                say(c, "354 go on")
                body = b"".join(iter(f.readline, b".\r\n"))
                relay.messages.append(body)
                say(c, "250 2.0.0 queued")
                time.sleep(gap)
                return
            say(c, "250 ok")
    return script


@pytest.mark.parametrize("gap", [0, 0.05])
def test_a_relay_that_closes_after_each_message_gets_each_message_once(deliver, gap):
    """The 250 that ends a message, followed at once by the relay closing: the message is sent, not taken for a
    connection lost before the answer and sent again; the next message goes on a new connection, without counting as
    the channel failing (it had paused the channel about 23 seconds per message)."""
    relay = ScriptedRelay(one_message_then_close(gap))
    d = deliver(smtp_channel(relay.port), ANYTIME_ROUTE)
    d.enqueue([member(i) for i in range(1, 6)])
    d.start("--retry-base", "1min")
    wait_until(lambda: [x["state"] for x in d.queue()] == ["sent"] * 5, 20, "five messages sent")
    time.sleep(1)
    d.stop()
    relay.stop()
    assert len(relay.messages) == 5, [m[:200] for m in relay.messages]
    assert all(x["attempts"] == 0 for x in d.queue()), d.queue()
    assert "Tạm dừng kênh" not in d.output(), d.output()[-2000:]


def test_a_relay_that_stops_reading_a_long_message_times_out(deliver):
    """A relay that stops reading after 354: the message's data is given up on after the channel's timeout, as a
    relay that does not answer is (it waited until the relay closed)."""
    def script(relay, f, c):
        say(c, "220 relay")
        for line in iter(f.readline, b""):
            if line.upper().startswith(b"DATA"):
                say(c, "354 go on")
                time.sleep(60)
                return
            say(c, "250 ok")
    relay = ScriptedRelay(script)
    big = member(1)
    # A long notice (some 20 MB): more than the sockets' buffers hold.
    big["record"]["message"] = "Nhắc việc rất dài. " * 1_100_000
    d = deliver(smtp_channel(relay.port), ANYTIME_ROUTE)
    d.enqueue([big])
    d.start()
    # Writing out 20 MB in a debug build takes a good part of the wait on a slow host (25 s was once too short).
    wait_until(lambda: "hết thời gian chờ 2 giây" in (d.queue()[0].get("error") or ""), 60, "the timeout")
    d.stop()
    relay.stop()


class Receiver:
    """A webhook receiver that answers with `behave(handler, n)`."""

    def __init__(self, behave):
        self.requests = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append(time.time())
                behave(self, len(outer.requests))

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def answer(h, status, headers=()):
    h.send_response(status)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Content-Length", "2")
    h.end_headers()
    h.wfile.write(b"{}")


@pytest.mark.parametrize("retry_after", ["9223372036854775807", "1765432100"])
def test_an_absurd_retry_after_waits_a_day_at_most(deliver, tmp_path, retry_after):
    """Retry-After of Int64.max crashed the sender at every restart (an overflow); a Unix time given for seconds (a
    common mistake) parked the channel until 2081. Both wait a day at most, and the sender keeps running."""
    receiver = Receiver(lambda h, n: answer(h, 429, [("Retry-After", retry_after)]))
    d = deliver(channel(receiver.port, secret_file(tmp_path)), ROUTE)
    d.enqueue([overdue(1)])
    d.start()
    wait_until(lambda: d.queue()[0]["attempts"] == 1, 15, "the first attempt")
    time.sleep(1)
    assert d.proc.poll() is None, d.output()[-2000:]
    row = d.queue()[0]
    waits = datetime.datetime.fromisoformat(row["notBefore"]).timestamp() - time.time()
    assert row["state"] == "pending" and 86_400 - 30 <= waits <= 86_400 + 5, row
    d.stop()
    receiver.stop()
    assert len(receiver.requests) == 1, receiver.requests


def test_a_body_that_trickles_does_not_hold_the_channel(deliver, tmp_path):
    """A 200 whose body comes a byte every half second: the record is sent (the status decides) and the channel is
    free for the next record within its timeout, not after the body's half hour."""
    def behave(h, n):
        h.send_response(200)
        h.send_header("Content-Length", "100000")
        h.end_headers()
        try:
            for _ in range(100000):
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.5)
        except OSError:
            pass
    receiver = Receiver(behave)
    d = deliver(channel(receiver.port, secret_file(tmp_path)), ROUTE)
    d.enqueue([overdue(1), overdue(2)])
    d.start()
    wait_until(lambda: len(receiver.requests) >= 2, 15, "the second record posted")
    d.stop()
    receiver.stop()
    assert receiver.requests[1] - receiver.requests[0] < 6, receiver.requests


def test_a_ca_file_that_is_no_certificate_is_said_where_it_is_written(deliver, tmp_path):
    """A ca_file missing or holding no certificate once passed `check` and stopped every channel at `run` with
    «noSuchFilesystemObject»: it is an error at its place in the routing file now."""
    for name, content in (("thieu.pem", None), ("rac.pem", "không phải chứng chỉ\n")):
        path = tmp_path / name
        if content is not None:
            path.write_text(content)
        d = deliver(smtp_channel(2525, f"    security: starttls\n    ca_file: {path}\n"), ANYTIME_ROUTE)
        out = d.check()
        assert out.returncode == 1, out.stdout
        why = "does not exist" if content is None else "holds no PEM certificate"
        assert f"{d.routing}:12:14: error: 'ca_file' {path} of channel 'thu' {why}" in out.stdout, out.stdout
