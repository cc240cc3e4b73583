#!/usr/bin/env python3
"""Copy the front-end libraries pinned in package-lock.json into static/vendor/.

``static/vendor/`` is generated and git-ignored: never edit it. The files to copy are listed in package.json
under ``partyhubVendor`` (package name → paths inside the package). The script

1. runs ``npm ci`` (exact versions from the committed lock file, no install scripts) unless node_modules
   already matches the lock file;
2. copies the listed files to ``static/vendor/<package>/<file name>``;
3. writes ``static/vendor/manifest.json`` with each package's version and each file's SHA-256.

``--check`` only verifies that static/vendor matches the lock file and exits 1 if it does not.
Uses the Python standard library only, so it runs before the virtualenv exists.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE_JSON = ROOT / "package.json"
LOCK_FILE = ROOT / "package-lock.json"
NODE_MODULES = ROOT / "node_modules"
VENDOR_DIR = ROOT / "static" / "vendor"
LOCK_STAMP = NODE_MODULES / ".partyhub-lock.sha256"
MANIFEST = VENDOR_DIR / "manifest.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def locked_version(lock: dict, package: str) -> str:
    entry = lock.get("packages", {}).get(f"node_modules/{package}")
    if not entry:
        raise SystemExit(f"build_vendor: {package} is listed in partyhubVendor but not in package-lock.json")
    return entry["version"]


def npm_ci() -> None:
    lock_hash = sha256(LOCK_FILE)
    if LOCK_STAMP.exists() and LOCK_STAMP.read_text().strip() == lock_hash:
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("build_vendor: npm is not installed (Debian: apt-get install -y nodejs npm)")
    print("build_vendor: npm ci", flush=True)
    subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], cwd=ROOT, check=True)
    LOCK_STAMP.write_text(lock_hash + "\n")


def expected_manifest() -> dict:
    package = json.loads(PACKAGE_JSON.read_text(encoding="utf-8"))
    lock = json.loads(LOCK_FILE.read_text(encoding="utf-8"))
    manifest: dict = {}
    for name, files in sorted(package.get("partyhubVendor", {}).items()):
        manifest[name] = {"version": locked_version(lock, name), "files": {Path(f).name: f for f in files}}
    return manifest


def build() -> None:
    manifest = expected_manifest()
    npm_ci()
    if VENDOR_DIR.exists():
        shutil.rmtree(VENDOR_DIR)
    written: dict = {}
    for name, entry in manifest.items():
        source_dir = NODE_MODULES / name
        installed = json.loads((source_dir / "package.json").read_text(encoding="utf-8"))["version"]
        if installed != entry["version"]:
            raise SystemExit(f"build_vendor: node_modules has {name} {installed}, the lock file {entry['version']}")
        target_dir = VENDOR_DIR / name
        target_dir.mkdir(parents=True, exist_ok=True)
        hashes = {}
        for target_name, relative in entry["files"].items():
            source = source_dir / relative
            if not source.is_file():
                raise SystemExit(f"build_vendor: {name} {entry['version']} has no file {relative}")
            shutil.copyfile(source, target_dir / target_name)
            hashes[target_name] = sha256(target_dir / target_name)
        written[name] = {"version": entry["version"], "files": hashes}
    MANIFEST.write_text(json.dumps(written, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    summary = ", ".join(f"{name} {entry['version']}" for name, entry in written.items())
    print(f"build_vendor: {summary} → static/vendor/")


def check() -> int:
    """0 when static/vendor holds every listed file at the locked version, unmodified."""
    if not MANIFEST.exists():
        print("build_vendor: static/vendor is missing; run: python3 scripts/build_vendor.py", file=sys.stderr)
        return 1
    built = json.loads(MANIFEST.read_text(encoding="utf-8"))
    problems = []
    for name, entry in expected_manifest().items():
        have = built.get(name)
        if not have or have["version"] != entry["version"]:
            problems.append(f"{name}: built {have and have['version']}, locked {entry['version']}")
            continue
        for target_name in entry["files"]:
            path = VENDOR_DIR / name / target_name
            if not path.is_file() or sha256(path) != have["files"].get(target_name):
                problems.append(f"{name}/{target_name}: missing or modified")
    for problem in problems:
        print(f"build_vendor: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="verify static/vendor, change nothing")
    args = parser.parse_args()
    if args.check:
        return check()
    build()
    return 0


if __name__ == "__main__":
    sys.exit(main())
