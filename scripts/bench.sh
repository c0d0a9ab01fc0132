#!/usr/bin/env bash
# Whole-process timings of the release binary on synthetic estates.
#
#   scripts/bench.sh                  # 10k, 100k and 1M resources, best of 3 runs each
#   BENCH_SIZES="100000" BENCH_RUNS=1 scripts/bench.sh
#   BENCH_CRAWL=0 scripts/bench.sh    # without the crawl rows
#   BENCH_BIN=/path/to/linchpin scripts/bench.sh   # time that binary, build nothing
#
# Builds the release binary, generates the estates once per size and seed (cached under
# $BENCH_CACHE, default target/bench-estates), and prints one row per size and command: the
# best wall time of $BENCH_RUNS runs and that run's CPU time and peak resident memory, read from
# `/usr/bin/time -v`. When moto is installed (python3 -m pip install 'moto[server]'), it
# also crawls a moto server seeded with 2,112 resources over three regions
# (tests/fixtures/aws/seed_scale.py) at --concurrency 1 and at the default. The machine it
# ran on is printed first. docs/PERFORMANCE.md explains the figures.
set -euo pipefail

cd "$(dirname "$0")/.."
SIZES=${BENCH_SIZES:-"10000 100000 1000000"}
RUNS=${BENCH_RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
CACHE=${BENCH_CACHE:-$TARGET/bench-estates}
BIN=${BENCH_BIN:-$TARGET/release/linchpin}
TIME=/usr/bin/time

if [ ! -x "$TIME" ]; then
    echo "bench: $TIME is missing (Debian/Ubuntu: apt-get install time)" >&2
    exit 2
fi

if [ -z "${BENCH_BIN:-}" ]; then
    cargo build --release --locked --quiet
fi
mkdir -p "$CACHE"
WORK=$(mktemp -d)
MOTO_PID=""
trap '[ -n "$MOTO_PID" ] && kill "$MOTO_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
    "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "binary:  $("$BIN" --version), best of $RUNS run(s)"
echo
printf '%-10s %-34s %10s %9s %12s\n' resources command "wall (s)" "cpu (s)" "peak RSS"

# estate SIZE SEED: the cached snapshot's path, generating it first if needed.
estate() {
    local file=$CACHE/estate-$1-seed$2.json
    if [ ! -s "$file" ]; then
        "$BIN" generate --resources "$1" --seed "$2" --output "$file.tmp" >/dev/null
        mv "$file.tmp" "$file"
    fi
    echo "$file"
}

# measure SIZE LABEL COMMAND...: run the command $RUNS times (from a clean output
# directory), print the best wall time and that run's CPU time (user + system) and peak RSS.
# Exit codes 0 and 1 (findings at the failing severity) both count as a run; anything else
# stops the benchmark.
measure() {
    local size=$1 label=$2
    shift 2
    local best="" best_cpu="" best_rss=""
    for _ in $(seq "$RUNS"); do
        rm -rf "$WORK/out" && mkdir -p "$WORK/out"
        local status=0
        "$TIME" -v -o "$WORK/time" "$@" >/dev/null 2>"$WORK/stderr" || status=$?
        if [ "$status" -gt 1 ]; then
            echo "bench: '$*' exited with $status:" >&2
            cat "$WORK/stderr" >&2
            exit 1
        fi
        local wall cpu rss
        wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
            n = split($2, p, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + p[i]
            printf "%.2f", s }' "$WORK/time")
        cpu=$(awk -F': ' '/(User|System) time \(seconds\)/ { s += $2 } END { printf "%.2f", s }' "$WORK/time")
        rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time")
        if [ -z "$best" ] || awk -v a="$wall" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$wall
            best_cpu=$cpu
            best_rss=$rss
        fi
    done
    printf '%-10s %-34s %10s %9s %8s MiB\n' "$size" "$label" "$best" "$best_cpu" "$((best_rss / 1024))"
}

for size in $SIZES; do
    old=$(estate "$size" 1)
    new=$(estate "$size" 2)
    # The two reports `diff` compares, made outside the timings.
    "$BIN" audit --snapshot "$old" --format json --output "$WORK/old.json" || [ $? -eq 1 ]
    "$BIN" audit --snapshot "$new" --format json --output "$WORK/new.json" || [ $? -eq 1 ]
    measure "$size" "audit --format json" \
        "$BIN" audit --snapshot "$old" --format json --output "$WORK/out/report.json"
    measure "$size" "audit, all six formats" \
        "$BIN" audit --snapshot "$old" --format json,sarif,junit,markdown,html,csv \
        --output-dir "$WORK/out"
    measure "$size" "simulate --fail region=us-east-1" \
        "$BIN" simulate --snapshot "$old" --fail region=us-east-1 --format json \
        --output "$WORK/out/simulation.json"
    measure "$size" "simulate --fail zone=apne1-az1" \
        "$BIN" simulate --snapshot "$old" --fail zone=apne1-az1 --format json \
        --output "$WORK/out/simulation.json"
    measure "$size" "export evidence" \
        "$BIN" export evidence --snapshot "$old" --out "$WORK/out/evidence"
    measure "$size" "diff (two reports)" \
        "$BIN" diff "$WORK/old.json" "$WORK/new.json" --format json --output "$WORK/out/diff.json"
done

# The crawl against a local moto server, when moto is installed.
if [ "${BENCH_CRAWL:-1}" != 0 ] && python3 -c 'import moto.server' 2>/dev/null; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    python3 -m moto.server -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
    MOTO_PID=$!
    url=http://127.0.0.1:$port
    until python3 -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/moto-api/')" "$url" 2>/dev/null; do
        sleep 0.2
    done
    python3 tests/fixtures/aws/seed_scale.py "$url" >/dev/null
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true
    export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
    crawl=("$BIN" crawl aws --endpoint-url "$url" --region ap-northeast-1 --region us-east-1
        --region eu-west-1 --output "$WORK/out/snapshot.json")
    measure 2112 "crawl aws (moto) --concurrency 1" "${crawl[@]}" --concurrency 1
    measure 2112 "crawl aws (moto), default" "${crawl[@]}"
elif [ "${BENCH_CRAWL:-1}" != 0 ]; then
    echo "(no crawl rows: moto is not installed; python3 -m pip install 'moto[server]')"
fi
