#!/usr/bin/env python3
"""Large subjects: one customer with 10,000 / 100,000 / 1,000,000 / 10,000,000 rows in one
collection (`event`) of a PostgreSQL customer store (and 1,000,000 on MariaDB and SQLite).
For each size and package format (JSON, a zip of CSVs, encrypted JSON): time create -> complete,
the server's peak resident memory during the request (VmHWM, reset before each request), and the
package size; then the erasure of the 1,000,000-row subject and a download of its package.
Prints figures, asserts nothing. Run with `just bench-large` (builds the release binary first).

BENCH_SIZES=10000,100000 limits the PostgreSQL sizes; BENCH_MARIADB / BENCH_PG_URL say where the
servers are."""

import argparse
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from bench import create_pg_database, drop_pg_database, free_port, rss_kib, start  # noqa: E402
from bench_dsr import ROOT_SECRET, api, root_token  # noqa: E402

DATASET = """
dataset:
  - fides_key: big_db
    collections:
      - name: customer
        fields:
          - {name: id, data_categories: [user.unique_id], fides_meta: {primary_key: true, data_type: integer}}
          - {name: email, data_categories: [user.contact.email], fides_meta: {identity: email, data_type: string}}
          - {name: name, data_categories: [user.name], fides_meta: {data_type: string}}
      - name: event
        fields:
          - {name: id, data_categories: [user.unique_id], fides_meta: {primary_key: true, data_type: integer}}
          - name: customer_id
            data_categories: [user.unique_id]
            fides_meta: {data_type: integer, references: [{dataset: big_db, field: customer.id, direction: from}]}
          - {name: page, data_categories: [user.behavior.browsing_history], fides_meta: {data_type: string}}
          - {name: at, data_categories: [user.behavior], fides_meta: {data_type: string}}
"""


def sizes():
    text = os.environ.get("BENCH_SIZES", "10000,100000,1000000,10000000")
    return [int(s) for s in text.split(",") if s.strip()]


def seed_postgres(url, counts):
    """Customer k+1 has counts[k] events."""
    sql = ["CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);",
           "CREATE TABLE event (id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL, page TEXT, at TEXT);"]
    start_id = 0
    for k, n in enumerate(counts, start=1):
        sql.append(f"INSERT INTO customer VALUES ({k}, 'subject-{k}@example.com', 'Subject {k}');")
        sql.append(f"INSERT INTO event SELECT {start_id} + g, {k}, 'https://shop.example.com/p/' || g, "
                   f"'2026-11-30T12:00:00' FROM generate_series(1, {n}) g;")
        start_id += n
    sql.append("CREATE INDEX ON event (customer_id); VACUUM ANALYZE;")
    subprocess.run(["psql", url, "-q", "-v", "ON_ERROR_STOP=1", "-c", "\n".join(sql[:-1])], check=True)
    subprocess.run(["psql", url, "-qc", "CREATE INDEX ON event (customer_id)"], check=True)
    subprocess.run(["psql", url, "-qc", "VACUUM ANALYZE"], check=True)


def seed_mariadb(url, n):
    parsed = urllib.parse.urlparse(url)
    name = f"lethe_large_{os.getpid()}"
    base = ["mysql", "-h", parsed.hostname or "127.0.0.1", "-P", str(parsed.port or 3306), "-u", parsed.username or "root"]
    subprocess.run(base + ["-e", f"CREATE DATABASE {name}"], check=True)
    subprocess.run(base + [name, "-e",
                           "CREATE TABLE customer (id INTEGER PRIMARY KEY, email VARCHAR(100) NOT NULL, name VARCHAR(100));"
                           "INSERT INTO customer VALUES (1, 'subject-1@example.com', 'Subject 1');"
                           "CREATE TABLE event (id BIGINT PRIMARY KEY, customer_id INTEGER NOT NULL, page VARCHAR(200), at VARCHAR(40), KEY (customer_id));"
                           f"INSERT INTO event SELECT seq, 1, CONCAT('https://shop.example.com/p/', seq), '2026-11-30T12:00:00' FROM seq_1_to_{n};"],
                   check=True)
    secrets = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 3306, "dbname": name,
               "username": parsed.username or "root", "ssl_mode": "disabled"}
    return secrets, lambda: subprocess.run(base + ["-e", f"DROP DATABASE {name}"], check=False)


def seed_sqlite(path, n):
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE customer (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT);"
        "INSERT INTO customer VALUES (1, 'subject-1@example.com', 'Subject 1');"
        "CREATE TABLE event (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL, page TEXT, at TEXT);"
        f"WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {n}) "
        "INSERT INTO event SELECT g, 1, 'https://shop.example.com/p/' || g, '2026-11-30T12:00:00' FROM s;"
        "CREATE INDEX event_customer ON event (customer_id);")
    db.commit()
    db.close()


def register_store(port, token, key, connection_type, secrets):
    """A write connection `key` to a seeded store, checked, with DATASET as its dataset `key`."""
    api(port, token, "PATCH", "/api/v1/connection",
        [{"key": key, "name": key, "connection_type": connection_type, "access": "write"}])
    _, body = api(port, token, "PUT", f"/api/v1/connection/{key}/secret?verify=true", secrets)
    assert body.get("test_status") == "succeeded", body
    dataset = DATASET.replace("big_db", key)
    status, body = api(port, token, "PATCH", f"/api/v1/yml/connection/{key}/dataset", dataset,
                       {"Content-Type": "application/x-yaml"})
    assert status == 200 and not body["failed"], body


class Server:
    def __init__(self, binary, workdir, lethe_url):
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
        env.update({
            "LETHE__SERVER__BIND": f"127.0.0.1:{self.port}",
            "LETHE__SERVER__DATA_DIR": workdir,
            "LETHE__DATABASE__URL": lethe_url,
            "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
            "LETHE__JOBS__WORKERS": "4",
            "LETHE__LOG__LEVEL": "warn",
        })
        self.proc, _ = start(binary, env, self.port, stdout=open(os.path.join(workdir, "lethe.log"), "w"))
        self.token = root_token(self.port)
        api(self.port, self.token, "PATCH", "/api/v1/storage/config",
            [{"key": "csv_store", "name": "CSV", "type": "local", "format": "csv"}])
        api(self.port, self.token, "PATCH", "/api/v1/dsr/policy", [{"name": "csv_access", "key": "csv_access"},
                                                                  {"name": "hash_behaviour", "key": "hash_behaviour"}])
        api(self.port, self.token, "PATCH", "/api/v1/dsr/policy/csv_access/rule",
            [{"key": "csv_rule", "name": "csv_rule", "action_type": "access", "storage_destination_key": "csv_store"}])
        api(self.port, self.token, "PATCH", "/api/v1/dsr/policy/csv_access/rule/csv_rule/target", [{"data_category": "user"}])
        api(self.port, self.token, "PATCH", "/api/v1/dsr/policy/hash_behaviour/rule",
            [{"key": "hash_rule", "name": "hash_rule", "action_type": "erasure", "masking_strategy": {"strategy": "hash"}}])
        api(self.port, self.token, "PATCH", "/api/v1/dsr/policy/hash_behaviour/rule/hash_rule/target",
            [{"data_category": "user.behavior"}])

    def connect(self, key, connection_type, secrets):
        register_store(self.port, self.token, key, connection_type, secrets)

    def disable(self, key, connection_type):
        api(self.port, self.token, "PATCH", "/api/v1/connection",
            [{"key": key, "name": key, "connection_type": connection_type, "access": "write", "disabled": True}])

    def run(self, customer, policy, key=None):
        """(seconds create -> complete, peak RSS MiB during the request, request id)."""
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")  # resets VmHWM to the current RSS
        item = {"identity": {"email": f"subject-{customer}@example.com"}, "policy_key": policy}
        if key:
            item["encryption_key"] = key
        started = time.perf_counter()
        _, body = api(self.port, self.token, "POST", "/api/v1/privacy-request/authenticated", [item])
        rid = body["succeeded"][0]["id"]
        while True:
            _, got = api(self.port, self.token, "GET", f"/api/v1/privacy-request/{rid}")
            if got["status"] in ("complete", "error"):
                break
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        assert got["status"] == "complete", got
        return elapsed, rss_kib(self.proc.pid, "VmHWM") / 1024, rid

    def package(self, rid):
        """(bytes, seconds, peak RSS MiB) of downloading the request's first package."""
        _, links = api(self.port, self.token, "GET", f"/api/v1/privacy-request/{rid}/access-results")
        url = urllib.parse.urlparse(links["access_result_urls"][0])
        with open(f"/proc/{self.proc.pid}/clear_refs", "w") as f:
            f.write("5")
        import http.client
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        conn.request("GET", f"{url.path}?{url.query}")
        response = conn.getresponse()
        size = 0
        while chunk := response.read(1 << 20):
            size += len(chunk)
        conn.close()
        return size, time.perf_counter() - started, rss_kib(self.proc.pid, "VmHWM") / 1024

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def measure(server, label, customer, rows):
    print(f"\n## {label}: {rows:,} rows")
    print(f"{'format':<16}{'create->complete':>18}{'peak RSS':>12}{'package':>12}")
    ids = {}
    for name, policy, key in [("json", "default_access_policy", None), ("csv (zip)", "csv_access", None),
                              ("encrypted json", "default_access_policy", "test--encryption")]:
        seconds, peak, rid = server.run(customer, policy, key)
        size, _, _ = server.package(rid)
        ids[name] = rid
        print(f"{name:<16}{seconds:>16.2f} s{peak:>8.1f} MiB{size / 1e6:>9.1f} MB")
    return ids


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/lethe")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--mariadb-url", default=os.environ.get("BENCH_MARIADB", "mysql://root@127.0.0.1:3306/test"))
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="lethe-bench-large-")
    lethe_name, lethe_url = create_pg_database(args.pg_url)
    shop_name, shop_url = create_pg_database(args.pg_url)
    cleanups = [lambda: drop_pg_database(args.pg_url, lethe_name), lambda: drop_pg_database(args.pg_url, shop_name)]
    server = None
    try:
        counts = sizes()
        seeded = time.perf_counter()
        seed_postgres(shop_url, counts)
        print(f"lethe large-subject benchmark: {os.cpu_count()} CPUs; PostgreSQL customer store seeded with "
              f"{sum(counts):,} events in {time.perf_counter() - seeded:.1f} s; Lethe's own store on PostgreSQL")
        server = Server(args.binary, workdir, lethe_url)
        parsed = urllib.parse.urlparse(shop_url)
        server.connect("big_pg", "postgres", {"host": parsed.hostname, "port": parsed.port or 5432, "dbname": shop_name,
                                              "username": parsed.username or "postgres", "ssl_mode": "disable"})
        print(f"memory: idle {rss_kib(server.proc.pid) / 1024:.1f} MiB")
        million = None
        for k, n in enumerate(counts, start=1):
            ids = measure(server, "PostgreSQL", k, n)
            if n == 1_000_000:
                million = (k, ids["json"])
        if million:
            k, rid = million
            size, seconds, peak = server.package(rid)
            print(f"\n## download of the 1,000,000-row JSON package: {size / 1e6:.1f} MB in {seconds:.2f} s, peak RSS {peak:.1f} MiB")
            seconds, peak, _ = server.run(k, "hash_behaviour")
            print(f"## erasure of the 1,000,000-row subject (hash of page and at): {seconds:.2f} s, peak RSS {peak:.1f} MiB")
        server.disable("big_pg", "postgres")

        secrets, drop = seed_mariadb(args.mariadb_url, 1_000_000)
        cleanups.append(drop)
        server.connect("big_maria", "mariadb", secrets)
        measure(server, "MariaDB", 1, 1_000_000)
        server.disable("big_maria", "mariadb")

        path = os.path.join(workdir, "shop.db")
        seed_sqlite(path, 1_000_000)
        server.connect("big_sqlite", "sqlite", {"path": path})
        measure(server, "SQLite", 1, 1_000_000)
    finally:
        if server:
            server.stop()
        for cleanup in reversed(cleanups):
            cleanup()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
