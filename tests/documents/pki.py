"""A throw-away PKI for the signature tests: root and intermediate CAs, personal and organization signing
certificates, an expired one and one from an untrusted root, a time-stamping authority, PKCS#12 files, and PDF
signing with pyHanko (PAdES, as the government CA's tokens produce). Nothing here is trusted outside the test
that made it. Keys are 2048-bit RSA, generated fresh (``build_test_pki`` makes the whole set in ~1 s)."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_AUTHORITY = "Ban Cơ yếu (test)"


@dataclass
class Identity:
    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    #: The certificates above this one, nearest first (intermediates, then the root).
    chain: list[x509.Certificate] = field(default_factory=list)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def fingerprint(self) -> str:
        return self.cert.fingerprint(hashes.SHA256()).hex()

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def write_pem(self, path: Path) -> Path:
        path.write_bytes(self.cert_pem)
        return path

    def write_pkcs12(self, path: Path, passphrase: str, *, with_chain: bool = True) -> Path:
        """The key, the certificate and (by default) its chain as a PKCS#12 file protected by ``passphrase``."""
        data = pkcs12.serialize_key_and_certificates(
            name=b"partyhub-test",
            key=self.key,
            cert=self.cert,
            cas=self.chain if with_chain else None,
            encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode()),
        )
        path.write_bytes(data)
        return path


def _name(common_name: str, organization: str = TEST_AUTHORITY) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=not ca,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def make_ca(common_name: str = "PartyHub Test Root CA", *, issuer: Identity | None = None) -> Identity:
    """A self-signed root CA, or (with ``issuer``) an intermediate CA issued by ``issuer``."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.cert.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650 if issuer is None else 1825))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(_key_usage(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    cert = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    chain = [issuer.cert, *issuer.chain] if issuer else []
    return Identity(key, cert, chain)


def make_intermediate(root: Identity, common_name: str = "PartyHub Test Issuing CA") -> Identity:
    return make_ca(common_name, issuer=root)


def issue(
    ca: Identity,
    common_name: str = "Nguyễn Văn Đức",
    *,
    organization: str = TEST_AUTHORITY,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    time_stamping: bool = False,
) -> Identity:
    """An end-entity certificate issued by ``ca``: a signing certificate (digital signature and
    non-repudiation), or with ``time_stamping`` a TSA certificate. Valid from yesterday for a year unless
    ``not_before``/``not_after`` say otherwise (an expired certificate: both in the past)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, organization))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or now - datetime.timedelta(days=1))
        .not_valid_after(not_after or now + datetime.timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(ca=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False)
    )
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    cert = builder.sign(ca.key, hashes.SHA256())
    return Identity(key, cert, [ca.cert, *ca.chain])


@dataclass
class TestPKI:
    """The certificates of the signing tests (``build_test_pki``)."""

    root: Identity
    intermediate: Identity
    #: A person's signing certificate (the signer), issued by the intermediate.
    signer: Identity
    #: The organization's certificate (its seal), issued by the intermediate.
    organization: Identity
    #: Issued by the intermediate, expired yesterday.
    expired: Identity
    #: A root nobody configured, and a certificate it issued.
    other_root: Identity
    untrusted: Identity
    #: The time-stamping authority's certificate (issued by the root).
    tsa: Identity

    __test__ = False  # not a test class, whatever its name

    def write_trust_roots(self, path: Path) -> Path:
        """The trust roots a deployment configures: the test root only."""
        return self.root.write_pem(path)


def build_test_pki(*, organization_name: str = "Đảng ủy xã Gò Quao", signer_name: str = "Nguyễn Văn Đức") -> TestPKI:
    now = datetime.datetime.now(datetime.UTC)
    root = make_ca("PartyHub Test Root CA")
    intermediate = make_intermediate(root)
    other_root = make_ca("Some Other Root CA")
    return TestPKI(
        root=root,
        intermediate=intermediate,
        signer=issue(intermediate, signer_name, organization=organization_name),
        organization=issue(intermediate, organization_name, organization=organization_name),
        expired=issue(
            intermediate,
            "Trần Thị Hết Hạn",
            organization=organization_name,
            not_before=now - datetime.timedelta(days=400),
            not_after=now - datetime.timedelta(days=1),
        ),
        other_root=other_root,
        untrusted=issue(other_root, "Lê Văn Giả", organization=organization_name),
        tsa=issue(root, "PartyHub Test TSA", time_stamping=True),
    )


def sign_pdf(pdf: bytes, signer: Identity, ca: Identity, *, field_name: str = "Signature1") -> bytes:
    """Sign ``pdf`` with pyHanko (adbe.pkcs7.detached / PAdES baseline) as ``signer``."""
    from asn1crypto import keys
    from asn1crypto import x509 as asn1_x509
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key_der = signer.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    simple = signers.SimpleSigner(
        signing_cert=asn1_x509.Certificate.load(signer.cert.public_bytes(serialization.Encoding.DER)),
        signing_key=keys.PrivateKeyInfo.load(key_der),
        cert_registry=SimpleCertificateStore.from_certs(
            [asn1_x509.Certificate.load(ca.cert.public_bytes(serialization.Encoding.DER))]
        ),
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf), strict=False)
    out = signers.sign_pdf(
        writer, signers.PdfSignatureMetadata(field_name=field_name, reason="Ký số văn bản"), signer=simple
    )
    return out.getvalue()


def append_page_change(signed: bytes) -> bytes:
    """An incremental update after signing that replaces the first page's content (a forged body text)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(signed))
    page_ref = writer.root["/Pages"]["/Kids"][0]
    page = page_ref.get_object()
    stream = generic.StreamObject(stream_data=b"BT /F1 24 Tf 72 700 Td (FORGED) Tj ET")
    page["/Contents"] = writer.add_object(stream)
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def flip_signed_byte(signed: bytes, needle: bytes = b"/MediaBox") -> bytes:
    """Change one byte inside the signed range (the tampering a forger does with a hex editor)."""
    position = signed.index(needle)
    data = bytearray(signed)
    # Turn "/MediaBox" into "/MediaBoy": same length, so the byte ranges still line up.
    data[position + len(needle) - 1] = ord("y")
    return bytes(data)


# --- a time-stamping authority ------------------------------------------------------------------------------


def _asn1_cert(cert: x509.Certificate):
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def dummy_timestamper(tsa: Identity, *, at: datetime.datetime | None = None):
    """pyHanko's test TSA answering in-process with ``tsa``'s key (``at``: a fixed time)."""
    from asn1crypto import keys
    from pyhanko.sign.timestamps import DummyTimeStamper

    key_der = tsa.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DummyTimeStamper(
        tsa_cert=_asn1_cert(tsa.cert),
        tsa_key=keys.PrivateKeyInfo.load(key_der),
        certs_to_embed=[_asn1_cert(c) for c in tsa.chain],
        fixed_dt=at,
    )


class LocalTSA:
    """A tiny RFC 3161 server over HTTP on 127.0.0.1 (a thread), answering with :func:`dummy_timestamper`:
    the signing code talks to it exactly as to a real TSA. Use as a context manager; ``url``; ``requests``
    counts the requests answered."""

    def __init__(self, tsa: Identity):
        self.stamper = dummy_timestamper(tsa)
        self.requests = 0
        self._server = None
        self._thread = None

    def __enter__(self) -> LocalTSA:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from asn1crypto import tsp

        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                request = tsp.TimeStampReq.load(self.rfile.read(length))
                body = outer.stamper.request_tsa_response(request).dump()
                outer.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/tsa"

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


# --- a PDF to sign -------------------------------------------------------------------------------------------


def pdf_with_fields(*, pages: int = 1) -> bytes:
    """A PDF of ``pages`` A4 pages in Vietnamese with PartyHub's two empty text fields (``partyhub_number``,
    ``partyhub_date``) on the first page, made by WeasyPrint's ``pdf_forms`` like the final PDF of
    ``documents.outgoing_render`` (which needs a document in the database; this does not)."""
    from partyhub.pdf import html_to_pdf

    body = "".join(
        f"<p>Điều {n}. Nội dung nghị quyết: tăng cường công tác xây dựng Đảng, đẩy mạnh phát triển kinh tế — "
        f"xã hội, bảo đảm quốc phòng, an ninh trên địa bàn xã Gò Quao.</p>"
        * 6
        + ('<p style="break-after: page"></p>' if n < pages else "")
        for n in range(1, pages + 1)
    )
    html = f"""<!doctype html><html lang="vi"><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 20mm 15mm 20mm 30mm; }}
      body {{ font-family: "Liberation Serif"; font-size: 14pt; }}
      input {{ font-family: "Liberation Serif"; border: 0; padding: 0; font-size: 14pt; }}
    </style></head><body>
      <p>ĐẢNG BỘ XÃ GÒ QUAO — Số <input type="text" name="partyhub_number" style="width: 2.2em">-NQ/ĐU</p>
      <p><input type="text" name="partyhub_date" style="width: 22em"></p>
      <h1>NGHỊ QUYẾT</h1>
      {body}
      <p>T/M ĐẢNG ỦY — BÍ THƯ</p>
    </body></html>"""
    return html_to_pdf(html, pdf_forms=True).pdf
