"""200 delegates at once: everybody opens the meeting folder and downloads their packet at the same moment.

Not a test: run with ``make bench`` (``scripts/run-bench.sh``), against PostgreSQL. The benchmark creates its own
throw-away database (``test_meetings_folder_bench``) and private-files directory, starts a real server on it
(gunicorn, production settings: ``DEBUG`` off, persistent database connections), and drops everything at the end.

Setup (not timed as requests): a commune conference with N delegates (200) who have accounts and are invited;
an agenda whose documents make a packet of ``--pages`` pages (born-digital party documents rendered by
WeasyPrint); the packet compiled and every delegate's stamped copy made by the build task's services (timed
and reported too); one logged-in session per delegate (rows in the session table, as after a login).

Measured: all N clients are released together (a barrier), each on its own connection with its own session
cookie, and each does what a tablet does when the delegate opens the folder and taps "Download for the
meeting": ``GET /meetings/<pk>/folder/`` (the tablet helper's folder page: agenda, contents, copy URL), then
``GET /meetings/<pk>/packet/my-copy/`` (the whole stamped copy, through ``partyhub.files.serve_file``). Reported:
median, 95th percentile and maximum of the folder page, of the packet's first byte and of the complete
download, the wall time until the last delegate has everything, errors (any status other than 200, a body
of the wrong length, or an exception), and that every delegate received their OWN copy (checked by the size
and, for a sample, by the stamp on the first page).

Files are streamed by Django here (no nginx in the benchmark machine); in production nginx serves them after
Django's permission check (``PARTYHUB_X_ACCEL_PREFIX``), which frees the workers sooner.

Usage: ``python bench/meetings_folder_bench.py [--delegates 200] [--pages 100] [--workers 3] [--threads 8]
[--worker-class gthread|sync] [--port 8765] [--lazy] [--json out.json]``
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import io
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "partyhub.settings")
os.environ.setdefault("PARTYHUB_EMBEDDED", "true")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")

TEST_DB = "test_meetings_folder_bench"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    low, high = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def summary(values: list[float]) -> dict:
    if not values:
        return {}
    return {
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(percentile(values, 0.95) * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def load_average() -> str:
    with contextlib.suppress(OSError):
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    return "?"


def build_world(args):
    """The meeting, its packet and copies, one session per delegate. Returns (meeting, sessions, timings)."""
    import meetings_packet_bench as packet_bench
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from meetings.models import Invitation, Packet, PacketStatus
    from meetings.services import packets as services

    print("Making the documents…", flush=True)
    docs = max(1, args.pages // 25)
    per_doc = args.pages // docs
    variants = [packet_bench.text_document(v, per_doc) for v in range(min(3, docs))]
    sources = [variants[n % len(variants)] for n in range(docs)]

    class Args:
        pass

    world_args = Args()
    world_args.docs = docs
    world_args.delegates = args.delegates
    meeting, clerk, _late = packet_bench.build_world(world_args, sources)
    timings = {}
    print("Compiling the packet and the copies…", flush=True)
    packet = Packet.objects.create(meeting=meeting, version=1, requested_by=clerk)
    start = time.perf_counter()
    if services.packet_build(packet_id=packet.pk) != PacketStatus.READY:
        packet.refresh_from_db()
        raise RuntimeError(f"the packet failed: {packet.message}")
    timings["master_s"] = round(time.perf_counter() - start, 2)
    if not args.lazy:
        start = time.perf_counter()
        made = services.delegate_copies_make(packet_id=packet.pk)
        timings["copies_s"] = round(time.perf_counter() - start, 2)
        timings["copies"] = made
    packet.refresh_from_db()
    timings["packet_pages"] = packet.page_count
    sessions = []
    for invitation in Invitation.objects.filter(meeting=meeting).select_related("user").order_by("copy_number"):
        store = SessionStore()
        store[SESSION_KEY] = str(invitation.user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = invitation.user.get_session_auth_hash()
        store.set_expiry(3600)
        store.save()
        copy = invitation.copies.filter(packet=packet).select_related("file").first()
        sessions.append(
            {
                "session": store.session_key,
                "size": copy.file.size if copy else None,  # lazy: made on the first request, size unknown
                "stamp": copy.stamp_text if copy else invitation.name,
            }
        )
    return meeting, sessions, timings


def start_server(args, storage_dir: Path, database_url: str, secret_key: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "PARTYHUB_EMBEDDED": "false",
        "DEBUG": "false",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": database_url,
        "DATABASE_CONN_MAX_AGE": "60",
        "PARTYHUB_PRIVATE_FILES_ROOT": str(storage_dir),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": "true",
    }
    cmd = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "partyhub.wsgi:application",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--timeout",
        "120",
        "--backlog",
        "2048",
    ]
    if args.worker_class == "gthread":
        cmd += ["--threads", str(args.threads)]
    server = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited: " + server.stderr.read().decode()[-2000:])
        with contextlib.suppress(OSError):
            conn = http.client.HTTPConnection("127.0.0.1", args.port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return server
        time.sleep(0.3)
    server.terminate()
    raise RuntimeError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def fetch(port: int, path: str, session: str) -> tuple[int, bytes, float, float]:
    """(status, body, seconds to the first byte of the body, seconds to the whole body) on a new connection."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    try:
        conn.request("GET", path, headers={"Cookie": f"sessionid={session}", "Host": "127.0.0.1"})
        response = conn.getresponse()
        first = response.read(1)
        ttfb = time.perf_counter() - start
        body = first + response.read()
        return response.status, body, ttfb, time.perf_counter() - start
    finally:
        conn.close()


def run_clients(args, meeting, sessions: list[dict]) -> dict:
    folder_path = f"/meetings/{meeting.pk}/folder/"
    copy_path = f"/meetings/{meeting.pk}/packet/my-copy/"
    barrier = threading.Barrier(len(sessions))
    results: list[dict] = [{} for _ in sessions]

    def client(index: int) -> None:
        info = sessions[index]
        outcome = results[index]
        barrier.wait()
        start = time.perf_counter()
        try:
            status, body, _ttfb, total = fetch(args.port, folder_path, info["session"])
            outcome["folder_s"] = total
            if status != 200 or b"<html" not in body[:500].lower():
                outcome["error"] = f"folder: HTTP {status}"
                return
            status, body, ttfb, total = fetch(args.port, copy_path, info["session"])
            outcome["copy_ttfb_s"] = ttfb
            outcome["copy_s"] = total
            if status != 200:
                outcome["error"] = f"packet: HTTP {status}"
            elif info["size"] is not None and len(body) != info["size"]:
                outcome["error"] = f"packet: {len(body)} bytes instead of {info['size']}"
            elif index % 20 == 0:
                from pypdf import PdfReader

                if info["stamp"] not in (PdfReader(io.BytesIO(body)).pages[0].extract_text() or ""):
                    outcome["error"] = "packet: not this delegate's copy"
            outcome["bytes"] = len(body)
        except Exception as exc:  # counted as an error, the benchmark goes on
            outcome["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            outcome["delegate_s"] = time.perf_counter() - start

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(sessions))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=900)
    wall = time.perf_counter() - start
    errors = [r["error"] for r in results if "error" in r]
    transferred = sum(r.get("bytes", 0) for r in results)
    return {
        "wall_s": round(wall, 2),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
        "folder_page": summary([r["folder_s"] for r in results if "folder_s" in r]),
        "packet_first_byte": summary([r["copy_ttfb_s"] for r in results if "copy_ttfb_s" in r]),
        "packet_complete": summary([r["copy_s"] for r in results if "copy_s" in r]),
        "delegate_total": summary([r["delegate_s"] for r in results if "delegate_s" in r]),
        "transferred_mb": round(transferred / 1e6, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delegates", type=int, default=200)
    parser.add_argument("--pages", type=int, default=100, help="document pages in the packet")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--worker-class", choices=["gthread", "sync"], default="gthread")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--lazy", action="store_true", help="do not make the copies beforehand: each is made on its first request"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args, _unknown = parser.parse_known_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection, connections
    from django.test.utils import override_settings, setup_test_environment

    if connection.vendor != "postgresql":
        print("The benchmark runs on PostgreSQL: set DATABASE_URL (scripts/run-bench.sh does).", file=sys.stderr)
        return 2
    setup_test_environment()
    settings.DEBUG = False
    storage_dir = Path(tempfile.mkdtemp(prefix="ph-folder-bench-"))
    private = {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(storage_dir)}}
    override_settings(STORAGES={**settings.STORAGES, "private": private}).enable()
    connection.settings_dict.setdefault("TEST", {})["NAME"] = TEST_DB
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    db = connection.settings_dict
    database_url = (
        f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    results: dict = {
        "date": datetime.date.today().isoformat(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "database": f"PostgreSQL {connection.cursor().connection.info.server_version}",
        "delegates": args.delegates,
        "server": f"gunicorn, {args.workers} workers"
        + (f" × {args.threads} threads (gthread)" if args.worker_class == "gthread" else " (sync)"),
    }
    server = None
    try:
        meeting, sessions, timings = build_world(args)
        results["setup"] = timings
        sizes = [s["size"] for s in sessions if s["size"]]
        results["copy_size_mb"] = round(statistics.mean(sizes) / 1e6, 2) if sizes else None
        results["copies"] = "made on first request (lazy)" if args.lazy else "made by the build task (eager)"
        connections.close_all()
        server = start_server(args, storage_dir, database_url, settings.SECRET_KEY)
        # Warm up: every worker imports the code and opens its database connection.
        for info in sessions[: args.workers * 2]:
            fetch(args.port, f"/meetings/{meeting.pk}/folder/", info["session"])
        results["load_before"] = load_average()
        print(f"{len(sessions)} delegates at once…", flush=True)
        results["run"] = run_clients(args, meeting, sessions)
        results["load_after"] = load_average()
    finally:
        if server is not None:
            stop_server(server)
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0)
        shutil.rmtree(storage_dir, ignore_errors=True)

    print(json.dumps(results, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
