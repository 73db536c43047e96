"""Bounces through the real daemon: a post is delivered to smtp-sink with a
VERP envelope sender; a DSN sent back to that address scores the member (a
delayed one does not); a bounce nobody can be found for goes, encrypted, to
the list's admins and nothing goes back to its sender; a relay's 5xx counts
as a bounce; failed deliveries reach the admins as one summary a day."""
import re
import smtplib
import time
import unittest

from harness import FIXTURES, wait_for
from pipeline_support import (LIST, crlf, decrypt_gpg, encrypted_post, inbound_states, outbound,
                              parse, text_of)
from relays import Sink
from test_pipeline import ListWithMembers

ADMIN = "alice@example.org"
MEMBER = "bob@example.org"
MEMBERS = [ADMIN, MEMBER]
VERP = re.compile(r"crew-bounces\+([A-Za-z0-9]+)@lists\.test")


def relay_config(port):
    return (f"[relay]\nhost = 127.0.0.1\nport = {port}\nstarttls = off\nretry_initial = 1\n"
            "retry_max = 2\nconnections = 2\n[bounce]\ntick_interval = 1\n")


def dsn(name, to, final_recipient):
    """A DSN fixture readdressed to `to`, about `final_recipient`."""
    text = (FIXTURES / "dsn" / name).read_text()
    text = re.sub(r"(?m)^To: .*$", f"To: {to}", text, count=1)
    text = re.sub(r"(?m)^Final-Recipient: rfc822; ?.*$", f"Final-Recipient: rfc822; {final_recipient}",
                  text)
    return crlf(text.encode())


def send_from(instance, mail_from, rcpt, data):
    with smtplib.SMTP("127.0.0.1", instance.ports["smtp"], timeout=30) as client:
        client.sendmail(mail_from, [rcpt], data)


def member_row(instance, email):
    with instance.db() as db:
        return db.execute("SELECT id, bounce_score, state FROM members WHERE email = ?",
                          (email,)).fetchone()


def audit(instance, action):
    with instance.db() as db:
        return db.execute("SELECT actor, target, detail FROM audit_log WHERE action = ?",
                          (action,)).fetchall()


def inbound_outcomes(instance):
    with instance.db() as db:
        return db.execute("SELECT state, outcome FROM inbound ORDER BY id").fetchall()


def post(lst, subject="Bounce test"):
    data = encrypted_post(lst.home, ADMIN, lst.fingerprint, subject, "Hello.\n")
    send_from(lst.instance, ADMIN, LIST, crlf(data))


def read_encrypted(home, data):
    """The text a reader sees in a PGP/MIME message for a key in `home`."""
    self_check = parse(bytes(data))
    assert self_check.get_content_type() == "multipart/encrypted", self_check.get_content_type()
    ciphertext = self_check.get_payload()[1].get_payload(decode=True)
    return text_of(decrypt_gpg(home, ciphertext))


class BounceTest(unittest.TestCase):
    def setUp(self):
        self.sink = Sink()
        self.list = ListWithMembers(MEMBERS, relay_config(self.sink.port),
                                    roles={ADMIN: "admin"})
        self.list.serve()

    def tearDown(self):
        self.list.instance.stop(timeout=30)
        self.list.close()
        self.sink.close()

    def delivered_tag(self):
        """Posts once; returns the VERP tag of the member's delivered copy."""
        post(self.list)
        wait_for(lambda: MEMBER in self.sink.recipients(), 60, "the member's copy at the sink")
        envelope = [m for m, rcpts, _ in self.sink.messages() if MEMBER in rcpts][0]
        match = VERP.fullmatch(envelope)
        self.assertIsNotNone(match, envelope)
        tag = match.group(1)
        self.assertNotIn("bob", tag.lower())  # opaque: not the address
        self.assertNotIn("example", tag.lower())
        return tag

    def test_dsn_to_the_verp_address_scores_the_member_and_a_delayed_one_does_not(self):
        instance = self.list.instance
        tag = self.delivered_tag()
        address = f"crew-bounces+{tag}@lists.test"
        send_from(instance, "", address, dsn("delayed.eml", address, MEMBER))
        wait_for(lambda: ("done", "bounce:not-counted") in inbound_outcomes(instance), 30,
                 "the delayed DSN processed")
        self.assertEqual(member_row(instance, MEMBER)[1], 0)
        send_from(instance, "", address, dsn("postfix.eml", address, MEMBER))
        wait_for(lambda: member_row(instance, MEMBER)[1] == 1, 30, "bounce score 1")
        self.assertIn(("done", "bounce:counted"), inbound_outcomes(instance))
        entries = audit(instance, "bounce.count")
        self.assertEqual(len(entries), 1)
        self.assertEqual(entries[0][0], "system:bounces")
        self.assertEqual(entries[0][1], MEMBER)
        self.assertIn("dsn status=5.1.1", entries[0][2])
        self.assertEqual(member_row(instance, ADMIN)[1], 0)
        # Bounces are never answered: nothing was queued for them.
        bounce_ids = [r[0] for r in self._inbound_ids()[1:]]
        for inbound_id in bounce_ids:
            self.assertEqual(outbound(instance, "inbound_id = ?", (inbound_id,)), [])
        log = instance.log()
        self.assertRegex(log, r"pipeline bounce id=\S+ list=crew@lists.test tag=yes "
                              r"verdict=counted")
        self.assertNotIn(tag, log)  # the tag is a token: never logged

    def _inbound_ids(self):
        with self.list.instance.db() as db:
            return db.execute("SELECT id FROM inbound ORDER BY id").fetchall()

    def test_unattributable_bounces_go_to_the_admins_never_to_the_sender(self):
        instance = self.list.instance
        sender = "postmaster@odd.test"
        send_from(instance, sender, "crew-bounces@lists.test",
                  dsn("unparseable.eml", "crew-bounces@lists.test", MEMBER))
        send_from(instance, sender, "crew-bounces+nosuchtag@lists.test",
                  dsn("postfix.eml", "crew-bounces+nosuchtag@lists.test", MEMBER))
        wait_for(lambda: len(inbound_states(instance)) == 2 and
                 all(s == "done" for s in inbound_states(instance)), 30, "both bounces processed")
        self.assertEqual([o for _, o in inbound_outcomes(instance)], ["bounce:forwarded"] * 2)
        forwards = outbound(instance, "recipient = ?", (ADMIN,))
        self.assertEqual(len(forwards), 2)
        for _, member_id, envelope_from, _, data, _ in forwards:
            self.assertEqual(envelope_from, "")  # the null sender: no bounce loop
            self.assertEqual(member_id, member_row(instance, ADMIN)[0])
        # Only the admin: never the sender, never other members.
        self.assertEqual({r[3] for r in outbound(instance)}, {ADMIN})
        def at_sink():
            return [data for _, rcpts, data in self.sink.messages() if ADMIN in rcpts]
        wait_for(lambda: len(at_sink()) == 2, 30, "both forwards delivered")
        for data in at_sink():
            message = parse(data)
            self.assertEqual(message.get_content_type(), "multipart/encrypted")
            self.assertEqual(message["Subject"], "...")
            ciphertext = message.get_payload()[1].get_payload(decode=True)
            plain = decrypt_gpg(self.list.home, ciphertext)
            text = text_of(plain)
            self.assertIn("could not be matched to a member", text)
            self.assertIn("nothing was sent", text)
            self.assertIn(b"crew-bounces", plain)  # the bounce itself, attached
        self.assertEqual(member_row(instance, MEMBER)[1], 0)
        self.assertEqual(audit(instance, "bounce.count"), [])


class DisableTest(unittest.TestCase):
    def test_disabled_member_is_warned_encrypted_and_admins_told(self):
        sink = Sink()
        lst = ListWithMembers(MEMBERS, relay_config(sink.port) + "score_threshold = 1\n",
                              roles={ADMIN: "admin"})
        try:
            lst.serve()
            instance = lst.instance
            post(lst)
            wait_for(lambda: MEMBER in sink.recipients(), 60, "the member's copy at the sink")
            envelope = [m for m, rcpts, _ in sink.messages() if MEMBER in rcpts][0]
            address = VERP.fullmatch(envelope).group(0)
            send_from(instance, "", address, dsn("exim.eml", address, MEMBER))
            wait_for(lambda: member_row(instance, MEMBER)[2] == "disabled", 30, "disabled")
            self.assertEqual(len(audit(instance, "bounce.disable")), 1)

            def notices(recipient):
                return [data for _, rcpts, data in sink.messages()
                        if recipient in rcpts and b"bounces" in data and
                        b"Auto-Submitted: auto-generated" in data]
            wait_for(lambda: notices(MEMBER) and notices(ADMIN), 30, "warning and admin notice")
            warning = parse(notices(MEMBER)[0])
            self.assertEqual(warning["Subject"], "...")
            ciphertext = warning.get_payload()[1].get_payload(decode=True)
            plain = decrypt_gpg(lst.home, ciphertext)
            self.assertIn(b"multipart/signed", plain)  # signed by the list, then encrypted
            self.assertIn("This is warning 1 of 3", text_of(plain))
            self.assertIn(f"Delivery of {LIST} to {MEMBER} is disabled",
                          read_encrypted(lst.home, notices(ADMIN)[0]))
            # Later posts skip the disabled member.
            before = sink.recipients().count(MEMBER)
            post(lst, "After")
            wait_for(lambda: inbound_states(instance).count("done") == 3, 30, "second post")
            time.sleep(1)
            self.assertEqual(sink.recipients().count(MEMBER), before)
            instance.stop(timeout=30)
        finally:
            lst.close()
            sink.close()


class RelayRefusalTest(unittest.TestCase):
    def test_relay_5xx_counts_and_failures_are_summarised_once_a_day(self):
        with Sink("-f", "RCPT") as sink:
            lst = ListWithMembers(MEMBERS, relay_config(sink.port), roles={ADMIN: "admin"})
            try:
                lst.serve()
                instance = lst.instance
                post(lst)
                wait_for(lambda: member_row(instance, MEMBER)[1] == 1, 60, "bounce score 1")
                entries = [e for e in audit(instance, "bounce.count") if e[1] == MEMBER]
                self.assertEqual(len(entries), 1)
                self.assertRegex(entries[0][2], r"relay 5\d\d 5\.\d+\.\d+")

                def summaries():
                    return [r for r in outbound(instance, "recipient = ? AND inbound_id IS NULL",
                                                (ADMIN,))]
                wait_for(lambda: len(summaries()) == 1, 30, "one failed-delivery summary")
                self.assertEqual(summaries()[0][2], "crew-bounces@lists.test")
                text = read_encrypted(lst.home, summaries()[0][4])
                self.assertIn("could not be delivered in the last day", text)
                self.assertIn(MEMBER, text)
                self.assertRegex(text, r"5\d\d 5\.\d+\.\d+")  # the relay's reply
                # More failures the same day: no second summary.
                post(lst, "Second")

                def settled():
                    with instance.db() as db:
                        queued = db.execute("SELECT COUNT(*) FROM outbound WHERE state = 'queued'"
                                            ).fetchone()[0]
                    return queued == 0 and inbound_states(instance) == ["done", "done"]
                wait_for(settled, 60, "the second post's copies failed")
                time.sleep(3)  # three more ticks
                self.assertEqual(len(summaries()), 1)
                self.assertIn("delivery summary lists=1", instance.log())
                instance.stop(timeout=30)
            finally:
                lst.close()


if __name__ == "__main__":
    unittest.main()
