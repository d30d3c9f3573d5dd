#!/usr/bin/env python3
"""Benchmark access and erasure requests against a customer database of 100,000 customers (PostgreSQL, MariaDB, or PostgreSQL over TLS).

--store postgres (default) | mariadb (BENCH_MARIADB, the mysql CLI seeds it) | postgres-tls (a
PostgreSQL server started in a temporary directory with ssl=on, hostssl only, a certificate from
a CA made with the openssl CLI; the connection uses sslmode=verify-full with that CA; BENCH_PG_BIN
names the server binaries). For postgres-tls the benchmark also times connection tests
(GET /connection/{key}/test opens a new connection each time) with verify-full and, against the
same server, with TLS off is impossible (hostssl only), so against the plain server for comparison.

Creates a customer database with the shape of Fides' sample project (tests/fixtures/shop.sql's
tables: 100,000 customers, addresses, payment cards, 200,000 orders and order items, 300,000
logins, visits, service requests), starts the release `lethe` on a fresh PostgreSQL database,
registers the connection and the fixture dataset, then measures, for access requests
(default_access_policy) and then erasure requests (default_erasure_policy: HMAC of every string
field under `user`, each request for a different customer):
  1. single requests, one at a time: create -> complete, p50/p99 (server timestamps, and as seen
     by a client polling every millisecond);
  2. throughput: 1,000 requests submitted in bulk (20 POSTs of 50), completed requests per second;
  3. resident memory of the server, idle and peak under that load.
Prints figures; asserts nothing.
"""

import argparse
import concurrent.futures
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from bench import create_pg_database, drop_pg_database, free_port, request, rss_kib, start  # noqa: E402

ROOT_SECRET = "bench-root-secret"
HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "..", "tests", "fixtures", "shop.sql")
DATASET = os.path.join(HERE, "..", "tests", "fixtures", "shop_dataset.yml")

SEED = """
INSERT INTO product VALUES (1, 'Example Product 1', 10.00), (2, 'Example Product 2', 20.00), (3, 'Example Product 3', 50.00);
INSERT INTO address SELECT g, g % 9999, 'Street ' || g, 'City ' || (g % 500), 'NY', lpad((g % 99999)::text, 5, '0') FROM generate_series(1, {n}) g;
INSERT INTO customer SELECT g, 'customer-' || g || '@example.com', 'Customer ' || g, '2020-01-01'::timestamp + (g || ' minutes')::interval, g FROM generate_series(1, {n}) g;
INSERT INTO employee SELECT g, 'employee-' || g || '@example.com', 'Employee ' || g, g FROM generate_series(1, 1000) g;
INSERT INTO payment_card SELECT 'pay_' || g, 'Card ' || g, 4000000000000000 + g, g % 999, true, g, g FROM generate_series(1, {n}) g;
INSERT INTO orders SELECT 'ord_' || g, ((g - 1) % {n}) + 1, ((g * 7) % {n}) + 1 FROM generate_series(1, 2 * {n}) g;
INSERT INTO order_item SELECT 'ord_' || g, 1, (g % 3) + 1, 1 FROM generate_series(1, 2 * {n}) g;
INSERT INTO login SELECT g, ((g - 1) % {n}) + 1, '2021-01-01'::timestamp + (g || ' seconds')::interval FROM generate_series(1, 3 * {n}) g;
INSERT INTO visit SELECT 'customer-' || g || '@example.com', '2021-01-06' FROM generate_series(1, {n}) g;
INSERT INTO service_request SELECT 'ser_' || g, 'customer-' || g || '@example.com', NULL, '2021-01-01', NULL, (g % 1000) + 1 FROM generate_series(1, {n} / 2) g;
INSERT INTO report SELECT g, 'admin-' || g || '@example.com', 'Monthly Report', 2021, 1 + g % 12, 100 FROM generate_series(1, 1000) g;
"""



MYSQL_SEED = """
INSERT INTO product VALUES (1, 'Example Product 1', 10.00), (2, 'Example Product 2', 20.00), (3, 'Example Product 3', 50.00);
INSERT INTO address SELECT seq, seq % 9999, CONCAT('Street ', seq), CONCAT('City ', seq % 500), 'NY', LPAD(seq % 99999, 5, '0') FROM seq_1_to_{n};
INSERT INTO customer SELECT seq, CONCAT('customer-', seq, '@example.com'), CONCAT('Customer ', seq), '2020-01-01' + INTERVAL seq MINUTE, seq FROM seq_1_to_{n};
INSERT INTO employee SELECT seq, CONCAT('employee-', seq, '@example.com'), CONCAT('Employee ', seq), seq FROM seq_1_to_1000;
INSERT INTO payment_card SELECT CONCAT('pay_', seq), CONCAT('Card ', seq), 4000000000000000 + seq, seq % 999, true, seq, seq FROM seq_1_to_{n};
INSERT INTO orders SELECT CONCAT('ord_', seq), ((seq - 1) % {n}) + 1, ((seq * 7) % {n}) + 1 FROM seq_1_to_{n2};
INSERT INTO order_item SELECT CONCAT('ord_', seq), 1, (seq % 3) + 1, 1 FROM seq_1_to_{n2};
INSERT INTO login SELECT seq, ((seq - 1) % {n}) + 1, '2021-01-01' + INTERVAL seq SECOND FROM seq_1_to_{n3};
INSERT INTO visit SELECT CONCAT('customer-', seq, '@example.com'), '2021-01-06' FROM seq_1_to_{n};
INSERT INTO service_request SELECT CONCAT('ser_', seq), CONCAT('customer-', seq, '@example.com'), NULL, '2021-01-01', NULL, (seq % 1000) + 1 FROM seq_1_to_{half};
INSERT INTO report SELECT seq, CONCAT('admin-', seq, '@example.com'), 'Monthly Report', 2021, 1 + seq % 12, 100 FROM seq_1_to_1000;
"""


def schema_only():
    with open(SCHEMA) as f:
        lines = [line for line in f.read().splitlines() if line.startswith("CREATE")]
    return "\n".join(lines)


def mysql_dialect(sql):
    """As tests/src/shop.rs's mysql_dialect: InnoDB, utf8mb4, DATETIME for TIMESTAMP."""
    lines = []
    for line in sql.replace(" TIMESTAMP", " DATETIME").splitlines():
        if line.startswith("CREATE TABLE") and line.endswith(");"):
            line = line[:-1] + " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;"
        lines.append(line)
    return "\n".join(lines)


def mariadb_store(url, customers):
    """Creates and seeds a MariaDB customer database; returns (secrets, drop)."""
    parsed = __import__("urllib.parse").parse.urlparse(url)
    cli = ["mariadb", "-h", parsed.hostname or "127.0.0.1", "-P", str(parsed.port or 3306), "-u", parsed.username or "root"]
    if parsed.password:
        cli.append(f"-p{parsed.password}")
    name = f"lethe_bench_shop_{os.getpid()}"
    subprocess.run(cli + ["-e", f"CREATE DATABASE {name}"], check=True)
    seed = MYSQL_SEED.format(n=customers, n2=2 * customers, n3=3 * customers, half=customers // 2)
    subprocess.run(cli + [name], input=mysql_dialect(schema_only()) + "\n" + seed + "\nANALYZE TABLE customer, address, orders, login, visit, payment_card, service_request;", text=True, check=True, stdout=subprocess.DEVNULL)
    secrets = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 3306, "dbname": name, "username": parsed.username or "root"}
    if parsed.password:
        secrets["password"] = parsed.password
    return secrets, lambda: subprocess.run(cli + ["-e", f"DROP DATABASE IF EXISTS {name}"], check=False)


def tls_postgres(bin_dir, workdir):
    """Starts a PostgreSQL server that accepts only TLS (hostssl), with a certificate for
    127.0.0.1 from a new CA; returns (port, ca_pem, stop)."""
    tls = os.path.join(workdir, "tls")
    os.makedirs(tls)
    os.chmod(workdir, 0o711)  # the postgres user must reach its data directory inside
    run = lambda *cmd: subprocess.run(list(cmd), check=True, cwd=tls, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Bench CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(tls, "ext.cnf"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt")
    data = os.path.join(tls, "data")
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if as_postgres:
        subprocess.run(["chown", "-R", "postgres", tls], check=True)
    subprocess.run(as_postgres + [os.path.join(bin_dir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust"], check=True, stdout=subprocess.DEVNULL)
    port = free_port()
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{tls}'\nssl = on\n"
                f"ssl_cert_file = '{tls}/server.crt'\nssl_key_file = '{tls}/server.key'\nfsync = off\nmax_connections = 200\n")
    with open(os.path.join(data, "pg_hba.conf"), "w") as f:
        f.write("local all all trust\nhostssl all all 127.0.0.1/32 trust\n")
    os.chmod(os.path.join(tls, "server.key"), 0o600)
    if as_postgres:
        subprocess.run(["chown", "-R", "postgres", tls], check=True)
    server = subprocess.Popen(as_postgres + [os.path.join(bin_dir, "postgres"), "-D", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        if subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL).returncode == 0:
            break
        time.sleep(0.1)
    with open(os.path.join(tls, "ca.pem")) as f:
        ca = f.read()

    def stop():
        server.terminate()
        server.wait(timeout=30)
    return port, ca, stop


def time_connection_tests(port, token, key, count=50):
    times = []
    for _ in range(count):
        started = time.perf_counter()
        status, body = api(port, token, "GET", f"/api/v1/connection/{key}/test")
        times.append((time.perf_counter() - started) * 1000)
        assert body.get("test_status") == "succeeded", body
    return statistics.median(times), percentile(times, 99)


def api(port, token, method, path, body=None, headers=None):
    all_headers = {"Authorization": f"Bearer {token}"}
    if body is not None and not isinstance(body, (bytes, str)):
        body = json.dumps(body)
        all_headers["Content-Type"] = "application/json"
    all_headers.update(headers or {})
    status, data = request(port, method, path, body, all_headers)
    try:
        return status, json.loads(data)
    except ValueError:
        return status, data


def root_token(port):
    """A token of the root client (every scope)."""
    _, body = request(port, "POST", "/api/v1/oauth/token", f"client_id=lethe_root&client_secret={ROOT_SECRET}",
                      {"Content-Type": "application/x-www-form-urlencoded"})
    return json.loads(body)["access_token"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def item(customer, policy):
    return {"identity": {"email": f"customer-{customer}@example.com"}, "policy_key": policy}


def run_phase(port, token, proc, policy, customers, single, bulk, workers, done_before):
    """Measures one policy; `customers` yields the customer of each request. Returns the count of
    requests now finished (for the next phase's wait)."""
    # 1. One at a time.
    server_ms, client_ms = [], []
    for _ in range(single):
        started = time.perf_counter()
        status, body = api(port, token, "POST", "/api/v1/privacy-request/authenticated", [item(next(customers), policy)])
        rid = body["succeeded"][0]["id"]
        while True:
            status, got = api(port, token, "GET", f"/api/v1/privacy-request/{rid}")
            if got["status"] in ("complete", "error"):
                break
            time.sleep(0.001)
        client_ms.append((time.perf_counter() - started) * 1000)
        assert got["status"] == "complete", got
        server_ms.append((parse_time(got["finished_processing_at"]) - parse_time(got["created_at"])).total_seconds() * 1000)

    # 2. In bulk, with memory sampled meanwhile.
    peak = [0.0]
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            peak[0] = max(peak[0], rss_kib(proc.pid) / 1024)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    cpu_before = cpu_seconds(proc.pid)
    sampler.start()
    batches = [[item(next(customers), policy) for _ in range(50)] for _ in range(bulk // 50)]
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda b: api(port, token, "POST", "/api/v1/privacy-request/authenticated", b), batches))
    submitted_s = time.perf_counter() - started
    ids = {r["id"] for _, body in results for r in body["succeeded"]}
    expected = done_before + single + len(ids)
    while True:
        status, page = api(port, token, "GET", "/api/v1/privacy-request?status=complete&status=error&size=1")
        if page["total"] >= expected:
            break
        time.sleep(0.01)
    wall_s = time.perf_counter() - started
    sampling.set()
    sampler.join()
    cpu_used = cpu_seconds(proc.pid) - cpu_before
    created, finished, errors = [], [], 0
    for page_no in range(1, len(ids) // 100 + 3):
        status, page = api(port, token, "GET", f"/api/v1/privacy-request?size=100&page={page_no}")
        for r in page["items"]:
            if r["id"] in ids:
                created.append(parse_time(r["created_at"]))
                finished.append(parse_time(r["finished_processing_at"]))
                errors += r["status"] != "complete"
    server_s = (max(finished) - min(created)).total_seconds()

    print(f"\n# {policy}")
    print(f"## single request, create -> complete ({single} sequential)")
    print(f"server timestamps     p50 {statistics.median(server_ms):6.2f} ms   p99 {percentile(server_ms, 99):6.2f} ms")
    print(f"client, polling 1 ms  p50 {statistics.median(client_ms):6.2f} ms   p99 {percentile(client_ms, 99):6.2f} ms")
    print(f"## throughput: {len(ids)} requests submitted in {len(batches)} bulk POSTs of 50 ({workers} workers)")
    print(f"submitted in          {submitted_s * 1000:8.0f} ms")
    print(f"all complete after    {wall_s * 1000:8.0f} ms   -> {len(ids) / wall_s:6.0f} completed requests/s (client clock)")
    print(f"first created -> last finished {server_s * 1000:6.0f} ms -> {len(ids) / server_s:6.0f} requests/s (server clock); errors: {errors}")
    print(f"server CPU            {cpu_used * 1000 / len(ids):8.2f} ms per request (the rest is PostgreSQL and the client)")
    print(f"## memory: peak under load {peak[0]:.1f} MiB")
    return expected


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/lethe")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--single", type=int, default=300, help="sequential single requests")
    parser.add_argument("--bulk", type=int, default=1000, help="requests submitted in bulk")
    parser.add_argument("--workers", type=int, default=4, help="LETHE__JOBS__WORKERS")
    parser.add_argument("--ssl-mode", help="ssl_mode of the customer PostgreSQL connection (default: Lethe's, prefer)")
    parser.add_argument("--store", choices=["postgres", "mariadb", "postgres-tls"], default="postgres")
    parser.add_argument("--mariadb-url", default=os.environ.get("BENCH_MARIADB", "mysql://root@127.0.0.1:3306/test"))
    parser.add_argument("--pg-bin", default=os.environ.get("BENCH_PG_BIN", "/usr/lib/postgresql/15/bin"))
    args = parser.parse_args()
    random.seed(7)

    lethe_name, lethe_url = create_pg_database(args.pg_url)
    proc = None
    cleanups = []
    workdir = tempfile.mkdtemp(prefix="lethe-bench-dsr-")
    try:
        seeded = time.perf_counter()
        plain_secrets = None
        if args.store == "mariadb":
            connection_type = "mariadb"
            secrets, drop = mariadb_store(args.mariadb_url, args.customers)
            cleanups.append(drop)
        else:
            connection_type = "postgres"
            server_url = args.pg_url
            if args.store == "postgres-tls":
                tls_port, ca, stop = tls_postgres(args.pg_bin, workdir)
                cleanups.append(stop)
                server_url = f"postgres://postgres@127.0.0.1:{tls_port}/postgres?sslmode=require"
            shop_name, shop_url = create_pg_database(server_url)
            cleanups.append(lambda: drop_pg_database(server_url, shop_name))
            subprocess.run(["psql", shop_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", schema_only()], check=True)
            subprocess.run(["psql", shop_url, "-q", "-v", "ON_ERROR_STOP=1", "-c", SEED.format(n=args.customers)], check=True)
            subprocess.run(["psql", shop_url, "-qc", "VACUUM ANALYZE"], check=True)
            parsed = __import__("urllib.parse").parse.urlparse(shop_url)
            secrets = {"host": parsed.hostname, "port": parsed.port or 5432, "dbname": shop_name, "username": parsed.username or "postgres"}
            if args.ssl_mode:
                secrets["ssl_mode"] = args.ssl_mode
            if args.store == "postgres-tls":
                secrets.update({"ssl_mode": "verify-full", "ssl_root_cert": ca})
                plain_secrets = {"host": "127.0.0.1", "port": 5432, "dbname": "postgres", "username": "postgres", "ssl_mode": "disable"}
        print(f"lethe DSR benchmark ({args.store}): {os.cpu_count()} CPUs; customer database seeded with {args.customers:,} customers in {time.perf_counter() - seeded:.1f} s")

        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
        env.update({
            "LETHE__SERVER__BIND": f"127.0.0.1:{port}",
            "LETHE__SERVER__DATA_DIR": workdir,
            "LETHE__DATABASE__URL": lethe_url,
            "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
            "LETHE__JOBS__WORKERS": str(args.workers),
            "LETHE__LOG__LEVEL": os.environ.get("BENCH_LOG_LEVEL", "warn"),
            "LETHE__LOG__FORMAT": "json",
        })
        proc, _ = start(args.binary, env, port, stdout=open(os.path.join(workdir, "lethe.log"), "w"))
        token = root_token(port)
        api(port, token, "PATCH", "/api/v1/connection", [{"key": "shop", "name": "shop", "connection_type": connection_type, "access": "write"}])
        status, body = api(port, token, "PUT", "/api/v1/connection/shop/secret?verify=true", secrets)
        assert body.get("test_status") == "succeeded", body
        if plain_secrets:
            api(port, token, "PATCH", "/api/v1/connection", [{"key": "plain", "name": "plain", "connection_type": "postgres", "access": "read", "disabled": True}])
            api(port, token, "PUT", "/api/v1/connection/plain/secret", plain_secrets)
            tls_p50, tls_p99 = time_connection_tests(port, token, "shop")
            plain_p50, plain_p99 = time_connection_tests(port, token, "plain")
            print("## a new connection (GET /connection/{key}/test: connect, SELECT 1, close; 50 sequential)")
            print(f"verify-full TLS       p50 {tls_p50:6.2f} ms   p99 {tls_p99:6.2f} ms")
            print(f"plaintext             p50 {plain_p50:6.2f} ms   p99 {plain_p99:6.2f} ms   -> TLS handshake + verification {tls_p50 - plain_p50:.2f} ms")
        with open(DATASET) as f:
            status, body = api(port, token, "PATCH", "/api/v1/yml/connection/shop/dataset", f.read(), {"Content-Type": "application/x-yaml"})
        assert status == 200 and not body["failed"], body
        idle_mib = rss_kib(proc.pid) / 1024

        print(f"memory: idle {idle_mib:.1f} MiB")
        random_customers = (random.randint(1, args.customers) for _ in iter(int, 1))
        done = run_phase(port, token, proc, "default_access_policy", random_customers, args.single, args.bulk, args.workers, 0)
        # Erasure masks what it erases: every request is for a customer not erased before.
        distinct = random.sample(range(1, args.customers + 1), args.single + args.bulk)
        run_phase(port, token, proc, "default_erasure_policy", iter(distinct), args.single, args.bulk, args.workers, done)
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=30)
        drop_pg_database(args.pg_url, lethe_name)
        for cleanup in reversed(cleanups):
            cleanup()
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {workdir} (server log: lethe.log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
