"""Outgoing documents benchmark: signing a 10-page resolution (issue 5, H-sign).

Not a test: run with ``make bench`` (``scripts/run-bench.sh``) or alone. It needs no database: the credentials
are unsaved ``SigningCredential`` objects over PKCS#12 files of a throw-away PKI (``tests.documents.pki``) in a
temporary directory, so only the signing code is measured.

Measured, for a 10-page A4 PDF with PartyHub's ``partyhub_number``/``partyhub_date`` fields (WeasyPrint):

(a) the signer's signature: ``documents.signing.sign_pdf(kind="signer")`` with a visible stamp, the chain
    validated against the trust roots and embedded (PAdES B-B + DSS);
(b) the organization's signature with the number and the date filled in the same incremental update
    (``field_values``) — what ``outgoing_issue`` does while the register's counter row is locked;
(c) the same two with an RFC 3161 timestamp from a TSA on 127.0.0.1 over HTTP (``PARTYHUB_TSA_URL``; a real
    TSA adds its network round trips: two per signature, one of them a dummy request pyHanko makes to size the
    signature);
(d) verifying the issued file (both signatures, difference analysis) with ``documents.signatures``.

Usage: ``python bench/outgoing_sign_bench.py [--runs 20] [--pages 10] [--json out.json]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

FIELD_VALUES = {"partyhub_number": "05", "partyhub_date": "Gò Quao, ngày 05 tháng 11 năm 2026"}
SIGNER_BOX = (-1, 340, 120, 510, 182)  # last page, as documents.outgoing_render.stamp_rect gives for HD36
SEAL_BOX = (-1, 270, 100, 398, 228)


def _stats(samples: list[float]) -> dict:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "runs": len(samples),
        "median_ms": round(statistics.median(samples) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--pages", type=int, default=10)
    parser.add_argument("--json", type=Path)
    args, _unknown = parser.parse_known_args()  # run-bench.sh passes every benchmark the same arguments

    import django

    django.setup()
    from django.conf import settings

    from documents import signatures, signing
    from documents.models import CredentialKind, SigningCredential
    from tests.documents import pki

    started = time.perf_counter()
    test_pki = pki.build_test_pki()
    pdf = pki.pdf_with_fields(pages=args.pages)
    setup_seconds = time.perf_counter() - started

    with tempfile.TemporaryDirectory(prefix="partyhub-sign-bench-") as tmp:
        directory = Path(tmp)
        settings.PARTYHUB_TRUST_ROOTS = [str(test_pki.write_trust_roots(directory / "roots.pem"))]
        credentials = {}
        for label in ("signer", "organization"):
            variable = f"PARTYHUB_BENCH_{label.upper()}_PASSPHRASE"
            os.environ[variable] = f"bench {label}"
            credentials[label] = SigningCredential(
                name=label,
                kind=CredentialKind.PKCS12,
                pkcs12_path=str(getattr(test_pki, label).write_pkcs12(directory / f"{label}.p12", f"bench {label}")),
                passphrase_env=variable,
            )

        def sign_both() -> tuple[bytes, float, float]:
            t0 = time.perf_counter()
            signed = signing.sign_pdf(pdf, credential=credentials["signer"], kind="signer", box=SIGNER_BOX)
            t1 = time.perf_counter()
            issued = signing.sign_pdf(
                signed,
                credential=credentials["organization"],
                kind="organization",
                box=SEAL_BOX,
                field_values=FIELD_VALUES,
                location="Gò Quao",
            )
            return issued, t1 - t0, time.perf_counter() - t1

        sign_both()  # warm-up: font rescaling (cached per process), imports
        results: dict[str, dict] = {}
        for label, tsa_url in (("no timestamp", ""), ("timestamp (local TSA)", "tsa")):
            signer_times, seal_times, verify_times = [], [], []
            with pki.LocalTSA(test_pki.tsa) as tsa:
                settings.PARTYHUB_TSA_URL = tsa.url if tsa_url else ""
                for _ in range(args.runs):
                    issued, signer_seconds, seal_seconds = sign_both()
                    signer_times.append(signer_seconds)
                    seal_times.append(seal_seconds)
                    t0 = time.perf_counter()
                    reports = signatures.validate_pdf_signatures(issued)
                    verify_times.append(time.perf_counter() - t0)
                    assert len(reports) == 2 and all(r.valid for r in reports), [r.summary for r in reports]
            results[label] = {
                "signer": _stats(signer_times),
                "organization_with_fields": _stats(seal_times),
                "verify_both": _stats(verify_times),
                "issued_bytes": len(issued),
            }

    summary = {
        "pages": args.pages,
        "pdf_bytes": len(pdf),
        "setup_seconds": round(setup_seconds, 2),
        "python": platform.python_version(),
        "cpu": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "results": results,
    }
    print(f"Signing a {args.pages}-page PDF ({len(pdf) // 1024} KiB), {args.runs} runs each (milliseconds):")
    print(f"{'':24} {'signer':>18} {'organization+fields':>22} {'verify both':>16}")
    for label, data in results.items():
        cells = [
            f"{data[key]['median_ms']:>7} (p95 {data[key]['p95_ms']:>6})"
            for key in ("signer", "organization_with_fields", "verify_both")
        ]
        print(f"{label:24} {cells[0]:>18} {cells[1]:>22} {cells[2]:>16}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
