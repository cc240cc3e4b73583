"""Signing with a PKCS#11 token (issue 5, H-sign): a real software token (SoftHSM v2) holding the signer's key and
certificate chain; the PIN comes from the environment like a PKCS#12 passphrase."""

from __future__ import annotations

import pytest

from documents import signing
from documents.models import CredentialKind, SigningCredential
from tests.documents import pkcs11_token

pytestmark = [pytest.mark.softhsm, pytest.mark.django_db]

PIN_VARIABLE = "PARTYHUB_TEST_TOKEN_PIN"


@pytest.fixture(scope="session")
def token(test_pki, tmp_path_factory):
    if pkcs11_token.softhsm_library() is None:
        pytest.skip("needs Debian's softhsm2")  # the softhsm marker fails this in CI
    return pkcs11_token.make_token(tmp_path_factory.mktemp("softhsm"), test_pki.signer)


@pytest.fixture
def token_credential(token, pki_files, leader, monkeypatch):
    monkeypatch.setenv(PIN_VARIABLE, token.pin)
    credential = SigningCredential(
        name="USB token Nguyễn Văn Đức",
        kind=CredentialKind.PKCS11,
        user=leader,
        pkcs11_module=token.module,
        pkcs11_token_label=token.label,
        pkcs11_key_label=token.key_label,
        passphrase_env=PIN_VARIABLE,
    )
    return signing.credential_refresh(actor=None, credential=credential)


def test_the_certificate_is_read_from_the_token(token_credential, test_pki):
    assert token_credential.fingerprint == test_pki.signer.fingerprint
    assert "Nguyễn Văn Đức" in token_credential.subject


def test_a_token_signs_and_the_signature_verifies(token_credential, seal_credential, fields_pdf):
    from tests.documents.test_signing import BOX_SEAL, BOX_SIGNER, FIELD_VALUES

    signed = signing.sign_pdf(fields_pdf, credential=token_credential, kind="signer", box=BOX_SIGNER)
    issued = signing.sign_pdf(
        signed, credential=seal_credential, kind="organization", box=BOX_SEAL, field_values=FIELD_VALUES
    )
    report = signing.verify_pdf(issued)
    assert report.status == "valid"
    signer, _seal = report.signatures
    assert signer.credential == token_credential and signer.report.signer_name == "Nguyễn Văn Đức"
    assert signer.report.trusted and signer.report.modification_level == "form_filling"


def test_a_wrong_pin_is_a_clear_error(token_credential, fields_pdf, monkeypatch):
    monkeypatch.setenv(PIN_VARIABLE, "000000")
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=token_credential, kind="signer")
    assert caught.value.code == "pkcs11" and "PIN" in caught.value.messages[0]


def test_a_missing_token_is_a_clear_error(token_credential, fields_pdf):
    token_credential.pkcs11_token_label = "not-plugged-in"
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=token_credential, kind="signer")
    assert "not connected" in caught.value.messages[0]


def test_a_missing_pin_is_a_clear_error(token_credential, fields_pdf, monkeypatch):
    monkeypatch.delenv(PIN_VARIABLE)
    with pytest.raises(signing.SigningError) as caught:
        signing.sign_pdf(fields_pdf, credential=token_credential, kind="signer")
    assert caught.value.code == "no_passphrase"
