"""A raw SMTP client for tests that need exact bytes on the wire (pipelined
groups, smuggling vectors, a client that stops mid-DATA)."""
import socket
import time


class RawSmtp:
    def __init__(self, port, timeout=15):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def send(self, data):
        self.sock.sendall(data)

    def reply(self):
        """One whole (possibly multiline) reply, as bytes."""
        lines = []
        while True:
            while b"\r\n" not in self.buffer:
                chunk = self.sock.recv(4096)
                if not chunk:
                    raise ConnectionError(f"closed after {lines!r} {self.buffer!r}")
                self.buffer += chunk
            line, self.buffer = self.buffer.split(b"\r\n", 1)
            lines.append(line)
            if len(line) < 4 or line[3:4] != b"-":
                return b"\r\n".join(lines)

    def command(self, line):
        self.send(line + b"\r\n")
        return self.reply()

    def closed(self, timeout=5):
        """True if the server closes the connection within timeout seconds."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(timeout)
        try:
            while time.monotonic() < deadline:
                if not self.sock.recv(4096):
                    return True
        except (ConnectionError, socket.timeout):
            return isinstance(socket.timeout, type) and False
        return False

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
