"""`lifeline demo`: a throwaway instance with a demo list and three members
whose secret keys stay in the demo directory."""
import json
import signal
import subprocess
import tempfile
import unittest

from harness import BIN, kill_gpg_agents, wait_for

LIST = "demo@lists.lifeline.test"


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
            finally:
                process.send_signal(signal.SIGTERM)
                out, err = process.communicate(timeout=15)
                kill_gpg_agents(tmp)
            self.assertEqual(process.returncode, 0, err)
            self.assertIn("Lifeline demo created", out)
            self.assertIn(LIST, out)


if __name__ == "__main__":
    unittest.main()
