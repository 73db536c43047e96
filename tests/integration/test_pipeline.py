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
                              key_ids, make_key, outbound, parse, plain_post, send, split_signed, text_of,
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


class PolicyAndSpecialAddressTest(unittest.TestCase):
    """One list, several posts: each check reads the queue rows of its post."""

    @classmethod
    def setUpClass(cls):
        cls.list = ListWithMembers(members=MEMBERS[:3],
                                   roles={"alice@example.org": "admin"})
        cls.instance = cls.list.instance
        cls.instance.cli("list", "set", LIST, "posting", "moderated", check=True)
        cls.list.serve()
        cls.sent = 0

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        cls.list.close()

    def post(self, mail_from, rcpt, data):
        send(self.instance, mail_from, rcpt, data)
        type(self).sent += 1
        wait_settled(self.instance, self.sent)
        with self.instance.db() as db:
            return db.execute("SELECT id, state, outcome FROM inbound ORDER BY id DESC "
                              "LIMIT 1").fetchone()

    def test_moderated_post_is_held_then_approved_by_cli(self):
        post = encrypted_post(self.list.home, "bob@example.org", self.list.fingerprint,
                              "Held subject", "held body\n")
        inbound_id, state, _ = self.post("bob@example.org", LIST, post)
        self.assertEqual(state, "held")
        listing = self.instance.cli("held", "list", LIST, check=True).stdout
        self.assertIn("bob@example.org", listing)
        self.assertNotIn("Held subject", listing)
        held_id = re.search(r"(?m)^(\d+)\s", listing.split("\n", 1)[1]).group(1)
        # Stored as it arrived: still encrypted at rest.
        with self.instance.db() as db:
            data = db.execute("SELECT data FROM inbound WHERE id = ?", (inbound_id,)).fetchone()[0]
        self.assertIn(b"BEGIN PGP MESSAGE", bytes(data))
        self.assertNotIn(b"held body", bytes(data))
        self.instance.cli("held", "approve", held_id, check=True)
        wait_for(lambda: len(outbound(self.instance, "inbound_id = ?", (inbound_id,))) == 3, 60,
                 "approved post expanded")
        again = self.instance.cli("held", "approve", held_id)
        self.assertEqual(again.returncode, 1)
        self.assertIn("already", again.stderr)

    def test_held_post_rejected_by_cli_tells_the_sender(self):
        post = encrypted_post(self.list.home, "carol@example.org", self.list.fingerprint,
                              "Rejected subject", "body\n")
        inbound_id, state, _ = self.post("carol@example.org", LIST, post)
        self.assertEqual(state, "held")
        listing = self.instance.cli("held", "list", LIST, check=True).stdout
        held_id = [line.split()[0] for line in listing.splitlines()[1:]
                   if "carol@example.org" in line][0]
        self.instance.cli("held", "reject", held_id, "--reason", "off topic", check=True)
        wait_for(lambda: outbound(self.instance, "inbound_id = ?", (inbound_id,)), 60,
                 "rejection reply")
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual([r[3] for r in rows], ["carol@example.org"])
        # Encrypted to carol: decrypt and read the reason.
        reply = parse(rows[0][4])
        ciphertext = reply.get_payload()[1].get_payload(decode=True)
        text = text_of(decrypt_gpg(self.list.home, ciphertext))
        self.assertIn("a moderator rejected it: off topic", text)
        self.assertEqual(inbound_states(self.instance)[-1], "rejected")

    def test_non_member_is_rejected_with_reply(self):
        inbound_id, state, outcome = self.post(
            "mallory@example.net", LIST, plain_post("mallory@example.net", "hi", "spam\n"))
        self.assertEqual((state, outcome), ("rejected", "not-member"))
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual([r[3] for r in rows], ["mallory@example.net"])
        self.assertIn("only members of this list may post to it", text_of(rows[0][4]))

    def test_loops_and_automated_mail_are_not_distributed(self):
        for headers, reason in [((("List-Id", "Crew <crew.lists.test>"),), "own-list-id"),
                                ((("X-Loop", "crew@lists.test"),), "own-x-loop"),
                                ((("Precedence", "bulk"),), "precedence"),
                                ((("Auto-Submitted", "auto-replied"),), "auto-reply")]:
            inbound_id, state, outcome = self.post(
                "alice@example.org", LIST,
                plain_post("alice@example.org", "loop", "x\n", extra_headers=headers))
            self.assertEqual((state, outcome), ("rejected", f"loop:{reason}"))
            self.assertEqual(outbound(self.instance, "inbound_id = ?", (inbound_id,)), [])
            self.assertIn(f"reason={reason}", self.instance.log())
        inbound_id, state, outcome = self.post("", LIST, plain_post("alice@example.org", "x", "x\n"))
        self.assertEqual(outcome, "loop:null-sender")

    def test_undecryptable_post_gets_fingerprint_and_sendkey_address(self):
        other = make_key(self.list.home, "stranger@example.net")
        post = encrypted_post(self.list.home, "bob@example.org", other, "x", "x\n", sign=False)
        inbound_id, state, outcome = self.post("dave-x@example.org", LIST, post)
        self.assertEqual(outcome, "undecryptable")
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual(len(rows), 1)
        body = bytes(rows[0][4])
        text = text_of(body)
        self.assertIn(self.list.fingerprint, text)
        self.assertIn("crew-sendkey@lists.test", text)

    def test_sendkey_answers_with_the_list_key_rate_limited(self):
        inbound_id, _, _ = self.post("someone@example.net", "crew-sendkey@lists.test",
                                     plain_post("someone@example.net", "key?", "\n"))
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual([r[3] for r in rows], ["someone@example.net"])
        self.assertIn(b"BEGIN PGP PUBLIC KEY BLOCK", bytes(rows[0][4]))
        inbound_id, _, _ = self.post("someone@example.net", "crew-sendkey@lists.test",
                                     plain_post("someone@example.net", "key?", "\n"))
        self.assertEqual(outbound(self.instance, "inbound_id = ?", (inbound_id,)), [])

    def test_owner_mail_goes_to_admins_encrypted(self):
        inbound_id, _, _ = self.post("someone@example.net", "crew-owner@lists.test",
                                     plain_post("someone@example.net", "question", "hello owners\n"))
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual([r[3] for r in rows], ["alice@example.org"])
        message = parse(rows[0][4])
        self.assertEqual(message.get_content_type(), "multipart/encrypted")
        ciphertext = message.get_payload()[1].get_payload(decode=True)
        forwarded = decrypt_gpg(self.list.home, ciphertext)
        self.assertIn(b"aGVsbG8gb3duZXJzCg==", forwarded)  # the mail as it arrived

    def test_request_help_is_answered_encrypted(self):
        post = encrypted_post(self.list.home, "bob@example.org", self.list.fingerprint,
                              "cmd", "help\n")
        inbound_id, _, _ = self.post("bob@example.org", "crew-request@lists.test", post)
        rows = outbound(self.instance, "inbound_id = ?", (inbound_id,))
        self.assertEqual([r[3] for r in rows], ["bob@example.org"])
        ciphertext = parse(rows[0][4]).get_payload()[1].get_payload(decode=True)
        self.assertIn("key update", text_of(decrypt_gpg(self.list.home, ciphertext)))


class KeylessTest(unittest.TestCase):
    def run_variant(self, mode):
        lst = ListWithMembers(members=MEMBERS[:2])
        try:
            lst.instance.cli("member", "add", LIST, "nokey@example.org", check=True)
            lst.instance.cli("list", "set", LIST, "keyless_members", mode, check=True)
            lst.serve()
            for _ in range(2):
                post = encrypted_post(lst.home, "alice@example.org", lst.fingerprint, "s", "b\n")
                send(lst.instance, "alice@example.org", LIST, post)
            wait_settled(lst.instance, 2)
            rows = outbound(lst.instance, "recipient = 'nokey@example.org'")
            lst.instance.stop()
            return rows
        finally:
            lst.close()

    def test_notify_once_per_day(self):
        rows = self.run_variant("notify")
        self.assertEqual(len(rows), 1)
        self.assertIn("your key is unusable", text_of(rows[0][4]).replace("=\r\n", ""))
        self.assertIn(b"multipart/signed", bytes(rows[0][4]))

    def test_plaintext_is_signed_not_encrypted(self):
        rows = self.run_variant("plaintext")
        self.assertEqual(len(rows), 2)
        data = bytes(rows[0][4])
        self.assertIn(b"multipart/signed", data)
        self.assertIn(b"Subject: [Crew] s", data)

    def test_skip(self):
        self.assertEqual(self.run_variant("skip"), [])


class CrashDuringExpansionTest(unittest.TestCase):
    def test_every_member_gets_exactly_one_copy_after_sigkill(self):
        members = [f"m{i:02d}@example.org" for i in range(12)]
        lst = ListWithMembers(members=members)
        try:
            config = lst.instance.config.read_text().replace(
                "[server]\n", "[server]\npipeline_batch = 2\n", 1)
            lst.instance.config.write_text(config)
            os.environ["LIFELINE_TEST_BATCH_PAUSE_MS"] = "400"
            try:
                lst.serve()
            finally:
                del os.environ["LIFELINE_TEST_BATCH_PAUSE_MS"]
            post = encrypted_post(lst.home, "m00@example.org", lst.fingerprint, "s", "b\n")
            send(lst.instance, "m00@example.org", LIST, post)
            wait_for(lambda: len(outbound(lst.instance)) >= 6, 60, "half the copies queued")
            lst.instance.kill()
            queued = len(outbound(lst.instance))
            self.assertLess(queued, 12)
            lst.instance.serve()
            wait_settled(lst.instance, 1)
            rows = outbound(lst.instance)
            self.assertEqual(sorted(r[3] for r in rows), sorted(members))
            self.assertIn("pipeline resume leased=1", lst.instance.log())
            self.assertIn("resumed=yes", lst.instance.log())
            lst.instance.stop()
        finally:
            lst.close()


if __name__ == "__main__":
    unittest.main()
