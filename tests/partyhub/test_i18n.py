"""Every user-facing string is translated into Vietnamese, and Vietnamese is what a new visitor gets."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)
SOURCE_DIRS = ["partyhub", "members", "documents", "meetings", "templates"]


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, msgstr, fuzzy) of a PO file, header skipped; enough of the format for this check."""
    entries = []
    for block in po_text.split("\n\n"):
        lines = [line for line in block.splitlines() if line.strip()]
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        current, parts = None, {"msgid": "", "msgstr": ""}
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith(("msgid ", "msgstr ", "msgid_plural ", "msgstr[")):
                key, _, rest = line.partition(" ")
                current = "msgid" if key == "msgid" else ("msgstr" if key.startswith("msgstr") else None)
                if current and key in {"msgid", "msgstr", "msgstr[0]"}:
                    parts[current] += rest.strip()[1:-1]
            elif line.startswith('"') and current:
                parts[current] += line.strip()[1:-1]
        if parts["msgid"]:
            entries.append((parts["msgid"], parts["msgstr"], fuzzy))
    return entries


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs gettext's xgettext (Debian package gettext)")
def test_every_message_in_the_code_has_a_vietnamese_translation(tmp_path):
    """Extract the messages afresh from a copy of the sources and check none is missing or fuzzy."""
    work = tmp_path / "src"
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, work / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copytree(ROOT / "locale" / "vi", work / "locale" / "vi")
    shutil.copy(ROOT / "manage.py", work / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "vi", "--no-obsolete", "--no-location"],
        cwd=work,
        check=True,
        capture_output=True,
        env={"PARTYHUB_EMBEDDED": "true", "PARTYHUB_VAR_DIR": str(tmp_path / "var"), "PATH": "/usr/bin:/bin"},
    )
    entries = _entries((work / "locale/vi/LC_MESSAGES/django.po").read_text())
    assert len(entries) > 50
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert missing == [], f"{len(missing)} messages lack a Vietnamese translation: {missing[:20]}"


def test_the_committed_catalogue_has_no_untranslated_or_fuzzy_entries():
    entries = _entries((ROOT / "locale/vi/LC_MESSAGES/django.po").read_text())
    assert [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy] == []


@pytest.mark.vietnamese
def test_vietnamese_is_the_default_language():
    assert settings.LANGUAGE_CODE == "vi"
    with translation.override("vi"):
        assert translation.gettext("Vietnamese") == "Tiếng Việt"
    with translation.override("en"):
        assert translation.gettext("Vietnamese") == "Vietnamese"
