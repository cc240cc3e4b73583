"""E-mail intake against a REAL IMAP server: Debian's dovecot, started by the test with its own configuration
in a temporary directory (127.0.0.1, a free port, plain login allowed on loopback, a passwd-file user, maildir).
Messages are delivered with IMAP APPEND, then the poller imports them."""

from __future__ import annotations

import email.utils
import imaplib
import io
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path

import pikepdf
import pytest
from django.utils import translation

from documents.mail import connect, imap_utf7, parse_imap_url, poll_mailbox
from documents.models import FileRole, HandlingEntry, IncomingDocument, ReceivedVia
from documents.services.receiving import incoming_receive_email

DOVECOT = "/usr/sbin/dovecot"
USER, PASSWORD = "vanthu@xa.example", "mật-khẩu 1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _owner() -> tuple[int, int, str]:
    """Dovecot refuses mail as root: as root, the mail belongs to the 'dovecot' system user."""
    if os.geteuid() == 0:
        entry = pwd.getpwnam("dovecot")
        return entry.pw_uid, entry.pw_gid, "dovecot"
    entry = pwd.getpwuid(os.geteuid())
    return entry.pw_uid, entry.pw_gid, entry.pw_name


@pytest.fixture
def dovecot():
    """A private dovecot on 127.0.0.1:<free port>; yields the PARTYHUB_IMAP_URL of its one mailbox."""
    if not os.access(DOVECOT, os.X_OK):
        pytest.skip("needs Debian's dovecot-imapd (/usr/sbin/dovecot)")  # the imap marker fails this in CI
    root = Path(tempfile.mkdtemp(prefix="ph-dovecot-"))
    root.chmod(0o755)
    uid, gid, user = _owner()
    port = _free_port()
    for sub in ("run", "state", "mail", "home"):
        (root / sub).mkdir()
    for sub in ("mail", "home", "state"):
        os.chown(root / sub, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    login_user = "dovenull" if os.geteuid() == 0 else user
    conf = root / "dovecot.conf"
    conf.write_text(
        f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%n
default_internal_user = {user}
default_internal_group = {pwd.getpwuid(uid).pw_name if os.geteuid() != 0 else "dovecot"}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""
    )
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace")
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                pytest.fail(f"dovecot did not start:\n{output}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("dovecot did not listen within 20 s")
                time.sleep(0.1)
        quoted_user = USER.replace("@", "%40")
        quoted_password = PASSWORD.replace(" ", "%20").encode("utf-8")
        from urllib.parse import quote

        yield f"imap://{quoted_user}:{quote(quoted_password.decode(), safe='%')}@127.0.0.1:{port}/INBOX"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        shutil.rmtree(root, ignore_errors=True)


def _client(url: str) -> imaplib.IMAP4:
    return connect(parse_imap_url(url))


def deliver(url: str, message: EmailMessage) -> None:
    client = _client(url)
    try:
        status, _ = client.append("INBOX", "", imaplib.Time2Internaldate(time.time()), message.as_bytes())
        assert status == "OK"
    finally:
        client.logout()


def flags(url: str) -> list[bytes]:
    client = _client(url)
    try:
        client.select("INBOX")
        _status, data = client.fetch("1:*", "(FLAGS)")
        return [item for item in data if item]
    finally:
        client.logout()


def _pdf(text: str = "Cong van") -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def make_message(*, attachments, subject="Gửi Nghị quyết 05-NQ/TU", message_id=None) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.utils.formataddr(("Văn phòng Tỉnh ủy", "vanphong@tinhuy.example"))
    message["To"] = USER
    message["Subject"] = subject
    message["Message-ID"] = message_id or email.utils.make_msgid(domain="tinhuy.example")
    message["Date"] = email.utils.formatdate(localtime=True)
    message.set_content("Kính gửi Đảng ủy xã, Văn phòng Tỉnh ủy gửi kèm văn bản.")
    for name, data, maintype, subtype in attachments:
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def private_root(settings, tmp_path):
    from django.core.files.storage import storages

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}},
    }
    storages._storages.pop("private", None)
    yield tmp_path
    storages._storages.pop("private", None)


@pytest.mark.imap
@pytest.mark.django_db
def test_attachments_arrive_as_one_draft_once(dovecot, org_tree, private_root, settings):
    settings.PARTYHUB_IMAP_URL = dovecot
    good = make_message(
        attachments=[
            ("Nghị quyết 05.pdf", _pdf(), "application", "pdf"),
            ("Phụ lục.pdf", _pdf("Phu luc"), "application", "pdf"),
            ("virus.exe", b"MZ\x90\x00", "application", "octet-stream"),
            ("trang.html", b"<html><script>x</script></html>", "text", "html"),
        ]
    )
    deliver(dovecot, good)
    deliver(dovecot, make_message(attachments=[], subject="Chỉ có lời nhắn"))

    result = poll_mailbox(organization=org_tree["commune"])
    assert result.fetched == 2
    assert len(result.drafts) == 1 and result.without_attachments == 1
    draft = IncomingDocument.objects.get(pk=result.drafts[0])
    assert draft.received_via == ReceivedVia.EMAIL
    assert draft.sender == "Văn phòng Tỉnh ủy <vanphong@tinhuy.example>"
    assert draft.source_message_id == good["Message-ID"]
    assert draft.created_by is None and draft.status == "draft"
    originals = [f.stored_file.original_name for f in draft.files.filter(role=FileRole.ORIGINAL).order_by("order")]
    assert originals == ["Nghị quyết 05.pdf", "Phụ lục.pdf"]
    assert "E-mail subject: Gửi Nghị quyết 05-NQ/TU" in draft.notes
    assert "virus.exe" in draft.notes and "trang.html" in draft.notes
    assert HandlingEntry.objects.filter(document=draft, kind="received").exists()
    # Both messages are flagged \Seen on the server: the next poll fetches nothing.
    assert all(b"\\Seen" in item for item in flags(dovecot))
    again = poll_mailbox(organization=org_tree["commune"])
    assert again.fetched == 0
    assert IncomingDocument.objects.count() == 1


@pytest.mark.imap
@pytest.mark.django_db
def test_the_same_message_is_never_imported_twice(dovecot, org_tree, private_root, settings):
    """Even delivered twice (a resend, or another client marked it unread), one Message-ID, one draft."""
    settings.PARTYHUB_IMAP_URL = dovecot
    message = make_message(attachments=[("a.pdf", _pdf(), "application", "pdf")], message_id="<57-nq@tw.example>")
    deliver(dovecot, message)
    deliver(dovecot, message)
    result = poll_mailbox(organization=org_tree["commune"])
    assert result.fetched == 2 and len(result.drafts) == 1 and result.already_imported == 1
    assert IncomingDocument.objects.filter(source_message_id="<57-nq@tw.example>").count() == 1


@pytest.mark.imap
@pytest.mark.django_db
def test_imported_messages_can_be_moved_to_a_folder(dovecot, org_tree, private_root, settings):
    settings.PARTYHUB_IMAP_URL = dovecot
    settings.PARTYHUB_IMAP_DONE_MAILBOX = "Đã nhận"
    deliver(dovecot, make_message(attachments=[("a.pdf", _pdf(), "application", "pdf")]))
    assert len(poll_mailbox(organization=org_tree["commune"]).drafts) == 1
    client = _client(dovecot)
    try:
        status, data = client.select("INBOX")
        assert status == "OK" and data[0] == b"0"
    finally:
        client.logout()


@pytest.mark.django_db
def test_no_mailbox_configured_does_nothing(settings, org_tree):
    settings.PARTYHUB_IMAP_URL = ""
    assert poll_mailbox().as_dict()["fetched"] == 0


@pytest.mark.django_db
def test_a_message_without_message_id_is_recognized_by_its_hash(org_tree, private_root):
    message = make_message(attachments=[("a.pdf", _pdf(), "application", "pdf")])
    del message["Message-ID"]
    raw = message.as_bytes()
    first = incoming_receive_email(organization=org_tree["commune"], message_bytes=raw)
    second = incoming_receive_email(organization=org_tree["commune"], message_bytes=raw)
    assert first.draft is not None and first.message_id.startswith("sha256:")
    assert second.already_imported and second.draft is None


def test_mailbox_names_are_modified_utf7():
    assert imap_utf7("INBOX") == "INBOX"
    assert imap_utf7("A&B") == "A&-B"
    assert imap_utf7("Đã nhận") == "&ARAA4w- nh&Hq0-n"


def test_imap_urls():
    config = parse_imap_url("imaps://van%40xa.vn:p%40ss@mail.xa.vn/H%E1%BB%99p%20th%C6%B0")
    assert (config.user, config.password, config.host, config.port, config.tls) == (
        "van@xa.vn",
        "p@ss",
        "mail.xa.vn",
        993,
        True,
    )
    assert config.mailbox == "Hộp thư"
    assert not config.is_loopback
    assert parse_imap_url("imap://u:p@127.0.0.1:1143").port == 1143
