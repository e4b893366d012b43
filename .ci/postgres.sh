#!/usr/bin/env bash
# PostgreSQL for the decision-log tests, from the distribution's packages: install it, start
# the default cluster, make a role and database for the tests, and print their URL (for
# DIBAO_TEST_POSTGRES). Needs root (apt-get, the cluster tools). Safe to run again.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
if ! command -v pg_lsclusters >/dev/null 2>&1 || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version main"; then
    pg_createcluster "$version" main >&2
fi
pg_ctlcluster "$version" main start >&2 2>/dev/null || true
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
as_postgres() { runuser -u postgres -- psql -p "$port" -v ON_ERROR_STOP=1 -tAq "$@"; }
for _ in $(seq 1 30); do as_postgres -c "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
if [ "$(as_postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'dibao'")" != "1" ]; then
    as_postgres -c "CREATE ROLE dibao LOGIN CREATEDB PASSWORD 'dibao'"
fi
if [ "$(as_postgres -c "SELECT 1 FROM pg_database WHERE datname = 'dibao_test'")" != "1" ]; then
    as_postgres -c "CREATE DATABASE dibao_test OWNER dibao"
fi
echo "postgresql://dibao:dibao@127.0.0.1:$port/dibao_test"
