#!/usr/bin/env bash
# R17: a 200 MB upload streams through the server (memory stays flat).
#
# Starts `guichet demo` on a free port with a fresh data directory and the
# file limits raised, generates a 200 MB application log on disk (with a
# bearer token and a password on some lines, so the text scrubber works
# through all of it), uploads it to a case with curl (which streams it from
# disk), and reports the server's resident memory before the upload and its
# peak during it (VmHWM from /proc/PID/status, reset just before the upload
# through /proc/PID/clear_refs), with the time taken and what was removed.
#
#   bench/upload_memory.sh [--size-mb N]
#
# GUICHET_BIN names the binary (default: target/debug/guichet, built if
# missing; a release build is faster, the memory is what is measured).
set -euo pipefail
cd "$(dirname "$0")/.."

size_mb=200
while [ $# -gt 0 ]; do
  case "$1" in
    --size-mb) size_mb=$2; shift 2 ;;
    *) echo "usage: $0 [--size-mb N]" >&2; exit 2 ;;
  esac
done

bin=${GUICHET_BIN:-target/debug/guichet}
if [ -z "${GUICHET_BIN:-}" ] && [ ! -x "$bin" ]; then
  cargo build -q --locked -p guichet
fi

dir=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
trap cleanup EXIT

kb() { sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB$/\1/p" "/proc/$pid/status"; }
mb() { echo "$(( $1 / 1024 )) MB"; }

echo "generating a ${size_mb} MB log file"
python3 - "$dir/app.log" "$size_mb" <<'EOF'
import sys

path, size = sys.argv[1], int(sys.argv[2]) * 1024 * 1024
lines = [
    b"2026-11-29T04:25:00.123Z INFO  ledger.api request=GET /api/ledger?page=2 status=200 took=12ms user=dana\n",
    b"2026-11-29T04:25:00.456Z DEBUG ledger.db query=select * from entries where account = $1 rows=250 took=3ms\n",
    b"2026-11-29T04:25:00.789Z WARN  ledger.cache miss key=entries:acme:2026-11 refill=true\n",
]
secret = (
    b"2026-11-29T04:25:01.000Z DEBUG http Authorization: Bearer sk_live_51HqL0cKx9vT3mQ2wE8rYbN4z\n"
    b"2026-11-29T04:25:01.001Z DEBUG login form user=dana password=hunter2hunter2\n"
)
block = b"".join(lines * 300) + secret
with open(path, "wb") as out:
    written = 0
    while written + len(block) <= size:
        out.write(block)
        written += len(block)
    filler = lines[0] * ((size - written) // len(lines[0]) + 1)
    out.write(filler[: size - written])
EOF

GUICHET_FILES__MAX_FILE_SIZE="$((size_mb + 56)) MB" \
GUICHET_FILES__MAX_CASE_SIZE="$((size_mb + 56)) MB" \
RUST_LOG=warn "$bin" demo --listen 127.0.0.1:0 --data-dir "$dir/data" >"$dir/out" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  grep -q '^Guichet demo at' "$dir/out" && break
  sleep 1
done
url=$(sed -n 's|^Guichet demo at \(http://[^/ ]*\)/.*|\1|p' "$dir/out" | head -n 1)
if [ -z "$url" ]; then
  echo "the demo did not start:" >&2
  cat "$dir/out" >&2
  exit 1
fi

field() { python3 -c "import json, sys; print(json.load(sys.stdin)$1)"; }
token=$(curl -sf -H 'Content-Type: application/json' \
  -d '{"email": "dana@acme.example", "password": "guichet-demo"}' \
  "$url/api/v1/auth/token" | field "['token']")
number=$(curl -sf -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"product": "financials", "area": "general_ledger", "environment": "production",
       "impact": "blocked", "scope": "group", "subject": "The ledger page hangs",
       "description": "The log of the application is attached."}' \
  "$url/api/v1/cases" | field "['number']")

# Settle, then take the resident memory before and reset its peak.
sleep 2
before=$(kb VmRSS)
anon=$(kb RssAnon)
file=$(kb RssFile)
echo 5 >"/proc/$pid/clear_refs"
start=$(date +%s.%N)
curl -sf -H "Authorization: Bearer $token" -F "file=@$dir/app.log;filename=app.log" \
  "$url/api/v1/cases/$number/attachments" >"$dir/answer"
end=$(date +%s.%N)
peak=$(kb VmHWM)
after=$(kb VmRSS)

seconds=$(python3 -c "print(f'{$end - $start:.1f}')")
echo "uploaded ${size_mb} MB in ${seconds} s: $(field "['removed_words']" <"$dir/answer") (stored $(field "['size']" <"$dir/answer") bytes)"
echo "server resident memory before the upload: $(mb "$before") ($(mb "$anon") anonymous, $(mb "$file") mapped files)"
echo "server peak resident memory during it:   $(mb "$peak") (+$(mb $((peak - before))))"
echo "server resident memory after it:          $(mb "$after")"
