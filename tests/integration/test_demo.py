"""`lifeline demo`: a throwaway instance with a demo list and three members
whose secret keys stay in the demo directory; a post sent to it through
SMTP appears as one encrypted file per member in DIR/outbox."""
import glob
import json
import pathlib
import signal
import smtplib
import subprocess
import tempfile
import unittest

from harness import BIN, GnupgHome, kill_gpg_agents, wait_for
from pipeline_support import crlf, decrypt_gpg, encrypted_post, parse, text_of

LIST = "demo@lists.lifeline.test"


class MemberHome:
    """A demo member's own GnuPG home, as pipeline_support's helpers use one."""

    def __init__(self, path):
        self.path = path

    def gpg(self, *args, input=None):
        return subprocess.run(["gpg", "--homedir", self.path, "--batch", "--pinentry-mode",
                               "loopback", "--passphrase", "", *map(str, args)],
                              input=input, capture_output=True, check=True, timeout=60)


class DemoTest(unittest.TestCase):
    def test_demo_creates_list_members_and_serves(self):
        with tempfile.TemporaryDirectory(prefix="ll-demo-") as tmp:
            base = f"{tmp}/base.conf"
            with open(base, "w") as config:
                config.write("[smtp]\nlisten = 127.0.0.1:0\n[web]\nlisten = 127.0.0.1:0\n")
            demo_dir, ready = f"{tmp}/demo", f"{tmp}/ready.json"
            process = subprocess.Popen([BIN, "--config", base, "demo", "--dir", demo_dir,
                                        "--ready-file", ready],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                wait_for(lambda: __import__("os").path.exists(ready) or process.poll() is not None,
                         120, "the demo's ready-file")
                self.assertIsNone(process.poll(), process.stderr.read() if process.poll() else "")
                ports = json.load(open(ready))
                self.assertGreater(ports["smtp"], 0)
                config = f"{demo_dir}/lifeline.conf"
                members = json.loads(subprocess.run(
                    [BIN, "--config", config, "member", "list", LIST, "--json"],
                    capture_output=True, text=True, check=True).stdout)
                self.assertEqual(sorted(m["address"] for m in members),
                                 ["alice@lifeline.test", "bob@lifeline.test",
                                  "carol@lifeline.test"])
                for member in members:
                    self.assertRegex(member["fingerprint"], r"^[0-9A-F]{40}$")
                    name = member["address"].split("@")[0]
                    secret = subprocess.run(
                        ["gpg", "--homedir", f"{demo_dir}/members/{name}/gnupg", "--batch",
                         "--with-colons", "--list-secret-keys", member["fingerprint"]],
                        capture_output=True, text=True, timeout=60)
                    self.assertEqual(secret.returncode, 0, secret.stderr)
                    self.assertIn("sec:", secret.stdout)
                self.check_post_reaches_outbox(demo_dir, config, ports, members)
            finally:
                process.send_signal(signal.SIGTERM)
                out, err = process.communicate(timeout=15)
                kill_gpg_agents(tmp)
            self.assertEqual(process.returncode, 0, err)
            self.assertIn("Lifeline demo created", out)
            self.assertIn(LIST, out)

    def check_post_reaches_outbox(self, demo_dir, config, ports, members):
        """A post signed by alice's demo key, encrypted to the list key."""
        fingerprints = {m["address"]: m["fingerprint"] for m in members}
        alice = MemberHome(f"{demo_dir}/members/alice/gnupg")
        list_key = subprocess.run([BIN, "--config", config, "list", "key", LIST],
                                  capture_output=True, check=True).stdout
        with GnupgHome() as home:
            home.gpg("--import", input=alice.gpg("--armor", "--export-secret-keys",
                                                 fingerprints["alice@lifeline.test"]).stdout)
            home.gpg("--import", input=list_key)
            list_fpr = [line.split(":")[9] for line in home.gpg(
                "--with-colons", "--list-keys", LIST).stdout.decode().splitlines()
                if line.startswith("fpr:")][0]
            post = encrypted_post(home, "alice@lifeline.test", list_fpr, "Demo post",
                                  "Hello from the demo.\n")
        post = post.replace(b"crew@lists.test", LIST.encode())  # the To header
        with smtplib.SMTP("127.0.0.1", ports["smtp"], timeout=30) as client:
            client.sendmail("alice@lifeline.test", [LIST], crlf(post))
        wait_for(lambda: len(glob.glob(f"{demo_dir}/outbox/*/new/*")) == 3, 60,
                 "3 copies in the outbox")
        bob_file = glob.glob(f"{demo_dir}/outbox/bob@lifeline.test/new/*")
        self.assertEqual(len(bob_file), 1)
        message = parse(pathlib.Path(bob_file[0]).read_bytes())
        self.assertEqual(message.get_content_type(), "multipart/encrypted")
        ciphertext = message.get_payload()[1].get_payload(decode=True)
        bob = MemberHome(f"{demo_dir}/members/bob/gnupg")
        text = text_of(decrypt_gpg(bob, ciphertext))
        self.assertIn("Hello from the demo.", text)


if __name__ == "__main__":
    unittest.main()
