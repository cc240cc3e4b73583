"""Outgoing documents benchmark: issue throughput with concurrent clerks (issue 5, H-flow).

Not a test: run with ``make bench`` (``scripts/run-bench.sh``) or alone, against PostgreSQL. The benchmark creates
its own throw-away database (``test_outgoing_issue_bench``), migrates it, and drops it at the end.

Measured: signed documents of one issuing organization (the standing committee of a commune), of two types
alternating (Nghị quyết, Báo cáo), issued by K clerks at once — K processes, each with its own PostgreSQL
connection — through the real service ``documents.services.outgoing.outgoing_issue``: the document row lock,
the register counter of (organization, type, term) locked with ``SELECT … FOR UPDATE``, the number and the date
written into the signed PDF's form fields and the organization's PAdES signature applied in one incremental
update (pyHanko, certificate chain validated and embedded), the bytes stored, the entry, the event, the audit
entries, the notifications — one transaction. For each K: issues per second, and the time of one issue as its
clerk sees it (median, 95th percentile). Then the numbers are read back: each type must have 1..n, no gap, no
duplicate (the script exits 1 otherwise).

The signed documents are prepared once through the real workflow (draft → submit → approve: the final PDF
rendered by WeasyPrint → the signer's signature), then copied in the tables (same signed PDF, status "signed"),
so the benchmark spends its time issuing. Certificates come from a throw-away PKI (``tests.documents.pki``).

Usage: ``python bench/outgoing_issue_bench.py [--clients 1,4,8] [--per-client 10] [--json out.json]``
"""

from __future__ import annotations

import argparse
import datetime
import json
import multiprocessing
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

TEST_DB = "test_outgoing_issue_bench"
BODY = "".join(
    f"<p>Điều {n}. Các cấp ủy, tổ chức đảng quán triệt sâu sắc và tổ chức thực hiện nghiêm túc nội dung nghị quyết; "
    "đẩy mạnh ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt động của các cơ quan đảng.</p>"
    for n in range(1, 9)
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def load_average() -> str:
    try:
        return ", ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "?"


def build_world(directory: Path) -> dict:
    """A commune with its standing committee (a term running), office and cell; a drafter, the secretary (signer)
    and a clerk; the secretary's and the commune committee's certificates; private files in ``directory``."""
    from django.conf import settings

    from documents.models import CredentialKind, DocumentType, SigningCredential
    from documents.signing import credential_refresh
    from members.models import Member, Organization, OrganizationKind, Position, PositionTitle, Term
    from partyhub.models import User
    from tests.documents import pki

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(directory / "private")},
        },
    }
    test_pki = pki.build_test_pki()
    settings.PARTYHUB_TRUST_ROOTS = [str(test_pki.write_trust_roots(directory / "roots.pem"))]
    settings.PARTYHUB_TSA_URL = ""

    province = Organization.objects.create(
        name="Tỉnh ủy An Giang", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU", is_external=True
    )
    commune = Organization.objects.create(
        name="Đảng bộ xã Gò Quao",
        kind=OrganizationKind.COMMUNE_COMMITTEE,
        code="ĐU",
        parent=province,
        place_name="Gò Quao",
    )
    standing = Organization.objects.create(
        name="Ban Thường vụ Đảng ủy xã Gò Quao", kind=OrganizationKind.STANDING_COMMITTEE, code="ĐU", parent=commune
    )
    office = Organization.objects.create(
        name="Văn phòng Đảng ủy", kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune
    )
    cell = Organization.objects.create(
        name="Chi bộ ấp Phước Hưng", kind=OrganizationKind.CELL, code="CB", parent=commune
    )
    Term.objects.create(organization=standing, name="2025–2030", start_date=datetime.date(2025, 9, 1))
    people = {}
    for username, title, signature_title, org, flag in (
        ("clerk", "Văn thư", "", office, "grants_clerk"),
        ("leader", "Bí thư Đảng ủy", "BÍ THƯ", commune, "grants_leader"),
        ("drafter", "Chuyên viên", "", office, "grants_handler"),
    ):
        user = User.objects.create_user(username=username, password=None, full_name=f"Nguyễn Văn {username}")
        member = Member.objects.create(
            full_name=user.full_name, organization=cell, user=user, admission_date=datetime.date(2000, 5, 19)
        )
        Position.objects.create(
            member=member,
            organization=org,
            start_date=datetime.date(2025, 9, 1),
            title=PositionTitle.objects.create(name=title, signature_title=signature_title, **{flag: True}),
        )
        people[username] = user
    for label, owner in (("signer", {"user": people["leader"]}), ("organization", {"organization": commune})):
        variable = f"PARTYHUB_BENCH_{label.upper()}_PASSPHRASE"
        os.environ[variable] = f"bench {label}"
        path = getattr(test_pki, label).write_pkcs12(directory / f"{label}.p12", f"bench {label}")
        credential_refresh(
            actor=None,
            credential=SigningCredential(
                name=label, kind=CredentialKind.PKCS12, pkcs12_path=str(path), passphrase_env=variable, **owner
            ),
        )
    types = {}
    for name, abbreviation in (("Nghị quyết", "NQ"), ("Báo cáo", "BC")):
        types[abbreviation], _ = DocumentType.objects.get_or_create(name=name, defaults={"abbreviation": abbreviation})
    return {"standing": standing, "cell": cell, "types": types, **people}


def prepare(world: dict, count: int) -> list[int]:
    """One document taken through the real workflow to "signed", then ``count`` signed copies of it."""
    from documents.models import OutgoingDocument, OutgoingStatus
    from documents.services import outgoing as services

    template = services.outgoing_create(
        actor=world["drafter"],
        organization=world["standing"],
        document_type=world["types"]["NQ"],
        summary="Về đẩy mạnh chuyển đổi số trong hoạt động của Đảng bộ",
        body=BODY,
        signer=world["leader"],
        recipients=[{"name": "Các chi bộ trực thuộc"}, {"name": "Ủy ban nhân dân xã"}],
    )
    template = services.outgoing_submit(actor=world["drafter"], document=template)
    template = services.outgoing_approve(actor=world["leader"], document=template)
    template = services.outgoing_sign(actor=world["leader"], document=template)
    copies = [
        OutgoingDocument(
            organization=template.organization,
            document_type=world["types"]["BC" if n % 2 else "NQ"],
            status=OutgoingStatus.SIGNED,
            summary=f"{template.summary} ({n})",
            body=template.body,
            drafted_by=template.drafted_by,
            signer=template.signer,
            signer_title=template.signer_title,
            signer_name=template.signer_name,
            collective_name=template.collective_name,
            final_file=template.final_file,
            signed_file=template.signed_file,
            file_copy_unit=template.file_copy_unit,
            page_count=template.page_count,
        )
        for n in range(count)
    ]
    return [d.pk for d in OutgoingDocument.objects.bulk_create(copies)]


def _issue_worker(args) -> tuple[list[float], list[str]]:
    """One clerk: issues its documents one by one (own process, own connection)."""
    document_ids, clerk_id = args
    from django.db import connections

    from documents.models import OutgoingDocument
    from documents.services.outgoing import outgoing_issue
    from partyhub.models import User
    from partyhub.request_context import acting_as

    connections.close_all()
    clerk = User.objects.get(pk=clerk_id)
    times: list[float] = []
    errors: list[str] = []
    with acting_as(clerk):
        for pk in document_ids:
            start = time.perf_counter()
            try:
                outgoing_issue(actor=clerk, document=OutgoingDocument.objects.get(pk=pk))
            except Exception as exc:
                errors.append(f"{pk}: {exc!r}"[:300])
            else:
                times.append(time.perf_counter() - start)
    connections.close_all()
    return times, errors


def bench_clients(world: dict, *, clients: int, per_client: int) -> dict:
    from django.db import connections

    ids = prepare(world, clients * per_client)
    shares = [ids[i::clients] for i in range(clients)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with context.Pool(clients) as pool:
        outcomes = pool.map(_issue_worker, [(share, world["clerk"].pk) for share in shares])
    wall = time.perf_counter() - start
    times = [t for o in outcomes for t in o[0]]
    errors = [e for o in outcomes for e in o[1]]
    return {
        "clients": clients,
        "issued": len(times),
        "errors": errors[:5],
        "error_count": len(errors),
        "wall_s": round(wall, 2),
        "per_second": round(len(times) / wall, 2) if wall else None,
        "issue_median_ms": round(statistics.median(times) * 1000) if times else None,
        "issue_p95_ms": round(percentile(times, 0.95) * 1000) if times else None,
        "load_after": load_average(),
    }


def check_numbers(world: dict) -> dict:
    from documents.models import OutgoingDocument

    result = {}
    for abbreviation, document_type in world["types"].items():
        numbers = sorted(
            OutgoingDocument.objects.filter(
                organization=world["standing"], document_type=document_type, number__isnull=False
            ).values_list("number", flat=True)
        )
        result[abbreviation] = {
            "issued": len(numbers),
            "gapless_unique": numbers == list(range(1, len(numbers) + 1)),
        }
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="1,4,8", help="comma-separated numbers of concurrent clerks")
    parser.add_argument("--per-client", type=int, default=10)
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args, _unknown = parser.parse_known_args()  # run-bench.sh passes every benchmark the same arguments

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment

    if connection.vendor != "postgresql":
        print("The benchmark runs on PostgreSQL: set DATABASE_URL (scripts/run-bench.sh does).", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.DEBUG = False
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = TEST_DB
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results: dict = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": f"PostgreSQL {connection.cursor().connection.info.server_version}",
        "load_before": load_average(),
        "runs": [],
    }
    try:
        with tempfile.TemporaryDirectory(prefix="partyhub-issue-bench-") as tmp:
            world = build_world(Path(tmp))
            for clients in [int(c) for c in args.clients.split(",") if c.strip()]:
                print(f"{clients} clerk(s) × {args.per_client} issues …", flush=True)
                run = bench_clients(world, clients=clients, per_client=args.per_client)
                results["runs"].append(run)
                print(json.dumps(run, ensure_ascii=False), flush=True)
            results["numbers"] = check_numbers(world)
            print(json.dumps(results["numbers"], ensure_ascii=False), flush=True)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    ok = all(r["error_count"] == 0 for r in results["runs"]) and all(
        n["gapless_unique"] for n in results.get("numbers", {}).values()
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
