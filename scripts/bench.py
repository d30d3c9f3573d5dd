#!/usr/bin/env python3
"""Benchmark the release `lethe` binary on SQLite and on PostgreSQL.

Measures, for each backend: start to healthy, idle resident memory, and with wrk on loopback
`GET /api/v1/privacy-request-redaction-patterns` with a bearer token and `POST /api/v1/oauth/token`
(requests/s, p50, p99), plus resident memory under load. Prints figures; asserts nothing.

Needs wrk (`apt-get install wrk`; installed here when missing and running as root) and, for the
PostgreSQL run, a server at --pg-url (trust auth); a throwaway database is created and dropped.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid

ROOT_SECRET = "bench-root-secret"


def ensure_wrk():
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, stdout=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, stdout=subprocess.DEVNULL)
    if not shutil.which("wrk"):
        sys.exit("bench: wrk is required (apt-get install wrk)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def request(port, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, data


def start(binary, env, port, stdout=subprocess.DEVNULL):
    """Starts the server; returns (process, ms from spawn to the first healthy answer)."""
    started = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=stdout, stderr=subprocess.PIPE)
    deadline = started + 30
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            sys.exit(f"bench: lethe exited: {proc.stderr.read().decode()}")
        try:
            status, _ = request(port, "GET", "/health")
            if status == 200:
                return proc, (time.perf_counter() - started) * 1000
        except OSError:
            pass
        time.sleep(0.002)
    proc.kill()
    sys.exit("bench: lethe did not become healthy in 30 s")


WRK_LINE = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$")


def wrk(url, duration, connections, threads, headers=(), script=None):
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        cmd += ["-H", header]
    if script:
        cmd += ["-s", script]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    figures = {}
    for line in out.splitlines():
        if line.startswith("Requests/sec:"):
            figures["rps"] = float(line.split()[1])
        m = WRK_LINE.match(line)
        if m:
            value = float(m.group(2)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(3)]
            figures[f"p{m.group(1)}"] = value
        if "Non-2xx" in line:
            figures["non2xx"] = int(line.split()[-1])
    return figures


def bench_backend(args, name, database_url, workdir):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
    env.update(
        {
            "LETHE__SERVER__BIND": f"127.0.0.1:{port}",
            "LETHE__SERVER__DATA_DIR": workdir,
            "LETHE__DATABASE__URL": database_url,
            "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
            "LETHE__LOG__LEVEL": "warn",
        }
    )
    # First start migrates a fresh database; the second is the steady-state start-up.
    proc, first_ms = start(args.binary, env, port)
    proc.terminate()
    proc.wait()
    proc, start_ms = start(args.binary, env, port)
    try:
        time.sleep(1)
        idle = rss_kib(proc.pid)
        form = urllib.parse.urlencode(
            {"grant_type": "client_credentials", "client_id": "lethe_root", "client_secret": ROOT_SECRET}
        )
        form_headers = {"Content-Type": "application/x-www-form-urlencoded"}
        status, body = request(port, "POST", "/api/v1/oauth/token", form, form_headers)
        assert status == 200, body
        token = json.loads(body)["access_token"]
        patterns = json.dumps({"patterns": ["sensitive_.*", ".*_private", "^email$", "customer.*", ".*user.*"]})
        status, _ = request(
            port,
            "PUT",
            "/api/v1/privacy-request-redaction-patterns",
            patterns,
            {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        assert status == 200

        base = f"http://127.0.0.1:{port}"
        get = wrk(
            f"{base}/api/v1/privacy-request-redaction-patterns",
            args.duration,
            args.connections,
            args.threads,
            headers=[f"Authorization: Bearer {token}"],
        )
        loaded = rss_kib(proc.pid)
        script = os.path.join(workdir, "token.lua")
        with open(script, "w") as f:
            f.write(
                'wrk.method = "POST"\n'
                f'wrk.body = "{form}"\n'
                'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
            )
        tok = wrk(f"{base}/api/v1/oauth/token", args.duration, args.connections, args.threads, script=script)
        peak = rss_kib(proc.pid, "VmHWM")
    finally:
        proc.terminate()
        proc.wait()
    return {
        "backend": name,
        "first_start_ms": first_ms,
        "start_ms": start_ms,
        "idle_mib": idle / 1024,
        "loaded_mib": loaded / 1024,
        "peak_mib": peak / 1024,
        "get": get,
        "token": tok,
    }


def create_pg_database(pg_url):
    name = f"lethe_bench_{uuid.uuid4().hex[:12]}"
    subprocess.run(["psql", pg_url, "-qc", f"CREATE DATABASE {name}"], check=True)
    parsed = urllib.parse.urlparse(pg_url)
    return name, urllib.parse.urlunparse(parsed._replace(path=f"/{name}"))


def drop_pg_database(pg_url, name):
    subprocess.run(["psql", pg_url, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def report(result):
    get, tok = result["get"], result["token"]
    print(f"\n## {result['backend']}")
    print(f"start to healthy      {result['start_ms']:8.1f} ms   (first start, with migrations: {result['first_start_ms']:.1f} ms)")
    print(f"idle resident memory  {result['idle_mib']:8.1f} MiB")
    print(f"memory under load     {result['loaded_mib']:8.1f} MiB   (peak {result['peak_mib']:.1f} MiB)")
    print(
        f"GET patterns (auth)   {get.get('rps', 0):8.0f} req/s  p50 {get.get('p50', 0):.2f} ms  p99 {get.get('p99', 0):.2f} ms"
        + (f"  non-2xx {get['non2xx']}" if "non2xx" in get else "")
    )
    print(
        f"POST oauth/token      {tok.get('rps', 0):8.0f} req/s  p50 {tok.get('p50', 0):.2f} ms  p99 {tok.get('p99', 0):.2f} ms"
        + (f"  non-2xx {tok['non2xx']}" if "non2xx" in tok else "")
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary", default="target/release/lethe")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", choices=["sqlite", "postgres"])
    args = parser.parse_args()
    ensure_wrk()
    print(f"lethe benchmark: {os.cpu_count()} CPUs, wrk -t{args.threads} -c{args.connections} -d{args.duration}s on loopback")
    results = []
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as workdir:
            results.append(bench_backend(args, "sqlite", f"sqlite://{workdir}/bench.db", workdir))
            report(results[-1])
    if args.only in (None, "postgres"):
        name, url = create_pg_database(args.pg_url)
        try:
            with tempfile.TemporaryDirectory() as workdir:
                results.append(bench_backend(args, "postgresql", url, workdir))
                report(results[-1])
        finally:
            drop_pg_database(args.pg_url, name)


if __name__ == "__main__":
    main()
