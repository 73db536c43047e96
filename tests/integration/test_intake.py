"""SMTP intake through the real daemon with real clients (swaks, smtplib, raw
sockets): replies, limits, STARTTLS, pipelining, smuggling, durability."""
import smtplib
import sqlite3
import subprocess
import threading
import time
import unittest

from harness import Instance, wait_for
from smtp_client import RawSmtp

LIST = "crew@lists.example.org"
MESSAGE = (b"From: alice@example.org\r\nTo: crew@lists.example.org\r\n"
           b"Subject: hello\r\nMessage-ID: <m1@example.org>\r\n\r\nbody line\r\n")

EXACT = MESSAGE.replace(b"m1@", b"exact@") + b"..dot-stuffed line\r\n".replace(b"..", b".")


def swaks(port, *args):
    return subprocess.run(["swaks", "-4", "--server", f"127.0.0.1:{port}",
                           "--from", "alice@example.org", *args],
                          capture_output=True, text=True, timeout=60)


def spooled(instance):
    with instance.db() as db:
        return db.execute("SELECT queue_id, mail_from, data FROM inbound ORDER BY id").fetchall()


def recipients_of(instance, queue_id):
    with instance.db() as db:
        return [row[0] for row in db.execute(
            "SELECT r.address FROM inbound_recipients r JOIN inbound i ON i.id = r.inbound_id "
            "WHERE i.queue_id = ? ORDER BY r.ordinal", (queue_id,))]


class IntakeTest(unittest.TestCase):
    EXTRA = ("[smtp]\nmax_message_size = 64K\nmax_sessions_per_ip = 30\n"
             "max_sessions = 40\n[server]\npipeline_workers = 1\n")

    @classmethod
    def setUpClass(cls):
        cls.instance = Instance(extra_config=cls.EXTRA.replace("[server]\npipeline_workers = 1\n",
                                                               ""))
        cls.instance.cli("list", "create", LIST, "--name", "Crew", check=True)
        cls.port = cls.instance.serve()["smtp"]

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        cls.instance.close()

    def test_swaks_plain_and_pipelined(self):
        for extra in ([], ["--pipeline"]):
            result = swaks(self.port, "--to", LIST, *extra)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertRegex(result.stdout, r"<-  250 2\.0\.0 Ok: queued as \w+")
        self.assertIn("PIPELINING", swaks(self.port, "--to", LIST).stdout)

    def test_unknown_recipient_is_refused_at_rcpt(self):
        result = swaks(self.port, "--to", "nobody@lists.example.org")
        self.assertIn("550 5.1.1", result.stdout)
        self.assertNotEqual(result.returncode, 0)

    def test_special_addresses_and_postmaster_accepted(self):
        for address in ["crew-request@lists.example.org", "crew-owner@lists.example.org",
                        "crew-sendkey@lists.example.org", "crew-bounces+abc123@lists.example.org",
                        "postmaster@lists.example.org", "CREW@Lists.Example.ORG"]:
            with RawSmtp(self.port) as smtp:
                smtp.reply()
                smtp.command(b"EHLO client.test")
                smtp.command(b"MAIL FROM:<>")
                self.assertTrue(smtp.command(b"RCPT TO:<" + address.encode() + b">")
                                .startswith(b"250 2.1.5"), address)

    def test_smtplib_message_is_spooled_byte_exact(self):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo("client.test")
            self.assertIn("size", client.esmtp_features)
            self.assertIn("8bitmime", client.esmtp_features)
            self.assertIn("enhancedstatuscodes", client.esmtp_features)
            self.assertIn("smtputf8", client.esmtp_features)
            refused = client.sendmail("alice@example.org", [LIST], EXACT)
            self.assertEqual(refused, {})
        rows = [row for row in spooled(self.instance) if b"exact@example.org" in row[2]]
        self.assertEqual(len(rows), 1)
        queue_id, mail_from, data = rows[0]
        self.assertEqual(mail_from, "alice@example.org")
        self.assertTrue(data.startswith(b"Received: from client.test"), data[:80])
        self.assertTrue(data.endswith(EXACT), data[-200:])
        self.assertEqual(recipients_of(self.instance, queue_id), [LIST])

    def test_oversized_message_refused_at_mail_and_in_data(self):
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo("client.test")
            self.assertEqual(int(client.esmtp_features["size"]), 64 * 1024)
            code, text = client.mail("alice@example.org", ["SIZE=999999"])
            self.assertEqual(code, 552)
            self.assertTrue(text.startswith(b"5.3.4"), text)
        before = len(spooled(self.instance))
        big = MESSAGE + b"x" * 70 + b"\r\n"
        big = big * 1200  # ~90 KB without a SIZE parameter
        with smtplib.SMTP("127.0.0.1", self.port, timeout=30) as client:
            client.ehlo("client.test")
            client.esmtp_features.pop("size")
            with self.assertRaises(smtplib.SMTPDataError) as raised:
                client.sendmail("alice@example.org", [LIST], big)
            self.assertEqual(raised.exception.smtp_code, 552)
            self.assertTrue(raised.exception.smtp_error.startswith(b"5.3.4"))
            self.assertEqual(client.noop()[0], 250, "session stays usable after 552")
        self.assertEqual(len(spooled(self.instance)), before)

    def test_101_recipients(self):
        with RawSmtp(self.port) as smtp:
            smtp.reply()
            smtp.command(b"EHLO client.test")
            smtp.command(b"MAIL FROM:<alice@example.org>")
            for n in range(100):
                self.assertTrue(smtp.command(f"RCPT TO:<crew-bounces+t{n}@lists.example.org>"
                                             .encode()).startswith(b"250"), n)
            self.assertTrue(smtp.command(b"RCPT TO:<crew@lists.example.org>")
                            .startswith(b"452 4.5.3"))
            self.assertTrue(smtp.command(b"DATA").startswith(b"354"))
            reply = smtp.command(MESSAGE + b".")
            self.assertTrue(reply.startswith(b"250 2.0.0"), reply)
        self.assertEqual(len(recipients_of(self.instance, reply.split()[-1].decode())), 100)

    def test_data_without_valid_recipient(self):
        with RawSmtp(self.port) as smtp:
            smtp.reply()
            smtp.command(b"EHLO client.test")
            smtp.command(b"MAIL FROM:<alice@example.org>")
            self.assertTrue(smtp.command(b"RCPT TO:<nobody@lists.example.org>")
                            .startswith(b"550 5.1.1"))
            self.assertTrue(smtp.command(b"DATA").startswith(b"554 5.5.1"))

    def test_vrfy_expn_and_unknown_verbs(self):
        with RawSmtp(self.port) as smtp:
            smtp.reply()
            self.assertTrue(smtp.command(b"VRFY crew").startswith(b"252 2.5.2"))
            self.assertTrue(smtp.command(b"EXPN crew").startswith(b"502 5.5.1"))
            self.assertTrue(smtp.command(b"FROB").startswith(b"500 5.5.2"))
            self.assertTrue(smtp.command(b"RCPT TO:<crew@lists.example.org>")
                            .startswith(b"503 5.5.1"))
            self.assertTrue(smtp.command(b"QUIT").startswith(b"221"))

    def test_smuggling_vectors_are_refused(self):
        # After DATA the client sends text with a bare-CR/LF "end of data"
        # followed by a smuggled transaction, then a real CRLF.CRLF. Only
        # CRLF.CRLF ends DATA: the whole thing is one message, refused for its
        # bare CR/LF, and the smuggled transaction never runs. "\r\r\n.\r\n"
        # does contain a real CRLF.CRLF: DATA ends there (550 for the bare CR
        # before it), and what follows is a new pipelined transaction, read
        # exactly as Postfix reads it.
        smuggled = (b"MAIL FROM:<evil@example.org>\r\nRCPT TO:<crew@lists.example.org>"
                    b"\r\nDATA\r\n")
        cases = [(b"\n.\n", [b"550 5.5.2"]), (b"\n.\r\n", [b"550 5.5.2"]),
                 (b"\r.\r", [b"550 5.5.2"]),
                 (b"\r\r\n.\r\n", [b"550 5.5.2", b"250 2.1.0", b"250 2.1.5", b"354", b"250 2.0.0"])]
        for vector, expected in cases:
            with RawSmtp(self.port) as smtp:
                smtp.reply()
                smtp.command(b"EHLO client.test")
                smtp.command(b"MAIL FROM:<alice@example.org>")
                smtp.command(b"RCPT TO:<crew@lists.example.org>")
                smtp.command(b"DATA")
                smtp.send(b"Subject: x\r\n\r\nhi" + vector + smuggled + b"x\r\n.\r\n")
                replies = [smtp.reply() for _ in expected]
                for reply, prefix in zip(replies, expected):
                    self.assertTrue(reply.startswith(prefix), (vector, replies))
                self.assertTrue(smtp.command(b"QUIT").startswith(b"221"), vector)
        stored = [row for row in spooled(self.instance) if b"Subject: x" in row[2]]
        self.assertEqual(stored, [], "no message with a bare CR/LF was stored")

    def test_pipelined_group_replies_in_order(self):
        with RawSmtp(self.port) as smtp:
            smtp.reply()
            smtp.command(b"EHLO client.test")
            smtp.send(b"MAIL FROM:<alice@example.org>\r\nRCPT TO:<nobody@lists.example.org>\r\n"
                      b"RCPT TO:<crew@lists.example.org>\r\nDATA\r\n")
            replies = [smtp.reply()[:3] for _ in range(4)]
            self.assertEqual(replies, [b"250", b"550", b"250", b"354"])
            smtp.send(MESSAGE + b".\r\nRSET\r\nNOOP\r\nQUIT\r\n")
            replies = [smtp.reply()[:3] for _ in range(4)]
            self.assertEqual(replies, [b"250", b"250", b"250", b"221"])

    def test_client_stopping_mid_data_loses_nothing_else(self):
        before = len(spooled(self.instance))
        smtp = RawSmtp(self.port)
        smtp.reply()
        smtp.command(b"EHLO client.test")
        smtp.command(b"MAIL FROM:<alice@example.org>")
        smtp.command(b"RCPT TO:<crew@lists.example.org>")
        smtp.command(b"DATA")
        smtp.send(b"Subject: half\r\n\r\nhalf a mess")
        smtp.close()
        time.sleep(0.3)
        self.assertEqual(len(spooled(self.instance)), before, "a partial message is not stored")
        self.assertEqual(swaks(self.port, "--to", LIST).returncode, 0, "daemon still serves")

    def test_twenty_concurrent_clients(self):
        before = len(spooled(self.instance))
        outcomes = []
        lock = threading.Lock()

        def send(n):
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=60) as client:
                    client.sendmail("alice@example.org", [LIST],
                                    MESSAGE.replace(b"m1@", f"c{n}@".encode()))
                result = "ok"
            except Exception as error:  # noqa: BLE001 - recorded and asserted below
                result = repr(error)
            with lock:
                outcomes.append(result)

        threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(outcomes, ["ok"] * 20)
        self.assertEqual(len(spooled(self.instance)), before + 20)


class StartTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.instance = Instance()
        cert, key = cls.instance.dir / "cert.pem", cls.instance.dir / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=lists.test", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
        with open(cls.instance.config, "a") as config:
            config.write(f"[smtp]\ntls_cert = {cert}\ntls_key = {key}\n")
        cls.instance.cli("list", "create", LIST, check=True)
        cls.port = cls.instance.serve()["smtp"]

    @classmethod
    def tearDownClass(cls):
        cls.instance.stop()
        cls.instance.close()

    def test_swaks_starttls(self):
        result = swaks(self.port, "--to", LIST, "--tls")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("TLS started", result.stdout)
        self.assertRegex(result.stdout, r" ~> EHLO")
        after_tls = result.stdout.split("TLS started", 1)[1]
        self.assertNotIn("STARTTLS", after_tls, "not offered again inside TLS")
        self.assertRegex(result.stdout, r"<~  250 2\.0\.0 Ok: queued as")
        (data,) = [row[2] for row in spooled(self.instance)][-1:]
        self.assertIn(b"with ESMTPS", data)

    def test_swaks_starttls_pipelined(self):
        result = swaks(self.port, "--to", LIST, "--tls", "--pipeline")
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def test_plaintext_after_starttls_is_refused(self):
        with RawSmtp(self.port) as smtp:
            smtp.reply()
            self.assertIn(b"STARTTLS", smtp.command(b"EHLO client.test"))
            smtp.send(b"STARTTLS\r\nMAIL FROM:<evil@example.org>\r\n")
            reply = smtp.reply()
            self.assertFalse(reply.startswith(b"220"), reply)
            self.assertTrue(reply.startswith(b"421"), reply)


class DurabilityTest(unittest.TestCase):
    def test_message_acknowledged_before_sigkill_is_there_after_restart(self):
        with Instance() as instance:
            instance.cli("list", "create", LIST, check=True)
            port = instance.serve()["smtp"]
            with RawSmtp(port) as smtp:
                smtp.reply()
                smtp.command(b"EHLO client.test")
                smtp.command(b"MAIL FROM:<alice@example.org>")
                smtp.command(b"RCPT TO:<crew@lists.example.org>")
                smtp.command(b"DATA")
                reply = smtp.command(MESSAGE + b".")
                instance.kill()  # at once, after the 250
            self.assertTrue(reply.startswith(b"250 2.0.0 Ok: queued as "), reply)
            queue_id = reply.split()[-1].decode()
            instance.serve()
            with instance.db() as db:
                row = db.execute("SELECT data FROM inbound WHERE queue_id = ?",
                                 (queue_id,)).fetchone()
            self.assertIsNotNone(row, "the acknowledged message survived SIGKILL")
            self.assertTrue(row[0].endswith(MESSAGE))
            instance.stop()

    def test_failing_spool_answers_451_not_250(self):
        # Another process holds the database's write lock for longer than the
        # store's busy timeout: the spool cannot commit, so the client must
        # get 451 4.3.0 and nothing may be stored.
        with Instance() as instance:
            instance.cli("list", "create", LIST, check=True)
            port = instance.serve()["smtp"]
            blocker = sqlite3.connect(str(instance.data_dir / "lifeline.db"), timeout=1,
                                      isolation_level=None)
            blocker.execute("BEGIN EXCLUSIVE")
            try:
                with RawSmtp(port, timeout=30) as smtp:
                    smtp.reply()
                    smtp.command(b"EHLO client.test")
                    smtp.command(b"MAIL FROM:<alice@example.org>")
                    smtp.command(b"RCPT TO:<crew@lists.example.org>")
                    smtp.command(b"DATA")
                    reply = smtp.command(MESSAGE + b".")
            finally:
                blocker.execute("ROLLBACK")
                blocker.close()
            self.assertTrue(reply.startswith(b"451 4.3.0"), reply)
            self.assertEqual(spooled(instance), [])
            instance.stop()
            self.assertIn("smtp store_failed", instance.log())


class ShutdownTest(unittest.TestCase):
    def test_sigterm_lets_data_finish_and_421s_idle_sessions(self):
        with Instance() as instance:
            instance.cli("list", "create", LIST, check=True)
            port = instance.serve()["smtp"]
            idle = RawSmtp(port)
            idle.reply()
            idle.command(b"EHLO idle.test")
            busy = RawSmtp(port)
            busy.reply()
            busy.command(b"EHLO busy.test")
            busy.command(b"MAIL FROM:<alice@example.org>")
            busy.command(b"RCPT TO:<crew@lists.example.org>")
            busy.command(b"DATA")
            busy.send(b"Subject: in flight\r\n\r\nfirst half ")
            instance.process.send_signal(__import__("signal").SIGTERM)
            time.sleep(0.5)
            busy.send(b"second half\r\n.\r\n")
            self.assertTrue(busy.reply().startswith(b"250 2.0.0"))
            self.assertTrue(idle.reply().startswith(b"421"))
            instance.process.wait(timeout=15)
            idle.close()
            busy.close()


class ConnectionLimitTest(unittest.TestCase):
    def test_per_ip_limit_answers_421(self):
        with Instance(extra_config="[smtp]\nmax_sessions_per_ip = 2\n") as instance:
            instance.cli("list", "create", LIST, check=True)
            port = instance.serve()["smtp"]
            first, second = RawSmtp(port), RawSmtp(port)
            first.reply()
            second.reply()
            third = RawSmtp(port)
            self.assertTrue(third.reply().startswith(b"421 4.7.0"))
            for smtp in (first, second, third):
                smtp.close()
            instance.stop()


if __name__ == "__main__":
    unittest.main()
