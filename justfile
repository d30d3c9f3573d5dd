# Lethe — daily commands. `just` lists them.

set shell := ["bash", "-euo", "pipefail", "-c"]

pg_url := env_var_or_default("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/test")
customer_pg := env_var_or_default("LETHE_TEST_CUSTOMER_PG", "postgres://postgres@127.0.0.1:5432/postgres")

default:
    @just --list

# Run the server on the embedded SQLite default (./data)
run *ARGS:
    cargo run --release --bin lethe -- {{ARGS}}

# Run every test on SQLite
test *ARGS:
    cargo test --workspace {{ARGS}}

# Run every test on PostgreSQL (a fresh schema per test), customer stores on PostgreSQL too
test-pg *ARGS:
    TEST_DATABASE_URL={{pg_url}} LETHE_TEST_CUSTOMER_PG={{customer_pg}} LETHE_TEST_PYTHON=python3 cargo test --workspace {{ARGS}}

# Formatting and clippy, as CI runs them
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets --all-features -- -D warnings

# Format the code
fmt:
    cargo fmt --all

# Regenerate the committed OpenAPI document from the code
openapi:
    cargo run -q --bin lethe -- openapi > openapi/openapi.json

# Benchmark the release binary on SQLite and PostgreSQL (prints figures, asserts nothing)
bench:
    cargo build --release --bin lethe
    python3 scripts/bench.py --binary target/release/lethe

# Create a migration NAME in both trees (identical names; write both up.sql files)
migration NAME:
    #!/usr/bin/env bash
    set -euo pipefail
    dir="$(date -u +%Y-%m-%d-%H%M%S)_{{NAME}}"
    for tree in sqlite postgres; do
        mkdir -p "migrations/$tree/$dir"
        touch "migrations/$tree/$dir/up.sql" "migrations/$tree/$dir/down.sql"
    done
    echo "created migrations/{sqlite,postgres}/$dir"

# Benchmark the RoPA endpoints over 100,000 products on SQLite and PostgreSQL (prints figures)
bench-ropa:
    cargo build --release --bin lethe
    cargo build --release -p notices-ropa --example seed_ropa
    python3 scripts/bench_ropa.py

# Benchmark access and erasure requests over 100,000 customers on PostgreSQL (prints figures)
bench-dsr *ARGS:
    cargo build --release --bin lethe
    python3 scripts/bench_dsr.py {{ARGS}}

# The same workload on each store: PostgreSQL, MariaDB (BENCH_MARIADB) and PostgreSQL over verify-full TLS
bench-dsr-stores:
    cargo build --release --bin lethe
    python3 scripts/bench_dsr.py --store postgres
    python3 scripts/bench_dsr.py --store mariadb
    python3 scripts/bench_dsr.py --store postgres-tls

# Large subjects: 10k..10M rows in one collection (PostgreSQL; 1M on MariaDB and SQLite), JSON/CSV/encrypted, erasure, download (prints figures)
bench-large:
    cargo build --release --bin lethe
    python3 scripts/bench_large.py

# SaaS: access requests through the shipped Stripe template against a local HTTPS Stripe (100 subjects x 10 pages; prints figures)
bench-saas *ARGS:
    cargo build --release --bin lethe
    python3 scripts/bench_saas.py {{ARGS}}

# Privacy center: weight and time to first byte of each page, one submit -> verify -> download flow (SQLite; prints figures)
bench-privacy-center:
    cargo build --release --bin lethe
    python3 scripts/bench_privacy_center.py

# Benchmark assessment generation (4 templates x 1,000 systems) and GET /{id} on SQLite and PostgreSQL (prints figures)
bench-assess *ARGS:
    cargo build --release --bin lethe
    python3 scripts/bench_assess.py {{ARGS}}

# Benchmark PDF export: a 40-question report rendered 50 times (prints p50/p99 and size)
bench-pdf:
    cargo run --release -p pdf-export --example bench_render

# Schemathesis over the served OpenAPI document (every check but positive_data_acceptance, as CI)
schemathesis *ARGS:
    cargo build --bin lethe
    scripts/schemathesis.sh target/debug/lethe {{ARGS}}

# Schemathesis positive_data_acceptance only: lists the refusals no schema can express
schemathesis-positive:
    cargo build --bin lethe
    scripts/schemathesis.sh target/debug/lethe --checks positive_data_acceptance --seed 1 --max-examples 20 || true
