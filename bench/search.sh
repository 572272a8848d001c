#!/usr/bin/env bash
# Search benchmark, from a fresh clone, in one command:
#   bench/search.sh [--copies 10] [--seconds 10] [--connections 32]
# Builds the LibreOffice help corpus (downloaded with apt-get at run time
# into target/bench-corpus, never committed), installs wrk if missing, then
# runs the benchmark in release: Guichet against SQLite FTS5 over the same
# documents, and MRR@10 against PostgreSQL full-text search.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

if ! command -v wrk >/dev/null 2>&1; then
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk \
    || { as_root apt-get update && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends wrk; }
fi
corpus=target/bench-corpus
if [ ! -d "$corpus/kb" ] || [ -z "$(ls -A "$corpus/kb" 2>/dev/null)" ]; then
  python3 bench/libreoffice_corpus.py "$corpus"
fi
exec cargo run --release -q -p guichet-bench --bin search -- --corpus "$corpus/kb" "$@"
