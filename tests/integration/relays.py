"""SMTP peers for the delivery tests, all on 127.0.0.1 with ports chosen at
run time: Postfix's smtp-sink (with its fault options) and a scripted relay
in Python for exact sequences (STARTTLS, AUTH, 421, 452)."""
import base64
import os
import pathlib
import socket
import socketserver
import ssl
import subprocess
import tempfile
import threading
import time

SMTP_SINK = "/usr/sbin/smtp-sink"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port} after {timeout}s")


class Sink:
    """smtp-sink dumping each transaction into its own file."""

    def __init__(self, *options, port=None):
        self._tmp = tempfile.TemporaryDirectory(prefix="sink-")
        self.dir = pathlib.Path(self._tmp.name)
        os.chmod(self.dir, 0o777)  # smtp-sink drops to nobody
        self.port = port or free_port()
        self.options = options
        self.process = None
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [SMTP_SINK, "-u", "nobody", "-d", f"{self.dir}/%H%M%S.", *self.options,
             f"127.0.0.1:{self.port}", "256"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(self.port)

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def messages(self):
        """[(mail_from, [rcpt...], body_bytes)] for every complete dump."""
        out = []
        for path in sorted(self.dir.iterdir()):
            data = path.read_bytes()
            head, _, _ = data.partition(b"\n\n")
            mail_from, rcpts = None, []
            for line in head.split(b"\n"):
                if line.startswith(b"X-Mail-Args: "):
                    mail_from = line[13:].decode().split(" ")[0].strip("<>")
                elif line.startswith(b"X-Rcpt-Args: "):
                    rcpts.append(line[13:].decode().split(" ")[0].strip("<>"))
            if mail_from is not None and rcpts:
                out.append((mail_from, rcpts, data))
        return out

    def recipients(self):
        return [r for _, rcpts, _ in self.messages() for r in rcpts]

    def close(self):
        self.stop()
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_certificate(directory, name, hosts=("localhost",), ips=("127.0.0.1",)):
    """A self-signed certificate (its own CA) for `hosts`; returns (cert, key)."""
    cert = pathlib.Path(directory) / f"{name}.pem"
    key = pathlib.Path(directory) / f"{name}.key"
    san = ",".join([f"DNS:{h}" for h in hosts] + [f"IP:{i}" for i in ips])
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", f"/CN={hosts[0] if hosts else name}", "-keyout", str(key),
                    "-out", str(cert), "-addext", f"subjectAltName={san}",
                    "-addext", "basicConstraints=critical,CA:TRUE"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class ScriptedRelay:
    """A small ESMTP server whose behaviour a test sets exactly.

    starttls: offer STARTTLS with `tls_context`; auth: (user, password)
    required before MAIL; rcpt_reply: the reply to every RCPT (e.g. 452);
    close_421_after: answer the MAIL of transaction N+1 with 421 and close.
    Records every command line (AUTH payloads masked) and every message.
    """

    def __init__(self, starttls=False, tls_context=None, auth=None, rcpt_reply=None,
                 close_421_after=None, pipelining=True):
        self.starttls = starttls
        self.tls_context = tls_context
        self.auth = auth
        self.rcpt_reply = rcpt_reply
        self.close_421_after = close_421_after
        self.pipelining = pipelining
        self.lines = []
        self.messages = []  # dicts: from, rcpts, data, tls, authenticated
        self.connections = 0
        self._lock = threading.Lock()
        relay = self

        class Handler(socketserver.StreamRequestHandler):
            tls_connection = None

            def handle(self):
                relay._serve(self)

            def finish(self):
                super().finish()
                if self.tls_connection is not None:
                    self.tls_connection.close()

        class Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _record(self, line):
        with self._lock:
            self.lines.append(line)

    def _serve(self, handler):
        with self._lock:
            self.connections += 1
        conn = handler.connection
        conn.settimeout(30)
        reader = conn.makefile("rb")

        def send(text):
            conn.sendall(text.encode() + b"\r\n")

        tls = False
        authenticated = False
        transactions = 0
        mail_from, rcpts = None, []
        send("220 relay.test ESMTP scripted")
        while True:
            raw = reader.readline(4096)
            if not raw:
                return
            line = raw.decode(errors="replace").rstrip("\r\n")
            verb = line.split(" ")[0].upper()
            self._record("AUTH ***" if verb == "AUTH" else line)
            if verb in ("EHLO", "HELO"):
                extensions = []
                if self.pipelining:
                    extensions.append("PIPELINING")
                if self.starttls and not tls:
                    extensions.append("STARTTLS")
                if self.auth:
                    extensions.append("AUTH PLAIN LOGIN")
                extensions.append("ENHANCEDSTATUSCODES")
                lines = ["relay.test"] + extensions
                for i, text in enumerate(lines):
                    send(("250 " if i == len(lines) - 1 else "250-") + text)
            elif verb == "STARTTLS" and self.starttls and not tls:
                send("220 2.0.0 Ready to start TLS")
                try:
                    conn = self.tls_context.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError) as error:
                    self._record(f"[tls failed: {error}]")
                    return
                handler.tls_connection = conn  # closed by finish()
                reader = conn.makefile("rb")
                tls = True
                self._record("[tls]")
            elif verb == "AUTH":
                parts = line.split(" ")
                ok = False
                if len(parts) >= 3 and parts[1].upper() == "PLAIN":
                    decoded = base64.b64decode(parts[2]).split(b"\0")
                    ok = self.auth is not None and decoded[1:] == [self.auth[0].encode(),
                                                                  self.auth[1].encode()]
                if ok:
                    authenticated = True
                    send("235 2.7.0 Authentication successful")
                else:
                    send("535 5.7.8 Authentication credentials invalid")
            elif verb == "MAIL":
                if self.close_421_after is not None and transactions >= self.close_421_after:
                    send("421 4.3.2 Service shutting down")
                    return
                if self.auth and not authenticated:
                    send("530 5.7.0 Authentication required")
                    continue
                mail_from, rcpts = line.split(":", 1)[1].strip("<> "), []
                send("250 2.1.0 Ok")
            elif verb == "RCPT":
                if self.rcpt_reply:
                    send(self.rcpt_reply)
                    continue
                rcpts.append(line.split(":", 1)[1].strip("<> "))
                send("250 2.1.5 Ok")
            elif verb == "DATA":
                if not rcpts:
                    send("554 5.5.1 Error: no valid recipients")
                    continue
                send("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while True:
                    chunk = reader.readline(65536)
                    if not chunk or chunk == b".\r\n":
                        break
                    data += chunk
                with self._lock:
                    self.messages.append({"from": mail_from, "rcpts": rcpts, "data": data,
                                          "tls": tls, "authenticated": authenticated})
                transactions += 1
                send("250 2.0.0 Ok: queued")
            elif verb == "RSET":
                mail_from, rcpts = None, []
                send("250 2.0.0 Ok")
            elif verb == "QUIT":
                send("221 2.0.0 Bye")
                return
            else:
                send("502 5.5.2 Error: command not recognized")

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
