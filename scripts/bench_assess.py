#!/usr/bin/env python3
"""Benchmark privacy-assessment generation on SQLite and on PostgreSQL.

For each backend: starts the release `lethe` on a fresh database, adds 1,000 systems to the
inventory (two or three privacy declarations each, a mix of ordinary and high-risk processing),
then asks for all four templates for every system in one `POST /` (4,000 assessments generated
by the durable job workers) and measures:
  1. generation throughput: assessments per second from the POST until every task is complete;
  2. `GET /{id}` latency (a full assessment with its question groups and answers), p50 and p99
     over 2,000 sequential requests on one keep-alive connection, for random assessments;
  3. `GET /{id}/pdf` (internal report) latency and size over 50 random assessments;
  4. resident memory of the server, idle and peak.
Prints figures; asserts nothing.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from bench import create_pg_database, drop_pg_database, free_port, request, rss_kib, start  # noqa: E402

ROOT_SECRET = "bench-root-secret"
BASE = "/api/v1/plus/privacy-assessments"
TEMPLATES = ["gdpr_dpia", "uk_gdpr_dpia", "us_ca_cpra_risk_assessment", "eu_ai_act_fria"]

DECLARATIONS = [
    {"name": "Orders", "data_use": "essential.service", "data_categories": ["user.contact.email", "user.name", "user.contact.address"],
     "data_subjects": ["customer"], "legal_basis_for_processing": "Contract", "retention_period": "6 years", "third_parties": "Carriers"},
    {"name": "Newsletter", "data_use": "marketing.communications.email", "data_categories": ["user.contact.email"],
     "data_subjects": ["customer"], "legal_basis_for_processing": "Consent", "retention_period": "Until unsubscribed"},
    {"name": "Sick leave", "data_use": "employment", "data_categories": ["user.health_and_medical", "user.name"],
     "data_subjects": ["employee"], "legal_basis_for_processing": "Legal obligations", "retention_period": "3 years",
     "processes_special_category_data": True, "special_category_legal_basis": "Employment"},
    {"name": "Ad targeting", "data_use": "marketing.advertising.third_party.targeted",
     "data_categories": ["user.device.cookie_id", "user.behavior.browsing_history"], "data_subjects": ["customer"],
     "legal_basis_for_processing": "Consent", "retention_period": "13 months", "third_parties": "Ad networks"},
]


class Client:
    """One keep-alive connection."""

    def __init__(self, port, token):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method, path, body=None):
        self.conn.request(method, path, body=None if body is None else json.dumps(body), headers=self.headers)
        response = self.conn.getresponse()
        data = response.read()
        return response.status, json.loads(data) if data else None


def system(n):
    rng = random.Random(n)
    declarations = rng.sample(DECLARATIONS, rng.choice([2, 3]))
    return {
        "fides_key": f"system_{n:04d}",
        "name": f"System {n}",
        "description": f"Service number {n}",
        "administrating_department": rng.choice(["Sales", "HR", "Marketing", "Engineering"]),
        "responsibility": ["Controller"],
        "dpo": "dpo@example.com",
        "uses_profiling": n % 10 == 0,
        "does_international_transfers": n % 3 == 0,
        "legal_basis_for_transfers": ["SCCs"] if n % 3 == 0 else [],
        "data_security_practices": "Encryption at rest and in transit; SSO with MFA",
        "privacy_declarations": declarations,
    }


def watch_rss(pid, peak, stop):
    while not stop.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        time.sleep(0.05)


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def bench_backend(args, name, url, workdir):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
    env.update({
        "LETHE__SERVER__BIND": f"127.0.0.1:{port}",
        "LETHE__SERVER__DATA_DIR": workdir,
        "LETHE__DATABASE__URL": url,
        "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
        "LETHE__JOBS__WORKERS": str(args.workers),
        "LETHE__LOG__LEVEL": "warn",
    })
    proc, _ = start(args.binary, env, port)
    try:
        _, body = request(port, "POST", "/api/v1/oauth/token", f"client_id=lethe_root&client_secret={ROOT_SECRET}",
                          {"Content-Type": "application/x-www-form-urlencoded"})
        client = Client(port, json.loads(body)["access_token"])
        for n in range(args.systems):
            status, body = client.call("POST", "/api/v1/system", system(n))
            assert status == 201, body
        idle = rss_kib(proc.pid) / 1024
        peak, stop = [0], threading.Event()
        watcher = threading.Thread(target=watch_rss, args=(proc.pid, peak, stop), daemon=True)
        watcher.start()

        started = time.perf_counter()
        status, created = client.call("POST", f"{BASE}/", {"template_ids": TEMPLATES})
        queued = time.perf_counter() - started
        assert status == 201, created
        total = len(created)
        while True:
            status, tasks = client.call("GET", f"{BASE}/tasks")
            states = [t["status"] for t in tasks]
            if states.count("complete") + states.count("failed") >= total:
                break
            time.sleep(0.25)
        elapsed = time.perf_counter() - started
        failed = states.count("failed")

        ids = [a["id"] for a in created]
        latencies = []
        for _ in range(args.gets):
            target = random.choice(ids)
            t0 = time.perf_counter()
            status, _ = client.call("GET", f"{BASE}/{target}")
            latencies.append((time.perf_counter() - t0) * 1000)
            assert status == 200
        pdf_times, pdf_size = [], 0
        for target in random.sample(ids, 50):
            t0 = time.perf_counter()
            client.conn.request("GET", f"{BASE}/{target}/pdf", headers=client.headers)
            response = client.conn.getresponse()
            body = response.read()
            pdf_times.append((time.perf_counter() - t0) * 1000)
            assert response.status == 200 and body.startswith(b"%PDF")
            pdf_size = max(pdf_size, len(body))
        stop.set()
        watcher.join()
        _, one = client.call("GET", f"{BASE}/{ids[0]}")
        questions = sum(len(g["questions"]) for g in one["question_groups"])
        print(f"{name}: {total:,} assessments ({args.systems:,} systems x {len(TEMPLATES)} templates, {failed} failed): "
              f"POST answered in {queued:.2f} s, all generated in {elapsed:.2f} s = {total / elapsed:,.0f} assessments/s")
        print(f"{name}: GET /{{id}} ({questions} questions, {len(json.dumps(one)):,} bytes): "
              f"p50 {statistics.median(latencies):.2f} ms, p99 {percentile(latencies, 99):.2f} ms over {len(latencies):,} requests")
        print(f"{name}: GET /{{id}}/pdf (internal mode): p50 {statistics.median(pdf_times):.1f} ms, "
              f"p99 {percentile(pdf_times, 99):.1f} ms over {len(pdf_times)} reports, largest {pdf_size / 1024:.1f} KB")
        print(f"{name}: memory idle {idle:.1f} MiB, peak {peak[0] / 1024:.1f} MiB")
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/lethe")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--systems", type=int, default=1000)
    parser.add_argument("--gets", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=4, help="LETHE__JOBS__WORKERS")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    args = parser.parse_args()
    random.seed(7)
    print(f"lethe assessment benchmark: {os.cpu_count()} CPUs, {args.workers} job workers")
    if args.backend in ("sqlite", "both"):
        workdir = tempfile.mkdtemp(prefix="lethe-bench-assess-")
        try:
            bench_backend(args, "sqlite", f"sqlite://{workdir}/lethe.db", workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
    if args.backend in ("postgres", "both"):
        workdir = tempfile.mkdtemp(prefix="lethe-bench-assess-")
        db_name, db_url = create_pg_database(args.pg_url)
        try:
            bench_backend(args, "postgresql", db_url, workdir)
        finally:
            drop_pg_database(args.pg_url, db_name)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
