#!/usr/bin/env python3
"""Benchmark the RoPA endpoints over 100,000 products, on SQLite and on PostgreSQL.

Seeds a database with `seed_ropa` (one space, 100,000 products), starts the release `lethe` on it,
and with wrk on loopback (1 connection, so figures are latencies, not queueing) measures report
pages with and without filters and search, and the summary; then times full CSV exports
(10,000 rows). Prints figures; asserts nothing.
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from bench import create_pg_database, drop_pg_database, ensure_wrk, free_port, request, rss_kib, start, wrk  # noqa: E402

ROOT_SECRET = "bench-root-secret"
QUERIES = [
    ("report page (no filters)", "/api/v1.0/spaces/bench/ropa-report?limit=20"),
    ("report page, offset 50,000", "/api/v1.0/spaces/bench/ropa-report?limit=20&offset=50000"),
    ("report page (filters)", "/api/v1.0/spaces/bench/ropa-report?limit=20&environment=production&sensitivity=PII&mapping_status=mapped"),
    ("report page (search)", "/api/v1.0/spaces/bench/ropa-report?limit=20&search=events"),
    ("report page (search + filter)", "/api/v1.0/spaces/bench/ropa-report?limit=20&search=consent&mapping_status=unmapped"),
    ("summary", "/api/v1.0/spaces/bench/ropa-summary"),
]


def time_export(port, token, runs):
    timings, size = [], 0
    for _ in range(runs):
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.request("GET", "/api/v1.0/spaces/bench/ropa-export", headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        conn.close()
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status == 200, body[:200]
        size = len(body)
    return timings, size


def bench_backend(args, name, url, workdir):
    seeded = time.perf_counter()
    subprocess.run([args.seed, url, str(args.products)], check=True)
    seed_s = time.perf_counter() - seeded
    if name == "postgresql":
        # As autovacuum would after a bulk load: statistics and the visibility map.
        subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE"], check=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
    env.update(
        {
            "LETHE__SERVER__BIND": f"127.0.0.1:{port}",
            "LETHE__SERVER__DATA_DIR": workdir,
            "LETHE__DATABASE__URL": url,
            "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
            "LETHE__LOG__LEVEL": "warn",
        }
    )
    proc, _ = start(args.binary, env, port)
    try:
        form = urllib.parse.urlencode({"client_id": "lethe_root", "client_secret": ROOT_SECRET})
        status, body = request(port, "POST", "/api/v1/oauth/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, body
        token = json.loads(body)["access_token"]
        print(f"\n## {name}: {args.products:,} products (seeded in {seed_s:.1f} s)")
        for label, path in QUERIES:
            status, body = request(port, "GET", path, headers={"Authorization": f"Bearer {token}"})
            assert status == 200, (path, body[:200])
            figures = wrk(f"http://127.0.0.1:{port}{path}", args.duration, 1, 1, headers=[f"Authorization: Bearer {token}"])
            print(f"{label:32} p50 {figures.get('p50', 0):7.2f} ms  p99 {figures.get('p99', 0):7.2f} ms  ({figures.get('rps', 0):7.0f} req/s, 1 connection)")
        timings, size = time_export(port, token, args.export_runs)
        print(
            f"{'export (10,000 rows CSV)':32} p50 {statistics.median(timings):7.1f} ms  max {max(timings):7.1f} ms  ({size / 1024:.0f} KiB)"
        )
        print(f"{'resident memory after the runs':32} {rss_kib(proc.pid) / 1024:.1f} MiB (peak {rss_kib(proc.pid, 'VmHWM') / 1024:.1f} MiB)")
    finally:
        proc.terminate()
        proc.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/lethe")
    parser.add_argument("--seed", default="target/release/examples/seed_ropa")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--export-runs", type=int, default=10)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    ensure_wrk()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as workdir:
            bench_backend(args, "sqlite", f"sqlite://{workdir}/ropa.db", workdir)
    if args.only in (None, "postgres"):
        name, url = create_pg_database(args.pg_url)
        try:
            with tempfile.TemporaryDirectory() as workdir:
                bench_backend(args, "postgresql", url, workdir)
        finally:
            drop_pg_database(args.pg_url, name)


if __name__ == "__main__":
    main()
