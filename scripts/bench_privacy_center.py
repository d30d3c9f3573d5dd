#!/usr/bin/env python3
"""Benchmark the privacy center's pages: weight and time to first byte of each page, and one
full submit -> verify -> complete -> download flow over HTTP (no browser; the browser test in
tests/tests/browser.rs drives the same flow in Chromium).

Starts the release `lethe` on its embedded SQLite default in a temporary directory, in `dev`
security mode without SMTP, so the verification code and the completion email (with the download
link) are written to the server's JSON log, where this script reads them. The customer store is
a SQLite file with one customer and ten events (bench_large's seed and dataset). Identity
verification and the completion email are on.

Per page: bytes of the HTML (and of the stylesheet it links, the only other resource: no script,
no images in the default configuration) and the time to first byte, median and p99 over 200
requests on one keep-alive connection. The flow's duration runs from the form's GET to the
downloaded package. Prints figures; asserts nothing.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from bench import free_port, start  # noqa: E402
from bench_dsr import ROOT_SECRET, root_token  # noqa: E402
from bench_large import register_store, seed_sqlite  # noqa: E402

EMAIL = "subject-1@example.com"  # the customer seed_sqlite makes
SAMPLES = 200


class Client:
    """One keep-alive connection with the privacy center's CSRF cookie."""

    def __init__(self, port):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookie = None

    def call(self, method, path, form=None):
        """(status, headers, body bytes, seconds to the response's first byte)."""
        headers = {"Accept-Language": "en"}
        body = None
        if self.cookie:
            headers["Cookie"] = f"lethe_pc_csrf={self.cookie}"
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://127.0.0.1:{self.port}"
        started = time.perf_counter()
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        first_byte = time.perf_counter() - started
        data = response.read()
        cookie = re.search(r"lethe_pc_csrf=([^;]+)", response.getheader("Set-Cookie") or "")
        if cookie:
            self.cookie = cookie.group(1)
        return response.status, response, data, first_byte


def csrf(html):
    return re.search(rb'name="csrf" value="([^"]+)"', html).group(1).decode()


def logged(log_path, message, request_id, timeout=30):
    """The body of the first dev-mode email for `request_id` whose message contains `message`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as f:
            for line in f:
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if message in entry.get("message", "") and entry.get("privacy_request_id") == request_id:
                    return entry
        time.sleep(0.005)
    with open(log_path) as f:
        tail = f.readlines()[-5:]
    sys.exit(f"bench: no '{message}' for {request_id} in the log; it ends with:\n{''.join(tail)}")


def measure(client, label, path, css=0):
    times = []
    size = 0
    for _ in range(SAMPLES):
        status, _, body, first_byte = client.call("GET", path)
        assert status == 200, (path, status, body[:200])
        times.append(first_byte * 1000)
        size = len(body)
    times.sort()
    p99 = times[int(len(times) * 0.99) - 1]
    print(f"{label:<22}{size / 1024:>8.1f} KB{(size + css) / 1024:>10.1f} KB"
          f"{statistics.median(times):>10.2f} ms{p99:>9.2f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default="target/release/lethe")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="lethe-bench-pc-")
    server = None
    try:
        shop = os.path.join(workdir, "shop.db")
        seed_sqlite(shop, 10)
        port = free_port()
        log_path = os.path.join(workdir, "lethe.log")
        env = {k: v for k, v in os.environ.items() if not k.startswith("LETHE__")}
        env.update({
            "LETHE__SERVER__BIND": f"127.0.0.1:{port}",
            "LETHE__SERVER__DATA_DIR": os.path.join(workdir, "data"),
            "LETHE__SERVER__PUBLIC_URL": f"http://127.0.0.1:{port}",
            "LETHE__SECURITY__ROOT_CLIENT_SECRET": ROOT_SECRET,
            "LETHE__SECURITY__ENV": "dev",
            "LETHE__EXECUTION__SUBJECT_IDENTITY_VERIFICATION_REQUIRED": "true",
            "LETHE__NOTIFICATIONS__SEND_REQUEST_COMPLETION_NOTIFICATION": "true",
            "LETHE__LOG__FORMAT": "json",
            "LETHE__LOG__LEVEL": "warn",
        })
        server, _ = start(args.binary, env, port, stdout=open(log_path, "w"))
        register_store(port, root_token(port), "pc_shop", "sqlite", {"path": shop})

        client = Client(port)
        print(f"lethe privacy center benchmark: {os.cpu_count()} CPUs, release build, SQLite, "
              f"{SAMPLES} requests per page on one keep-alive connection")

        # One full flow first, timed from the form to the downloaded package.
        started = time.perf_counter()
        status, _, form, _ = client.call("GET", "/privacy-center/request/0")
        assert status == 200
        status, response, _, _ = client.call("POST", "/privacy-center/request/0",
                                             {"csrf": csrf(form), "email": EMAIL})
        assert status == 303, status
        verify_path = response.getheader("Location")
        request_id = verify_path.rstrip("/").rsplit("/", 1)[1]
        code = logged(log_path, "verification code", request_id)["verification_code"]
        status, _, verify_page, _ = client.call("GET", verify_path)
        assert status == 200
        status, response, _, _ = client.call("POST", verify_path, {"csrf": csrf(verify_page), "code": code})
        assert status == 303, status
        done_path = response.getheader("Location")
        mail = logged(log_path, "subject email", request_id)
        link = urllib.parse.urlparse(re.search(r"https?://\S+", mail["body"]).group(0))
        download_path = f"{link.path}?{link.query}"
        status, _, download_page, _ = client.call("GET", download_path)
        assert status == 200, status
        package = re.search(rb'href="([^"]*access-package[^"]*)"', download_page).group(1).decode()
        package = package.replace("&amp;", "&").replace("&#x2f;", "/")
        status, _, data, _ = client.call("GET", urllib.parse.urlparse(package)._replace(scheme="", netloc="").geturl())
        assert status == 200 and EMAIL.encode() in data, (status, data[:200])
        flow = time.perf_counter() - started
        print(f"full flow (form -> submit -> code -> verify -> complete -> email -> download page -> package): "
              f"{flow * 1000:.0f} ms")

        status, _, css, _ = client.call("GET", "/privacy-center/static/style.css")
        assert status == 200
        print(f"\n{'page':<22}{'HTML':>11}{'with CSS':>13}{'TTFB p50':>13}{'p99':>12}")
        measure(client, "home", "/privacy-center/", len(css))
        measure(client, "request form", "/privacy-center/request/0", len(css))
        measure(client, "verification", verify_path, len(css))
        measure(client, "confirmation", done_path, len(css))
        measure(client, "download", download_path, len(css))
        measure(client, "stylesheet", "/privacy-center/static/style.css")
    finally:
        if server:
            server.terminate()
            server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
