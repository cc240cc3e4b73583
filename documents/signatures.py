"""Validation of the digital signatures embedded in a PDF (PAdES / adbe.pkcs7.detached) with pyHanko.

For every signature the report answers the three questions of issue 4:

* **intact** — the signed bytes hash to the value in the signature and the signature verifies with the signer's
  key (``PdfSignatureStatus.intact`` and ``.valid``); bytes changed inside the signed range make it false;
* **trusted** — the signer's certificate chains to one of the configured trust roots
  (``settings.PARTYHUB_TRUST_ROOTS``: PEM or DER files, one or several certificates each) and is valid for
  signing; nothing is fetched from the network (revocation is checked only from data in the file: soft-fail);
* **modified after signing** — the file has revisions after the signed one (incremental updates). pyHanko's
  difference analysis says whether they are harmless (new signatures, validation data, form filling,
  annotations) or changed the document itself; both are reported, and any later change is shown.

Besides, each report carries the signer certificate's facts (organization, SHA-256 fingerprint, validity), an
RFC 3161 timestamp when there is one, and whether the certificate was expired or revoked at the signing time. A
certificate that expired *after* a trusted timestamp proved the signature older is validated again at the
timestamp's time (long-term validation), so an old signed document stays valid.

Used by the digitizer (``documents.services.digitizing``) for incoming documents and by ``documents.signing``
(the verification page and API for outgoing ones, issue 5). Pure: it reads bytes and returns data; storing is
the caller's business.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

logger = logging.getLogger(__name__)

__all__ = [
    "SignatureReport",
    "has_signatures",
    "load_trust_roots",
    "trust_root_paths",
    "validate_pdf_signatures",
]


@dataclass
class SignatureReport:
    field_name: str
    signer_name: str = ""
    signer_subject: str = ""
    signed_at: datetime | None = None
    intact: bool = False
    trusted: bool = False
    modified_after_signing: bool = False
    #: pyHanko's verdict on what changed after signing: "none", "lta_updates", "form_filling", "annotations",
    #: "other" (the page content or structure was changed), or "" when not evaluated.
    modification_level: str = ""
    coverage: str = ""
    error: str = ""
    details: dict = field(default_factory=dict)
    # --- the signer's certificate (issue 5) ---
    signer_organization: str = ""
    certificate_fingerprint: str = ""  # SHA-256 of the DER certificate, hex
    certificate_serial: str = ""
    certificate_issuer: str = ""
    certificate_valid_from: datetime | None = None
    certificate_valid_until: datetime | None = None
    #: The certificate's validity has ended (now).
    certificate_expired: bool = False
    #: The certificate was not valid at the signing time (the timestamp's, else the signer's own clock).
    expired_at_signing: bool = False
    revoked: bool = False
    revoked_at: datetime | None = None
    # --- an RFC 3161 signature timestamp ---
    timestamped: bool = False
    timestamp_at: datetime | None = None
    timestamp_trusted: bool = False

    @property
    def valid(self) -> bool:
        """Intact, trusted, and nothing changed after signing."""
        return self.intact and self.trusted and not self.modified_after_signing

    @property
    def summary(self) -> str:
        if self.error:
            return _("The signature cannot be validated: the signature data is damaged.")
        if not self.intact:
            return _("INVALID: the document was changed after it was signed (the signed content does not match).")
        if self.modified_after_signing:
            if self.modification_level == "annotations":
                return _("WARNING: the signature is intact, but comments were added after signing.")
            return _("WARNING: the signature is intact, but the document was changed after signing.")
        if not self.trusted:
            if self.revoked:
                return _("The signature is intact, but the signer's certificate was revoked.")
            if self.expired_at_signing or self.certificate_expired:
                return _("The signature is intact, but the signer's certificate has expired.")
            return _("The signature is intact, but the signer's certificate is not from a trusted authority.")
        if self.details.get("revisions_after_signing"):
            return _("Valid signature from a trusted authority; added later: %(what)s.") % {
                "what": _(_ADDITIONS.get(self.modification_level) or "validation data")
            }
        return _("Valid signature: intact, from a trusted authority, not changed since signing.")

    def as_details(self) -> dict:
        data = asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        return data


#: Modification levels that a signing workflow produces after a signature (the organization's signature over the
#: signer's, long-term validation data): reported, but not "modified after signing".
HARMLESS_LEVELS = ("lta_updates", "form_filling")

_ADDITIONS = {
    "lta_updates": gettext_noop("validation data"),
    "form_filling": gettext_noop("further signatures or form fields"),
    "annotations": gettext_noop("comments"),
    "none": "",
}


def trust_root_paths() -> list[Path]:
    """``settings.PARTYHUB_TRUST_ROOTS``: a list of paths, or one string with paths separated by commas,
    colons or semicolons (as an environment variable gives it)."""
    configured = getattr(settings, "PARTYHUB_TRUST_ROOTS", None) or []
    if isinstance(configured, str | Path):
        configured = [configured]
    paths = []
    for item in configured:
        for part in str(item).replace(";", ",").split(","):
            part = part.strip()
            if part:
                paths.append(Path(part))
    return paths


def _read_certificates(path: Path) -> list:
    from asn1crypto import pem, x509

    data = path.read_bytes()
    if pem.detect(data):
        return [
            x509.Certificate.load(der)
            for kind, _headers, der in pem.unarmor(data, multiple=True)
            if kind == "CERTIFICATE"
        ]
    return [x509.Certificate.load(data)]


def load_trust_roots(paths: Iterable[Path | str] | None = None) -> list:
    """The trust anchors (asn1crypto certificates) from ``paths`` (default: the configured ones). A file
    that cannot be read is logged and skipped: it must never make an untrusted signature look trusted."""
    roots = []
    for path in trust_root_paths() if paths is None else [Path(p) for p in paths]:
        try:
            roots.extend(_read_certificates(path))
        except (OSError, ValueError, TypeError) as exc:
            logger.error("Cannot read trust root %s: %s", path, exc)
    return roots


def _reader(data: bytes):
    from pyhanko.pdf_utils.reader import PdfFileReader

    return PdfFileReader(io.BytesIO(data), strict=False)


def has_signatures(data: bytes) -> bool:
    """Whether the PDF carries at least one filled signature field."""
    try:
        return bool(_reader(data).embedded_signatures)
    except Exception:  # pyHanko raises many kinds on odd files; no signature we can read is no signature
        logger.info("pyHanko could not read the signature fields", exc_info=True)
        return False


def _name(cert) -> tuple[str, str]:
    try:
        subject = cert.subject
        native = subject.native
        return str(native.get("common_name") or subject.human_friendly), subject.human_friendly
    except Exception:
        return "", ""


def _certificate_facts(report: SignatureReport, cert) -> None:
    """The signer certificate's organization, fingerprint, serial, issuer and validity into ``report``."""
    import hashlib

    organization = cert.subject.native.get("organization_name") or ""
    if isinstance(organization, list | tuple):
        organization = organization[0] if organization else ""
    report.signer_organization = str(organization)
    report.certificate_fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    report.certificate_serial = format(cert.serial_number, "X")
    report.certificate_issuer = cert.issuer.human_friendly
    report.certificate_valid_from = cert.not_valid_before
    report.certificate_valid_until = cert.not_valid_after


def _context(roots: list, moment: datetime | None = None):
    from pyhanko_certvalidator import ValidationContext

    kwargs = {"moment": moment} if moment is not None else {}
    return ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail", **kwargs)


def _timing(report: SignatureReport, status, roots: list, embedded) -> None:
    """Timestamp, expiry and revocation facts; a signature whose certificate expired since it was made is
    trusted when a trusted timestamp proves it was made while the certificate was valid (validated again at
    the timestamp's time)."""
    from datetime import UTC

    now = datetime.now(UTC)
    timestamp = getattr(status, "timestamp_validity", None)
    if timestamp is not None:
        report.timestamped = True
        report.timestamp_at = timestamp.timestamp
        report.timestamp_trusted = bool(timestamp.intact and timestamp.valid and timestamp.trusted)
    until, since = report.certificate_valid_until, report.certificate_valid_from
    report.certificate_expired = bool(until and until <= now)
    moment = report.timestamp_at if report.timestamp_trusted else report.signed_at
    if moment is not None and until is not None and since is not None:
        report.expired_at_signing = not (since <= moment < until)
    details = getattr(status, "revocation_details", None)
    if details is not None:
        report.revoked = True
        report.revoked_at = getattr(details, "revocation_date", None)
    indication = getattr(getattr(status, "trust_problem_indic", None), "name", "") or ""
    if "REVOKED" in indication:
        report.revoked = True
    if (
        report.intact
        and not report.trusted
        and not report.revoked
        and report.certificate_expired
        and report.timestamp_trusted
        and not report.expired_at_signing
    ):
        from pyhanko.sign.validation import validate_pdf_signature

        try:
            again = validate_pdf_signature(
                embedded,
                signer_validation_context=_context(roots, report.timestamp_at),
                ts_validation_context=_context(roots),
            )
            report.trusted = bool(again.trusted and again.intact and again.valid)
            report.details["trusted_at_timestamp"] = report.trusted
        except Exception as exc:
            logger.info("Validation at the timestamp's time failed: %s", exc)


def validate_pdf_signatures(data: bytes, *, trust_roots: list | None = None) -> list[SignatureReport]:
    """Validate every embedded signature of the PDF ``data`` (the bytes as received, never rewritten).

    ``trust_roots`` (asn1crypto certificates) defaults to :func:`load_trust_roots`. Returns one report per
    signature, in the order they were applied; an empty list for an unsigned PDF.
    """
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = load_trust_roots() if trust_roots is None else trust_roots
    reader = _reader(data)
    reports = []
    for embedded in reader.embedded_signatures:
        report = SignatureReport(field_name=str(embedded.field_name or ""))
        with contextlib.suppress(Exception):
            report.signer_name, report.signer_subject = _name(embedded.signer_cert)
        with contextlib.suppress(Exception):
            _certificate_facts(report, embedded.signer_cert)
        context = ValidationContext(trust_roots=roots, allow_fetching=False, revocation_mode="soft-fail")
        try:
            status = validate_pdf_signature(embedded, signer_validation_context=context)
        except Exception as exc:  # malformed CMS data, unsupported algorithms ...
            logger.warning("Signature %s could not be validated: %s", report.field_name, exc)
            report.error = f"{type(exc).__name__}: {exc}"[:500]
            reports.append(report)
            continue
        report.intact = bool(status.intact and status.valid)
        report.trusted = bool(status.trusted) and report.intact
        report.signed_at = status.signer_reported_dt
        with contextlib.suppress(Exception):
            _timing(report, status, roots, embedded)
        coverage = getattr(status.coverage, "name", "") or ""
        report.coverage = coverage.lower()
        level = getattr(status, "modification_level", None)
        report.modification_level = (getattr(level, "name", "") or "").lower()
        if status.docmdp_ok is False:
            report.modification_level = "other"
        # Revisions after the signed one (coverage short of ENTIRE_FILE) change the document unless pyHanko's
        # difference analysis finds only what a signature workflow adds: validation data, further signatures.
        appended = coverage != "ENTIRE_FILE"
        report.modified_after_signing = appended and report.modification_level not in HARMLESS_LEVELS
        report.details["revisions_after_signing"] = appended
        report.details |= {
            "bottom_line": bool(status.bottom_line),
            "docmdp_ok": status.docmdp_ok,
            "trust_problem": getattr(status.trust_problem_indic, "name", None),
            "md_algorithm": status.md_algorithm,
            "mechanism": status.pkcs7_signature_mechanism,
        }
        reports.append(report)
    return reports
