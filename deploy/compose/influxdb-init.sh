#!/bin/bash
# InfluxDB 2.x first start (deploy/compose.yaml mounts this in /docker-entrypoint-initdb.d/):
# the influxdb:2 image runs it once, as root, after `influx setup` has made the org, the admin
# user and token and the bucket `coverage` (DOCKER_INFLUXDB_INIT_*), with the influx CLI
# already configured for that instance and the new bucket's id in DOCKER_INFLUXDB_INIT_BUCKET_ID.
# It does what README "Retention policies and InfluxDB 2.x" says, plus a read-only InfluxQL
# login for Grafana:
#   - the bucket coverage/rollups, kept forever (the collector writes derived points there);
#   - DBRP: database coverage, policy raw (default) -> bucket coverage, policy rollups ->
#     bucket coverage/rollups, so InfluxQL (audit, coordinator, Grafana) finds the 1.x names;
#   - a v1 authorization `grafana` (password: the secret influxdb-grafana-password) that may
#     read both buckets and nothing else, which Grafana's data source uses as user/password.
set -euo pipefail

org="${DOCKER_INFLUXDB_INIT_ORG}"
raw="${DOCKER_INFLUXDB_INIT_BUCKET}"
raw_id="${DOCKER_INFLUXDB_INIT_BUCKET_ID}"
db="${COVERAGE_INFLUX_DB:-coverage}"

rollups_id="$(influx bucket create --org "$org" --name "$raw/rollups" --retention 0 \
    --description "coverage monitor: rollups, site status, stored_late marks" \
    --hide-headers | cut -f 1)"

influx v1 dbrp create --org "$org" --db "$db" --rp raw --bucket-id "$raw_id" --default
influx v1 dbrp create --org "$org" --db "$db" --rp rollups --bucket-id "$rollups_id"

password_file="${COVERAGE_GRAFANA_INFLUX_PASSWORD_FILE:-/run/secrets/influxdb-grafana-password}"
influx v1 auth create --org "$org" --username grafana --password "$(head -n 1 "$password_file")" \
    --read-bucket "$raw_id" --read-bucket "$rollups_id" \
    --description "Grafana: InfluxQL, read-only"

influx v1 dbrp list --org "$org"
