#!/usr/bin/env python3
"""Benchmark access requests against the shipped Stripe template and a local HTTPS server that
speaks Stripe's wire format (100 subjects, each with one customer and 10 pages of charges).

Makes a CA and a certificate for localhost with the openssl CLI, serves Stripe's customer lookup
by email, cursor pages of charges (`starting_after`, 10 charges a page, then an empty page, as
Stripe's cursor ends) and an empty list for every other list the template reads, over TLS with
Python's http.server (one thread per connection). Starts the release `lethe` on a fresh SQLite
data directory with LETHE__SAAS__ALLOWED_HOSTS=localhost and the CA as
LETHE__SAAS__EXTRA_ROOT_CERTS, instantiates the template, and measures access requests:
  1. single requests, one at a time: create -> complete, p50/p99 (server timestamps);
  2. throughput: one request per subject submitted in bulk POSTs of 50, completed requests per
     second, Lethe's CPU per request (the rest is the Python server and the client);
  3. the calls the server answered per request, and Lethe's peak resident memory.
Prints figures; asserts nothing but that every request completed with its subject's charges.
"""

import argparse
import http.server
import json
import os
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from bench import free_port, request, rss_kib, start  # noqa: E402
from bench_dsr import api, cpu_seconds, parse_time, percentile  # noqa: E402

ROOT_SECRET = "bench-root-secret"
API_KEY = "sk_test_bench"
PAGES = 10
PER_PAGE = 10


class Stripe(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: without TCP_NODELAY each answer waits for the
    # client's delayed ACK (40 ms).
    disable_nagle_algorithm = True
    calls = 0
    paths = {}
    connections = set()
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        with Stripe.lock:
            Stripe.calls += 1
            path = urllib.parse.urlparse(self.path).path
            Stripe.paths[path] = Stripe.paths.get(path, 0) + 1
            Stripe.connections.add(self.client_address)
        if self.headers.get("Authorization") != f"Bearer {API_KEY}":
            return self.reply(401, {"error": {"message": "Invalid API Key provided", "type": "invalid_request_error"}})
        url = urllib.parse.urlparse(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        empty = {"object": "list", "data": [], "has_more": False}
        if url.path == "/v1/customers" and "email" in query:
            n = query["email"].split("@")[0].removeprefix("subject-")
            customer = {"id": f"cus_{n}", "object": "customer", "email": query["email"], "name": f"Subject {n}"}
            return self.reply(200, {"object": "list", "data": [customer], "has_more": False})
        if url.path == "/v1/charges" and "customer" in query:
            after = query.get("starting_after")
            page = 0 if after is None else int(after.rsplit("_", 1)[1]) // PER_PAGE + 1
            if page >= PAGES:
                return self.reply(200, empty)
            n = query["customer"].removeprefix("cus_")
            data = [{"id": f"ch_{n}_{page * PER_PAGE + i}", "object": "charge", "customer": query["customer"], "amount": 100 + i}
                    for i in range(PER_PAGE)]
            return self.reply(200, {"object": "list", "data": data, "has_more": page + 1 < PAGES})
        return self.reply(200, empty)


def certificates(workdir):
    run = lambda *cmd: subprocess.run(list(cmd), check=True, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Bench CA", "-keyout", "ca.key", "-out", "ca.pem")
    run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key", "-out", "server.csr")
    with open(os.path.join(workdir, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2", "-extfile", "ext.cnf", "-out", "server.crt")
    return os.path.join(workdir, "ca.pem"), os.path.join(workdir, "server.crt"), os.path.join(workdir, "server.key")


def stripe_server(cert, key):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Stripe)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def wait(port, token, rid):
    while True:
        _, got = api(port, token, "GET", f"/api/v1/privacy-request/{rid}")
        if got["status"] in ("complete", "error"):
            return got
        time.sleep(0.001)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/lethe")
    parser.add_argument("--subjects", type=int, default=100)
    parser.add_argument("--single", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="lethe-bench-saas-")
    try:
        ca, cert, key = certificates(workdir)
        server = stripe_server(cert, key)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
        env.update({
            "LETHE__SERVER__BIND": f"127.0.0.1:{port}",
            "LETHE__SERVER__DATA_DIR": os.path.join(workdir, "data"),
            "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
            "LETHE__JOBS__WORKERS": str(args.workers),
            "LETHE__SAAS__ALLOWED_HOSTS": "localhost",
            "LETHE__SAAS__EXTRA_ROOT_CERTS": ca,
            "LETHE__LOG__LEVEL": "warn",
        })
        proc, _ = start(args.binary, env, port)
        try:
            _, body = request(port, "POST", "/api/v1/oauth/token", f"client_id=lethe_root&client_secret={ROOT_SECRET}",
                              {"Content-Type": "application/x-www-form-urlencoded"})
            token = json.loads(body)["access_token"]
            domain = f"localhost:{server.server_address[1]}"
            status, body = api(port, token, "POST", "/api/v1/connection/instantiate/stripe",
                               {"instance_key": "stripe_bench", "secrets": {"domain": domain, "api_key": API_KEY}})
            assert status == 200, body
            api(port, token, "PATCH", "/api/v1/dsr/policy", [{"name": "stripe", "key": "stripe"}])
            api(port, token, "PATCH", "/api/v1/dsr/policy/stripe/rule",
                [{"name": "access", "key": "stripe_access", "action_type": "access"}])
            api(port, token, "PATCH", "/api/v1/dsr/policy/stripe/rule/stripe_access/target",
                [{"data_category": "user"}, {"data_category": "system"}])
            item = lambda n: {"identity": {"email": f"subject-{n}@example.com"}, "policy_key": "stripe"}

            # 1. One at a time.
            server_ms = []
            calls_before = Stripe.calls
            for n in range(args.single):
                _, body = api(port, token, "POST", "/api/v1/privacy-request/authenticated", [item(n)])
                got = wait(port, token, body["succeeded"][0]["id"])
                assert got["status"] == "complete", got
                server_ms.append((parse_time(got["finished_processing_at"]) - parse_time(got["created_at"])).total_seconds() * 1000)
            calls_per_request = (Stripe.calls - calls_before) / args.single

            # 2. In bulk, memory sampled meanwhile.
            peak = [0.0]
            done = threading.Event()

            def sample():
                while not done.is_set():
                    peak[0] = max(peak[0], rss_kib(proc.pid) / 1024)
                    time.sleep(0.02)

            sampler = threading.Thread(target=sample)
            sampler.start()
            cpu_before = cpu_seconds(proc.pid)
            started = time.perf_counter()
            ids = []
            for first in range(0, args.subjects, 50):
                batch = [item(n) for n in range(first, min(first + 50, args.subjects))]
                _, body = api(port, token, "POST", "/api/v1/privacy-request/authenticated", batch)
                ids += [r["id"] for r in body["succeeded"]]
            results = [wait(port, token, rid) for rid in ids]
            wall_s = time.perf_counter() - started
            cpu_used = cpu_seconds(proc.pid) - cpu_before
            done.set()
            sampler.join()
            errors = sum(r["status"] != "complete" for r in results)
            server_s = (max(parse_time(r["finished_processing_at"]) for r in results)
                        - min(parse_time(r["created_at"]) for r in results)).total_seconds()
            print(f"lethe SaaS benchmark: Stripe template, {args.subjects} subjects x {PAGES} pages of {PER_PAGE} charges, "
                  f"{os.cpu_count()} CPUs, {args.workers} workers, Lethe's store SQLite")
            print(f"API calls per request  {calls_per_request:6.1f} (customer lookup, {PAGES + 1} charge pages, the template's other lists)")
            print(f"## single request, create -> complete ({args.single} sequential)")
            print(f"server timestamps      p50 {statistics.median(server_ms):6.1f} ms   p99 {percentile(server_ms, 99):6.1f} ms")
            print(f"## throughput: {len(ids)} requests in bulk POSTs of 50")
            print(f"all complete after     {wall_s * 1000:6.0f} ms -> {len(ids) / wall_s:6.1f} requests/s (client clock)")
            print(f"first created -> last finished {server_s * 1000:6.0f} ms -> {len(ids) / server_s:6.1f} requests/s; errors: {errors}")
            print(f"Lethe CPU              {cpu_used * 1000 / len(ids):6.2f} ms per request (the rest is the Python server and the client)")
            print(f"peak resident memory   {peak[0]:6.1f} MiB")
            print(f"TLS connections opened {len(Stripe.connections)} for {Stripe.calls} calls")
            if os.environ.get("BENCH_PATHS"):
                for path, count in sorted(Stripe.paths.items(), key=lambda kv: -kv[1]):
                    print(f"  {count:6d} {path}")
        finally:
            proc.terminate()
            proc.wait()
            server.shutdown()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
