#!/usr/bin/env bash
# THE run command: runs the API in the foreground, in Development, with the WeChat sandbox and the
# demo data switched on. Unless ConnectionStrings__EcoAid is set, it starts the `dev` MariaDB of
# scripts/db.sh and uses it; that database keeps running after the API stops (scripts/db.sh stop).
#
# Port: 5080 (ECOAID_PORT). The API listens on 127.0.0.1 only.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"

port=${ECOAID_PORT:-5080}
base_url=http://127.0.0.1:$port

if [[ -z ${ConnectionStrings__EcoAid:-} ]]; then
  bash "$script_dir/db.sh" start dev
  ConnectionStrings__EcoAid=$(bash "$script_dir/db.sh" url dev)
  export ConnectionStrings__EcoAid
  db_port=${ConnectionStrings__EcoAid#*Port=}
  db_note="Database: dev MariaDB on 127.0.0.1:${db_port%%;*}; it keeps running after the API stops (scripts/db.sh stop)."
else
  db_note="Database: from ConnectionStrings__EcoAid."
fi

export ASPNETCORE_ENVIRONMENT=Development
export Sandbox__Enabled=true
# The sandbox pushes Official Account events (QR scans) to this service as WeChat would.
export Sandbox__CallbackUrl=$base_url/wechat/callback
export Wechat__OfficialAccount__ShowQrCodeUrl=$base_url/wechat-sandbox/cgi-bin/showqrcode
export Demo__Seed=true
# The WeChat client talks to the sandbox that this same process serves.
export Wechat__ApiBaseUrl=$base_url/wechat-sandbox/

echo "API:            $base_url/"
echo "WeChat sandbox: $base_url/wechat-sandbox/"
echo "$db_note"
echo "Demo logins: see README. Ctrl-C stops the API."

# --no-launch-profile: a launchSettings.json must not override the environment set above.
bash "$script_dir/fonts.sh" || echo "run.sh: no CJK font: report charts will answer 503" >&2
exec dotnet run --project src/EcoAid.Api --no-launch-profile -- --urls "$base_url"
