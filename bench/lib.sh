# Shared by the collector benchmarks (sourced, not run): free loopback ports, and mosquitto and
# InfluxDB 1.x started in a work dir with the configs of docs/reference/infra-notes.md.
#
# The caller sets `work` (a temp dir) and `pids` (an array; every server's PID is appended, for
# the caller's cleanup trap).

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_mosquitto [extra config lines...]: anonymous loopback listener, unlimited queues, no
# persistence. Sets MQTT_PORT.
start_mosquitto() {
    MQTT_PORT=$(free_port)
    {
        echo "listener $MQTT_PORT 127.0.0.1"
        echo "allow_anonymous true"
        echo "persistence false"
        echo "max_queued_messages 0"
        echo "max_queued_bytes 0"
        echo "log_dest stderr"
        for line in "$@"; do echo "$line"; done
        # As root, mosquitto drops to its own user unless told otherwise (and could not write here).
        if [[ $(id -u) -eq 0 ]]; then echo "user root"; fi
    } >"$work/mosquitto.conf"
    mosquitto -c "$work/mosquitto.conf" 2>"$work/mosquitto.log" &
    pids+=($!)
    MOSQUITTO_PID=$!
    sleep 0.5
    kill -0 "$MOSQUITTO_PID" 2>/dev/null || { cat "$work/mosquitto.log" >&2; exit 1; }
}

# start_influxd: InfluxDB 1.x, no auth, in-memory index, quiet logs. Sets I (its base URL).
start_influxd() {
    local http_port rpc_port
    http_port=$(free_port)
    rpc_port=$(free_port)
    cat >"$work/influxdb.conf" <<CONF
reporting-enabled = false
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$work/meta"
  logging-enabled = false
[data]
  dir = "$work/data"
  wal-dir = "$work/influx-wal"
  query-log-enabled = false
  index-version = "inmem"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:$http_port"
  auth-enabled = false
  log-enabled = false
  pprof-enabled = false
[ifql]
  enabled = false
[continuous_queries]
  log-enabled = false
CONF
    # INFLUXDB_* variables would override the file.
    env $(env | awk -F= '/^INFLUXDB_/ {print "-u " $1}') influxd run -config "$work/influxdb.conf" >"$work/influxd.log" 2>&1 &
    pids+=($!)
    INFLUXD_PID=$!
    I=http://127.0.0.1:$http_port
    for _ in $(seq 600); do
        [[ $(curl -s -o /dev/null -w '%{http_code}' "$I/ping" || true) == 204 ]] && return 0
        kill -0 "$INFLUXD_PID" 2>/dev/null || break
        sleep 0.1
    done
    echo "error: influxd did not answer on $I" >&2
    cat "$work/influxd.log" >&2
    exit 1
}

# q DB QUERY: one InfluxQL query, JSON out.
q() { curl -s -G "$I/query" --data-urlencode "db=$1" --data-urlencode "q=$2"; }

# rss_kib PID: resident set, KiB (0 once gone).
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

# cpu_ticks PID: user + system clock ticks so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# wait_collector_up PORT: waits (30 s at most) until the collector whose /metrics listens on
# 127.0.0.1:PORT has its MQTT session up; exits with an error otherwise.
wait_collector_up() {
    for _ in $(seq 300); do
        curl -s "127.0.0.1:$1/metrics" 2>/dev/null | grep -q '^coverage_collector_mqtt_up 1' && return 0
        sleep 0.1
    done
    echo "error: the collector did not connect to the broker in 30 s" >&2
    exit 1
}
