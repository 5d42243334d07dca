#!/usr/bin/env bash
# The collector's throughput against this machine's ceiling (issue 10 §7), in one run, on the
# same servers:
#
# (a) ceiling: `coverage-forwarder` (bench/forwarder: subscribe, one line per message without
#     reading it, POST batches to the same InfluxDB, ack after the write; no validation, no
#     log) takes N readings that PUBLISHERS `coverage-gen mqtt` processes publish as fast as
#     mosquitto takes them; rate = N / (first publish → all N visible in InfluxDB).
# (s) the store alone: the lines the collector writes for the same readings (`coverage-gen
#     lines`), POSTed to a fresh database in batches of 5,000, one at a time (as the sink
#     does), with nothing else running: the ceiling InfluxDB itself sets for these points. The
#     forwarder's one-field lines cost InfluxDB far less than the collector's (10 tags and 6 to
#     12 fields each), so (s) is the fairer reference and both ratios are printed.
# (b) the collector (the shipped `dist` build, write-ahead log on, `MALLOC_ARENA_MAX=2`, as
#     deploy/systemd and deploy/Dockerfile run it) takes the same
#     N readings the same way: rate, CPU seconds, peak RSS.
# (c) half rate: the collector restarted (empty log, fresh database) while the publishers send
#     live readings (`ts` = publish time) at half of (b)'s rate for HALF_SECONDS; the
#     collector's `stored_lag_seconds` histogram (InfluxDB's acknowledgement of the write minus
#     `ts`) gives p50 and p99, interpolated within buckets as Prometheus does; RSS is sampled
#     every second and printed at each quarter of the run, with its growth over the last half
#     (flat: about 0 MiB/min once the identity cache and the allocator have warmed up).
#
# CPU seconds are given for the process measured, influxd and mosquitto, over each phase.
#
# Targets: (b) ≥ 90 % of (a); at half rate p99 < 2 s and RSS flat.
#
# Scenario: SITES sites over the real bac-kan-2020 communes, two SIMs at 60 samples an hour,
# fibre 4 rounds an hour, a heartbeat a minute (`coverage-gen spread`), cut to about N readings.
# mosquitto as deployed (deploy/mosquitto/mosquitto.conf: max_inflight_messages 100, queues
# unlimited), InfluxDB 1.x, everything on 127.0.0.1, stopped by PID on exit.
#
# Environment: SKIP_BUILD=1 (use the dist binaries already built), N (default 300000), SITES (3000), PUBLISHERS (4), HALF_SECONDS (120), KEEP=1.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N=${N:-300000}
SITES=${SITES:-3000}
PUBLISHERS=${PUBLISHERS:-4}
HALF_SECONDS=${HALF_SECONDS:-120}

for bin in mosquitto mosquitto_sub influxd curl jq python3; do
    command -v "$bin" >/dev/null || { echo "error: $bin is needed (apt-get install mosquitto mosquitto-clients influxdb curl jq python3)" >&2; exit 1; }
done

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    echo "== building (dist profile, as shipped)"
    cargo build --profile dist --locked -p coverage-gen -p coverage-collector -p coverage-forwarder
fi
target_dir=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)
GEN=$target_dir/dist/coverage-gen
COLLECTOR=$target_dir/dist/coverage-collector
FORWARDER=$target_dir/dist/coverage-forwarder

work=$(mktemp -d /tmp/collector-throughput.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    if [[ ${KEEP:-0} == 1 ]]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# shellcheck source=bench/lib.sh
source bench/lib.sh
start_mosquitto "max_inflight_messages 100"
start_influxd
metrics_port=$(free_port)
hz=$(getconf CLK_TCK)

# scenario FILE READINGS: a spread scenario of about READINGS readings ending an hour ago.
scenario() {
    local per_minute minutes to from
    per_minute=$((SITES * (2 * 60 + 4 + 60) / 60))
    minutes=$((($2 + per_minute - 1) / per_minute))
    to=$(date -u -d "-1 hour" +%Y-%m-%dT%H:%M:00Z)
    from=$(date -u -d "$to -$minutes minutes" +%Y-%m-%dT%H:%M:%SZ)
    "$GEN" spread --set bac-kan-2020 --sites "$SITES" --from "$from" --to "$to" \
        --samples-per-hour 60 --fibre-rounds-per-hour 4 --seed 7 --out "$1" >/dev/null
    "$GEN" count --scenario "$1" | tr -dc 0-9
}

# publish SCENARIO [gen options...]: PUBLISHERS processes, one shard each; waits for all.
publish() {
    local scenario=$1 gens=() i
    shift
    for ((i = 0; i < PUBLISHERS; i++)); do
        "$GEN" mqtt --scenario "$scenario" --port "$MQTT_PORT" --client-id "gen-$i-$RANDOM" \
            --shard "$i/$PUBLISHERS" "$@" >/dev/null 2>>"$work/gen.log" &
        gens+=($!)
    done
    for i in "${gens[@]}"; do wait "$i"; done
}

# Points stored so far, counted by InfluxDB (once per phase: a count while it writes costs it
# CPU the phase would be charged for).
stored_readings() { q coverage "SELECT count(seq) FROM signal; SELECT count(seq) FROM latency; SELECT count(seq) FROM heartbeat" | jq '[.results[].series[]?.values[0][1]] | add // 0'; }
stored_forwarded() { q coverage "SELECT count(bytes) FROM forward" | jq '[.results[].series[]?.values[0][1]] | add // 0'; }

# Progress while a phase runs, from the process itself: the forwarder's last `written N`, the
# collector's `points_written_total` (points InfluxDB acknowledged).
forwarded_so_far() { tail -n 1 "$work/forwarder.out" 2>/dev/null | awk '{print $2 + 0}'; }
collected_so_far() { curl -s "127.0.0.1:$metrics_port/metrics" | awk '/^coverage_collector_points_written_total / {print $2 + 0}'; }

fresh_db() { q coverage "DROP DATABASE coverage" >/dev/null; q coverage "CREATE DATABASE coverage" >/dev/null; }

collector_config() {
    cat >"$work/collector.toml" <<EOF
[mqtt]
url = "mqtt://127.0.0.1:$MQTT_PORT"
client_id = "bench-collector-$1"
[ingest]
session_expiry = "1h"
[influx]
url = "$I"
database = "coverage"
[http]
listen = "127.0.0.1:$metrics_port"
[dead_letter]
path = "$work/dead-letter.jsonl"
[wal]
dir = "$work/wal-$1"
EOF
}

# end_session CLIENT_ID: ends a persistent session (a clean start with its id), so the broker
# stops queueing for a subscriber that is gone and the next phase has the broker to itself.
end_session() {
    mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -i "$1" -t coverage/v1/none -E -q 0
}

# start_collector NAME: a fresh database, an empty log, the collector connected; sets col.
start_collector() {
    fresh_db
    collector_config "$1"
    COVERAGE_LOG=warn MALLOC_ARENA_MAX=2 "$COLLECTOR" run --config "$work/collector.toml" >"$work/collector-$1.log" 2>&1 &
    col=$!
    pids+=($col)
    wait_collector_up "$metrics_port"
}

# measure PID TOTAL PROGRESS STORED SCENARIO: publishes SCENARIO, waits until PROGRESS reaches
# TOTAL, then checks that STORED (InfluxDB's count) does too;
# prints "seconds cpu_seconds peak_rss_mib publish_seconds influxd_cpu mosquitto_cpu".
measure() {
    local pid=$1 total=$2 counter=$3 verify=$4 scenario=$5 c0 i0 m0 t0 t1 tp peak=0 rss polls=0
    c0=$(cpu_ticks "$pid")
    i0=$(cpu_ticks "$INFLUXD_PID")
    m0=$(cpu_ticks "$MOSQUITTO_PID")
    t0=$(date +%s.%N)
    publish "$scenario" &
    local pub=$!
    tp=""
    while :; do
        rss=$(rss_kib "$pid")
        ((rss > peak)) && peak=$rss
        polls=$((polls + 1))
        if [[ -z $tp ]] && ! kill -0 $pub 2>/dev/null; then tp=$(date +%s.%N); fi
        if ((polls % 2 == 0)); then
            [[ $($counter) -ge $total ]] && break
            kill -0 "$pid" 2>/dev/null || { echo "error: process $pid died" >&2; exit 1; }
        fi
        sleep 0.1
    done
    t1=$(date +%s.%N)
    wait $pub
    local have
    have=$($verify)
    [[ $have -ge $total ]] || { echo "error: InfluxDB holds $have of $total" >&2; exit 1; }
    [[ -n $tp ]] || tp=$t1
    python3 -c "import sys; t0, t1, tp = map(float, sys.argv[1:4]); c = [int(x) for x in sys.argv[4:]]; print(f'{t1 - t0:.2f} {(c[1] - c[0]) / $hz:.1f} {c[6] / 1024:.1f} {tp - t0:.2f} {(c[3] - c[2]) / $hz:.1f} {(c[5] - c[4]) / $hz:.1f}')" \
        "$t0" "$t1" "$tp" "$c0" "$(cpu_ticks "$pid")" "$i0" "$(cpu_ticks "$INFLUXD_PID")" "$m0" "$(cpu_ticks "$MOSQUITTO_PID")" "$peak"
}

total=$(scenario "$work/full.toml" "$N")
echo "== $total readings from $SITES sites, $PUBLISHERS publishers, mosquitto $(mosquitto -h 2>/dev/null | head -1 | awk '{print $3}'), influxd on $I"

# (a) the forwarder.
fresh_db
"$FORWARDER" --port "$MQTT_PORT" --influx "$I" --client-id bench-forwarder >"$work/forwarder.out" 2>"$work/forwarder.log" &
fwd=$!
pids+=($fwd)
sleep 1
read -r fs fcpu frss fpub ficpu fmcpu < <(measure $fwd "$total" forwarded_so_far stored_forwarded "$work/full.toml")
kill $fwd; wait $fwd 2>/dev/null || true
end_session bench-forwarder

# (s) the store alone, the collector's own lines.
fresh_db
"$GEN" lines --scenario "$work/full.toml" --out "$work/full.lp" >/dev/null
split -l 5000 "$work/full.lp" "$work/chunk."
si0=$(cpu_ticks "$INFLUXD_PID")
st0=$(date +%s.%N)
for chunk in "$work"/chunk.*; do
    code=$(curl -s -o /dev/null -w '%{http_code}' -XPOST "$I/write?db=coverage&precision=ms" --data-binary "@$chunk")
    [[ $code == 204 ]] || { echo "error: InfluxDB answered $code to $chunk" >&2; exit 1; }
done
st1=$(date +%s.%N)
si1=$(cpu_ticks "$INFLUXD_PID")
rm -f "$work"/chunk.*
[[ $(stored_readings) -ge $total ]] || { echo "error: the store holds $(stored_readings) of $total lines" >&2; exit 1; }
read -r ss sicpu < <(python3 -c "print(f'{$st1 - $st0:.2f} {($si1 - $si0) / $hz:.1f}')")

# (b) the collector, same readings.
start_collector full
read -r cs ccpu crss cpub cicpu cmcpu < <(measure $col "$total" collected_so_far stored_readings "$work/full.toml")
kill -TERM $col; wait $col 2>/dev/null || true
end_session bench-collector-full

frate=$(python3 -c "print(round($total / $fs))")
srate=$(python3 -c "print(round($total / $ss))")
crate=$(python3 -c "print(round($total / $cs))")

# (c) half rate, live readings.
half=$((crate / 2))
half_total=$(scenario "$work/half.toml" $((half * HALF_SECONDS)))
start_collector half
publish "$work/half.toml" --live --rate "$(python3 -c "print($half / $PUBLISHERS)")" &
pub=$!
: >"$work/rss-half.txt"
while kill -0 $pub 2>/dev/null; do
    rss_kib $col >>"$work/rss-half.txt"
    sleep 1
done
wait $pub
for _ in $(seq 300); do
    [[ $(collected_so_far) -ge $half_total ]] && break
    sleep 0.2
done
curl -s "127.0.0.1:$metrics_port/metrics" >"$work/metrics-half.txt"
kill -TERM $col; wait $col 2>/dev/null || true
half_stored=$(stored_readings)

python3 - "$work/metrics-half.txt" "$work/rss-half.txt" <<EOF
import re, sys
metrics, rss_file = sys.argv[1], sys.argv[2]
buckets = []
for line in open(metrics):
    m = re.match(r'coverage_collector_stored_lag_seconds_bucket\{le="([^"]+)"\} (\S+)', line)
    if m:
        buckets.append((float(m.group(1)), float(m.group(2))))
buckets.sort()
n = buckets[-1][1] if buckets else 0
def quantile(q):
    rank, lo, below = q * n, 0.0, 0.0
    for le, c in buckets:
        if c >= rank:
            if le == float("inf"):
                return lo
            return lo + (le - lo) * ((rank - below) / max(c - below, 1e-9))
        lo, below = le, c
    return float("nan")
rss = [int(x) / 1024 for x in open(rss_file).read().split()]
# RSS at the end of each quarter of the run, and its growth over the last half (flat: ~0).
quarters = [rss[min(len(rss) - 1, (len(rss) * q) // 4)] for q in (1, 2, 3, 4)]
half = rss[len(rss) // 2:]
minutes = max(len(half) - 1, 1) / 60
fwd_rate, store_rate, col_rate = $frate, $srate, $crate
print()
print(f"{'':<26} {'readings':>9} {'seconds':>8} {'readings/s':>11} {'CPU s':>6} {'influxd CPU s':>14} {'mosquitto CPU s':>16} {'peak RSS MiB':>13} {'publish s':>10}")
print(f"{'(a) forwarder (ceiling)':<26} {$total:>9} {$fs:>8.2f} {fwd_rate:>11} {$fcpu:>6.1f} {$ficpu:>14.1f} {$fmcpu:>16.1f} {$frss:>13.1f} {$fpub:>10.2f}")
print(f"{'(s) store alone, our lines':<26} {$total:>9} {$ss:>8.2f} {store_rate:>11} {'':>6} {$sicpu:>14.1f} {'':>16} {'':>13} {'':>10}")
print(f"{'(b) collector':<26} {$total:>9} {$cs:>8.2f} {col_rate:>11} {$ccpu:>6.1f} {$cicpu:>14.1f} {$cmcpu:>16.1f} {$crss:>13.1f} {$cpub:>10.2f}")
print(f"collector / forwarder: {100 * col_rate / fwd_rate:.0f} % (target >= 90 %); collector / store alone: {100 * col_rate / store_rate:.0f} %")
print(f"(c) half rate: {$half} readings/s for {$HALF_SECONDS} s, {$half_stored} of {$half_total} stored; "
      f"stored lag p50 {quantile(0.5):.3f} s, p99 {quantile(0.99):.3f} s (target p99 < 2 s; {int(n)} points)")
print(f"    RSS at each quarter of the run: {', '.join(f'{x:.1f}' for x in quarters)} MiB (max {max(rss):.1f}); "
      f"last half {half[0]:.1f} -> {half[-1]:.1f} MiB ({(half[-1] - half[0]) / minutes:+.1f} MiB/min)")
EOF
