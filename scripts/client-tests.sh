#!/usr/bin/env bash
# Runs the mini-program client's Node tests (miniprogram-api-docs/client) against the real service:
# a fresh database on the test MariaDB ($ECOAID_TEST_MYSQL), the service built by `dotnet build`
# started on a free loopback port with the WeChat sandbox, and a bootstrap city administrator the
# tests set everything else up with (no demo data). Writes the TAP output to the file named by $1.
# Called by scripts/test.sh; stops the service and drops the database however it ends.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"
tap_file=$(realpath -m "$1")
: "${ECOAID_TEST_MYSQL:?ECOAID_TEST_MYSQL must name the test MariaDB (scripts/test.sh sets it)}"

source "$script_dir/lib.sh"
sql() { mysql_cli "$ECOAID_TEST_MYSQL" "$1"; }

database="ecoaid_client_$(date +%s)_$RANDOM"
port=$(free_port)
sandbox_port=$(free_port)
base_url=http://127.0.0.1:$port
sandbox_url=http://127.0.0.1:$sandbox_port/wechat-sandbox
log_file=${tap_file%.tap}-service.log
sandbox_log=${tap_file%.tap}-sandbox.log

on_exit 'sql "DROP DATABASE IF EXISTS \`$database\`"'
sql "CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

# The WeChat sandbox, its own program, pushing to this service's callback.
start_sandbox "$sandbox_port" "$base_url/wechat/callback" "$sandbox_log"

city_admin=client-test-city-admin
ASPNETCORE_ENVIRONMENT=Development \
ConnectionStrings__EcoAid="$ECOAID_TEST_MYSQL;Database=$database" \
Database__MigrateOnStartup=true \
Sandbox__Enabled=true \
Wechat__ApiBaseUrl=$sandbox_url/ \
Demo__Seed=false \
Bootstrap__CityName=客户端测试市 \
Bootstrap__CityAdminOpenIds__0=$city_admin \
Attachments__Directory="$(dirname "$tap_file")/client-attachments" \
  dotnet src/EcoAid.Api/bin/Debug/net10.0/EcoAid.Api.dll --urls "$base_url" --contentRoot "$repo_root/src/EcoAid.Api" >"$log_file" 2>&1 &
service_pid=$!
on_exit "stop_pid $service_pid"

# Bounded wait for the service (migrations included).
wait_ready "$base_url/readyz" "$service_pid" "$log_file" "client-tests.sh: the service"

status=0
(cd miniprogram-api-docs/client && ECOAID_BASE_URL=$base_url ECOAID_SANDBOX_URL=$sandbox_url ECOAID_CITY_ADMIN_OPENID=$city_admin node --test --test-reporter=tap) \
  2>&1 | tee "$tap_file" || status=$?
exit "$status"
