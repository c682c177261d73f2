"""A real SMTP server for tenantry-smtp's tests: aiosmtpd on loopback.

Usage: smtp_server.py PORT OUTDIR [--auth USER:PASSWORD] [--tls CERT KEY]

Each accepted message is written to OUTDIR as one JSON file: the envelope, the raw message,
and what Python's standard email parser reads from it (decoded headers and parts), so the
tests check what a receiving system sees. Recipients whose local part starts with
"reject" are refused with 550, "later" with 451.
"""

import email
import email.policy
import json
import os
import ssl
import sys
import threading
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, outdir):
        self.outdir = outdir

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 no such mailbox"
        if local.startswith("later"):
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                parts[part.get_content_type()] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "authenticated": session.authenticated,
            "tls": session.ssl is not None,
            "raw": raw.decode("utf-8", errors="replace"),
            "headers": {k.lower(): str(v) for k, v in msg.items()},
            "content_type": msg.get_content_type(),
            "parts": parts,
        }
        path = os.path.join(self.outdir, f"{uuid.uuid4()}.json")
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.rename(path + ".tmp", path)
        return "250 Message accepted"


def authenticator(expected):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and f"{auth_data.login.decode()}:{auth_data.password.decode()}" == expected
        )
        return AuthResult(success=ok, handled=False)

    return check


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    args = sys.argv[3:]
    kwargs = {}
    auth = None
    if "--auth" in args:
        auth = args[args.index("--auth") + 1]
        kwargs["authenticator"] = authenticator(auth)
        kwargs["auth_require_tls"] = False
    if "--tls" in args:
        i = args.index("--tls")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args[i + 1], args[i + 2])
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = True
    controller = Controller(
        Handler(outdir), hostname="127.0.0.1", port=port, server_hostname="localhost", **kwargs
    )
    controller.start()
    print("ready", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
