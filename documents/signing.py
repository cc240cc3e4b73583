"""Digital signatures of outgoing documents (issue 5, domain.md §3): the signer's personal signature over the
final PDF, then the organization's signature applied by the clerk together with the number and the date.

Contract (notes/issue5.md, "H-sign"):

* **Credentials** (:class:`~documents.models.SigningCredential`, configured by the admin): a PKCS#12 file at
  ``pkcs12_path`` whose passphrase is read from the environment variable named by ``passphrase_env`` (or from
  the file named by ``<VAR>_FILE``), or a PKCS#11 token (``pkcs11_module``, ``pkcs11_token_label``,
  ``pkcs11_key_label``; the PIN from the same kind of variable). Secrets never live in the database.
  :func:`credential_for_user` / :func:`credential_for_organization` pick the active, currently valid one;
  :func:`read_certificate` / :func:`credential_refresh` copy the certificate's subject, issuer, serial number,
  fingerprint and validity into the row (the admin does it on every save).
* :func:`sign_pdf` — a PAdES signature (pyHanko, sub-filter ``ETSI.CAdES.detached``) in one incremental update:
  B-B, or B-T with an RFC 3161 timestamp when ``settings.PARTYHUB_TSA_URL`` is set; the certificate chain (and
  revocation data, when fetching is allowed) is embedded in the document security store when the chain
  validates against the configured trust roots. A visible stamp (signer, organization, time) goes in ``box``,
  written with a TrueType font that has the Vietnamese glyphs (Liberation Serif). ``field_values`` fills the
  AcroForm text fields of the final PDF (``partyhub_number``, ``partyhub_date``) in the SAME update, before
  the signature: pyHanko's difference analysis classifies it as form filling, so the signer's earlier
  signature stays valid (``ModificationLevel.FORM_FILLING``). An expired certificate, a missing passphrase,
  an unreadable PDF or an unreachable TSA raise :class:`SigningError` (a Django ``ValidationError`` with a
  translated message) before anything is returned: the caller stores nothing.
* :func:`verify_pdf` — a :class:`VerificationReport` for the verification page and the API: for each
  signature (validated by :func:`documents.signatures.validate_pdf_signatures`, the ONE validator) the signer,
  the organization, when, intact, trusted, expired/revoked, what changed after signing, and whether PartyHub
  applied it (the signer's certificate is one of our credentials); for the file, whether it is exactly a PDF
  PartyHub produced (its SHA-256 is the result of an :class:`~documents.models.AppliedSignature`).

The texts on the stamp are part of the official document and therefore Vietnamese whatever the user's language
(like the rest of the document, see ``documents.outgoing_render``).

Speed: the organization's signature is applied while the register's counter row is locked (``outgoing_issue``),
so an opened PKCS#12 file is kept in memory for :data:`KEY_CACHE_SECONDS` (keyed by path, modification time and
a hash of the passphrase; :func:`forget_keys` drops them), and the stamp font is prepared once per process.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import re
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import AppliedSignature, CredentialKind, SignatureKind, SigningCredential
from .signatures import SignatureReport, load_trust_roots, validate_pdf_signatures

logger = logging.getLogger(__name__)

__all__ = [
    "CertificateFacts",
    "SignatureVerdict",
    "SigningError",
    "VerificationReport",
    "apply_certificate_facts",
    "credential_for_organization",
    "credential_for_user",
    "credential_refresh",
    "forget_keys",
    "open_signer",
    "read_certificate",
    "read_secret",
    "sign_pdf",
    "signature_field_name",
    "verify_pdf",
]

#: Names of the signature fields PartyHub creates, by kind.
SIGNATURE_FIELDS = {SignatureKind.SIGNER: "partyhub_signature_signer", SignatureKind.ORGANIZATION: "partyhub_seal"}

#: The text fields of the final PDF the clerk fills at issue, after the signer signed (documents.outgoing_render).
FILLED_AFTER_SIGNER = ("partyhub_number", "partyhub_date")

#: The stamp's font when ``settings.PARTYHUB_SIGNATURE_FONT`` is empty: Debian's fonts-liberation2 (Times New
#: Roman metrics, Vietnamese glyphs), or the older fonts-liberation.
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
)

#: The stamp's texts (Vietnamese: they are part of the official document).
STAMP_SIGNED_BY = "Ký bởi: {name}"
STAMP_TIME = "Thời gian ký: {time}"
STAMP_TIME_FORMAT = "%d/%m/%Y %H:%M:%S %z"
#: The stamp's text size (points) before it is shrunk to fit its box, its line height and margin.
STAMP_FONT_SIZE = 10
STAMP_LEADING = 12
STAMP_MARGIN = 4

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
_DA_SIZE = re.compile(r"([\d.]+)\s+Tf")


class SigningError(ValidationError):
    """Signing is impossible (missing secret, expired certificate, unreadable PDF, TSA down …). The message is
    translated and meant for the user; nothing was signed."""


# --- secrets ------------------------------------------------------------------------------------------------


def read_secret(variable: str, *, credential: SigningCredential | None = None) -> str:
    """The passphrase or PIN held in the environment variable ``variable``, or in the file named by
    ``<variable>_FILE`` (a Docker/systemd secret; one trailing newline is dropped). Raises :class:`SigningError`
    when neither is set."""
    name = str(credential) if credential is not None else ""
    variable = (variable or "").strip()
    if not _ENV_NAME.fullmatch(variable):
        raise SigningError(
            _("The certificate “%(name)s” names no valid environment variable for its passphrase or PIN."),
            code="no_passphrase_variable",
            params={"name": name},
        )
    value = os.environ.get(variable)
    if value is None:
        path = os.environ.get(f"{variable}_FILE")
        if path:
            try:
                value = Path(path).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                logger.error("Cannot read the secret file named by %s_FILE: %s", variable, exc)
                raise SigningError(
                    _("The passphrase file named by %(variable)s_FILE cannot be read on the server."),
                    code="passphrase_file",
                    params={"variable": variable},
                ) from exc
            value = value.removesuffix("\n").removesuffix("\r")
    if not value:
        raise SigningError(
            _(
                "The passphrase or PIN of the certificate “%(name)s” is not available: set the environment "
                "variable %(variable)s (or %(variable)s_FILE) on the server."
            ),
            code="no_passphrase",
            params={"name": name, "variable": variable},
        )
    return value


# --- credentials ----------------------------------------------------------------------------------------------


def _usable(now: datetime | None = None):
    now = now or timezone.now()
    return (
        SigningCredential.objects.filter(active=True)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=now))
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now))
        .order_by("-valid_until", "-created_at", "-id")
    )


def credential_for_user(user) -> SigningCredential | None:
    """The person's own active signing certificate that is valid now (the latest-expiring one), or ``None``."""
    if user is None or not getattr(user, "pk", None):
        return None
    return _usable().filter(user_id=user.pk).first()


def credential_for_organization(organization) -> SigningCredential | None:
    """The organization's active signing certificate (its seal) that is valid now, or ``None``."""
    if organization is None or not getattr(organization, "pk", None):
        return None
    return _usable().filter(organization_id=organization.pk).first()


@dataclass
class CertificateFacts:
    """What the admin sees of a credential's certificate (copied into the row's read-only fields)."""

    subject: str
    issuer: str
    serial_number: str
    fingerprint: str
    valid_from: datetime
    valid_until: datetime
    common_name: str = ""
    organization: str = ""

    @classmethod
    def of(cls, cert) -> CertificateFacts:
        """From an asn1crypto certificate."""
        names = cert.subject.native
        return cls(
            subject=cert.subject.human_friendly[:500],
            issuer=cert.issuer.human_friendly[:500],
            serial_number=format(cert.serial_number, "X")[:100],
            fingerprint=hashlib.sha256(cert.dump()).hexdigest(),
            valid_from=cert.not_valid_before,
            valid_until=cert.not_valid_after,
            common_name=str(names.get("common_name") or ""),
            organization=_first(names.get("organization_name")),
        )


def _first(value) -> str:
    if isinstance(value, list | tuple):
        value = value[0] if value else ""
    return str(value or "")


@dataclass(frozen=True)
class _KeyMaterial:
    """What a PKCS#12 file holds, loaded once (see :func:`_load_pkcs12`)."""

    pyca_key: object  # cryptography private key
    key_info: object  # asn1crypto PrivateKeyInfo
    certificate: object  # asn1crypto Certificate
    others: tuple  # asn1crypto Certificates (the chain)


#: Opened PKCS#12 files: ``{(path, mtime, size, sha256(passphrase)): (loaded at, material)}``. Opening one costs
#: ~100 ms (key derivation, RSA key check); the organization's signature is applied while the register's counter
#: is locked, so the key stays in memory for :data:`KEY_CACHE_SECONDS` — no longer than the passphrase itself,
#: which lives in this process's environment anyway. A changed file or passphrase is a new entry.
_KEY_CACHE: dict[tuple, tuple[float, _KeyMaterial]] = {}
_KEY_CACHE_LOCK = threading.Lock()
KEY_CACHE_SECONDS = 600
KEY_CACHE_SIZE = 16


def _load_pkcs12(data: bytes, passphrase: str) -> _KeyMaterial:
    from asn1crypto import keys as asn1_keys
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12
    from pyhanko.keys import internal as key_translation

    key, cert, others = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
    if key is None or cert is None:
        raise ValueError("the PKCS#12 file holds no key or no certificate")
    key_der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    return _KeyMaterial(
        pyca_key=key,
        key_info=asn1_keys.PrivateKeyInfo.load(key_der),
        certificate=key_translation.translate_pyca_cryptography_cert_to_asn1(cert),
        others=tuple(key_translation.translate_pyca_cryptography_cert_to_asn1(c) for c in others or ()),
    )


def _key_material(path: str, passphrase: str) -> _KeyMaterial:
    stat = Path(path).stat()
    key = (path, stat.st_mtime_ns, stat.st_size, hashlib.sha256(passphrase.encode("utf-8")).hexdigest())
    now = time.monotonic()
    with _KEY_CACHE_LOCK:
        for cached_key, (loaded_at, _material) in list(_KEY_CACHE.items()):
            if now - loaded_at > KEY_CACHE_SECONDS:
                del _KEY_CACHE[cached_key]
        if key in _KEY_CACHE:
            return _KEY_CACHE[key][1]
    material = _load_pkcs12(Path(path).read_bytes(), passphrase)
    with _KEY_CACHE_LOCK:
        while len(_KEY_CACHE) >= KEY_CACHE_SIZE:
            del _KEY_CACHE[min(_KEY_CACHE, key=lambda k: _KEY_CACHE[k][0])]
        _KEY_CACHE[key] = (now, material)
    return material


def forget_keys() -> None:
    """Drop every opened PKCS#12 key from memory (tests; after rotating certificates)."""
    with _KEY_CACHE_LOCK:
        _KEY_CACHE.clear()


def _simple_signer(material: _KeyMaterial):
    """pyHanko's software signer over the loaded key. pyHanko's ``SimpleSigner`` parses and checks the key again
    for each of the two signing operations of a signature (~60 ms each for RSA); RSA PKCS#1 v1.5 and ECDSA use
    the key object loaded once instead."""
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    class _LoadedKeySigner(signers.SimpleSigner):
        def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
            from cryptography.hazmat.primitives.asymmetric import ec, rsa
            from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
            from pyhanko_certvalidator.util import get_pyca_cryptography_hash

            mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
            try:
                algorithm = mechanism.signature_algo
            except ValueError:
                algorithm = mechanism["algorithm"].native
            key = material.pyca_key
            if algorithm == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
                return key.sign(data, PKCS1v15(), get_pyca_cryptography_hash(digest_algorithm))
            if algorithm == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
                return key.sign(data, ec.ECDSA(get_pyca_cryptography_hash(digest_algorithm)))
            return super().sign_raw(data, digest_algorithm)

    return _LoadedKeySigner(
        signing_key=material.key_info,
        signing_cert=material.certificate,
        cert_registry=SimpleCertificateStore.from_certs(list(material.others)),
    )


def _pkcs12_signer(credential: SigningCredential):
    path = (credential.pkcs12_path or "").strip()
    if not path:
        raise SigningError(
            _("The certificate “%(name)s” has no PKCS#12 file configured."),
            code="no_pkcs12",
            params={"name": str(credential)},
        )
    passphrase = read_secret(credential.passphrase_env, credential=credential)
    try:
        material = _key_material(path, passphrase)
    except OSError as exc:
        logger.error("Cannot read the PKCS#12 file of credential %s (%s): %s", credential.pk, path, exc)
        raise SigningError(
            _("The certificate file of “%(name)s” cannot be read on the server."),
            code="pkcs12_unreadable",
            params={"name": str(credential)},
        ) from exc
    except (ValueError, TypeError) as exc:
        raise SigningError(
            _("The certificate file of “%(name)s” cannot be opened: wrong passphrase, or not a PKCS#12 file."),
            code="pkcs12_invalid",
            params={"name": str(credential)},
        ) from exc
    return _simple_signer(material)


def _pkcs11_error(credential: SigningCredential, exc: Exception) -> SigningError:
    logger.error("PKCS#11 token of credential %s: %s: %s", credential.pk, type(exc).__name__, exc)
    name = type(exc).__name__
    if name in ("PinIncorrect", "PinInvalid", "PinLenRange", "PinExpired", "PinLocked"):
        message = _("The PIN of the token for “%(name)s” was refused.")
    elif name in ("NoSuchToken", "MultipleTokensReturned", "TokenNotPresent", "TokenNotRecognised") or (
        "No token matching" in str(exc)
    ):
        message = _("The token for “%(name)s” is not connected, or its label does not match.")
    elif name in ("NoSuchKey", "MultipleObjectsReturned"):
        message = _("The key or certificate for “%(name)s” was not found on the token.")
    else:
        message = _("The token for “%(name)s” could not be used (%(error)s).")
    return SigningError(message, code="pkcs11", params={"name": str(credential), "error": name})


@contextlib.contextmanager
def _pkcs11_signer(credential: SigningCredential):
    module = (credential.pkcs11_module or "").strip()
    if not module or not credential.pkcs11_key_label:
        raise SigningError(
            _("The token of “%(name)s” is not fully configured (module and key label are needed)."),
            code="pkcs11_config",
            params={"name": str(credential)},
        )
    pin = read_secret(credential.passphrase_env, credential=credential)
    try:
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11
    except ImportError as exc:  # python-pkcs11 missing
        raise SigningError(
            _("PKCS#11 tokens are not supported on this server (the python-pkcs11 package is missing)."),
            code="pkcs11_unsupported",
        ) from exc
    criteria = TokenCriteria(label=credential.pkcs11_token_label or None)
    try:
        session = pkcs11.open_pkcs11_session(module, token_criteria=criteria, user_pin=pin)
    except SigningError:
        raise
    except Exception as exc:  # python-pkcs11 raises its own exception classes (PinIncorrect, NoSuchToken ...)
        raise _pkcs11_error(credential, exc) from exc
    try:
        signer = pkcs11.PKCS11Signer(session, key_label=credential.pkcs11_key_label, other_certs_to_pull=None)
        try:
            signer.signing_cert  # noqa: B018 (loads the certificate and the key handle now, inside our error handling)
        except Exception as exc:
            raise _pkcs11_error(credential, exc) from exc
        yield signer
    finally:
        with contextlib.suppress(Exception):
            session.close()


@contextlib.contextmanager
def open_signer(credential: SigningCredential) -> Iterator:
    """A pyHanko ``Signer`` for ``credential`` (a PKCS#11 session stays open inside the ``with`` block)."""
    if credential is None:
        raise SigningError(_("No signing certificate is configured."), code="no_certificate")
    if credential.kind == CredentialKind.PKCS11:
        with _pkcs11_signer(credential) as signer:
            yield signer
    else:
        yield _pkcs12_signer(credential)


def read_certificate(credential: SigningCredential) -> CertificateFacts:
    """Open the credential (file or token) and read its certificate; raises :class:`SigningError`."""
    with open_signer(credential) as signer:
        cert = signer.signing_cert
        if cert is None:
            raise SigningError(
                _("No certificate was found for “%(name)s”."), code="no_certificate", params={"name": str(credential)}
            )
        return CertificateFacts.of(cert)


def apply_certificate_facts(credential: SigningCredential, facts: CertificateFacts) -> list[str]:
    """Copy ``facts`` into the row's read-only certificate fields; returns the field names."""
    credential.subject = facts.subject
    credential.issuer = facts.issuer
    credential.serial_number = facts.serial_number
    credential.fingerprint = facts.fingerprint
    credential.valid_from = facts.valid_from
    credential.valid_until = facts.valid_until
    return ["subject", "issuer", "serial_number", "fingerprint", "valid_from", "valid_until"]


@transaction.atomic
def credential_refresh(*, actor, credential: SigningCredential) -> SigningCredential:
    """(Re)read the certificate of ``credential`` into its fields and save them (audited like every save of
    our models). Raises :class:`SigningError` when the file or token cannot be opened; nothing is changed then."""
    facts = read_certificate(credential)
    fields = apply_certificate_facts(credential, facts)
    if credential.pk:
        credential.save(update_fields=fields)
    else:
        credential.save()
    return credential


# --- the stamp font ---------------------------------------------------------------------------------------


def stamp_font_path() -> Path:
    configured = getattr(settings, "PARTYHUB_SIGNATURE_FONT", "") or ""
    candidates = [configured] if configured else list(FONT_CANDIDATES)
    for candidate in candidates:
        path = Path(candidate)
        if path.is_file():
            return path
    raise SigningError(
        _("The font for signature stamps is missing on the server (install fonts-liberation2)."), code="no_font"
    )


#: The characters a stamp or a filled field may need: Latin with every Vietnamese letter, combining marks,
#: punctuation, the đồng sign. The stamp font is cut down to them once: pyHanko subsets the font again for
#: every text it writes, which is much faster on a few hundred glyphs than on a few thousand.
STAMP_CHARACTERS = (
    (0x20, 0x7E),  # Basic Latin
    (0xA0, 0xFF),  # Latin-1 Supplement
    (0x100, 0x24F),  # Latin Extended-A and -B (Đ đ Ơ ơ Ư ư …)
    (0x300, 0x36F),  # combining diacritical marks
    (0x1EA0, 0x1EF9),  # Latin Extended Additional: Vietnamese (Ạ … ỹ)
    (0x2010, 0x2044),  # dashes, quotes, bullets, ellipsis
    (0x20AB, 0x20AB),  # ₫
)


@functools.lru_cache(maxsize=4)
def _font_bytes(path: str, mtime: float) -> bytes:
    """The font for stamps and filled fields: cut down to :data:`STAMP_CHARACTERS`, rescaled to 1000 units per
    em, without hinting.

    pyHanko's glyph accumulator writes the glyph widths (``/W``) and kerning adjustments in font units, which a
    PDF reads as thousandths of an em: right for fonts of 1000 units per em (most CFF fonts), twice too wide for
    TrueType fonts of 2048 (Liberation, Times New Roman). Rescaling the font to 1000 units makes both agree;
    hinting programs would not survive the rescaling and are not used in PDF anyway."""
    from fontTools import subset, ttLib
    from fontTools.ttLib.scaleUpem import scale_upem

    font = ttLib.TTFont(path)
    options = subset.Options()
    options.hinting = False
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    options.drop_tables += ["hdmx", "VDMX", "LTSH", "gasp", "DSIG"]
    subsetter = subset.Subsetter(options=options)
    subsetter.populate(unicodes=[code for first, last in STAMP_CHARACTERS for code in range(first, last + 1)])
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class _Metrics:
    advances: dict  # code point → advance width in ems
    ascent: float
    descent: float  # negative


@functools.lru_cache(maxsize=4)
def _font_metrics(path: str, mtime: float) -> _Metrics:
    from fontTools import ttLib

    font = ttLib.TTFont(path, lazy=True)
    units = font["head"].unitsPerEm
    hmtx = font["hmtx"]
    advances = {code: hmtx[glyph][0] / units for code, glyph in font.getBestCmap().items()}
    return _Metrics(advances=advances, ascent=font["hhea"].ascent / units, descent=font["hhea"].descent / units)


def _metrics() -> _Metrics:
    path = stamp_font_path()
    return _font_metrics(str(path), path.stat().st_mtime)


def _vertical_metrics() -> tuple[float, float]:
    """The stamp font's ascent and descent (descent negative), in ems."""
    metrics = _metrics()
    return metrics.ascent, metrics.descent


def _font_factory(size: float):
    """A pyHanko font engine factory for the stamp font at ``size`` points."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

    path = stamp_font_path()
    data = _font_bytes(str(path), path.stat().st_mtime)

    class _Factory(GlyphAccumulatorFactory):
        def create_font_engine(self, writer, obj_stream=None):
            if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
                obj_stream = writer.prepare_object_stream()
            return GlyphAccumulator(
                writer=writer, font_handle=io.BytesIO(data), font_size=self.font_size, obj_stream=obj_stream
            )

    return _Factory(font_file=str(path), font_size=round(size) or 10)


# fontTools reports every table it does not subset (FFTM …) at INFO/WARNING level on each signature.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)


class _NoFetchWarning(logging.Filter):
    """pyHanko warns on every signature that embeds validation data while fetching is off: that is our choice."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "fetching is not allowed" not in record.getMessage()


logging.getLogger("pyhanko.sign.signers.pdf_signer").addFilter(_NoFetchWarning())


# --- signing ----------------------------------------------------------------------------------------------------


def signature_field_name(kind: str) -> str:
    return SIGNATURE_FIELDS[SignatureKind(kind)]


def _check_validity(cert, credential: SigningCredential, now: datetime) -> None:
    if cert.not_valid_after <= now:
        raise SigningError(
            _(
                "The certificate “%(name)s” expired on %(date)s: it can no longer sign. Ask the administrator to "
                "configure the renewed certificate."
            ),
            code="certificate_expired",
            params={"name": str(credential), "date": timezone.localtime(cert.not_valid_after).strftime("%d/%m/%Y")},
        )
    if cert.not_valid_before > now:
        raise SigningError(
            _("The certificate “%(name)s” is valid only from %(date)s."),
            code="certificate_not_yet_valid",
            params={
                "name": str(credential),
                "date": timezone.localtime(cert.not_valid_before).strftime("%d/%m/%Y %H:%M"),
            },
        )


def _stamp_lines(cert, now: datetime, *, narrow: bool = False) -> str:
    """The stamp's text: who signed, their organization (when the certificate names another one), and when.
    ``narrow`` puts the labels on lines of their own (for a square box such as the seal's)."""
    facts = CertificateFacts.of(cert)
    name = nfc(facts.common_name or facts.subject)
    moment = timezone.localtime(now).strftime(STAMP_TIME_FORMAT)
    moment = f"{moment[:-2]}:{moment[-2:]}"  # +0700 → +07:00
    signed_by, signed_at = STAMP_SIGNED_BY.format(name=name), STAMP_TIME.format(time=moment)
    if narrow:
        signed_by, signed_at = signed_by.replace(": ", ":\n", 1), signed_at.replace(": ", ":\n", 1)
    lines = [signed_by]
    if facts.organization and facts.organization != facts.common_name:
        lines.append(nfc(facts.organization))
    lines.append(signed_at)
    return "\n".join(lines)


def _stamp_scale(text: str, rect: tuple[float, float, float, float]) -> float:
    """How much ``text`` must shrink to fit the box (1 = not at all): the stamp takes the layout that keeps
    the text largest."""
    lines = text.split("\n")
    width = max(_text_width(line, STAMP_FONT_SIZE) for line in lines) or 1
    height = len(lines) * STAMP_LEADING
    room_x = max(1.0, rect[2] - rect[0] - 2 * STAMP_MARGIN)
    room_y = max(1.0, rect[3] - rect[1] - 2 * STAMP_MARGIN)
    return min(1.0, room_x / width, room_y / height)


def _text_width(text: str, size: float) -> float:
    """The advance width of ``text`` in the stamp font at ``size`` points (without kerning: an estimate)."""
    advances = _metrics().advances
    return sum(advances.get(ord(char), 0.5) for char in nfc(text)) * size


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text or "")


def _stamp_style(text: str):
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.stamp import TextStampStyle

    return TextStampStyle(
        stamp_text=text.replace("%", "%%"),
        text_box_style=TextBoxStyle(
            font=_font_factory(STAMP_FONT_SIZE), font_size=STAMP_FONT_SIZE, leading=STAMP_LEADING
        ),
        inner_content_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
            margins=layout.Margins.uniform(STAMP_MARGIN),
        ),
        border_width=1,
    )


def _field_style(field_obj, acroform):
    """The text box style of a filled field: the size of its ``/DA`` (the profile's), its ``/Q`` alignment,
    centred vertically; shrunk to fit a long date line."""
    from pyhanko.pdf_utils import layout
    from pyhanko.pdf_utils.text import TextBoxStyle

    da = str(field_obj.get("/DA") or (acroform.get("/DA") if acroform is not None else "") or "")
    match = _DA_SIZE.search(da)
    size = float(match.group(1)) if match else 0.0
    if size <= 0:
        size = 12.0
    # pyHanko puts a one-line text box's baseline at the bottom of the box it centres: a "leading" of the
    # glyphs' centre above the baseline, doubled (ascent + descent, descent < 0), centres the glyphs themselves.
    ascent, descent = _vertical_metrics()
    quadding = int(field_obj.get("/Q", acroform.get("/Q", 0) if acroform is not None else 0) or 0)
    x_align = {1: layout.AxisAlignment.ALIGN_MID, 2: layout.AxisAlignment.ALIGN_MAX}.get(
        quadding, layout.AxisAlignment.ALIGN_MIN
    )
    return TextBoxStyle(
        font=_font_factory(size),
        font_size=size,
        leading=max(1, round(size * (ascent + descent))),
        box_layout_rule=layout.SimpleBoxLayoutRule(
            x_align=x_align,
            y_align=layout.AxisAlignment.ALIGN_MID,
            inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT,
        ),
    )


def _fill_fields(writer, values: dict[str, str]) -> None:
    """Fill the named empty text fields (read-only afterwards) with appearance streams in our font."""
    from pyhanko.pdf_utils.form_tools import find_existing_empty_field, populate_static_text_field
    from pyhanko.pdf_utils.misc import FormFillingError

    acroform = writer.root.get("/AcroForm")
    acroform = acroform.get_object() if acroform is not None else None
    for name, value in values.items():
        try:
            field_obj = find_existing_empty_field(writer, name, "/Tx").get_object()
            style = _field_style(field_obj, acroform)
            populate_static_text_field(writer, name, style, nfc(str(value)))
        except FormFillingError as exc:
            raise SigningError(
                _(
                    "The PDF has no empty field “%(field)s” to fill in: it was not made by PartyHub for signing, or it "
                    "was already numbered."
                ),
                code="no_field",
                params={"field": name},
            ) from exc


def _configured_timestamper():
    url = (getattr(settings, "PARTYHUB_TSA_URL", "") or "").strip()
    if not url:
        return None
    from pyhanko.sign.timestamps import HTTPTimeStamper

    return HTTPTimeStamper(url, timeout=int(getattr(settings, "PARTYHUB_TSA_TIMEOUT_SECONDS", 10) or 10))


def _signing_validation_context():
    """The context that validates the signer's chain before signing (to embed it), or ``None`` without roots."""
    roots = load_trust_roots()
    if not roots:
        return None
    from pyhanko_certvalidator import ValidationContext

    return ValidationContext(
        trust_roots=roots,
        allow_fetching=bool(getattr(settings, "PARTYHUB_SIGNING_FETCH_REVOCATION", False)),
        revocation_mode="soft-fail",
    )


def _chain_problem(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) says a certificate chain could not be validated."""
    from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, PathBuildingError | PathValidationError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _timestamp_problem(exc: BaseException) -> bool:
    import asyncio

    import aiohttp
    from pyhanko.sign.timestamps.common_utils import TimestampRequestError

    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, TimestampRequestError | aiohttp.ClientError | asyncio.TimeoutError | ConnectionError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def _outside_event_loop(function, *args, **kwargs):
    """Call ``function`` — which runs pyHanko's synchronous API, i.e. ``asyncio.run`` — in this thread, or in a
    worker thread when this thread already runs an event loop (an async caller; Playwright in tests), where
    ``asyncio.run`` would fail."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="partyhub-signing") as pool:
        return pool.submit(function, *args, **kwargs).result()


def _writer(data: bytes):
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
    except Exception as exc:  # pyHanko raises PdfReadError and plain ValueErrors/KeyErrors on broken files
        logger.info("Not a PDF pyHanko can update: %s", exc)
        raise SigningError(_("The file is not a PDF that can be signed."), code="invalid_pdf") from exc
    if writer.prev.encrypted:
        raise SigningError(_("Encrypted PDF files cannot be signed here."), code="encrypted_pdf")
    return writer


def _page_box(writer, box) -> tuple[int, tuple[float, float, float, float]]:
    page_index, x1, y1, x2, y2 = box
    pages = int(writer.root["/Pages"]["/Count"])
    page_index = int(page_index)
    if page_index < 0:
        page_index += pages
    if not 0 <= page_index < pages:
        raise ValueError(f"stamp page {box[0]} outside the document's {pages} pages")
    left, right = sorted((float(x1), float(x2)))
    bottom, top = sorted((float(y1), float(y2)))
    return page_index, (left, bottom, right, top)


def _field_lock(kind: str):
    """The form fields this signature locks (``/FieldMDP``): the signer's locks everything but the number, the
    date and the organization's signature, which the clerk fills afterwards; the organization's locks all.
    Filling a locked field later is reported by the verification as a change after signing."""
    from pyhanko.sign.fields import FieldMDPAction, FieldMDPSpec

    if kind == SignatureKind.SIGNER:
        return FieldMDPSpec(
            action=FieldMDPAction.EXCLUDE, fields=[*FILLED_AFTER_SIGNER, SIGNATURE_FIELDS["organization"]]
        )
    return FieldMDPSpec(action=FieldMDPAction.ALL)


def _sign_once(data, *, signer, cert, kind, box, field_values, reason, location, timestamper, context) -> bytes:
    from pyhanko.sign import fields, signers

    writer = _writer(data)
    if field_values:
        _fill_fields(writer, field_values)
    field_name = signature_field_name(kind)
    existing = {name for name, _value, _ref in fields.enumerate_sig_fields(writer)}
    if field_name in existing:
        raise SigningError(
            _("This PDF already carries a signature of this kind applied by PartyHub."),
            code="already_signed",
        )
    now = timezone.now()
    lock = _field_lock(kind)
    if box is not None:
        page_index, rect = _page_box(writer, box)
        spec = fields.SigFieldSpec(field_name, on_page=page_index, box=rect, field_mdp_spec=lock)
    else:
        spec = fields.SigFieldSpec(field_name, field_mdp_spec=lock)
    facts = CertificateFacts.of(cert)
    text = _stamp_lines(cert, now)
    if box is not None:
        narrow = _stamp_lines(cert, now, narrow=True)
        if _stamp_scale(narrow, rect) > _stamp_scale(text, rect):
            text = narrow
    meta = signers.PdfSignatureMetadata(
        field_name=field_name,
        md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES,
        reason=nfc(reason) or None,
        location=nfc(location) or None,
        name=facts.common_name or None,
        embed_validation_info=context is not None,
        validation_context=context,
    )
    pdf_signer = signers.PdfSigner(
        meta,
        signer,
        timestamper=timestamper,
        stamp_style=_stamp_style(text),
        new_field_spec=spec,
    )
    out = io.BytesIO()
    pdf_signer.sign_pdf(writer, output=out)
    return out.getvalue()


def sign_pdf(
    data: bytes,
    *,
    credential: SigningCredential,
    kind: str,
    box: tuple | None = None,
    field_values: dict[str, str] | None = None,
    reason: str = "",
    location: str = "",
    timestamper=None,
) -> bytes:
    """Sign ``data`` (PDF bytes) with ``credential`` and return the signed bytes (the input plus one incremental
    update; plus one more holding validation data when it is embedded).

    ``kind``: ``SignatureKind`` ("signer" or "organization"): names the signature field. ``box``:
    ``(page_index, x1, y1, x2, y2)`` in PDF points (``documents.outgoing_render.stamp_rect``) for a visible stamp;
    ``None``: an invisible signature. ``field_values``: ``{field name: text}`` filled before the signature in the
    same update. ``timestamper``: a pyHanko ``TimeStamper`` replacing the configured TSA (tests).
    Raises :class:`SigningError` (translated message) on every failure the user can act upon."""
    kind = SignatureKind(kind)
    if timestamper is None:
        timestamper = _configured_timestamper()
    with open_signer(credential) as signer:
        cert = signer.signing_cert
        _check_validity(cert, credential, timezone.now())
        context = _signing_validation_context()
        for embed in (True, False) if context is not None else (False,):
            try:
                return _outside_event_loop(
                    _sign_once,
                    data,
                    signer=signer,
                    cert=cert,
                    kind=kind,
                    box=box,
                    field_values=field_values,
                    reason=reason,
                    location=location,
                    timestamper=timestamper,
                    context=context if embed else None,
                )
            except SigningError:
                raise
            except Exception as exc:
                if embed and _chain_problem(exc):
                    # The chain (the signer's or the TSA's) does not validate against the configured roots:
                    # sign without embedding validation data; the verification will say "not trusted".
                    logger.warning("Signing with %s without validation data: %s", credential.pk, exc)
                    continue
                if _timestamp_problem(exc):
                    logger.error("Time-stamping authority failed: %s", exc)
                    raise SigningError(
                        _(
                            "The time-stamping authority did not answer, so nothing was signed. Try again later; "
                            "if it keeps failing, tell the administrator."
                        ),
                        code="tsa_unavailable",
                    ) from exc
                logger.exception("Signing failed (credential %s)", credential.pk)
                raise SigningError(
                    _("The document could not be signed (%(error)s). Nothing was changed."),
                    code="signing_failed",
                    params={"error": type(exc).__name__},
                ) from exc
    raise AssertionError("unreachable")  # pragma: no cover


# --- verification ---------------------------------------------------------------------------------------------

#: Plain-language words for pyHanko's modification levels (what changed after a signature).
CHANGE_TEXTS = {
    "none": gettext_lazy("Nothing was changed after this signature."),
    "lta_updates": gettext_lazy("Only validation data was added after this signature."),
    "form_filling": gettext_lazy(
        "After this signature, further signatures were added and form fields (such as the number and the date) "
        "were filled in — allowed changes."
    ),
    "annotations": gettext_lazy("Comments were added after this signature."),
    "other": gettext_lazy("The content of the document was changed after this signature."),
}


@dataclass
class SignatureVerdict:
    """One signature of a verified PDF: the validator's report plus what PartyHub knows of it."""

    index: int
    report: SignatureReport
    #: The PartyHub credential whose certificate made this signature (matched by SHA-256 fingerprint).
    credential: SigningCredential | None = None
    #: "signer" / "organization" when PartyHub made it (field name or credential), else "".
    kind: str = ""

    @property
    def by_partyhub(self) -> bool:
        return self.credential is not None

    @property
    def kind_label(self) -> str:
        if self.kind:
            return str(SignatureKind(self.kind).label)
        return ""

    @property
    def signed_at(self) -> datetime | None:
        return self.report.timestamp_at or self.report.signed_at

    @property
    def change_text(self) -> str:
        report = self.report
        if not report.intact:
            return ""
        if not report.details.get("revisions_after_signing"):
            return str(CHANGE_TEXTS["none"])
        return str(CHANGE_TEXTS.get(report.modification_level) or CHANGE_TEXTS["other"])

    @property
    def trust_text(self) -> str:
        """Why the certificate is (not) trusted, in plain words."""
        report = self.report
        if report.revoked:
            when = timezone.localtime(report.revoked_at).strftime("%d/%m/%Y") if report.revoked_at else "?"
            return _("The certificate was revoked on %(date)s.") % {"date": when}
        if report.expired_at_signing:
            return _("The certificate had already expired when this signature was made.")
        if report.trusted and report.certificate_expired:
            return _(
                "The certificate was valid when the document was signed (proved by a timestamp); it has expired since."
            )
        if report.trusted:
            return _("The certificate was issued by a trusted certification authority.")
        if report.certificate_expired:
            return _("The certificate has expired, and no timestamp proves it was signed while it was valid.")
        if report.intact:
            return _("The certificate was not issued by a certification authority this PartyHub trusts.")
        return ""

    def as_dict(self) -> dict:
        report = self.report
        return {
            "index": self.index,
            "field_name": report.field_name,
            "signer_name": report.signer_name,
            "signer_organization": report.signer_organization,
            "signer_subject": report.signer_subject,
            "signed_at": self.signed_at.isoformat() if self.signed_at else None,
            "timestamped": report.timestamped,
            "intact": report.intact,
            "trusted": report.trusted,
            "certificate_expired": report.certificate_expired,
            "expired_at_signing": report.expired_at_signing,
            "revoked": report.revoked,
            "modified_after_signing": report.modified_after_signing,
            "modification_level": report.modification_level,
            "by_partyhub": self.by_partyhub,
            "kind": self.kind,
            "certificate_fingerprint": report.certificate_fingerprint,
            "summary": report.summary,
            "trust": self.trust_text,
            "changes": self.change_text,
        }


@dataclass
class VerificationReport:
    sha256: str
    size: int
    signatures: list[SignatureVerdict] = field(default_factory=list)
    #: The PartyHub signatures whose resulting file is exactly this PDF (same SHA-256).
    applied: list[AppliedSignature] = field(default_factory=list)
    #: The file could not be read as a PDF at all.
    unreadable: bool = False

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def intact(self) -> bool:
        return self.signed and all(v.report.intact for v in self.signatures)

    @property
    def trusted(self) -> bool:
        return self.signed and all(v.report.trusted for v in self.signatures)

    @property
    def changed_after_signing(self) -> bool:
        return any(v.report.modified_after_signing for v in self.signatures)

    @property
    def valid(self) -> bool:
        return self.intact and self.trusted and not self.changed_after_signing

    @property
    def signed_by_partyhub(self) -> bool:
        return bool(self.applied) or any(v.by_partyhub for v in self.signatures)

    @property
    def documents(self) -> list:
        """The outgoing documents this exact file belongs to (usually one)."""
        seen, result = set(), []
        for applied in self.applied:
            if applied.document_id not in seen:
                seen.add(applied.document_id)
                result.append(applied.document)
        return result

    @property
    def status(self) -> str:
        """ "unreadable", "unsigned", "invalid", "changed", "untrusted" or "valid"."""
        if self.unreadable:
            return "unreadable"
        if not self.signed:
            return "unsigned"
        if not self.intact:
            return "invalid"
        if self.changed_after_signing:
            return "changed"
        if not self.trusted:
            return "untrusted"
        return "valid"

    @property
    def headline(self) -> str:
        return {
            "unreadable": _("This file cannot be read as a PDF."),
            "unsigned": _("This PDF carries no digital signature: an unsigned copy is for reference only."),
            "invalid": _("NOT VALID: this PDF was altered after it was signed. Do not rely on it."),
            "changed": _(
                "WARNING: the signatures are intact, but the document was changed after it was signed. Ask the "
                "issuing office for the original."
            ),
            "untrusted": _("The PDF is intact, but a signer's certificate is not trusted here; check who signed it."),
            "valid": _(
                "VALID: the PDF is intact, signed with trusted certificates, and nothing was changed after signing."
            ),
        }[self.status]

    def as_dict(self) -> dict:
        return {
            "sha256": self.sha256,
            "size": self.size,
            "status": self.status,
            "headline": self.headline,
            "signed": self.signed,
            "intact": self.intact,
            "trusted": self.trusted,
            "changed_after_signing": self.changed_after_signing,
            "valid": self.valid,
            "signed_by_partyhub": self.signed_by_partyhub,
            "issued_by_partyhub": bool(self.applied),
            "signatures": [v.as_dict() for v in self.signatures],
        }


def _kind_of(report: SignatureReport, credential: SigningCredential | None) -> str:
    for kind, name in SIGNATURE_FIELDS.items():
        if report.field_name == name:
            return str(kind)
    if credential is not None:
        return str(SignatureKind.SIGNER if credential.user_id else SignatureKind.ORGANIZATION)
    return ""


def verify_pdf(data: bytes) -> VerificationReport:
    """Verify every signature of the PDF ``data`` (read-only: nothing is stored) and tell what PartyHub knows
    of the file and its signers."""
    report = VerificationReport(sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    try:
        reports = _outside_event_loop(validate_pdf_signatures, data)
    except Exception as exc:  # not a PDF pyHanko can parse at all
        logger.info("Verification: unreadable PDF: %s", exc)
        report.unreadable = True
        return report
    fingerprints = {r.certificate_fingerprint for r in reports if r.certificate_fingerprint}
    credentials = {
        c.fingerprint: c
        for c in SigningCredential.objects.filter(fingerprint__in=sorted(fingerprints)).select_related(
            "user", "organization"
        )
    }
    for index, item in enumerate(reports, start=1):
        credential = credentials.get(item.certificate_fingerprint)
        report.signatures.append(
            SignatureVerdict(index=index, report=item, credential=credential, kind=_kind_of(item, credential))
        )
    report.applied = list(
        AppliedSignature.objects.filter(result_file__sha256=report.sha256)
        .select_related("document", "document__organization", "credential")
        .order_by("signed_at", "id")
    )
    return report
