#!/usr/bin/env bash
# THE run command: runs the API in the foreground, in Development, with the demo data, and beside it the WeChat
# sandbox (its own program, src/EcoAid.Wechat.Sandbox), which the API reaches only over HTTP. Unless
# ConnectionStrings__EcoAid is set, it starts the `dev` MariaDB of scripts/db.sh and uses it; that database keeps
# running after the API stops (scripts/db.sh stop). Ctrl-C stops the API and the sandbox.
#
# Ports: 5080 (ECOAID_PORT) for the API, 5085 (ECOAID_SANDBOX_PORT) for the sandbox. Both listen on 127.0.0.1 only.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"
source "$script_dir/lib.sh"

port=${ECOAID_PORT:-5080}
sandbox_port=${ECOAID_SANDBOX_PORT:-5085}
base_url=http://127.0.0.1:$port
sandbox_url=http://127.0.0.1:$sandbox_port/wechat-sandbox

if [[ -z ${ConnectionStrings__EcoAid:-} ]]; then
  # The dev database is left running on purpose: db_use only stops an instance for scripts that started it,
  # so run.sh starts it with db.sh directly.
  bash "$script_dir/db.sh" start dev
  ConnectionStrings__EcoAid=$(bash "$script_dir/db.sh" url dev)
  export ConnectionStrings__EcoAid
  db_note="Database: dev MariaDB on 127.0.0.1:$(cs_setting "$ConnectionStrings__EcoAid" Port); it keeps running after the API stops (scripts/db.sh stop)."
else
  db_note="Database: from ConnectionStrings__EcoAid."
fi

dotnet build src/EcoAid.Api --nologo -v quiet -clp:NoSummary
dotnet build src/EcoAid.Wechat.Sandbox --nologo -v quiet -clp:NoSummary

# The sandbox: the apps of src/EcoAid.Wechat.Sandbox/appsettings.json, pushing Official Account events (QR scans) to
# this API's callback as WeChat would.
mkdir -p .data
sandbox_log=.data/wechat-sandbox.log
start_sandbox "$sandbox_port" "$base_url/wechat/callback" "$sandbox_log"

export ASPNETCORE_ENVIRONMENT=Development
export Sandbox__Enabled=true
export Wechat__ApiBaseUrl=$sandbox_url/
export Wechat__OfficialAccount__ShowQrCodeUrl=$sandbox_url/cgi-bin/showqrcode
export Demo__Seed=true

echo "API:            $base_url/"
echo "WeChat sandbox: $sandbox_url/   (log: $sandbox_log)"
echo "$db_note"
echo "Demo logins: see README. Ctrl-C stops the API and the sandbox."

# --no-launch-profile: a launchSettings.json must not override the environment set above. Not exec: the sandbox is
# stopped when the API ends.
bash "$script_dir/fonts.sh" || echo "run.sh: no CJK font: report charts will answer 503" >&2
dotnet run --project src/EcoAid.Api --no-build --no-launch-profile -- --urls "$base_url"
