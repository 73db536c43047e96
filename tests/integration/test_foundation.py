"""The foundation through the real binary: lists, keys, members, users,
config validation, the audit chain and the daemon's start/stop."""
import json
import re
import subprocess
import tempfile
import unittest

from harness import KEYS, SOURCE, GnupgHome, Instance

LIST = "crew@lists.example.org"


class ListKeyTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.instance = Instance()
        result = cls.instance.cli("list", "create", LIST, "--name", "Crew", check=True)
        cls.fingerprint = result.stdout.strip()

    @classmethod
    def tearDownClass(cls):
        cls.instance.close()

    def test_create_prints_fingerprint(self):
        self.assertRegex(self.fingerprint, r"^[0-9A-F]{40}$")

    def test_gnupg_home_is_private(self):
        home = self.instance.data_dir / "lists" / LIST / "gnupg"
        self.assertEqual(home.stat().st_mode & 0o777, 0o700)

    def test_list_key_imports_into_gpg_with_three_uids(self):
        armored = self.instance.cli("list", "key", LIST, check=True).stdout
        self.assertTrue(armored.startswith("-----BEGIN PGP PUBLIC KEY BLOCK-----"))
        with GnupgHome() as home:
            home.gpg("--import", input=armored.encode())
            listing = home.gpg("--with-colons", "--list-keys", self.fingerprint).stdout.decode()
        uids = [line.split(":")[9] for line in listing.splitlines() if line.startswith("uid:")]
        self.assertEqual(sorted(uids), sorted([
            "Crew <crew@lists.example.org>",
            "Crew (requests) <crew-request@lists.example.org>",
            "Crew (owners) <crew-owner@lists.example.org>"]))
        # ed25519 primary, cv25519 encryption subkey (RFC 6637 algo 18).
        self.assertRegex(listing, r"(?m)^pub:[^:]*:255:22:")
        self.assertRegex(listing, r"(?m)^sub:[^:]*:255:18:.*:e:")

    def test_list_key_is_read_by_sequoia(self):
        armored = self.instance.cli("list", "key", LIST, check=True).stdout
        result = subprocess.run(["sq", "inspect"], input=armored.encode(), capture_output=True,
                                timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        out = result.stdout.decode()
        self.assertIn(self.fingerprint, out.replace(" ", ""))
        self.assertIn("crew-owner@lists.example.org", out)
        self.assertIn("transport encryption", out)

    def test_duplicate_list_refused(self):
        result = self.instance.cli("list", "create", LIST)
        self.assertEqual(result.returncode, 1)
        self.assertIn("already there", result.stderr)

    def test_show_lists_settings_with_defaults(self):
        out = self.instance.cli("list", "show", LIST, check=True).stdout
        self.assertIn(self.fingerprint, out)
        self.assertRegex(out, r"posting\s+members")
        self.assertRegex(out, r"subject_prefix\s+\[Crew\]")

    def test_set_validates_every_setting(self):
        other = "settings@lists.example.org"
        self.instance.cli("list", "create", other, check=True)
        good = [("posting", "moderated"), ("posting", "announce"), ("posting", "open"),
                ("posting", "members"), ("require_signature", "yes"),
                ("require_encryption", "yes"), ("keyless_members", "plaintext"),
                ("subscription", "closed"), ("deliver_self", "no"),
                ("subject_prefix", "[Crew!]"), ("keep_message_id", "yes"),
                ("max_message_size", "10M"), ("reply_to", "sender"), ("reply_to", "none"),
                ("reply_to", "list")]
        for name, value in good:
            self.assertEqual(self.instance.cli("list", "set", other, name, value).returncode, 0,
                             (name, value))
        self.assertRegex(self.instance.cli("list", "show", other).stdout,
                         r"max_message_size\s+10485760")
        bad = [("posting", "everyone"), ("require_signature", "maybe"),
               ("keyless_members", "drop"), ("subscription", "yes"), ("deliver_self", "1"),
               ("max_message_size", "lots"), ("max_message_size", "2048M"),
               ("reply_to", "author"), ("reply_to", "List"), ("no_such_setting", "x")]
        for name, value in bad:
            result = self.instance.cli("list", "set", other, name, value)
            self.assertEqual(result.returncode, 1, (name, value))
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)

    def test_unknown_list_refused(self):
        result = self.instance.cli("list", "show", "nope@lists.example.org")
        self.assertEqual(result.returncode, 1)
        self.assertIn("no list nope@lists.example.org", result.stderr)


class MemberKeyTest(unittest.TestCase):
    BAD = {
        "expired.asc": "is expired",
        "revoked.asc": "is revoked",
        "sign-only.asc": "has no usable encryption subkey",
        "expired-subkey.asc": "has no usable encryption subkey",
        "two-keys.asc": "contains 2 keys; give exactly one",
        "garbage.asc": "not an OpenPGP public key",
        "uid-mismatch.asc": "(use --allow-uid-mismatch to override)",
        "secret/valid-cv25519.asc": "not an OpenPGP public key",
    }
    EMAIL = {"expired.asc": "carol@example.org", "revoked.asc": "dave@example.org",
             "sign-only.asc": "erin@example.org", "expired-subkey.asc": "frank@example.org"}

    def setUp(self):
        self.instance = Instance()
        self.instance.cli("list", "create", LIST, "--name", "Crew", check=True)

    def tearDown(self):
        self.instance.close()

    def state(self):
        with self.instance.db() as db:
            members = db.execute("SELECT * FROM members ORDER BY id").fetchall()
            audit = db.execute("SELECT count(*) FROM audit_log").fetchone()[0]
        keys = subprocess.run(["gpg", "--homedir",
                               str(self.instance.data_dir / "lists" / LIST / "gnupg"),
                               "--batch", "--with-colons", "--list-keys"],
                              capture_output=True, text=True, timeout=60).stdout
        return members, audit, keys.count("\npub:")

    def test_bad_keys_refused_with_one_line_and_nothing_changes(self):
        before = self.state()
        for fixture, message in self.BAD.items():
            email = self.EMAIL.get(fixture, "alice@example.org")
            result = self.instance.cli("member", "add", LIST, email, "--key", KEYS / fixture)
            self.assertEqual(result.returncode, 1, (fixture, result.stderr))
            lines = result.stderr.strip().splitlines()
            self.assertEqual(len(lines), 1, (fixture, result.stderr))
            self.assertIn(message, lines[0], fixture)
        self.assertEqual(self.state(), before)

    def test_missing_key_file_refused(self):
        result = self.instance.cli("member", "add", LIST, "alice@example.org", "--key",
                                   "/nonexistent/key.asc")
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent/key.asc", result.stderr)

    def test_valid_keys_bind_members(self):
        self.instance.cli("member", "add", LIST, "Alice@EXAMPLE.org", "--key",
                          KEYS / "valid-cv25519.asc", check=True)
        self.instance.cli("member", "add", LIST, "bob@example.org", "--key",
                          KEYS / "valid-rsa3072.asc", "--role", "moderator", check=True)
        self.instance.cli("member", "add", LIST, "nokey@example.org", check=True)
        members = json.loads(self.instance.cli("member", "list", LIST, "--json",
                                               check=True).stdout)
        by_address = {m["address"]: m for m in members}
        self.assertEqual(set(by_address), {"Alice@example.org", "bob@example.org",
                                           "nokey@example.org"})
        self.assertRegex(by_address["Alice@example.org"]["fingerprint"], r"^[0-9A-F]{40}$")
        self.assertEqual(by_address["bob@example.org"]["role"], "moderator")
        self.assertIsNone(by_address["nokey@example.org"]["fingerprint"])
        self.assertEqual(by_address["Alice@example.org"]["state"], "active")
        # Case-insensitive: the same address again is refused.
        again = self.instance.cli("member", "add", LIST, "alice@example.org")
        self.assertEqual(again.returncode, 1)
        self.assertIn("already a member", again.stderr)
        text = self.instance.cli("member", "list", LIST, check=True).stdout
        self.assertIn("never", text)

    def test_uid_mismatch_can_be_allowed(self):
        result = self.instance.cli("member", "add", LIST, "mal@example.org", "--key",
                                   KEYS / "uid-mismatch.asc", "--allow-uid-mismatch")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_remove(self):
        self.instance.cli("member", "add", LIST, "alice@example.org", "--key",
                          KEYS / "valid-cv25519.asc", check=True)
        self.instance.cli("member", "remove", LIST, "alice@example.org", check=True)
        self.assertEqual(json.loads(self.instance.cli("member", "list", LIST, "--json").stdout),
                         [])
        again = self.instance.cli("member", "remove", LIST, "alice@example.org")
        self.assertEqual(again.returncode, 1)

    def test_bad_addresses_refused(self):
        for address in ["no-at-sign", "a@b@", "@example.org", "a..b@example.org",
                        "alice@-bad-.org", "x" * 65 + "@example.org"]:
            result = self.instance.cli("member", "add", LIST, address)
            self.assertEqual(result.returncode, 1, address)

    def test_delete_list_needs_yes_and_removes_keyring(self):
        home = self.instance.data_dir / "lists" / LIST / "gnupg"
        refused = self.instance.cli("list", "delete", LIST)
        self.assertEqual(refused.returncode, 1)
        self.assertIn("--yes", refused.stderr)
        self.instance.cli("list", "delete", LIST, "--yes", check=True)
        self.assertFalse(home.exists())
        self.assertEqual(self.instance.cli("list", "show", LIST).returncode, 1)


class UserAndAuditTest(unittest.TestCase):
    def setUp(self):
        self.instance = Instance()
        self.instance.cli("list", "create", LIST, check=True)

    def tearDown(self):
        self.instance.close()

    def test_user_password_hashed_with_argon2id(self):
        secret = self.instance.dir / "pw"
        secret.write_text("correct horse battery staple\n")
        self.instance.cli("user", "add", "admin@example.org", "--role", "admin",
                          "--password-file", secret, check=True)
        with self.instance.db() as db:
            (stored,) = db.execute("SELECT password_hash FROM users").fetchone()
        self.assertTrue(stored.startswith("$argon2id$"), stored)
        params = dict(kv.split("=") for kv in stored.split("$")[3].split(","))
        self.assertGreaterEqual(int(params["m"]), 19 * 1024)
        self.assertGreaterEqual(int(params["t"]), 2)
        self.assertNotIn("horse", self.instance.cli("audit", "show").stdout)

    def test_user_add_refusals(self):
        short = self.instance.dir / "short"
        short.write_text("short")
        result = self.instance.cli("user", "add", "m@example.org", "--role", "admin",
                                   "--password-file", short)
        self.assertEqual(result.returncode, 1)
        result = self.instance.cli("user", "add", "m@example.org", "--role", "moderator",
                                   "--password-file", short)
        self.assertEqual(result.returncode, 2, "moderator without --list is a usage error")
        result = self.instance.cli("user", "add", "m@example.org", "--role", "owner",
                                   "--password-file", short)
        self.assertEqual(result.returncode, 2)

    def test_audit_chain_verifies_and_names_tampered_entry(self):
        self.instance.cli("list", "set", LIST, "posting", "open", check=True)
        self.instance.cli("member", "add", LIST, "alice@example.org", "--key",
                          KEYS / "valid-cv25519.asc", check=True)
        ok = self.instance.cli("audit", "verify", check=True)
        self.assertRegex(ok.stdout, r"intact: [4-9] entries")
        shown = self.instance.cli("audit", "show", check=True).stdout
        self.assertIn("list.create", shown)
        self.assertIn("member.add", shown)
        with self.instance.db() as db:
            (target,) = db.execute(
                "SELECT id FROM audit_log WHERE action = 'list.set' AND detail LIKE 'posting%'"
            ).fetchone()
            db.execute("UPDATE audit_log SET detail = 'posting=members' WHERE id = ?", (target,))
        broken = self.instance.cli("audit", "verify")
        self.assertEqual(broken.returncode, 1)
        self.assertIn(f"broken at entry {target}", broken.stderr)


class ConfigTest(unittest.TestCase):
    def run_with(self, text):
        with Instance(extra_config=text) as instance:
            return instance.cli("list", "all"), instance.config

    def test_bad_values_name_file_section_and_key(self):
        cases = [
            ("[smtp]\nmax_message_size = huge\n", "[smtp] max_message_size"),
            ("[smtp]\nmax_message_size = 2G\n", "out of range"),
            ("[smtp]\nmax_recipients = 0\n", "[smtp] max_recipients"),
            ("[smtp]\ncommand_timeout = ten\n", "[smtp] command_timeout"),
            ("[smtp]\nlisten = nowhere\n", "[smtp] listen"),
            ("[smtp]\nlisten = 127.0.0.1:70000\n", "[smtp] listen"),
            ("[relay]\nstarttls = sometimes\n", "[relay] starttls"),
            ("[relay]\nport = 0\n", "[relay] port"),
            ("[log]\nlevel = loud\n", "[log] level"),
            ("[smtp]\nrequire_tls = true\n", "[smtp] require_tls"),
            ("[smtp\n", "section header"),
            ("[smtp]\njust words\n", "expected key = value"),
        ]
        for text, expected in cases:
            result, path = self.run_with(text)
            self.assertEqual(result.returncode, 1, text)
            line = result.stderr.strip()
            self.assertEqual(len(line.splitlines()), 1, line)
            self.assertIn(str(path), line, text)
            self.assertIn(expected, line, text)

    def test_unknown_key_is_a_warning(self):
        result, _ = self.run_with("[smtp]\nmax_recipeints = 5\n")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("unknown key [smtp] max_recipeints", result.stderr)

    def test_missing_config_file(self):
        result = subprocess.run([__import__("harness").BIN, "--config", "/nonexistent.conf",
                                 "list", "all"], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1)
        self.assertIn("/nonexistent.conf", result.stderr)

    def test_readme_reference_matches_table(self):
        with Instance() as instance:
            reference = instance.cli("config", "reference", check=True).stdout
        readme = (SOURCE / "README.md").read_text()
        section = re.search(r"<!-- config-reference -->\n(.*?)<!-- /config-reference -->",
                            readme, re.S)
        self.assertIsNotNone(section, "README.md lacks the config-reference markers")
        self.assertEqual(section.group(1), reference,
                         "README's configuration reference is stale: paste "
                         "`lifeline config reference` between the markers")

    def test_usage_errors_exit_2(self):
        with Instance() as instance:
            self.assertEqual(instance.cli("list", "create").returncode, 2)
            self.assertEqual(instance.cli("list", "create", "a@b.c", "--bogus").returncode, 2)
            self.assertEqual(instance.cli("frobnicate").returncode, 2)
            self.assertEqual(instance.cli("list", "create", "--help").returncode, 0)
            self.assertEqual(instance.cli("--help").returncode, 0)


class DaemonTest(unittest.TestCase):
    def test_serve_writes_ready_file_and_stops_on_sigterm(self):
        import socket
        import urllib.request
        with Instance() as instance:
            instance.cli("list", "create", LIST, check=True)
            ports = instance.serve()
            self.assertGreater(ports["smtp"], 0)
            self.assertGreater(ports["web"], 0)
            with urllib.request.urlopen(f"http://127.0.0.1:{ports['web']}/healthz",
                                        timeout=10) as response:
                self.assertEqual(response.read(), b"ok\n")
                self.assertIn("default-src 'none'",
                              response.headers["Content-Security-Policy"])
            with socket.create_connection(("127.0.0.1", ports["smtp"]), timeout=10) as s:
                self.assertTrue(s.recv(512).startswith(b"220 "))
            taken = instance.stop()
            self.assertLess(taken, 5)
            self.assertEqual(instance.returncode, 0)
            self.assertIn("lifeline started", instance.log())
            self.assertIn("lifeline stopped", instance.log())
            # No gpg-agent outlives the daemon (`list create` had started one).
            home = str(instance.data_dir / "lists" / LIST / "gnupg")
            agents = subprocess.run(["pgrep", "-f", f"gpg-agent --homedir {home}"],
                                    capture_output=True, text=True)
            self.assertEqual(agents.stdout, "", "a gpg-agent still serves the list home")

    def test_refuses_newer_schema(self):
        with Instance() as instance:
            instance.cli("list", "create", LIST, check=True)
            with instance.db() as db:
                db.execute("INSERT INTO schema_version (version, description, applied_at) "
                           "VALUES (999, 'from the future', '2030-01-01T00:00:00Z')")
            result = instance.cli("list", "all")
            self.assertEqual(result.returncode, 1)
            self.assertIn("999", result.stderr)


if __name__ == "__main__":
    unittest.main()
