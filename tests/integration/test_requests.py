"""Mail to a list's special addresses and per-copy settings through the real
daemon: the reply_to setting on each copy (outside and inside the
encryption), `key update` by mail to -request (signed by the member's
current key, refused when unsigned, signed by another key, or when the new
key is expired), and postmaster@ forwarded to the admins."""
import email.utils
import unittest

from harness import KEYS
from pipeline_support import (LIST, decrypt_gpg, encrypted_post, outbound, parse, send,
                              wait_settled)
from test_pipeline import ListWithMembers

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


if __name__ == "__main__":
    unittest.main()
