"""Test harness: a Lifeline instance in a temporary directory.

Each Instance has its own data dir and config listening on 127.0.0.1 port 0;
`serve()` starts the real daemon and reads its ports from the ready-file;
teardown stops the daemon and every gpg-agent started under the directory.
"""
import json
import os
import pathlib
import signal
import sqlite3
import subprocess
import tempfile
import time

BIN = os.environ.get("LIFELINE_BIN", "lifeline")
SOURCE = pathlib.Path(os.environ.get("LIFELINE_SOURCE", pathlib.Path(__file__).resolve().parents[2]))
FIXTURES = SOURCE / "tests" / "fixtures"
KEYS = FIXTURES / "keys"


def wait_for(predicate, timeout, what):
    """Polls predicate until true; bounded by timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def kill_gpg_agents(root):
    for home in pathlib.Path(root).rglob("gnupg"):
        if home.is_dir():
            subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"],
                           capture_output=True, timeout=30)


class Instance:
    def __init__(self, extra_config=""):
        self._tmp = tempfile.TemporaryDirectory(prefix="ll-")
        self.dir = pathlib.Path(self._tmp.name)
        self.data_dir = self.dir / "data"
        self.config = self.dir / "lifeline.conf"
        self.config.write_text(
            "[server]\n"
            f"data_dir = {self.data_dir}\n"
            "hostname = lists.test\n"
            "[smtp]\nlisten = 127.0.0.1:0\n"
            "[web]\nlisten = 127.0.0.1:0\n"
            "[log]\nlevel = debug\n" + extra_config)
        self.process = None
        self.ports = None
        self.log_path = self.dir / "daemon.log"

    def cli(self, *args, input=None, check=False, timeout=120):
        result = subprocess.run([BIN, "--config", str(self.config), *map(str, args)],
                                capture_output=True, text=True, input=input, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"lifeline {' '.join(map(str, args))} exited "
                                 f"{result.returncode}: {result.stderr}")
        return result

    def serve(self, timeout=20):
        ready = self.dir / "ready.json"
        if ready.exists():
            ready.unlink()
        self._log = open(self.log_path, "ab")
        self.process = subprocess.Popen([BIN, "--config", str(self.config), "serve",
                                         "--ready-file", str(ready)],
                                        stdout=self._log, stderr=self._log)
        wait_for(lambda: ready.exists() or self.process.poll() is not None, timeout, "ready-file")
        if self.process.poll() is not None:
            raise AssertionError(f"daemon exited {self.process.returncode}: {self.log()}")
        self.ports = json.loads(ready.read_text())
        return self.ports

    def stop(self, timeout=5):
        """SIGTERM; returns seconds taken. Kills and fails if it takes longer."""
        if self.process is None:
            return 0.0
        start = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"daemon did not stop within {timeout}s of SIGTERM")
        finally:
            self._log.close()
        taken = time.monotonic() - start
        self.returncode = self.process.returncode
        self.process = None
        return taken

    def kill(self):
        """SIGKILL: a crash."""
        self.process.kill()
        self.process.wait()
        self._log.close()
        self.process = None

    def log(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def db(self):
        return sqlite3.connect(str(self.data_dir / "lifeline.db"))

    def close(self):
        try:
            if self.process is not None:
                self.process.kill()
                self.process.wait()
                self._log.close()
        finally:
            kill_gpg_agents(self.dir)
            self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class GnupgHome:
    """A throwaway GnuPG home for a test's own gpg calls."""

    def __init__(self):
        self._tmp = tempfile.TemporaryDirectory(prefix="gh-")
        self.path = self._tmp.name
        os.chmod(self.path, 0o700)

    def gpg(self, *args, input=None, check=True):
        result = subprocess.run(["gpg", "--homedir", self.path, "--batch", "--yes",
                                 "--pinentry-mode", "loopback", "--passphrase", "",
                                 *map(str, args)],
                                capture_output=True, input=input, timeout=120)
        if check and result.returncode != 0:
            raise AssertionError(f"gpg {' '.join(map(str, args))}: {result.stderr.decode()}")
        return result

    def close(self):
        subprocess.run(["gpgconf", "--homedir", self.path, "--kill", "all"],
                       capture_output=True, timeout=30)
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
