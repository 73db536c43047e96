"""The encrypted list pipeline through the real daemon: a signed, encrypted
post to a list of 5 members becomes 5 copies in the outbound queue, each
encrypted to its member alone (read with gpg and with Sequoia sq), signed by
the list key, with the protected subject, body and attachment intact and no
client headers; policies, held posts by CLI, loops, undecryptable posts,
-sendkey/-owner/-request, and a crash in the middle of expansion."""
import email.utils
import os
import re
import signal
import time
import unittest

from harness import GnupgHome, Instance, wait_for
from pipeline_support import (LIST, decrypt_gpg, decrypt_sq, encrypted_post, export, inbound_states,
                              key_ids, make_key, outbound, parse, plain_post, send, split_signed,
                              wait_settled)

MEMBERS = ["alice@example.org", "bob@example.org", "carol@example.org", "dave@example.org",
           "erin@example.org"]
STRIPPED = ["Received", "User-Agent", "X-Mailer", "X-Originating-IP", "DKIM-Signature",
            "Return-Receipt-To", "Disposition-Notification-To"]
CONFIG = "[server]\npipeline_workers = 2\n[web]\nbase_url = https://lists.test/panel\n"


class ListWithMembers:
    """A list with members whose secret keys live in one test GnuPG home."""

    def __init__(self, members=MEMBERS, extra_config="", roles=None, env=None):
        self.instance = Instance(CONFIG + extra_config)
        self.home = GnupgHome()
        self.fingerprint = self.instance.cli("list", "create", LIST, "--name", "Crew",
                                             check=True).stdout.strip()
        self.list_key = self.instance.cli("list", "key", LIST, check=True).stdout
        self.home.gpg("--import", input=self.list_key.encode())
        self.keys = {}
        self.secret_files = {}
        for address in members:
            fpr = make_key(self.home, address)
            self.keys[address] = fpr
            key_file = self.instance.dir / f"{address}.asc"
            key_file.write_bytes(export(self.home, fpr))
            secret_file = self.instance.dir / f"{address}.secret.asc"
            secret_file.write_bytes(export(self.home, fpr, secret=True))
            self.secret_files[address] = secret_file
            role = (roles or {}).get(address, "member")
            self.instance.cli("member", "add", LIST, address, "--key", key_file, "--role", role,
                              check=True)

    def serve(self):
        return self.instance.serve()

    def close(self):
        self.home.close()
        self.instance.close()


class FanOutTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.list = ListWithMembers()
        cls.list.serve()
        cls.attachment = os.urandom(3000)
        post = encrypted_post(cls.list.home, "alice@example.org", cls.list.fingerprint,
                              "Meeting moved to Thursday", "See you at the usual place.\n",
                              cls.attachment)
        send(cls.list.instance, "alice@example.org", LIST, post)
        wait_settled(cls.list.instance, 1)
        cls.copies = outbound(cls.list.instance)

    @classmethod
    def tearDownClass(cls):
        cls.list.instance.stop()
        cls.list.close()

    def test_one_copy_per_member_logged_without_subject(self):
        self.assertEqual(sorted(c[3] for c in self.copies), sorted(MEMBERS))
        log = self.list.instance.log()
        self.assertRegex(log, r"pipeline post id=\S+ list=crew@lists.test members=5 queued=5")
        self.assertNotIn("Thursday", log)
        self.assertEqual(inbound_states(self.list.instance), ["done"])

    def test_envelope_is_verp_with_opaque_tag(self):
        tags = set()
        for _, member_id, envelope, recipient, _, _ in self.copies:
            match = re.fullmatch(r"crew-bounces\+([a-z0-9]+)@lists\.test", envelope)
            self.assertIsNotNone(match, envelope)
            self.assertNotIn(recipient.split("@")[0], envelope)
            tags.add(match.group(1))
        self.assertEqual(len(tags), 5)

    def test_outer_headers(self):
        for _, member_id, _, recipient, data, _ in self.copies:
            message = parse(data)
            self.assertEqual(email.utils.parseaddr(message["From"]),
                             ("Alice via Crew", "crew@lists.test"))
            self.assertEqual(message["To"], f"<{recipient}>" if "<" in message["To"] else recipient)
            self.assertEqual(message["Subject"], "[Crew] ...")
            self.assertEqual(message["List-Id"], "Crew <crew.lists.test>")
            self.assertEqual(message["List-Post"], "<mailto:crew@lists.test>")
            self.assertIn("<mailto:crew-owner@lists.test>", message["List-Owner"])
            self.assertIn("crew-request@lists.test", message["List-Help"])
            unsubscribe = message["List-Unsubscribe"]
            self.assertRegex(unsubscribe,
                             r"<https://lists\.test/panel/unsubscribe/crew\.lists\.test/[0-9a-f]{32}>")
            self.assertIn("<mailto:crew-leave@lists.test>", unsubscribe)
            self.assertEqual(message["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click")
            self.assertEqual(message["Precedence"], "list")
            self.assertIn(self.list.fingerprint, message["OpenPGP"].replace(" ", ""))
            self.assertIn("addr=crew@lists.test", message["Autocrypt"])
            self.assertEqual(message.get_content_type(), "multipart/encrypted")
            for name in STRIPPED:
                self.assertIsNone(message[name], name)
        tokens = {parse(c[4])["List-Unsubscribe"] for c in self.copies}
        self.assertEqual(len(tokens), 5)
        ids = {parse(c[4])["Message-ID"] for c in self.copies}
        self.assertEqual(len(ids), 1, "one Message-ID per post")

    def check_inner(self, cleartext):
        self.assertIn(b"multipart/signed", cleartext.split(b"\r\n\r\n")[0])
        signed, signature = split_signed(cleartext)
        sig_file = self.list.instance.dir / "sig.asc"
        sig_file.write_bytes(signature)
        data_file = self.list.instance.dir / "signed.bin"
        data_file.write_bytes(signed)
        verified = self.list.home.gpg("--status-fd", "1", "--verify", sig_file, data_file)
        self.assertIn(f"VALIDSIG {self.list.fingerprint}".encode(), verified.stdout)
        inner = parse(signed)
        self.assertEqual(inner.get_param("protected-headers"), "v1")
        self.assertEqual(inner["Subject"], "[Crew] Meeting moved to Thursday")
        parts = inner.get_payload()
        note = parts[0].get_payload(decode=True).decode()
        self.assertIn("alice@example.org", note)
        self.assertIn(self.list.keys["alice@example.org"], note)
        self.assertIn("arrived encrypted", note)
        content = parts[1]
        leaves = [p for p in content.walk() if not p.is_multipart()]
        self.assertIn(b"See you at the usual place.", leaves[0].get_payload(decode=True))
        self.assertEqual(leaves[1].get_payload(decode=True), self.attachment)

    def test_each_copy_decrypts_with_gpg_and_sq_for_its_member_alone(self):
        for _, _, _, recipient, data, _ in self.copies:
            message = parse(data)
            ciphertext = message.get_payload()[1].get_payload(decode=True)
            # Only this member's encryption subkey appears.
            ids = key_ids(self.list.home, ciphertext)
            self.assertEqual(len(ids), 1)
            subkeys = self.list.home.gpg("--with-colons", "--list-keys",
                                         self.list.keys[recipient]).stdout.decode()
            self.assertIn(ids[0], subkeys)
            self.check_inner(decrypt_gpg(self.list.home, ciphertext))
            self.check_inner(decrypt_sq(self.list.secret_files[recipient], ciphertext))


if __name__ == "__main__":
    unittest.main()
