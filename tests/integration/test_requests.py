"""Mail to a list's special addresses and per-copy settings through the real
daemon: the reply_to setting on each copy (outside and inside the
encryption), `key update` by mail to -request (signed by the member's
current key, refused when unsigned, signed by another key, or when the new
key is expired), and postmaster@ forwarded to the admins of every list at
its domain, encrypted to each."""
import email.utils
import json
import time
import unittest
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from harness import KEYS, GnupgHome, Instance
from pipeline_support import (LIST, decrypt_gpg, encrypted_post, export, key_ids, make_key,
                              outbound, parse, pgp_mime_encrypted, plain_post, send, text_of,
                              wait_settled)
from test_pipeline import CONFIG, MEMBERS as FIVE, ListWithMembers

MEMBERS = ["alice@example.org", "bob@example.org"]


class Posting:
    """Sends mail and returns the inbound row of what was sent."""

    def __init__(self, instance):
        self.instance = instance
        self.sent = 0

    def __call__(self, mail_from, rcpt, data):
        send(self.instance, mail_from, rcpt, data)
        self.sent += 1
        wait_settled(self.instance, self.sent)
        with self.instance.db() as db:
            return db.execute("SELECT id, state, outcome FROM inbound ORDER BY id DESC "
                              "LIMIT 1").fetchone()


def request_mail(home, sender, list_fpr, body, key=None, signer=None):
    """A PGP/MIME mail to -request@: `body` and `key` (armored) attached,
    encrypted to the list and signed by `signer` (a fingerprint) if given."""
    inner = MIMEMultipart("mixed")
    inner.attach(MIMEText(body, "plain", "utf-8"))
    if key is not None:
        part = MIMEApplication(key, "pgp-keys", Name="key.asc")
        part["Content-Disposition"] = 'attachment; filename="key.asc"'
        inner.attach(part)
    entity = inner.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    outer = pgp_mime_encrypted(home, entity, list_fpr, signer)
    outer["From"] = sender
    outer["To"] = "crew-request@lists.test"
    outer["Subject"] = "..."
    outer["Message-ID"] = f"<{time.time_ns()}@client.example>"
    return outer.as_bytes()


def inner_of(home, data):
    """The decrypted entity of a PGP/MIME message."""
    return decrypt_gpg(home, parse(data).get_payload()[1].get_payload(decode=True))


class ReplyToTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.list = ListWithMembers(members=MEMBERS)
        cls.instance = cls.list.instance
        cls.list.serve()
        cls.post = Posting(cls.instance)

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        cls.list.close()

    def copies_with(self, setting):
        self.instance.cli("list", "set", LIST, "reply_to", setting, check=True)
        post = encrypted_post(self.list.home, "alice@example.org", self.list.fingerprint,
                              f"reply_to {setting}", "body\n")
        inbound_id, state, _ = self.post("alice@example.org", LIST, post)
        self.assertEqual(state, "done")
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual(len(rows), 2)
        return rows

    def check(self, setting, expected):
        for row in self.copies_with(setting):
            outer = parse(row[4])["Reply-To"]
            # The protected headers head the first part of the multipart/signed.
            signed = parse(inner_of(self.list.home, row[4])).get_payload()[0]
            for value in (outer, signed["Reply-To"]):
                if expected is None:
                    self.assertIsNone(value, setting)
                else:
                    self.assertEqual(email.utils.parseaddr(value)[1], expected, setting)

    def test_list_is_the_default(self):
        self.assertRegex(self.instance.cli("list", "show", LIST, check=True).stdout,
                         r"reply_to\s+list")
        self.check("list", LIST)

    def test_sender(self):
        self.check("sender", "alice@example.org")

    def test_none(self):
        self.check("none", None)


class KeyUpdateTest(unittest.TestCase):
    """Each case from its own member, so no answer meets another's rate limit."""

    @classmethod
    def setUpClass(cls):
        cls.list = ListWithMembers(members=FIVE)
        cls.instance = cls.list.instance
        cls.list.serve()
        cls.post = Posting(cls.instance)
        cls.new_home = GnupgHome()  # the members' new keys

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        cls.new_home.close()
        cls.list.close()

    def bound_key(self, address):
        listing = json.loads(self.instance.cli("member", "list", LIST, "--json",
                                               check=True).stdout)
        return [m["fingerprint"] for m in listing if m["address"] == address][0]

    def request(self, sender, body, key=None, signer=None):
        mail = request_mail(self.list.home, sender, self.list.fingerprint, body, key, signer)
        inbound_id, state, outcome = self.post(sender, "crew-request@lists.test", mail)
        self.assertEqual((state, outcome), ("done", "request"))
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual([r[3] for r in rows], [sender])
        return rows[0][4]

    def test_signed_by_the_current_key_binds_the_new_key(self):
        old = self.list.keys["bob@example.org"]
        new = make_key(self.new_home, "bob@example.org")
        answer = self.request("bob@example.org", "key update\n\nthanks, Bob\n-- \nBob\n",
                              export(self.new_home, new), signer=old)
        self.assertEqual(self.bound_key("bob@example.org"), new)
        # Encrypted to the new key alone: the old one cannot read it.
        ciphertext = parse(answer).get_payload()[1].get_payload(decode=True)
        self.assertEqual(self.new_home.gpg("--decrypt", input=ciphertext, check=False).returncode,
                         0)
        self.assertNotEqual(self.list.home.gpg("--decrypt", input=ciphertext,
                                               check=False).returncode, 0)
        text = text_of(self.new_home.gpg("--decrypt", input=ciphertext).stdout)
        self.assertIn(new, text)
        self.assertIn(old, text)
        audit = self.instance.cli("audit", "show", check=True).stdout
        self.assertIn("member.key_update", audit)
        self.assertRegex(self.instance.log(), r"pipeline request id=\S+ list=crew@lists.test "
                                              r"command=key-update result=updated")
        # Posts now reach bob under the new key.
        post = encrypted_post(self.list.home, "alice@example.org", self.list.fingerprint,
                              "after the update", "hello\n")
        inbound_id, state, _ = self.post("alice@example.org", LIST, post)
        rows = outbound(self.instance, "inbound_id = ? AND recipient = 'bob@example.org'",
                        (inbound_id,))
        self.assertEqual(len(rows), 1)
        ciphertext = parse(rows[0][4]).get_payload()[1].get_payload(decode=True)
        self.assertIn("hello", text_of(self.new_home.gpg("--decrypt", input=ciphertext).stdout))

    def test_unsigned_request_is_refused(self):
        new = make_key(self.new_home, "carol@example.org")
        answer = self.request("carol@example.org", "key update\n", export(self.new_home, new))
        self.assertEqual(self.bound_key("carol@example.org"), self.list.keys["carol@example.org"])
        text = text_of(inner_of(self.list.home, answer))  # to the current key
        self.assertIn("not signed", text)
        self.assertIn("Nothing was changed", text)

    def test_request_signed_by_another_members_key_is_refused(self):
        new = make_key(self.new_home, "dave@example.org")
        answer = self.request("dave@example.org", "key update\n", export(self.new_home, new),
                              signer=self.list.keys["alice@example.org"])
        self.assertEqual(self.bound_key("dave@example.org"), self.list.keys["dave@example.org"])
        self.assertIn("not signed with your current key", text_of(inner_of(self.list.home, answer)))
        self.assertIn("auth=other-key", self.instance.log())

    def test_expired_new_key_is_refused(self):
        home = GnupgHome()
        try:
            home.gpg("--faked-system-time", "20200101T000000!", "--quick-gen-key",
                     "erin@example.org", "future-default", "default", "1d")
            expired = export(home, "erin@example.org")
        finally:
            home.close()
        answer = self.request("erin@example.org", "key update\n", expired,
                              signer=self.list.keys["erin@example.org"])
        self.assertEqual(self.bound_key("erin@example.org"), self.list.keys["erin@example.org"])
        text = text_of(inner_of(self.list.home, answer))
        self.assertIn("was refused", text)
        self.assertIn("expired", text)

    def test_unknown_command_runs_nothing_and_gets_help(self):
        new = make_key(self.new_home, "alice@example.org")
        answer = self.request("alice@example.org", "key update\nsubscribe everyone\n",
                              export(self.new_home, new),
                              signer=self.list.keys["alice@example.org"])
        self.assertEqual(self.bound_key("alice@example.org"), self.list.keys["alice@example.org"])
        text = text_of(inner_of(self.list.home, answer))
        self.assertIn("none of them ran", text)
        self.assertIn("key update", text)


class PostmasterTest(unittest.TestCase):
    """postmaster@DOMAIN reaches the active admins of every list at DOMAIN,
    one copy per admin address, each encrypted to that admin's key alone."""

    ADMINS = {"alice@example.org": "valid-cv25519.asc", "bob@example.org": "valid-rsa3072.asc"}

    @classmethod
    def setUpClass(cls):
        cls.instance = Instance(CONFIG)
        cls.homes = {}  # admin address -> a GnuPG home with that admin's secret key
        for address, name in cls.ADMINS.items():
            home = GnupgHome()
            home.gpg("--import", KEYS / "secret" / name)
            cls.homes[address] = home
        cls.others = GnupgHome()  # non-admins' keys
        keys = {address: KEYS / name for address, name in cls.ADMINS.items()}
        for address in ["carol@example.org", "dave@example.org"]:
            key_file = cls.instance.dir / f"{address}.asc"
            key_file.write_bytes(export(cls.others, make_key(cls.others, address)))
            keys[address] = key_file
        # alice is admin of both lists at the domain (one copy, not two); bob
        # of ops only; carol is a plain member; dave administers a list at
        # another domain.
        roles = {
            "crew@lists.example.org": [("alice@example.org", "admin"),
                                       ("bob@example.org", "member"),
                                       ("carol@example.org", "member")],
            "ops@lists.example.org": [("alice@example.org", "admin"),
                                      ("bob@example.org", "admin"),
                                      ("carol@example.org", "moderator")],
            "misc@other.test": [("dave@example.org", "admin")],
        }
        for address, members in roles.items():
            cls.instance.cli("list", "create", address, check=True)
            for member, role in members:
                cls.instance.cli("member", "add", address, member, "--key", keys[member],
                                 "--role", role, check=True)
        cls.instance.serve()
        cls.post = Posting(cls.instance)

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        for home in [*cls.homes.values(), cls.others]:
            home.close()
        cls.instance.close()

    def test_one_encrypted_copy_per_admin_of_the_domain(self):
        report = plain_post("abuse-desk@remote.test", "Spam from your server 7fq2",
                            "report marker 7fq2\n")
        inbound_id, state, outcome = self.post("abuse-desk@remote.test",
                                               "postmaster@lists.example.org", report)
        self.assertEqual((state, outcome), ("done", "postmaster"))
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual(sorted(r[3] for r in rows), sorted(self.ADMINS))
        for _, member_id, envelope, recipient, data, _ in rows:
            self.assertIsNotNone(member_id)
            self.assertRegex(envelope, r"^(crew|ops)-bounces@lists\.example\.org$")
            message = parse(data)
            self.assertEqual(message.get_content_type(), "multipart/encrypted")
            self.assertNotIn("7fq2", message["Subject"])
            ciphertext = message.get_payload()[1].get_payload(decode=True)
            self.assertEqual(len(key_ids(self.homes[recipient], ciphertext)), 1)
            for other, home in self.homes.items():
                if other != recipient:
                    self.assertNotEqual(home.gpg("--decrypt", input=ciphertext,
                                                 check=False).returncode, 0)
            self.assertNotEqual(self.others.gpg("--decrypt", input=ciphertext,
                                                check=False).returncode, 0)
            cleartext = decrypt_gpg(self.homes[recipient], ciphertext)
            self.assertEqual(parse(cleartext)["Subject"], "Mail to postmaster@lists.example.org")
            text = text_of(cleartext)
            self.assertIn("postmaster@lists.example.org from <abuse-desk@remote.test>", text)
            self.assertIn("report marker 7fq2", text)  # the mail as it came, attached
        log = self.instance.log()
        self.assertRegex(log, r"pipeline postmaster id=\S+ list=- domain=lists\.example\.org "
                              r"lists=2 admins=2 failed=0")
        self.assertNotIn("7fq2", log)

    def test_no_list_at_the_domain_is_kept_not_bounced(self):
        inbound_id, state, outcome = self.post(
            "someone@remote.test", "postmaster@nowhere.test",
            plain_post("someone@remote.test", "hello", "nobody here\n"))
        self.assertEqual((state, outcome), ("rejected", "no-list"))
        self.assertEqual(outbound(self.instance, "inbound_id = ?", (inbound_id,)), [])
        self.assertRegex(self.instance.log(), r"pipeline rejected id=\S+ list=- reason=no-list "
                                              r"to=postmaster domain=nowhere\.test")


if __name__ == "__main__":
    unittest.main()
