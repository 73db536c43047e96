"""Outbound delivery through the real daemon to real SMTP peers on loopback:
Postfix's smtp-sink (and its faults) and a scripted relay for exact
sequences; retries, failures, the queue commands, TLS, AUTH and a crash."""
import ssl
import tempfile
import time
import unittest

from harness import Instance, wait_for
from relays import ScriptedRelay, Sink, make_certificate

LIST_FROM = "crew-bounces+{tag}@lists.test"


def relay_config(port, **extra):
    settings = {"host": "127.0.0.1", "port": port, "retry_initial": 1, "retry_max": 2,
                "connections": 2, "starttls": "off"}
    settings.update(extra)
    return "[relay]\n" + "".join(f"{k} = {v}\n" for k, v in settings.items())


def message(index, size=0):
    body = f"copy {index}\r\n" + ("x" * 70 + "\r\n") * (size // 72)
    # A leading dot must survive the trip (dot-stuffing on the wire).
    return (f"From: Crew <crew@lists.test>\r\nTo: m{index}@members.test\r\n"
            f"Subject: [Crew] copy {index}\r\nMessage-ID: <{index}@lists.test>\r\n\r\n"
            f".leading dot\r\n{body}").encode()


def enqueue(instance, count, start=0, size=0, member=True):
    """Queues copies as the pipeline does (one row per recipient)."""
    instance.cli("queue", "show", check=True)  # creates and migrates the database
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with instance.db() as db:
        db.executemany(
            "INSERT INTO outbound (list_id, inbound_id, member_id, envelope_from, recipient, "
            "data, state, attempts, next_attempt_at, claimed_until, created_at, updated_at) "
            "VALUES (NULL, NULL, ?, ?, ?, ?, 'queued', 0, 0, 0, ?, ?)",
            [((i if member else None), LIST_FROM.format(tag=f"t{i}"), f"m{i}@members.test",
              message(i, size), stamp, stamp) for i in range(start, start + count)])


def states(instance):
    with instance.db() as db:
        return dict(db.execute("SELECT state, COUNT(*) FROM outbound GROUP BY state").fetchall())


def rows(instance):
    with instance.db() as db:
        return db.execute("SELECT id, state, attempts, last_code, last_enhanced, last_reply "
                          "FROM outbound ORDER BY id").fetchall()


class SinkDeliveryTest(unittest.TestCase):
    def test_delivers_each_copy_once_with_its_envelope(self):
        with Sink() as sink, Instance(relay_config(sink.port)) as instance:
            enqueue(instance, 50)
            instance.serve()
            wait_for(lambda: states(instance).get("delivered") == 50, 60, "50 delivered")
            instance.stop()
            messages = sink.messages()
            self.assertEqual(sorted(r for _, rcpts, _ in messages for r in rcpts),
                             sorted(f"m{i}@members.test" for i in range(50)))
            for mail_from, rcpts, data in messages:
                index = int(rcpts[0][1:].split("@")[0])
                self.assertEqual(mail_from, LIST_FROM.format(tag=f"t{index}"))  # VERP
                self.assertIn(b"\n.leading dot\n", data)  # unstuffed by the sink
            self.assertEqual({r[3] for r in rows(instance)}, {250})
            with instance.db() as db:  # a delivered copy's bytes are gone
                self.assertEqual(db.execute("SELECT COUNT(*) FROM outbound WHERE data IS NOT NULL")
                                 .fetchone()[0], 0)
            shown = instance.cli("queue", "show", check=True).stdout
            self.assertIn("delivered 50", shown)
            self.assertIn("delivery delivered", instance.log())

    def test_hard_reject_fails_at_once(self):
        with Sink("-f", "RCPT") as sink, Instance(relay_config(sink.port)) as instance:
            enqueue(instance, 3)
            instance.serve()
            wait_for(lambda: states(instance).get("failed") == 3, 30, "3 failed")
            instance.stop()
            for _, state, attempts, code, enhanced, _ in rows(instance):
                self.assertEqual((state, attempts, code, enhanced), ("failed", 1, 500, "5.3.0"))
            shown = instance.cli("queue", "show", check=True).stdout
            self.assertRegex(shown, r"3\s+failed\s+500 5.3.0")

    def test_soft_reject_retries_then_delivers(self):
        with Sink("-r", "RCPT") as sink, Instance(relay_config(sink.port)) as instance:
            enqueue(instance, 4)
            instance.serve()
            wait_for(lambda: all(r[2] >= 2 for r in rows(instance)), 30, "two attempts each")
            self.assertEqual(states(instance), {"queued": 4})
            self.assertEqual({r[3] for r in rows(instance)}, {450})
            sink.stop()
            port = sink.port
            with Sink(port=port) as good:
                wait_for(lambda: states(instance).get("delivered") == 4, 30, "delivered")
                self.assertEqual(len(good.recipients()), 4)
            instance.stop()

    def test_dropped_connection_and_421_and_slow_replies_are_retried(self):
        # -q DATA: disconnect without a reply; -Q MAIL: 421; -W: a relay slower
        # than command_timeout (EHLO) or data_timeout (the final dot). Each is
        # a temporary failure, never a loss.
        for options, extra in ((("-q", "DATA"), {}), (("-Q", "MAIL"), {}),
                               (("-W", "EHLO:3"), {"command_timeout": 1}),
                               (("-W", ".:3"), {"data_timeout": 1})):
            with self.subTest(options=options):
                with Sink(*options) as sink, \
                        Instance(relay_config(sink.port, **extra)) as instance:
                    enqueue(instance, 2)
                    instance.serve()
                    wait_for(lambda: all(r[2] >= 1 for r in rows(instance)), 30, "an attempt")
                    taken = instance.stop()
                    self.assertLess(taken, 5)
                    self.assertEqual(states(instance), {"queued": 2})
                    if options[1] != ".:3":  # there the sink has it, we do not know
                        self.assertEqual(sink.recipients(), [])

    def test_queue_lifetime_then_failed(self):
        with Sink("-r", "RCPT") as sink, \
                Instance(relay_config(sink.port, queue_lifetime=60)) as instance:
            enqueue(instance, 1)
            with instance.db() as db:  # enqueued long ago
                db.execute("UPDATE outbound SET created_at = '2020-01-01T00:00:00Z'")
            instance.serve()
            wait_for(lambda: states(instance).get("failed") == 1, 30, "expired")
            instance.stop()
            self.assertIn("queue lifetime exceeded", rows(instance)[0][5])

    def test_queue_retry_and_purge(self):
        with Sink("-f", "RCPT") as sink, Instance(relay_config(sink.port)) as instance:
            enqueue(instance, 2)
            instance.serve()
            wait_for(lambda: states(instance).get("failed") == 2, 30, "failed")
            instance.stop()
            first, second = [r[0] for r in rows(instance)]
            refused = instance.cli("queue", "purge", first)
            self.assertEqual(refused.returncode, 1)
            self.assertIn("--yes", refused.stderr)
            self.assertEqual(instance.cli("queue", "purge", first, "--yes").returncode, 0)
            self.assertEqual(instance.cli("queue", "purge", first, "--yes").returncode, 1)
            self.assertEqual(instance.cli("queue", "purge", "x").returncode, 2)
            out = instance.cli("queue", "retry", second, check=True).stdout
            self.assertIn("1 copy due now", out)
            self.assertEqual(states(instance), {"queued": 1})
            audit = instance.cli("audit", "show", check=True).stdout
            self.assertIn("queue.purge", audit)
            self.assertIn("queue.retry", audit)

    def test_kill_mid_delivery_sends_each_copy_once_at_most_in_flight_twice(self):
        connections = 2
        with Sink() as sink, \
                Instance(relay_config(sink.port, connections=connections)) as instance:
            enqueue(instance, 1000)
            instance.serve()
            wait_for(lambda: len(sink.recipients()) >= 150, 60, "150 at the sink")
            instance.kill()
            self.assertLess(len(sink.recipients()), 1000, "too fast to kill mid-run")
            instance.serve()
            wait_for(lambda: states(instance).get("delivered") == 1000, 120, "all delivered")
            instance.stop()
            received = sink.recipients()
            self.assertEqual(set(received), {f"m{i}@members.test" for i in range(1000)})
            self.assertLessEqual(len(received) - 1000, connections)


class ScriptedRelayTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.TemporaryDirectory(prefix="certs-")
        cls.good_cert, cls.good_key = make_certificate(cls.certs.name, "good")
        cls.bad_cert, cls.bad_key = make_certificate(cls.certs.name, "bad", hosts=("other.test",),
                                                     ips=())

    @classmethod
    def tearDownClass(cls):
        cls.certs.cleanup()

    def context(self, cert, key):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(cert), str(key))
        return context

    def deliver(self, relay, count=1, **config):
        with Instance(relay_config(relay.port, **config)) as instance:
            enqueue(instance, count)
            instance.serve()
            wait_for(lambda: all(r[2] >= 1 for r in rows(instance)), 30, "an attempt")
            instance.stop()
            return rows(instance), instance.log()

    def test_starttls_used_when_offered(self):
        with ScriptedRelay(starttls=True,
                           tls_context=self.context(self.good_cert, self.good_key)) as relay:
            result, _ = self.deliver(relay, starttls="auto")
            self.assertEqual(result[0][1], "delivered")
            self.assertTrue(relay.messages[0]["tls"])

    def test_starttls_not_offered(self):
        with ScriptedRelay(starttls=False) as relay:
            result, _ = self.deliver(relay, starttls="auto")
            self.assertEqual(result[0][1], "delivered")
            self.assertFalse(relay.messages[0]["tls"])
        with ScriptedRelay(starttls=False) as relay:
            result, _ = self.deliver(relay, starttls="required")
            self.assertEqual(result[0][1], "queued")
            self.assertIn("does not offer STARTTLS", result[0][5])
            self.assertNotIn("MAIL", " ".join(relay.lines))

    def test_bad_certificate_with_starttls_required_gets_nothing(self):
        with ScriptedRelay(starttls=True,
                           tls_context=self.context(self.bad_cert, self.bad_key)) as relay:
            result, _ = self.deliver(relay, starttls="required", ca_file=self.bad_cert)
            self.assertEqual(result[0][1], "queued")
            self.assertIn("TLS", result[0][5])
            self.assertEqual(relay.messages, [])
            self.assertFalse(any(line.startswith("MAIL") for line in relay.lines))
        with ScriptedRelay(starttls=True,
                           tls_context=self.context(self.good_cert, self.good_key)) as relay:
            # A valid certificate, but not from a CA we trust (the system's).
            result, _ = self.deliver(relay, starttls="required")
            self.assertEqual(result[0][1], "queued")
            self.assertEqual(relay.messages, [])

    def test_auth_required_over_verified_tls(self):
        with tempfile.NamedTemporaryFile("w", suffix=".pw") as password:
            password.write("s3cret\n")
            password.flush()
            with ScriptedRelay(starttls=True, auth=("lists", "s3cret"),
                               tls_context=self.context(self.good_cert, self.good_key)) as relay:
                result, log = self.deliver(relay, starttls="auto", ca_file=self.good_cert,
                                           username="lists", password_file=password.name,
                                           host="localhost")
                self.assertEqual(result[0][1], "delivered", result)
                self.assertTrue(relay.messages[0]["authenticated"])
                self.assertNotIn("s3cret", log)
            with ScriptedRelay(starttls=False, auth=("lists", "s3cret")) as relay:
                result, _ = self.deliver(relay, starttls="auto", username="lists",
                                         password_file=password.name)
                self.assertEqual(result[0][1], "queued")  # never AUTH in clear
                self.assertFalse(any(line.startswith("AUTH") for line in relay.lines))

    def test_421_mid_session_and_reconnect(self):
        with ScriptedRelay(close_421_after=2) as relay:
            with Instance(relay_config(relay.port, connections=1)) as instance:
                enqueue(instance, 5)
                instance.serve()
                wait_for(lambda: states(instance).get("delivered") == 5, 30, "all delivered")
                instance.stop()
            self.assertEqual(len(relay.messages), 5)
            self.assertGreaterEqual(relay.connections, 3)

    def test_452_at_rcpt_is_deferred(self):
        with ScriptedRelay(rcpt_reply="452 4.5.3 Error: too many recipients") as relay:
            result, _ = self.deliver(relay, count=2, connections=1)
            self.assertEqual([(r[1], r[3], r[4]) for r in result],
                             [("queued", 452, "4.5.3")] * 2)
            # Same connection reused: RSET before the second transaction.
            self.assertIn("RSET", relay.lines)
            self.assertEqual(relay.connections, 1)


if __name__ == "__main__":
    unittest.main()
