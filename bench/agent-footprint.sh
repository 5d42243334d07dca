#!/usr/bin/env bash
# Footprint of coverage-agent (issue 3, section 5; not a test): builds the shipped (`dist` profile) binary, then
# runs the agent for DURATION seconds at the DEFAULT schedule (60 s signal, 60 s heartbeat) with a
# simulated modem and three probes, as in deploy/agent.example.toml: ICMP to 127.0.0.1, TCP to the
# broker's port, and DNS to a local UDP responder (PROBE3=http: HTTP to a local
# `python3 -m http.server` instead), against a local mosquitto on a free loopback port (TLS=1:
# over TLS, mqtts:// with a generated CA, as in production). It samples VmRSS and VmHWM from
# /proc/<pid>/status every second, and prints:
#
#   - the stripped shipped binary size,
#   - steady-state RSS (median of the samples in the last half of the run) and peak RSS (VmHWM),
#   - CPU time (utime + stime from /proc/<pid>/stat) and CPU % over the run,
#   - how many readings a subscriber received, by kind (the agent did its job).
#
# Targets (issue 3): RSS <= 8 MB, stripped binary <= 8 MB. "MB" here is MiB (1024 * 1024 bytes).
#
# Usage:  bench/agent-footprint.sh                      # 180 s
#         DURATION=600 bench/agent-footprint.sh
#         MALLOC_ARENA_MAX=2 bench/agent-footprint.sh   # glibc arenas, as in the systemd unit
#         SKIP_BUILD=1 bench/agent-footprint.sh         # reuse target/dist/coverage-agent
#         AGENT_BIN=/path/to/coverage-agent bench/agent-footprint.sh   # measure that binary
#         PROBE3=http bench/agent-footprint.sh          # HTTP probe instead of DNS
#         TLS=1 bench/agent-footprint.sh                # MQTT over TLS
#         KEEP=1 bench/agent-footprint.sh               # keep the work dir (configs, logs, samples)
#
# Needs: cargo, mosquitto and mosquitto_sub (Debian: mosquitto, mosquitto-clients), python3,
# strip (binutils), openssl for TLS=1. Everything listens on 127.0.0.1 only. ICMP needs root or
# net.ipv4.ping_group_range (the probe then reports the error in its readings; RSS is still
# measured).

set -euo pipefail

DURATION=${DURATION:-180}
PROBE3=${PROBE3:-dns}
TLS=${TLS:-}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WORK=$(mktemp -d /tmp/agent-footprint.XXXXXX)
PIDS=()

cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
    if [[ -n ${KEEP:-} ]]; then
        echo "kept $WORK"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT

need() {
    command -v "$1" >/dev/null 2>&1 || [[ -x /usr/sbin/$1 ]] || {
        echo "agent-footprint: $1 is not installed ($2)" >&2
        exit 2
    }
}
need cargo "rustup"
need mosquitto "apt-get install mosquitto"
need mosquitto_sub "apt-get install mosquitto-clients"
need python3 "apt-get install python3"
need strip "apt-get install binutils"
MOSQUITTO=$(command -v mosquitto || echo /usr/sbin/mosquitto)

free_port() { # $1: tcp (default) or udp
    python3 -c 'import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1:] == ["udp"] else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$@"
}

mib() { # bytes -> MiB with two decimals
    awk -v b="$1" 'BEGIN { printf "%.2f", b / 1048576 }'
}

# ---- 1. the binary ----
if [[ -z ${SKIP_BUILD:-} && -z ${AGENT_BIN:-} ]]; then
    echo "== cargo build --profile dist -p coverage-agent"
    (cd "$ROOT" && cargo build --profile dist --locked -p coverage-agent)
fi
BIN=${AGENT_BIN:-$TARGET_DIR/dist/coverage-agent}
[[ -x $BIN ]] || { echo "agent-footprint: no $BIN" >&2; exit 2; }
cp "$BIN" "$WORK/coverage-agent.stripped"
strip "$WORK/coverage-agent.stripped"
BIN_BYTES=$(stat -c %s "$BIN")
STRIPPED_BYTES=$(stat -c %s "$WORK/coverage-agent.stripped")

# ---- 2. the servers ----
MQTT_PORT=$(free_port)
if [[ -n $TLS ]]; then
    need openssl "apt-get install openssl"
    (
        cd "$WORK"
        openssl req -x509 -newkey rsa:2048 -nodes -days 2 -keyout ca.key -out ca.crt \
            -subj "/CN=bench-ca" 2>/dev/null
        openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
            -subj "/CN=localhost" 2>/dev/null
        printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >san.ext
        openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
            -out server.crt -days 2 -extfile san.ext 2>/dev/null
    )
    MQTT_HOST=localhost # the certificate's name
    MQTT_URL="mqtts://$MQTT_HOST:$MQTT_PORT"
    SUB_TLS=(--cafile "$WORK/ca.crt")
else
    MQTT_HOST=127.0.0.1
    MQTT_URL="mqtt://$MQTT_HOST:$MQTT_PORT"
    SUB_TLS=()
fi
{
    [[ $(id -u) == 0 ]] && echo "user root" # mosquitto started as root drops to `mosquitto`
    echo "log_dest file $WORK/mosquitto.log"
    echo "persistence false"
    echo "max_queued_messages 0"
    echo "max_inflight_messages 100"
    echo "allow_anonymous true"
    echo "listener $MQTT_PORT 127.0.0.1"
    if [[ -n $TLS ]]; then
        echo "cafile $WORK/ca.crt"
        echo "certfile $WORK/server.crt"
        echo "keyfile $WORK/server.key"
    fi
} >"$WORK/mosquitto.conf"
"$MOSQUITTO" -c "$WORK/mosquitto.conf" >/dev/null 2>&1 &
PIDS+=($!)

case $PROBE3 in
dns)
    DNS_PORT=$(free_port udp)
    # Answers every query with itself, flagged as a response (QR, RA): what the probe times.
    python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    q, peer = s.recvfrom(4096)
    if len(q) >= 12:
        s.sendto(q[:2] + bytes([q[2] | 0x80, 0x80]) + q[4:], peer)' "$DNS_PORT" &
    PIDS+=($!)
    PROBE3_TOML=$(printf 'name = "local-dns"\nmethod = "dns"\ntarget = "127.0.0.1:%s"' "$DNS_PORT")
    ;;
http)
    HTTP_PORT=$(free_port)
    mkdir -p "$WORK/www"
    echo ok >"$WORK/www/index.html"
    python3 -m http.server "$HTTP_PORT" --bind 127.0.0.1 --directory "$WORK/www" \
        >"$WORK/http.log" 2>&1 &
    PIDS+=($!)
    PROBE3_TOML=$(printf 'name = "local-http"\nmethod = "http"\ntarget = "http://127.0.0.1:%s/"' "$HTTP_PORT")
    ;;
*)
    echo "agent-footprint: PROBE3 is dns or http, not $PROBE3" >&2
    exit 2
    ;;
esac
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$MQTT_PORT") 2>/dev/null &&
        { [[ -z ${HTTP_PORT:-} ]] || (exec 3<>"/dev/tcp/127.0.0.1/$HTTP_PORT") 2>/dev/null; }; then
        break
    fi
    sleep 0.1
done
mosquitto_sub -h "$MQTT_HOST" -p "$MQTT_PORT" "${SUB_TLS[@]}" -q 1 -t 'coverage/v1/+/+' -v \
    >"$WORK/received.txt" &
PIDS+=($!)

# ---- 3. the agent, default schedule ----
cat >"$WORK/agent.toml" <<EOF
state_dir = "state"

[site]
id = "bench-site"
lat = 22.147
lon = 105.834
placement = "indoor"

[mqtt]
url = "$MQTT_URL"
${TLS:+ca_file = \"ca.crt\"}

[[modems]]
driver = "simulated"
name = "sim0"
seed = 1

[[probes]]
name = "loop-icmp"
method = "icmp"
target = "127.0.0.1"
link = "fibre"

[[probes]]
name = "broker-tcp"
method = "tcp"
target = "127.0.0.1:$MQTT_PORT"
link = "fibre"

[[probes]]
$PROBE3_TOML
link = "fibre"
EOF
COVERAGE_LOG=${COVERAGE_LOG:-info} NO_COLOR=1 "$BIN" run --config "$WORK/agent.toml" \
    >"$WORK/agent.log" 2>&1 &
AGENT=$!
PIDS+=("$AGENT")

echo "== running the agent (pid $AGENT) for ${DURATION}s${MALLOC_ARENA_MAX:+ with MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX}"
: >"$WORK/rss.txt"
for ((i = 0; i < DURATION; i++)); do
    if [[ ! -r /proc/$AGENT/status ]]; then
        echo "agent-footprint: the agent exited; its log:" >&2
        tail -20 "$WORK/agent.log" >&2
        exit 1
    fi
    awk '/^VmRSS:/ { rss = $2 } /^VmHWM:/ { hwm = $2 } END { print rss, hwm }' \
        "/proc/$AGENT/status" >>"$WORK/rss.txt"
    sleep 1
done
# utime and stime are fields 14 and 15, counted after the command name (which may hold spaces).
read -r UTIME STIME < <(sed 's/^.*) //' "/proc/$AGENT/stat" | awk '{ print $12, $13 }')
THREADS=$(awk '/^Threads:/ { print $2 }' "/proc/$AGENT/status")
# What the RSS is made of at the end: private anonymous memory (heap, stacks) against clean
# file-backed pages (the binary's code, libc), and PSS (shared pages divided among their users).
read -r ANON_KB FILE_KB PSS_KB < <(awk '/^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 }
    /^Anonymous:/ { anon = $2 } END { print anon, rss - anon, pss }' "/proc/$AGENT/smaps_rollup")
HWM_KB=$(awk '/^VmHWM:/ { print $2 }' "/proc/$AGENT/status")
TICKS=$(getconf CLK_TCK)

# ---- 4. figures ----
N=$(wc -l <"$WORK/rss.txt")
STEADY_KB=$(awk '{ print $1 }' "$WORK/rss.txt" | tail -n $((N / 2)) | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }')
CPU_S=$(awk -v u="$UTIME" -v s="$STIME" -v t="$TICKS" 'BEGIN { printf "%.2f", (u + s) / t }')
CPU_PCT=$(awk -v c="$CPU_S" -v d="$DURATION" 'BEGIN { printf "%.3f", 100 * c / d }')
RECEIVED=$(awk '{ split($1, t, "/"); n[t[4]]++ } END { for (k in n) printf "%s %d, ", k, n[k] }' \
    "$WORK/received.txt")
VERDICT() { awk -v v="$1" 'BEGIN { print (v <= 8 * 1048576) ? "ok" : "MISSED" }'; }

echo
echo "coverage-agent footprint ($(date -u +%Y-%m-%dT%H:%MZ), $(uname -m), $(nproc) cores)"
echo "  binary:           $(mib "$BIN_BYTES") MiB as built, $(mib "$STRIPPED_BYTES") MiB stripped   [target <= 8 MiB: $(VERDICT "$STRIPPED_BYTES")]"
echo "  RSS steady state: $(mib $((STEADY_KB * 1024))) MiB (median of the last $((N / 2)) of $N one-second samples)   [target <= 8 MiB: $(VERDICT $((STEADY_KB * 1024)))]"
echo "  RSS peak (VmHWM): $(mib $((HWM_KB * 1024))) MiB"
echo "  RSS at the end:   $(mib $((ANON_KB * 1024))) MiB anonymous (heap, stacks) + $(mib $((FILE_KB * 1024))) MiB file-backed (code of the binary and libc); PSS $(mib $((PSS_KB * 1024))) MiB"
echo "  CPU:              ${CPU_S} s (utime $UTIME + stime $STIME ticks at $TICKS Hz) = ${CPU_PCT} % of one core over ${DURATION} s"
echo "  threads at end:   $THREADS"
echo "  received:         ${RECEIVED%, }"
echo "  schedule:         default (signal 60 s, heartbeat 60 s; probes every 60 s: icmp x10, tcp x5, $PROBE3 x$([[ $PROBE3 == dns ]] && echo 5 || echo 3))"
echo "  MQTT:             $MQTT_URL"
[[ -n ${MALLOC_ARENA_MAX:-} ]] && echo "  MALLOC_ARENA_MAX: $MALLOC_ARENA_MAX"
exit 0
