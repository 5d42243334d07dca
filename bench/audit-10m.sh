#!/usr/bin/env bash
# The audit over 10 million readings, against the InfluxQL queries alone (issue 8).
#
# 1. Builds coverage-gen and coverage-collector (the shipped `dist` profile).
# 2. Starts InfluxDB 1.x (Debian `influxd`) on free loopback ports in a temp dir, with the
#    cut-down config of docs/reference/infra-notes.md §4 (as tests/src/influxd.rs does).
# 3. Generates a scenario over the real bac-kan-2020 communes (`coverage-gen spread`): SITES
#    sites (default 300), two SIMs each (Viettel, VinaPhone) at SAMPLES_PER_HOUR signal samples
#    per hour (default 24), a fibre probe at 4 rounds per hour, over DAYS days (default 28) from
#    2024-11-01; 300 x 2 x 24 x 24 x 28 + 300 x 4 x 24 x 28 = 10,483,200 readings. It times the
#    generation of the line protocol alone, then writes it with `coverage-gen influx`.
# 4. Runs one audit to warm the server's caches, then REPS times (default 5), alternating the
#    order: (a) `coverage-collector audit --format json` for the period, with a collector config
#    pointing at that server; (b) the InfluxQL statements that the audit printed in its report's
#    `provenance.source.queries`, sent alone with curl, one after the other, with the parameters
#    the audit sends (`db`, `epoch=ms`, `chunked=true`, `chunk_size=10000`).
# 5. Prints the median of each, and the ratio audit / queries (target: at most 1.2).
#
# Environment: SITES, DAYS, SAMPLES_PER_HOUR, REPS, SEED, TIME_GEN=0 (skip timing the generation
# alone), KEEP=1 (keep the work dir and leave
# influxd running, its URL printed), INFLUX_URL=http://127.0.0.1:PORT (use that server, already
# loaded by an earlier KEEP=1 run with the same parameters: no start, no write),
# COLLECTOR_BIN=path (time another coverage-collector binary, e.g. a copy of an older build).
# Everything listens on 127.0.0.1 only and is stopped (by PID) on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SITES=${SITES:-300}
DAYS=${DAYS:-28}
SAMPLES_PER_HOUR=${SAMPLES_PER_HOUR:-24}
REPS=${REPS:-5}
SEED=${SEED:-1}
FROM=2024-11-01T00:00:00Z
TO=$(date -u -d "2024-11-01 +${DAYS} days" +%Y-%m-%dT%H:%M:%SZ)
DB=coverage

for bin in influxd curl jq python3; do
    command -v "$bin" >/dev/null || { echo "error: $bin is needed (apt-get install influxdb curl jq python3)" >&2; exit 1; }
done

echo "== building (dist profile, as shipped)"
cargo build --profile dist --locked -p coverage-gen -p coverage-collector
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
GEN=$target_dir/dist/coverage-gen
COLLECTOR=${COLLECTOR_BIN:-$target_dir/dist/coverage-collector}

work=$(mktemp -d /tmp/audit-10m.XXXXXX)
influx_pid=
cleanup() {
    if [[ -n $influx_pid && ${KEEP:-0} != 1 ]]; then
        kill "$influx_pid" 2>/dev/null || true
        wait "$influx_pid" 2>/dev/null || true
    fi
    if [[ ${KEEP:-0} == 1 ]]; then
        echo "kept $work${influx_pid:+ and influxd (pid $influx_pid) on $I}"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh
pids=()
I=${INFLUX_URL:-}
if [[ -z $I ]]; then
    start_influxd
    influx_pid=$INFLUXD_PID
    echo "== influxd $(curl -sI "$I/ping" | awk -F': ' 'tolower($1) == "x-influxdb-version" {print $2}' | tr -d '\r') on $I"
fi

echo "== scenario: $SITES sites over bac-kan-2020, $DAYS days from $FROM"
"$GEN" spread --set bac-kan-2020 --sites "$SITES" --from "$FROM" --to "$TO" \
    --operators 452-04,452-02 --samples-per-hour "$SAMPLES_PER_HOUR" --usable-share 0.97 \
    --fibre-rounds-per-hour 4 --seed "$SEED" --out "$work/scenario.toml"
readings=$("$GEN" count --scenario "$work/scenario.toml")
echo "readings: $readings"

if [[ ${TIME_GEN:-1} == 1 ]]; then
    echo "== generating line protocol alone (to /dev/null)"
    "$GEN" lines --scenario "$work/scenario.toml" --out /dev/null 2>"$work/gen.txt"
    cat "$work/gen.txt"
fi

if [[ -n $influx_pid ]]; then
    echo "== writing to InfluxDB"
    "$GEN" influx --scenario "$work/scenario.toml" --url "$I" --db "$DB" --create-db 2>"$work/write.txt"
    cat "$work/write.txt"
fi

cat >"$work/collector.toml" <<EOF
[mqtt]
url = "mqtt://127.0.0.1:1"
[influx]
url = "$I"
api = "v1"
database = "$DB"
[dead_letter]
path = "$work/dead-letter.jsonl"
[audit.fibre]
target = "10.6.0.1"
EOF

now() { date +%s.%N; }
run_audit() {
    local rc=0
    "$COLLECTOR" audit --config "$work/collector.toml" --from "$FROM" --to "$TO" \
        --format json --claim mobile:communes:100 --out "$work/report.json" || rc=$?
    # Exit 1 is a claim not verified: a report was written all the same.
    if ((rc > 1)); then echo "error: the audit failed ($rc)" >&2; exit 1; fi
}
run_queries() {
    while IFS= read -r q; do
        curl -sS -f -o /dev/null -G "$I/query" --data-urlencode "db=$DB" \
            --data-urlencode epoch=ms --data-urlencode chunked=true \
            --data-urlencode chunk_size=10000 --data-urlencode "q=$q"
    done <"$work/queries.txt"
}

echo "== warm-up audit"
t0=$(now); run_audit; t1=$(now)
jq -r '.provenance.source.queries[]' "$work/report.json" >"$work/queries.txt"
echo "warm-up: $(echo "$t1 - $t0" | bc) s; $(wc -l <"$work/queries.txt") statements"
jq -c '{communes: (.communes | length), sites: (.sites | length), claims: [.claims[].verdict]}' "$work/report.json" 2>/dev/null || true

audits=()
queries=()
for rep in $(seq "$REPS"); do
    if ((rep % 2)); then order="audit queries"; else order="queries audit"; fi
    for what in $order; do
        t0=$(now)
        if [[ $what == audit ]]; then run_audit; else run_queries; fi
        t1=$(now)
        d=$(echo "$t1 - $t0" | bc)
        if [[ $what == audit ]]; then audits+=("$d"); else queries+=("$d"); fi
        printf 'rep %d %-7s %.3f s\n' "$rep" "$what" "$d"
    done
done

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ma=$(median "${audits[@]}")
mq=$(median "${queries[@]}")
ratio=$(echo "scale=3; $ma / $mq" | bc)
echo
echo "== result ($readings readings, $SITES sites, $DAYS days, $REPS repetitions)"
printf 'audit (coverage-collector audit --format json): median %.3f s\n' "$ma"
printf 'queries alone (curl, sequential):              median %.3f s\n' "$mq"
printf 'ratio audit / queries:                          %.3f (target <= 1.2)\n' "$ratio"
