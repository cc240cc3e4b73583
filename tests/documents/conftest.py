"""Fixtures of the documents tests.

Signing (issue 5, H-sign): a throw-away PKI (``tests.documents.pki``) — root and intermediate CAs, the
signer's and the organization's certificates, an expired one, one from an untrusted root, a TSA — written as
PKCS#12 files in a temporary directory with their passphrases in environment variables, the trust roots
setting pointing at the test root, and ``SigningCredential`` rows for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.documents import pki

#: Where a test's passphrases live: one environment variable per credential.
PASSPHRASE_VARIABLES = {
    "signer": "PARTYHUB_TEST_SIGNER_PASSPHRASE",
    "organization": "PARTYHUB_TEST_SEAL_PASSPHRASE",
    "expired": "PARTYHUB_TEST_EXPIRED_PASSPHRASE",
    "untrusted": "PARTYHUB_TEST_UNTRUSTED_PASSPHRASE",
}


@pytest.fixture(scope="session")
def test_pki() -> pki.TestPKI:
    """The certificates (generated once per test session)."""
    return pki.build_test_pki()


@dataclass
class PkiFiles:
    directory: Path
    roots: Path
    pkcs12: dict[str, Path] = field(default_factory=dict)
    passphrases: dict[str, str] = field(default_factory=dict)
    variables: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def pki_files(test_pki, tmp_path, monkeypatch, settings) -> PkiFiles:
    """PKCS#12 files of the signer, organization, expired and untrusted certificates in a temporary directory,
    their passphrases in environment variables, and ``PARTYHUB_TRUST_ROOTS`` = the test root only. No TSA."""
    directory = tmp_path / "pki"
    directory.mkdir()
    files = PkiFiles(directory=directory, roots=test_pki.write_trust_roots(directory / "roots.pem"))
    for label, variable in PASSPHRASE_VARIABLES.items():
        passphrase = f"mật khẩu {label} 2026"
        files.pkcs12[label] = getattr(test_pki, label).write_pkcs12(directory / f"{label}.p12", passphrase)
        files.passphrases[label] = passphrase
        files.variables[label] = variable
        monkeypatch.setenv(variable, passphrase)
        monkeypatch.delenv(f"{variable}_FILE", raising=False)
    settings.PARTYHUB_TRUST_ROOTS = [str(files.roots)]
    settings.PARTYHUB_TSA_URL = ""
    return files


@pytest.fixture
def make_credential(pki_files):
    """``make_credential(label, user=… | organization=…, refresh=True)``: a SigningCredential row for one of the
    PKCS#12 files of :func:`pki_files`, its certificate fields read from the file (as the admin does)."""
    from documents.models import CredentialKind, SigningCredential
    from documents.signing import credential_refresh

    def make(label: str, *, user=None, organization=None, refresh: bool = True, name: str = "") -> SigningCredential:
        credential = SigningCredential(
            name=name or f"{label} certificate",
            kind=CredentialKind.PKCS12,
            user=user,
            organization=organization,
            pkcs12_path=str(pki_files.pkcs12[label]),
            passphrase_env=pki_files.variables[label],
        )
        if refresh:
            return credential_refresh(actor=None, credential=credential)
        credential.save()
        return credential

    return make


@pytest.fixture
def signer_credential(make_credential, leader):
    """The leader's personal signing certificate (issued by the trusted intermediate)."""
    return make_credential("signer", user=leader, name="Chữ ký số Nguyễn Văn Đức")


@pytest.fixture
def seal_credential(make_credential, org_tree):
    """The commune committee's certificate (its seal)."""
    return make_credential("organization", organization=org_tree["commune"], name="Chữ ký số Đảng ủy xã Gò Quao")


@pytest.fixture(scope="session")
def fields_pdf() -> bytes:
    """A one-page PDF with PartyHub's two empty text fields (``partyhub_number``, ``partyhub_date``), made by
    WeasyPrint's ``pdf_forms`` like the real final PDF of ``documents.outgoing_render``."""
    return pki.pdf_with_fields(pages=1)
