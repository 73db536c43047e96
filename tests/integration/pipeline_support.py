"""Helpers for the pipeline tests: member keys made once per test class,
PGP/MIME posts built like GnuPG-based clients build them, and reading each
member's copy back from the outbound queue."""
import email
import email.policy
import smtplib
import subprocess
import time
from email.mime.application import MIMEApplication
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from harness import GnupgHome, wait_for

LIST = "crew@lists.test"


def make_key(home, address):
    """ed25519 signing + cv25519 encryption key for address; returns fingerprint."""
    home.gpg("--quick-gen-key", address, "future-default", "default", "never")
    listing = home.gpg("--with-colons", "--list-keys", address).stdout.decode()
    return [line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:")][0]


def export(home, fingerprint, secret=False):
    return home.gpg("--armor", "--export-secret-keys" if secret else "--export",
                    fingerprint).stdout


def inner_entity(subject, body, attachment=None):
    """A Thunderbird-style protected-headers entity: the real subject inside."""
    inner = MIMEMultipart("mixed")
    inner.set_param("protected-headers", "v1")
    inner["Subject"] = subject
    inner.attach(MIMEText(body, "plain", "utf-8"))
    if attachment is not None:
        part = MIMEApplication(attachment, "octet-stream", Name="data.bin")
        part["Content-Disposition"] = 'attachment; filename="data.bin"'
        inner.attach(part)
    return inner.as_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def pgp_mime_encrypted(home, entity, list_fpr, signer=None):
    """`entity` encrypted to the list key (and signed by `signer`, a key id or
    address, if given) as an RFC 3156 multipart/encrypted, without headers."""
    args = ["--armor", "--encrypt", "--trust-model", "always", "-r", list_fpr]
    if signer is not None:
        args += ["--sign", "-u", signer]
    ciphertext = home.gpg(*args, input=entity).stdout
    outer = MIMEMultipart("encrypted", protocol="application/pgp-encrypted")
    version = MIMEBase("application", "pgp-encrypted")
    version.set_payload("Version: 1\n")
    data = MIMEBase("application", "octet-stream", name="encrypted.asc")
    data.set_payload(ciphertext.decode())
    outer.attach(version)
    outer.attach(data)
    return outer


def encrypted_post(home, sender, list_fpr, subject, body, attachment=None, sign=True,
                   extra_headers=()):
    outer = pgp_mime_encrypted(home, inner_entity(subject, body, attachment), list_fpr,
                               sender if sign else None)
    outer["From"] = f"Alice <{sender}>"
    outer["To"] = LIST
    outer["Subject"] = "..."
    outer["Message-ID"] = f"<{time.time_ns()}@client.example>"
    outer["User-Agent"] = "Secret Client 1.0"
    outer["X-Mailer"] = "Secret Mailer"
    outer["X-Originating-IP"] = "[192.0.2.7]"
    outer["Received"] = "from laptop (192.0.2.7) by mx.example"
    for name, value in extra_headers:
        outer[name] = value
    return outer.as_bytes()


def plain_post(sender, subject, body, extra_headers=()):
    message = MIMEText(body, "plain", "utf-8")
    message["From"] = sender
    message["To"] = LIST
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}@client.example>"
    for name, value in extra_headers:
        message[name] = value
    return message.as_bytes()


def crlf(data):
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def send(instance, mail_from, rcpt, data):
    data = crlf(data)
    with smtplib.SMTP("127.0.0.1", instance.ports["smtp"], timeout=30) as client:
        client.sendmail(mail_from, [rcpt], data)


def inbound_states(instance):
    with instance.db() as db:
        return [row[0] for row in db.execute("SELECT state FROM inbound ORDER BY id")]


def wait_settled(instance, count, timeout=60):
    """Waits until `count` inbound messages have left new/processing."""
    def settled():
        states = inbound_states(instance)
        return len(states) >= count and all(s not in ("new", "processing") for s in states)
    wait_for(settled, timeout, f"{count} inbound messages processed")


def outbound(instance, where="1=1", args=()):
    with instance.db() as db:
        return db.execute("SELECT id, member_id, envelope_from, recipient, data, inbound_id "
                          f"FROM outbound WHERE {where} ORDER BY id", args).fetchall()


def parse(data):
    return email.message_from_bytes(bytes(data), policy=email.policy.compat32)


def decrypt_gpg(home, ciphertext):
    result = home.gpg("--decrypt", input=ciphertext)
    return result.stdout


def decrypt_sq(secret_key_path, ciphertext):
    result = subprocess.run(["sq", "decrypt", "--recipient-key", str(secret_key_path)],
                            input=ciphertext, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"sq decrypt: {result.stderr.decode()}")
    return result.stdout


def key_ids(home, ciphertext):
    """Every public-key encrypted session key packet's key id."""
    listing = home.gpg("--list-packets", input=ciphertext, check=False).stdout.decode()
    return [line.split("keyid ")[1].split()[0] for line in listing.splitlines()
            if line.startswith(":pubkey enc packet:")]


def split_signed(entity_bytes):
    """(signed bytes, armored signature) of a multipart/signed entity, byte-exact."""
    message = parse(entity_bytes)
    boundary = message.get_param("boundary").encode()
    delimiter = b"--" + boundary
    start = entity_bytes.index(delimiter + b"\r\n") + len(delimiter) + 2
    end = entity_bytes.index(b"\r\n" + delimiter, start)
    signed = entity_bytes[start:end]
    signature = message.get_payload()[1].get_payload(decode=True)
    return signed, signature


def text_of(data):
    """Every leaf of a message decoded and joined: for checking what a reader sees."""
    out = []
    for part in parse(data).walk():
        if part.is_multipart() or part.get_content_type() == "message/rfc822":
            continue
        payload = part.get_payload(decode=True)
        if payload:
            out.append(payload.decode(errors="replace"))
    return "\n".join(out)
