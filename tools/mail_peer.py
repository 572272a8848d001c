#!/usr/bin/env python3
"""Real mail peers for Guichet's email channel tests.

  mail_peer.py keygen DIR SELECTOR DOMAIN
      Makes an RSA key with dkimpy's dknewkey (OpenSSL) as
      DIR/SELECTOR.DOMAIN.pem and prints its DNS TXT record.
  mail_peer.py sign KEY SELECTOR DOMAIN
      DKIM-signs (dkimpy, relaxed/simple, rsa-sha256) the message on
      standard input and writes the signed message to standard output.
  mail_peer.py smtp-sink DIR
      An SMTP server (aiosmtpd) on 127.0.0.1: prints "listening PORT", then
      writes each message it receives to DIR/<n>.eml (envelope sender and
      recipients in DIR/<n>.json) until standard input closes; recipients
      at `.invalid` domains are refused with 550.

`.ci/run` installs the pinned versions below from PyPI.
"""

import json
import os
import socket
import sys

PINNED_DKIMPY = "1.1.8"
PINNED_AIOSMTPD = "1.4.6"

SIGNED_HEADERS = [b"from", b"to", b"subject", b"date", b"message-id", b"in-reply-to", b"references"]


def keygen(directory, selector, domain):
    import dkim.dknewkey as dknewkey

    private = os.path.join(directory, f"{selector}.{domain}.pem")
    record = os.path.join(directory, f"{selector}.{domain}.txt")
    dknewkey.GenRSAKeys(private, verbose=False)
    dknewkey.ExtractRSADnsPublicKey(private, record, verbose=False)
    with open(record) as f:
        print(f.read().strip())


def sign(key, selector, domain):
    import dkim

    message = sys.stdin.buffer.read()
    with open(key, "rb") as f:
        private = f.read()
    signature = dkim.sign(
        message,
        selector.encode(),
        domain.encode(),
        private,
        canonicalize=(b"relaxed", b"simple"),
        include_headers=SIGNED_HEADERS,
    )
    sys.stdout.buffer.write(signature + message)


def smtp_sink(directory):
    from aiosmtpd.controller import Controller

    class Sink:
        count = 0

        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            # A mailbox that does not exist, for permanent failures.
            if address.endswith(".invalid"):
                return "550 5.1.1 no such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            Sink.count += 1
            base = os.path.join(directory, str(Sink.count))
            with open(base + ".json", "w") as f:
                json.dump({"from": envelope.mail_from, "to": envelope.rcpt_tos}, f)
            partial = base + ".partial"
            with open(partial, "wb") as f:
                f.write(envelope.original_content or envelope.content)
            os.rename(partial, base + ".eml")
            return "250 OK"

    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


def main(argv):
    commands = {"keygen": (keygen, 3), "sign": (sign, 3), "smtp-sink": (smtp_sink, 1)}
    if len(argv) < 2 or argv[1] not in commands or len(argv) - 2 != commands[argv[1]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    function, _ = commands[argv[1]]
    function(*argv[2:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
