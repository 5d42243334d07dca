#!/usr/bin/env bash
# The collector draining a broker queue (issue 10, "Memory is bounded"): peak RSS and drain
# rate with the write-ahead log, and without it (acknowledge after InfluxDB) as the reference,
# in the same run, on the same servers.
#
# 1. Builds coverage-gen and coverage-collector (the shipped `dist` profile).
# 2. Starts mosquitto (Debian package; anonymous loopback listener, `max_queued_messages 0`,
#    `max_inflight_messages 100`, no persistence) and InfluxDB 1.x on free loopback ports in a
#    temp dir.
# 3. For each size N in SIZES (default "200000 2000000") and each mode (wal, direct):
#    a fresh database; the collector connects once to make its persistent session and stops;
#    `coverage-gen mqtt` publishes a scenario of about N readings over the real bac-kan-2020
#    communes (200 sites, two SIMs at 60 samples per hour, fibre 4 rounds per hour, a heartbeat
#    a minute) while it is
#    away, so the broker queues all of them; then the collector starts and drains the queue.
#    Its RSS is sampled every 100 ms from /proc (peak printed), and the drain ends when InfluxDB
#    holds every reading (`count(seq)` over signal, latency and heartbeat).
# 4. Prints per run: readings, drain seconds, readings/s, peak RSS (MiB); target: peak RSS
#    under 100 MiB for both sizes with the log.
#
# Environment: SKIP_BUILD=1 (use the dist binaries already built), SIZES, MODES (default "wal direct"), KEEP=1 (keep the work dir).
# Everything listens on 127.0.0.1 only and is stopped (by PID) on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

SIZES=${SIZES:-200000 2000000}
MODES=${MODES:-wal direct}
SITES=200

for bin in mosquitto influxd curl jq python3; do
    command -v "$bin" >/dev/null || { echo "error: $bin is needed (apt-get install mosquitto influxdb curl jq python3)" >&2; exit 1; }
done

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "== building (dist profile, as shipped)"
    cargo build --profile dist --locked -p coverage-gen -p coverage-collector
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
GEN=$target_dir/dist/coverage-gen
COLLECTOR=$target_dir/dist/coverage-collector

work=$(mktemp -d /tmp/collector-drain.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh
start_mosquitto "max_inflight_messages 100"
mqtt_port=$MQTT_PORT
start_influxd
stored() {
    q coverage "SELECT count(seq) FROM signal; SELECT count(seq) FROM latency; SELECT count(seq) FROM heartbeat" |
        jq '[.results[].series[]?.values[0][1]] | add // 0'
}

metrics_port=$(free_port)
printf '\n%-10s %-7s %10s %9s %12s %14s\n' readings mode "drain s" "readings/s" "peak RSS MiB" "publish s"
for n in $SIZES; do
    per_hour=$((SITES * (2 * 60 + 4 + 60)))  # two SIMs, fibre, heartbeats
    hours=$(((n + per_hour - 1) / per_hour))
    to=$(date -u -d "-1 hour" +%Y-%m-%dT%H:00:00Z)
    from=$(date -u -d "$to -$hours hours" +%Y-%m-%dT%H:%M:%SZ)
    "$GEN" spread --set bac-kan-2020 --sites $SITES --from "$from" --to "$to" \
        --samples-per-hour 60 --fibre-rounds-per-hour 4 --seed 3 --out "$work/scenario.toml" >/dev/null
    total=$("$GEN" count --scenario "$work/scenario.toml" | tr -dc 0-9)
    for mode in $MODES; do
        q coverage "DROP DATABASE coverage" >/dev/null
        rm -rf "$work/collector-wal"
        wal=""
        if [[ $mode == wal ]]; then
            wal=$(printf '[wal]\ndir = "%s/collector-wal"\nmax_bytes = 4294967296\n' "$work")
        fi
        cat >"$work/collector.toml" <<EOF
[mqtt]
url = "mqtt://127.0.0.1:$mqtt_port"
client_id = "drain-$mode-$n"
[ingest]
session_expiry = "1h"
[influx]
url = "$I"
database = "coverage"
[http]
listen = "127.0.0.1:$metrics_port"
[dead_letter]
path = "$work/dead-letter.jsonl"
$wal
EOF
        # Make the persistent session, then go away.
        COVERAGE_LOG=warn MALLOC_ARENA_MAX=2 "$COLLECTOR" run --config "$work/collector.toml" >"$work/collector-$mode-$n.log" 2>&1 &
        cpid=$!
        wait_collector_up "$metrics_port"
        kill -TERM $cpid; wait $cpid || true
        t0=$(date +%s.%N)
        "$GEN" mqtt --scenario "$work/scenario.toml" --port "$mqtt_port" --client-id "gen-$mode-$n" >/dev/null 2>"$work/gen.log"
        t1=$(date +%s.%N)
        # Drain.
        COVERAGE_LOG=warn MALLOC_ARENA_MAX=2 "$COLLECTOR" run --config "$work/collector.toml" >>"$work/collector-$mode-$n.log" 2>&1 &
        cpid=$!
        pids+=($cpid)
        start=$(date +%s.%N)
        peak=0
        polls=0
        while :; do
            rss=$(rss_kib $cpid)
            ((rss > peak)) && peak=$rss
            polls=$((polls + 1))
            if ((polls % 10 == 0)); then
                have=$(stored)
                printf '%s\t%s\t%s\t%s\n' "$polls" "$rss" "$(awk '/^RssAnon:/ {print $2}' /proc/$cpid/status 2>/dev/null)" "$have" >>"$work/rss-$mode-$n.tsv"
                [[ $have -ge $total ]] && break
                kill -0 $cpid 2>/dev/null || { echo "collector died:"; tail "$work/collector-$mode-$n.log"; exit 1; }
            fi
            sleep 0.1
        done
        end=$(date +%s.%N)
        kill -TERM $cpid; wait $cpid || true
        python3 - "$total" "$mode" "$start" "$end" "$peak" "$t0" "$t1" <<'EOF'
import sys
n, mode, s, e, peak, t0, t1 = sys.argv[1:]
d = float(e) - float(s)
print(f"{int(n):<10} {mode:<7} {d:10.1f} {int(n)/d:9.0f} {int(peak)/1024:12.1f} {float(t1)-float(t0):14.1f}")
EOF
    done
done
