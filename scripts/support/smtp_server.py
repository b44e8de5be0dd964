"""A real SMTP server for tests: aiosmtpd writing every accepted message to a Maildir.

Recipients whose local part starts with `tempfail` get 451 (try again later) and those
starting with `permfail` get 550, so the outbox's retry and parking paths meet a real
server. Prints `READY <port>` on stdout once it listens.

Usage: python smtp_server.py MAILDIR [PORT]   (PORT 0 or absent: a free port)
"""

import asyncio
import mailbox
import socket
import sys

from aiosmtpd.controller import Controller


class MaildirHandler:
    def __init__(self, path):
        # Mailbox creates the Maildir (new/, cur/, tmp/) when it does not exist yet.
        self.maildir = mailbox.Maildir(path, create=True)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("tempfail"):
            return "451 4.3.0 temporary failure, try again later"
        if local.startswith("permfail"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8")
        header = (
            f"X-MailFrom: {envelope.mail_from}\r\nX-RcptTo: {', '.join(envelope.rcpt_tos)}\r\n"
        ).encode()
        self.maildir.add(header + content)
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    path = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 and sys.argv[2] != "0" else free_port()
    controller = Controller(MaildirHandler(path), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"READY {port}", flush=True)
    try:
        asyncio.get_event_loop().run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
