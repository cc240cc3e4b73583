"""A real PKCS#11 token for the signing tests: SoftHSM v2 (Debian's ``softhsm2``) with its token directory in a
temporary folder, one token holding a private key and its certificate chain, as a USB token of the government CA
does. The key is imported with ``softhsm2-util``; the certificates are created with python-pkcs11.

SoftHSM reads its configuration (``SOFTHSM2_CONF``) and its tokens once, when the PKCS#11 library is initialized
in the process: :func:`make_token` must run before any use of the library in the test session (a session
fixture does it) and leaves ``SOFTHSM2_CONF`` set for the rest of the session."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

LIBRARY_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
)


def softhsm_library() -> str | None:
    for candidate in LIBRARY_CANDIDATES:
        if os.path.exists(candidate):
            return candidate
    return None


@dataclass
class Token:
    module: str
    label: str
    pin: str
    key_label: str


def make_token(directory: Path, identity, *, label: str = "partyhub-test", pin: str = "246810") -> Token:
    """Initialize a SoftHSM token in ``directory`` holding ``identity``'s key and certificate (label
    ``signer``) and its chain."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    module = softhsm_library()
    if module is None:
        raise RuntimeError("SoftHSM is not installed (Debian: softhsm2)")
    tokens = directory / "tokens"
    tokens.mkdir(parents=True, exist_ok=True)
    config = directory / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    os.environ["SOFTHSM2_CONF"] = str(config)
    run = {"check": True, "capture_output": True, "text": True, "env": os.environ | {"SOFTHSM2_CONF": str(config)}}
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "13579111"], **run
    )
    key_file = directory / "key.pem"
    key_file.write_bytes(identity.key_pem)
    try:
        command = ["softhsm2-util", "--import", str(key_file), "--token", label, "--label", "signer"]
        subprocess.run([*command, "--id", "01", "--pin", pin], **run)
    finally:
        key_file.unlink()
    token = pkcs11.lib(module).get_token(token_label=label)
    with token.open(rw=True, user_pin=pin) as session:
        objects = [(identity.cert, "signer", b"\x01")]
        objects += [(ca, f"ca-{n}", bytes([0x10 + n])) for n, ca in enumerate(identity.chain)]
        for cert, object_label, object_id in objects:
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: object_label,
                    Attribute.ID: object_id,
                    Attribute.SUBJECT: cert.subject.public_bytes(),
                    Attribute.VALUE: cert.public_bytes(serialization.Encoding.DER),
                }
            )
    return Token(module=module, label=label, pin=pin, key_label="signer")
