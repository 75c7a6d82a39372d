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

# Server, Port, User ID and Password from the ADO.NET connection string.
setting() { tr ';' '\n' <<<"$ECOAID_TEST_MYSQL" | awk -F= -v k="$1" 'tolower($1) == tolower(k) { sub(/^[^=]*=/, ""); print; exit }'; }
db_host=$(setting Server); db_port=$(setting Port); db_user=$(setting "User ID"); db_password=$(setting Password)
sql() { mariadb --no-defaults -h "${db_host:-127.0.0.1}" -P "${db_port:-3306}" -u "$db_user" -p"$db_password" -e "$1"; }

database="ecoaid_client_$(date +%s)_$RANDOM"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
base_url=http://127.0.0.1:$port
log_file=${tap_file%.tap}-service.log
service_pid=

cleanup() {
  if [[ -n $service_pid ]]; then
    kill "$service_pid" 2>/dev/null || true
    wait "$service_pid" 2>/dev/null || true
  fi
  sql "DROP DATABASE IF EXISTS \`$database\`" || true
}
trap cleanup EXIT

sql "CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"

city_admin=client-test-city-admin
ASPNETCORE_ENVIRONMENT=Development \
ConnectionStrings__EcoAid="$ECOAID_TEST_MYSQL;Database=$database" \
Database__MigrateOnStartup=true \
Sandbox__Enabled=true \
Sandbox__CallbackUrl=$base_url/wechat/callback \
Wechat__ApiBaseUrl=$base_url/wechat-sandbox/ \
Demo__Seed=false \
Bootstrap__CityName=客户端测试市 \
Bootstrap__CityAdminOpenIds__0=$city_admin \
Attachments__Directory="$(dirname "$tap_file")/client-attachments" \
  dotnet src/EcoAid.Api/bin/Debug/net10.0/EcoAid.Api.dll --urls "$base_url" --contentRoot "$repo_root/src/EcoAid.Api" >"$log_file" 2>&1 &
service_pid=$!

# Bounded wait for the service (migrations included).
for _ in $(seq 1 120); do
  if curl -sf "$base_url/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$service_pid" 2>/dev/null; then
    echo "client-tests.sh: the service stopped during startup; its log:" >&2
    tail -n 40 "$log_file" >&2
    exit 1
  fi
  sleep 0.5
done
curl -sf "$base_url/readyz" >/dev/null || { echo "client-tests.sh: the service did not become ready" >&2; tail -n 40 "$log_file" >&2; exit 1; }

status=0
(cd miniprogram-api-docs/client && ECOAID_BASE_URL=$base_url ECOAID_CITY_ADMIN_OPENID=$city_admin node --test --test-reporter=tap) \
  2>&1 | tee "$tap_file" || status=$?
exit "$status"
