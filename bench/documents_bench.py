"""Incoming documents benchmark: concurrent registrations and search latency over a million documents.

Not a test: run with ``make bench`` (``scripts/run-bench.sh``), against PostgreSQL. The benchmark creates its
own throw-away database (``test_documents_bench``), migrates it, and drops it at the end.

Measured:

(a) registrations per second with 8 concurrent clients — 8 processes, each with its own database connection,
    registering drafts through ``documents.services.registering.incoming_register`` (the real service: locks,
    counter, history, audit entry, notifications of the leaders) — then a check that the numbers given are
    exactly 1..N, without a gap or a duplicate;
(b) search latency over N registered documents (1,000,000 by default) with Vietnamese text: the rows are made
    by one ``INSERT … SELECT generate_series`` from realistic fragments (summaries, senders, body sentences,
    with their folded forms), the indexes are built (GIN full text on the stored ``search_vector``, GIN
    trigram on ``search_text``), then ~50 varied queries typed without diacritics run through
    ``documents.search.search_incoming`` as the commune clerk — the count, the first page of 20 ranked rows
    and their highlighted snippets, i.e. what the search page does — median and 95th percentile;
(c) OCR seconds per page is measured by ``bench/ocr_bench.py`` (the digitizer's own benchmark).

Usage: ``python bench/documents_bench.py [--docs 1000000] [--clients 8] [--per-client 50] [--json out.json]``
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
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

TEST_DB = "test_documents_bench"

SENDERS = [
    "Ban Chấp hành Trung ương",
    "Bộ Chính trị",
    "Ban Bí thư",
    "Tỉnh ủy An Giang",
    "Ban Tổ chức Tỉnh ủy",
    "Ban Tuyên giáo và Dân vận Tỉnh ủy",
    "Ủy ban Kiểm tra Tỉnh ủy",
    "Văn phòng Tỉnh ủy",
    "Ủy ban nhân dân xã Gò Quao",
    "Mặt trận Tổ quốc Việt Nam xã",
    "Hội Nông dân tỉnh",
    "Đảng ủy Quân sự tỉnh",
]
TYPES = [
    ("Nghị quyết", "NQ"),
    ("Chỉ thị", "CT"),
    ("Kết luận", "KL"),
    ("Quyết định", "QĐ"),
    ("Hướng dẫn", "HD"),
    ("Thông báo", "TB"),
    ("Kế hoạch", "KH"),
    ("Báo cáo", "BC"),
    ("Công văn", "CV"),
    ("Chương trình", "CTr"),
]
TOPICS = [
    "đột phá phát triển khoa học, công nghệ, đổi mới sáng tạo và chuyển đổi số quốc gia",
    "tăng cường công tác xây dựng, chỉnh đốn Đảng và hệ thống chính trị",
    "phòng, chống tham nhũng, lãng phí, tiêu cực",
    "tổ chức đại hội đảng bộ các cấp nhiệm kỳ 2025 – 2030",
    "kiểm điểm, đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên",
    "công tác phát triển đảng viên trong thanh niên",
    "phòng, chống thiên tai, hạn hán và xâm nhập mặn",
    "xây dựng nông thôn mới nâng cao và kiểu mẫu",
    "học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "thu, nộp và quản lý đảng phí",
    "bảo vệ nền tảng tư tưởng của Đảng, đấu tranh phản bác các quan điểm sai trái",
    "sắp xếp tổ chức bộ máy tinh gọn, hoạt động hiệu lực, hiệu quả",
    "công tác dân vận, phát huy quyền làm chủ của nhân dân",
    "bảo đảm quốc phòng, an ninh trên địa bàn",
    "phát triển kinh tế tập thể, hợp tác xã",
    "chăm sóc sức khỏe nhân dân và y tế cơ sở",
    "giáo dục và đào tạo, phổ cập giáo dục",
    "bảo vệ môi trường, xử lý rác thải sinh hoạt",
    "kỷ niệm ngày thành lập Đảng Cộng sản Việt Nam",
    "quản lý đất đai và trật tự xây dựng",
]
SENTENCES = [
    "Các cấp ủy, tổ chức đảng quán triệt sâu sắc và tổ chức thực hiện nghiêm túc nội dung nghị quyết.",
    "Ban Thường vụ Đảng ủy yêu cầu các chi bộ báo cáo kết quả thực hiện trước ngày 15 hằng tháng.",
    "Văn phòng Đảng ủy chủ trì, phối hợp với các cơ quan liên quan theo dõi, đôn đốc việc triển khai.",
    "Đẩy mạnh ứng dụng công nghệ thông tin, chuyển đổi số trong hoạt động của các cơ quan đảng.",
    "Nâng cao chất lượng sinh hoạt chi bộ, tăng cường tính lãnh đạo, tính giáo dục và tính chiến đấu.",
    "Kiên quyết đấu tranh phòng, chống tham nhũng, lãng phí, tiêu cực; xử lý nghiêm các vi phạm.",
    "Rà soát, bổ sung quy hoạch cán bộ, chuẩn bị nhân sự cấp ủy nhiệm kỳ tới.",
    "Tổ chức hội nghị sơ kết, tổng kết, rút kinh nghiệm và đề ra nhiệm vụ, giải pháp thời gian tới.",
    "Ủy ban Kiểm tra Đảng ủy tăng cường kiểm tra, giám sát việc chấp hành Điều lệ Đảng.",
    "Phát huy vai trò tiền phong, gương mẫu của cán bộ, đảng viên, nhất là người đứng đầu.",
    "Tuyên truyền sâu rộng trong cán bộ, đảng viên và nhân dân về chủ trương của Đảng.",
    "Bố trí kinh phí hợp lý, bảo đảm điều kiện cho việc thực hiện kế hoạch.",
    "Chủ động phương án ứng phó với bão, lũ, sạt lở đất và xâm nhập mặn trong mùa khô.",
    "Thực hiện tốt công tác phát triển đảng viên, chú trọng đoàn viên thanh niên ưu tú.",
    "Xây dựng xã đạt chuẩn nông thôn mới nâng cao, nâng cao đời sống vật chất và tinh thần của nhân dân.",
    "Đảng ủy xã giao Ủy ban nhân dân xã xây dựng kế hoạch cụ thể để tổ chức thực hiện.",
    "Các đồng chí cấp ủy viên phụ trách chi bộ dự sinh hoạt và chỉ đạo thực hiện.",
    "Thu nộp đảng phí đầy đủ, đúng quy định; quản lý và sử dụng đảng phí đúng mục đích.",
    "Tăng cường quốc phòng, an ninh, giữ vững ổn định chính trị, trật tự an toàn xã hội.",
    "Thực hiện cải cách hành chính, nâng cao chỉ số hài lòng của người dân.",
    "Phối hợp với Mặt trận Tổ quốc và các đoàn thể vận động nhân dân tham gia.",
    "Báo cáo kết quả về Ban Thường vụ Đảng ủy qua Văn phòng Đảng ủy để tổng hợp.",
    "Đánh giá, xếp loại chất lượng tổ chức đảng và đảng viên cuối năm theo hướng dẫn.",
    "Sắp xếp, kiện toàn tổ chức bộ máy của hệ thống chính trị ở cơ sở tinh gọn, hiệu quả.",
    "Quản lý chặt chẽ đất đai, xử lý dứt điểm các trường hợp xây dựng trái phép.",
    "Tổ chức các hoạt động kỷ niệm trang trọng, thiết thực, tiết kiệm.",
    "Chăm lo gia đình chính sách, người có công, hộ nghèo và cận nghèo.",
    "Vận động nhân dân thu gom, phân loại rác thải tại nguồn, bảo vệ môi trường.",
    "Nâng cao chất lượng giáo dục, huy động trẻ đến trường đúng độ tuổi.",
    "Đẩy mạnh phát triển kinh tế tập thể, hợp tác xã gắn với chuỗi giá trị nông sản.",
]
QUERIES = [
    "nghi quyet chuyen doi so",
    "chuyen doi so",
    "khoa hoc cong nghe doi moi sang tao",
    "xay dung chinh don dang",
    "phong chong tham nhung lang phi tieu cuc",
    "dai hoi dang bo nhiem ky 2025",
    "danh gia xep loai chat luong to chuc dang",
    "phat trien dang vien thanh nien",
    "phong chong thien tai xam nhap man",
    "nong thon moi nang cao",
    "tu tuong dao duc phong cach ho chi minh",
    "thu nop dang phi",
    "bao ve nen tang tu tuong",
    "sap xep to chuc bo may tinh gon",
    "cong tac dan van",
    "quoc phong an ninh",
    "hop tac xa",
    "y te co so",
    "giao duc dao tao",
    "rac thai sinh hoat",
    "ky niem ngay thanh lap dang",
    "quan ly dat dai trat tu xay dung",
    "tinh uy an giang ke hoach",
    "ban chap hanh trung uong nghi quyet",
    "bo chinh tri ket luan",
    "ban bi thu chi thi",
    "uy ban kiem tra tinh uy",
    "van phong dang uy chu tri phoi hop",
    "sinh hoat chi bo",
    "bao cao ket qua truoc ngay 15",
    "quy hoach can bo",
    "hoi nghi so ket tong ket",
    "kiem tra giam sat dieu le dang",
    "nguoi dung dau guong mau",
    "kinh phi ke hoach",
    "bao lu sat lo dat",
    "cai cach hanh chinh hai long",
    "mat tran to quoc doan the",
    "gia dinh chinh sach ho ngheo",
    "chuoi gia tri nong san",
    "57-nq/tu",
    "12-kh/tu",
    "hd dang phi",
    "thong bao",
    "dang",
    "nhan dan",
    "chuyen doi so quoc gia dot pha",
    "tham nhung",
    "xam nhap man mua kho",
    "cap uy vien phu trach chi bo",
]


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


# --- the world -------------------------------------------------------------------------------------------------


def build_world():
    """A commune with its office, a clerk and a leader of it (both with a position granting the role)."""
    from members.models import Member, Organization, OrganizationKind, Position, PositionTitle
    from partyhub.models import User

    province = Organization.objects.create(
        name="Tỉnh ủy An Giang", kind=OrganizationKind.PROVINCE_COMMITTEE, code="TU", is_external=True
    )
    commune = Organization.objects.create(
        name="Đảng bộ xã Gò Quao", kind=OrganizationKind.COMMUNE_COMMITTEE, code="ĐU", parent=province
    )
    office = Organization.objects.create(
        name="Văn phòng Đảng ủy", kind=OrganizationKind.OFFICE, code="VPĐU", parent=commune
    )
    cell = Organization.objects.create(
        name="Chi bộ ấp Phước Hưng", kind=OrganizationKind.CELL, code="CB", parent=commune
    )
    people = {}
    for username, title, org, flag in (
        ("clerk", "Văn thư", office, "grants_clerk"),
        ("leader", "Bí thư Đảng ủy", commune, "grants_leader"),
    ):
        user = User.objects.create_user(username=username, password=None, full_name=f"Bench {username}")
        member = Member.objects.create(
            full_name=user.full_name, organization=cell, user=user, admission_date=datetime.date(2000, 5, 19)
        )
        Position.objects.create(
            member=member,
            organization=org,
            start_date=datetime.date(2025, 9, 1),
            title=PositionTitle.objects.create(name=title, **{flag: True}),
        )
        people[username] = user
    return {"commune": commune, "office": office, **people}


def document_types():
    from documents.models import DocumentType

    result = []
    for name, abbreviation in TYPES:
        doc_type, _ = DocumentType.objects.get_or_create(name=name, defaults={"abbreviation": abbreviation})
        result.append(doc_type)
    return result


# --- (a) concurrent registrations --------------------------------------------------------------------------


def _register_worker(args) -> tuple[int, float, list[str]]:
    """One client: registers its drafts one by one (own process, own connection)."""
    draft_ids, clerk_id, type_id = args
    import django

    django.setup()
    from django.db import connections

    from documents.models import DocumentType, IncomingDocument
    from documents.services.registering import incoming_register
    from partyhub.models import User
    from partyhub.request_context import acting_as

    connections.close_all()
    clerk = User.objects.get(pk=clerk_id)
    doc_type = DocumentType.objects.get(pk=type_id)
    today = datetime.date.today()
    errors: list[str] = []
    done = 0
    start = time.perf_counter()
    with acting_as(clerk):
        for n, pk in enumerate(draft_ids):
            document = IncomingDocument.objects.get(pk=pk)
            try:
                incoming_register(
                    actor=clerk,
                    document=document,
                    sender=SENDERS[n % len(SENDERS)],
                    number_symbol=f"{(pk % 900) + 1:02d}-KH/TU",
                    document_date=today,
                    received_on=today,
                    document_type=doc_type,
                    summary=f"Kế hoạch {TOPICS[n % len(TOPICS)]}",
                    page_count=2,
                )
                done += 1
            except Exception as exc:
                errors.append(f"{pk}: {exc!r}"[:300])
    return done, time.perf_counter() - start, errors


def bench_registrations(world, *, clients: int, per_client: int) -> dict:
    from django.db import connection, connections

    from documents.models import IncomingDocument, IncomingStatus, ReceivedVia

    kh = next(t for t in document_types() if t.abbreviation == "KH")
    total = clients * per_client
    today = datetime.date.today()
    drafts = IncomingDocument.objects.bulk_create(
        [
            IncomingDocument(
                organization=world["office"],
                status=IncomingStatus.DRAFT,
                received_via=ReceivedVia.PAPER,
                received_on=today,
                created_by=world["clerk"],
            )
            for _ in range(total)
        ]
    )
    ids = [d.pk for d in drafts]
    # Interleave so that every client works all the time on its own drafts.
    shares = [ids[i::clients] for i in range(clients)]
    connections.close_all()
    context = multiprocessing.get_context("fork")
    start = time.perf_counter()
    with context.Pool(clients) as pool:
        outcomes = pool.map(_register_worker, [(share, world["clerk"].pk, kh.pk) for share in shares])
    wall = time.perf_counter() - start
    registered = sum(o[0] for o in outcomes)
    errors = [e for o in outcomes for e in o[2]]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT number FROM documents_incomingdocument WHERE number IS NOT NULL AND organization_id = %s "
            "ORDER BY number",
            [world["office"].pk],
        )
        numbers = [row[0] for row in cursor.fetchall()]
    gapless = numbers == list(range(1, len(numbers) + 1))
    return {
        "clients": clients,
        "registrations": registered,
        "errors": errors[:5],
        "error_count": len(errors),
        "wall_s": round(wall, 2),
        "per_second": round(registered / wall, 1) if wall else None,
        "mean_client_latency_ms": round(1000 * statistics.mean(o[1] / max(o[0], 1) for o in outcomes), 1),
        "numbers": {
            "count": len(numbers),
            "min": min(numbers, default=None),
            "max": max(numbers, default=None),
            "distinct": len(set(numbers)),
            "gapless_1_to_n": gapless,
        },
    }


# --- (b) search over N documents -----------------------------------------------------------------------------


def _sql_array(values: list[str]) -> str:
    return "ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


def generate_documents(world, count: int) -> dict:
    """``count`` registered documents in one INSERT … SELECT generate_series. Texts are picked from the fragment
    lists by arithmetic on the row number; the folded column is assembled from the same picks of pre-folded
    fragments, so it is exactly what ``refresh_search_text`` would write."""
    from django.db import connection

    from documents.models import IncomingDocument, IncomingStatus, Register, RegisterKind, ResetPeriod
    from partyhub.text import fold

    types = document_types()
    register, _ = Register.objects.get_or_create(
        organization=world["office"],
        kind=RegisterKind.INCOMING,
        is_secret=False,
        defaults={"name": "Sổ đăng ký văn bản đến (bench)", "reset_period": ResetPeriod.YEAR},
    )
    other, _ = Register.objects.get_or_create(
        organization=world["commune"],
        kind=RegisterKind.INCOMING,
        is_secret=False,
        defaults={"name": "Sổ đăng ký văn bản đến của Đảng ủy (bench)", "reset_period": ResetPeriod.YEAR},
    )
    years = 10
    per_year = -(-count // years)
    type_ids = [t.pk for t in types]
    type_names = [t.name for t in types]
    type_abbr = [t.abbreviation for t in types]
    sentences_folded = [fold(s) for s in SENTENCES]
    topics_folded = [fold(t) for t in TOPICS]
    senders_folded = [fold(s) for s in SENDERS]
    types_folded = [fold(f"{n} {a}") for n, a in zip(type_names, type_abbr, strict=True)]

    ns, nt, nse, nty = len(SENTENCES), len(TOPICS), len(SENDERS), len(types)
    # Six body sentences per document, chosen with different strides so that combinations vary.
    picks = [f"(((g.i * {p} + {k * 7}) % {ns}) + 1)" for k, p in enumerate((1, 7, 11, 13, 17, 19))]
    body = " || ' ' || ".join(f"f.s[{x}]" for x in picks)
    body_folded = " || ' ' || ".join(f"f.sf[{x}]" for x in picks)
    topic = f"(((g.i / 3) % {nt}) + 1)"
    sender = f"(((g.i / 7) % {nse}) + 1)"
    dtype = f"((g.i % {nty}) + 1)"
    year = f"(2016 + (g.i - 1) / {per_year})"
    number = f"(((g.i - 1) % {per_year}) + 1)"
    symbol = f"(((g.i * 31) % 300) + 1)::text || '-' || f.ta[{dtype}] || '/TU'"
    summary = f"f.tn[{dtype}] || ' về ' || f.t[{topic}]"
    search_text = (
        f"{number}::text || ' ' || lower({symbol}) || ' ' || f.sef[{sender}] || ' ' || f.tnf[{dtype}] || ' ve ' "
        f"|| f.tf[{topic}] || ' ' || {body_folded}"
    )
    values = {
        "organization_id": f"CASE WHEN g.i % 10 = 0 THEN {world['commune'].pk} ELSE {world['office'].pk} END",
        "status": f"'{IncomingStatus.REGISTERED}'",
        "received_via": "'paper'",
        "received_on": f"make_date({year}, 1, 1) + (({number}) * 364 / {per_year})::int",
        "register_id": f"CASE WHEN g.i % 10 = 0 THEN {other.pk} ELSE {register.pk} END",
        "period": f"{year}::text",
        "number": number,
        "registered_at": f"make_date({year}, 1, 1)::timestamptz + (({number}) * 364 / {per_year}) * interval '1 day'",
        "registered_by_id": str(world["clerk"].pk),
        "sender": f"f.se[{sender}]",
        "number_symbol": symbol,
        "document_date": f"make_date({year}, 1, 1) + (({number}) * 364 / {per_year})::int - 3",
        "document_type_id": f"(ARRAY{type_ids})[{dtype}]",
        "summary": summary,
        "signer_name": "'Nguyễn Văn An'",
        "page_count": "2 + g.i % 5",
        "processing_state": "'done'",
        "processing_progress": "100",
        "extracted_text": f"f.tn[{dtype}] || ' về ' || f.t[{topic}] || '. ' || {body}",
        "search_text": search_text,
        "created_by_id": str(world["clerk"].pk),
        "created_at": "now()",
    }
    columns, expressions = [], []
    for field in IncomingDocument._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.column in values:
            expressions.append(values[field.column])
        elif field.null:
            expressions.append("NULL")
        elif field.get_internal_type() in ("CharField", "TextField"):
            expressions.append("''")
        elif field.get_internal_type() in ("PositiveSmallIntegerField", "PositiveIntegerField", "IntegerField"):
            expressions.append("0")
        else:
            raise RuntimeError(f"no value for {field.column}")
    # Numbers are unique per register and period: the commune's rows (every tenth) get their own register.
    fragments = (
        f"SELECT {_sql_array(SENTENCES)} AS s, {_sql_array(sentences_folded)} AS sf, "
        f"{_sql_array(TOPICS)} AS t, {_sql_array(topics_folded)} AS tf, "
        f"{_sql_array(SENDERS)} AS se, {_sql_array(senders_folded)} AS sef, "
        f"{_sql_array(type_names)} AS tn, {_sql_array(types_folded)} AS tnf, {_sql_array(type_abbr)} AS ta"
    )
    sql = (
        f"INSERT INTO documents_incomingdocument ({', '.join(columns)}) "  # noqa: S608 - our own constants
        f"SELECT {', '.join(expressions)} FROM generate_series(1, {int(count)}) AS g(i), ({fragments}) AS f"
    )
    timings = {}
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        # Load without the search indexes, then build them (what a bulk load does).
        cursor.execute("DROP INDEX IF EXISTS incoming_search_fts")
        cursor.execute("DROP INDEX IF EXISTS incoming_search_trgm")
        start = time.perf_counter()
        cursor.execute(sql)  # no parameters: the SQL uses % as modulo
        timings["insert_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        cursor.execute("CREATE INDEX incoming_search_fts ON documents_incomingdocument USING gin (search_vector)")
        timings["fts_index_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        cursor.execute(
            "CREATE INDEX incoming_search_trgm ON documents_incomingdocument USING gin (search_text gin_trgm_ops)"
        )
        timings["trigram_index_s"] = round(time.perf_counter() - start, 1)
        start = time.perf_counter()
        cursor.execute("VACUUM ANALYZE documents_incomingdocument")
        timings["vacuum_analyze_s"] = round(time.perf_counter() - start, 1)
        cursor.execute(
            "SELECT pg_size_pretty(pg_table_size('documents_incomingdocument')), "
            "pg_size_pretty(pg_relation_size('incoming_search_fts')), "
            "pg_size_pretty(pg_relation_size('incoming_search_trgm')), "
            "(SELECT count(*) FROM documents_incomingdocument)"
        )
        table, fts, trgm, rows = cursor.fetchone()
    timings.update({"table_size": table, "fts_index_size": fts, "trigram_index_size": trgm, "rows": rows})
    return timings


def bench_search(world, *, runs: int) -> dict:
    from django.db import connection

    from documents.search import search_incoming
    from documents.selectors import forget_document_access
    from members.selectors import forget_access

    clerk = world["clerk"]
    per_query = []
    latencies = []
    for q in QUERIES:
        times, count = [], None
        for _ in range(runs):
            forget_access(clerk)
            forget_document_access(clerk)
            start = time.perf_counter()
            result = search_incoming(clerk, q=q)
            page = result.page(1, per_page=20)
            count = page.paginator.count
            _ = [str(d.search_snippet) for d in page.object_list]
            times.append((time.perf_counter() - start) * 1000)
        latencies += times
        per_query.append(
            {"q": q, "matches": count, "median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (ANALYZE, BUFFERS, FORMAT TEXT) SELECT id FROM documents_incomingdocument "
            "WHERE search_vector @@ to_tsquery('simple', 'chuyen & doi & so') "
            "ORDER BY ts_rank(search_vector, to_tsquery('simple', 'chuyen & doi & so')) DESC LIMIT 20"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    return {
        "queries": len(QUERIES),
        "runs_per_query": runs,
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "max_ms": round(max(latencies), 1),
        "per_query": per_query,
        "plan_chuyen_doi_so": plan,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--per-client", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3, help="runs of each search query")
    parser.add_argument("--skip-registrations", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args, _unknown = parser.parse_known_args()

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
    }
    try:
        world = build_world()
        if not args.skip_registrations:
            print(f"(a) {args.clients} clients × {args.per_client} registrations …", flush=True)
            results["registrations"] = bench_registrations(world, clients=args.clients, per_client=args.per_client)
            results["load_after_registrations"] = load_average()
            print(json.dumps(results["registrations"], ensure_ascii=False, indent=2), flush=True)
        if not args.skip_search:
            from django.db import connections

            connections.close_all()
            print(f"(b) generating {args.docs:,} documents …", flush=True)
            results["generation"] = generate_documents(world, args.docs)
            print(json.dumps(results["generation"], ensure_ascii=False, indent=2), flush=True)
            results["load_before_search"] = load_average()
            print(f"(b) {len(QUERIES)} queries × {args.runs} runs …", flush=True)
            results["search"] = bench_search(world, runs=args.runs)
            results["load_after_search"] = load_average()
            summary = {k: v for k, v in results["search"].items() if k not in ("per_query", "plan_chuyen_doi_so")}
            print(json.dumps(summary, ensure_ascii=False, indent=2), flush=True)
            for row in results["search"]["per_query"]:
                print(f"  {row['median_ms']:>9.1f} ms  {row['matches']:>8}  {row['q']}")
            print(results["search"]["plan_chuyen_doi_so"])
        print("(c) OCR seconds per page: see bench/ocr_bench.py.")
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    ok = True
    if "registrations" in results:
        numbers = results["registrations"]["numbers"]
        ok = numbers["gapless_1_to_n"] and numbers["count"] == args.clients * args.per_client
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
