"""E-mail intake: documents sent to the organization's mailbox arrive as drafts (issue 4 point 1).

``PARTYHUB_IMAP_URL`` names the mailbox: ``imaps://user:password@host:993/INBOX`` (TLS), or
``imap://user:password@host:143/INBOX`` (STARTTLS when the server offers it; plain text only to a loopback
address). User name and password are URL-encoded (``%40`` for ``@``). ``PARTYHUB_IMAP_ORGANIZATION`` is the id
of the receiving organization (default: the only commune committee). ``PARTYHUB_IMAP_DONE_MAILBOX``, if set,
is a folder the imported messages are moved to; otherwise they are flagged ``\\Seen`` and left where they are.

:func:`poll_mailbox` fetches the unseen messages, hands each one to
``documents.services.receiving.incoming_receive_email`` (which never imports the same Message-ID twice), then
marks it seen (and moves it). A message that fails is left unseen and retried at the next poll.
"""

from __future__ import annotations

import contextlib
import imaplib
import ipaddress
import logging
import ssl
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

__all__ = ["ImapConfig", "MailboxPollResult", "parse_imap_url", "poll_mailbox"]

IMAP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class ImapConfig:
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    mailbox: str = "INBOX"
    tls: bool = True  # implicit TLS (imaps)

    @property
    def is_loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def parse_imap_url(url: str) -> ImapConfig:
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps"):
        raise ImproperlyConfigured("PARTYHUB_IMAP_URL must start with imap:// or imaps://")
    if not parts.hostname or parts.username is None:
        raise ImproperlyConfigured("PARTYHUB_IMAP_URL needs a user and a host: imaps://user:password@host/INBOX")
    tls = parts.scheme == "imaps"
    mailbox = unquote(parts.path.lstrip("/")) or "INBOX"
    return ImapConfig(
        host=parts.hostname,
        port=parts.port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        mailbox=mailbox,
        tls=tls,
    )


def imap_utf7(name: str) -> str:
    """A mailbox name in IMAP's modified UTF-7 (RFC 3501 §5.1.3): "Đã nhận" → "&ARA-&AOM- nh&Hq0-n"."""
    import base64

    out, pending = [], []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending.clear()

    for ch in name:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            pending.append(ch)
    flush()
    return "".join(out)


def _quote_mailbox(name: str) -> str:
    name = imap_utf7(name)
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def connect(config: ImapConfig) -> imaplib.IMAP4:
    context = ssl.create_default_context()
    if config.tls:
        client = imaplib.IMAP4_SSL(config.host, config.port, ssl_context=context, timeout=IMAP_TIMEOUT_SECONDS)
    else:
        client = imaplib.IMAP4(config.host, config.port, timeout=IMAP_TIMEOUT_SECONDS)
        if "STARTTLS" in client.capabilities:
            client.starttls(ssl_context=context)
        elif not config.is_loopback:
            client.logout()
            raise ImproperlyConfigured(
                "The IMAP server offers no STARTTLS: use imaps:// (refusing to send the password in clear text)"
            )
    if (config.user + config.password).isascii():
        client.login(config.user, config.password)
    else:  # LOGIN is ASCII-only in imaplib; SASL PLAIN carries UTF-8 user names and passwords
        credentials = f"\0{config.user}\0{config.password}".encode()
        client.authenticate("PLAIN", lambda _challenge: credentials)
    return client


@dataclass
class MailboxPollResult:
    fetched: int = 0
    drafts: list[int] = field(default_factory=list)
    already_imported: int = 0
    without_attachments: int = 0
    failed: int = 0
    skipped_attachments: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "fetched": self.fetched,
            "drafts": list(self.drafts),
            "already_imported": self.already_imported,
            "without_attachments": self.without_attachments,
            "failed": self.failed,
            "skipped_attachments": len(self.skipped_attachments),
        }


def intake_organization():
    """The organization that receives the mailbox's documents."""
    from members.models import Organization, OrganizationKind

    configured = getattr(settings, "PARTYHUB_IMAP_ORGANIZATION", None)
    if configured:
        return Organization.objects.get(pk=int(configured))
    communes = list(Organization.objects.filter(kind=OrganizationKind.COMMUNE_COMMITTEE, is_external=False)[:2])
    if len(communes) != 1:
        raise ImproperlyConfigured(
            "Set PARTYHUB_IMAP_ORGANIZATION to the id of the organization that receives the e-mailed documents"
        )
    return communes[0]


def _mark_done(client: imaplib.IMAP4, uid: bytes, done_mailbox: str) -> None:
    client.uid("STORE", uid, "+FLAGS", "(\\Seen)")
    if not done_mailbox:
        return
    if "MOVE" in client.capabilities:
        client.uid("MOVE", uid, _quote_mailbox(done_mailbox))
    else:
        status, _data = client.uid("COPY", uid, _quote_mailbox(done_mailbox))
        if status == "OK":
            client.uid("STORE", uid, "+FLAGS", "(\\Deleted)")
            client.expunge()


def poll_mailbox(*, url: str | None = None, organization=None, limit: int = 100) -> MailboxPollResult:
    """Import up to ``limit`` unseen messages of the configured mailbox. Returns what happened. Quietly does
    nothing when no mailbox is configured."""
    from partyhub.request_context import acting_as

    from .services.receiving import incoming_receive_email

    url = url if url is not None else getattr(settings, "PARTYHUB_IMAP_URL", "")
    result = MailboxPollResult()
    if not url:
        return result
    config = parse_imap_url(url)
    organization = organization or intake_organization()
    done_mailbox = getattr(settings, "PARTYHUB_IMAP_DONE_MAILBOX", "") or ""
    client = connect(config)
    try:
        status, _data = client.select(_quote_mailbox(config.mailbox))
        if status != "OK":
            raise imaplib.IMAP4.error(f"Cannot open mailbox {config.mailbox!r}")
        if done_mailbox:
            client.create(_quote_mailbox(done_mailbox))  # fails harmlessly when it exists
        status, data = client.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split() if status == "OK" and data and data[0] else []
        for uid in uids[:limit]:
            status, fetched = client.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((part[1] for part in fetched or [] if isinstance(part, tuple)), None)
            if status != "OK" or not raw:
                result.failed += 1
                continue
            result.fetched += 1
            try:
                with acting_as(None):
                    received = incoming_receive_email(organization=organization, message_bytes=raw)
            except Exception:
                logger.exception("Could not import e-mail UID %s; it stays unseen for the next poll", uid)
                result.failed += 1
                continue
            if received.already_imported:
                result.already_imported += 1
            elif received.draft is None:
                result.without_attachments += 1
            else:
                result.drafts.append(received.draft.pk)
            result.skipped_attachments.extend(received.skipped)
            _mark_done(client, uid, done_mailbox)
        client.close()
    except (TimeoutError, imaplib.IMAP4.error, OSError):
        logger.exception("Polling the IMAP mailbox %s@%s failed", config.user, config.host)
        raise
    finally:
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            client.logout()
    return result
