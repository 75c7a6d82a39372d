#!/usr/bin/env bash
# Benchmark of the public policy library: with N published documents (default 10,000) in a database of its own, the
# service built in Release and listening on loopback only, wrk measures /healthz, the public list, a search, a detail
# read and a bare Dapper list of the same 20 rows (/bench/bare-list, mounted only with Bench:Enabled), each for a
# bounded time at 64 connections. It prints requests/s and p99 for each, the ratios to the targets, and one more,
# informational line: searches that miss the cache (random page and page size), i.e. what the LIKE query itself costs.
#
# Targets (issue 6): list and detail >= 50% of the /healthz rate; search >= the bare list rate; p99 < 50 ms.
# A missed target is reported, not fatal; the script exits non-zero only when something fails (the service does not
# start, seeding fails, wrk fails, or an endpoint answers with errors).
#
# Not part of scripts/test.sh. Needs wrk (installed with apt-get when missing and running as root).
#
# Settings (environment): ECOAID_BENCH_PORT (service port, default 5090), ECOAID_DB_PORT (the dev MariaDB of
# scripts/db.sh, default 3407), BENCH_DATABASE (default ecoaid_bench; dropped and made again), BENCH_DOCUMENTS
# (default 10000), BENCH_DURATION (per endpoint, default 10s), BENCH_CONNECTIONS (default 64), BENCH_KEEP_DB=1 to keep it.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"

port=${ECOAID_BENCH_PORT:-5090}
database=${BENCH_DATABASE:-ecoaid_bench}
documents=${BENCH_DOCUMENTS:-10000}
duration=${BENCH_DURATION:-10s}
connections=${BENCH_CONNECTIONS:-64}
threads=2
base=http://127.0.0.1:$port
work_dir=$repo_root/.data/bench
mkdir -p "$work_dir"

say() { echo "bench: $*"; }
fail() { echo "bench: FAILED: $*" >&2; exit 1; }

[[ $database =~ ^[a-z0-9_]+$ ]] || fail "BENCH_DATABASE must be lower-case letters, digits and _"
[[ $port =~ ^[0-9]+$ ]] || fail "ECOAID_BENCH_PORT must be a number"

# --- database: a database of its own on the dev MariaDB ------------------------------------------
source "$script_dir/lib.sh"
ensure_wrk "$work_dir" || fail "wrk is missing"
service_pid=
on_exit 'if [[ ${BENCH_KEEP_DB:-0} != 1 && -n ${dev_cs:-} ]]; then sql "DROP DATABASE IF EXISTS \`$database\`" >/dev/null 2>&1; fi'
on_exit 'stop_pid "$service_pid"'

db_use dev dev_cs >/dev/null
db_port=$(cs_setting "$dev_cs" Port)
db_user=$(cs_setting "$dev_cs" 'User ID')
db_password=$(cs_setting "$dev_cs" Password)
sql() { mysql_cli "$dev_cs" "$1"; }
sql "DROP DATABASE IF EXISTS \`$database\`; CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" \
  || fail "could not create the database $database"
connection_string="Server=127.0.0.1;Port=$db_port;User ID=$db_user;Password=$db_password;Database=$database;"

# --- the service, in Release, on loopback ----------------------------------------------------------
say "building in Release"
dotnet build src/EcoAid.Api -c Release -v quiet -nologo >"$work_dir/build.log" 2>&1 || { tail -n 30 "$work_dir/build.log" >&2; fail "dotnet build"; }
bin_dir=$repo_root/src/EcoAid.Api/bin/Release/net10.0
(
  cd "$bin_dir"
  export ASPNETCORE_ENVIRONMENT=Development   # Bench:Enabled is refused anywhere else
  export ConnectionStrings__EcoAid=$connection_string
  export Database__MigrateOnStartup=true
  export Bench__Enabled=true
  export Docs__Enabled=false
  export Logging__LogLevel__Default=Warning
  export Wechat__MiniProgram__AppId=wxbench0000000001 Wechat__MiniProgram__AppSecret=bench-not-a-secret
  export Wechat__OfficialAccount__AppId=wxbenchoa00000001 Wechat__OfficialAccount__AppSecret=bench-not-a-secret
  export Wechat__OfficialAccount__Token=benchtoken Wechat__OfficialAccount__EncodingAesKey=BenchOnlyEncodingAesKey0123456789abcdefghij
  exec dotnet EcoAid.Api.dll --urls "$base"
) >"$work_dir/service.log" 2>&1 &
service_pid=$!

for _ in $(seq 1 120); do
  if curl -fsS -m 2 "$base/readyz" >/dev/null 2>&1; then break; fi
  kill -0 "$service_pid" 2>/dev/null || { tail -n 30 "$work_dir/service.log" >&2; fail "the service exited during start-up"; }
  sleep 0.5
done
curl -fsS -m 2 "$base/readyz" >/dev/null || fail "the service did not become ready (log: $work_dir/service.log)"

say "seeding $documents published documents into $database"
curl -fsS -m 600 -X POST "$base/bench/seed?count=$documents" >"$work_dir/seed.json" || fail "seeding"
say "seeded: $(cat "$work_dir/seed.json")"

# The search term as the mini-program sends it (危险废物, percent-encoded).
q=%E5%8D%B1%E9%99%A9%E5%BA%9F%E7%89%A9
detail_id=$(curl -fsS "$base/api/policies?pageSize=1" | sed -E 's/^\{"items":\[\{"id":([0-9]+).*/\1/')
[[ $detail_id =~ ^[0-9]+$ ]] || fail "could not find a document to read"

names=(healthz list search detail bare_list)
declare -A paths=(
  [healthz]=/healthz
  [list]="/api/policies?page=1&pageSize=20"
  [search]="/api/policies?q=$q&page=1&pageSize=20"
  [detail]=/api/policies/$detail_id
  [bare_list]=/bench/bare-list
)
for name in "${names[@]}"; do
  curl -fsS -o /dev/null "$base${paths[$name]}" || fail "$name (${paths[$name]}) does not answer 200"
done

# Cache misses on purpose: every thread draws its own page and page size.
cat >"$work_dir/search-miss.lua" <<EOF
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
end
function request()
  return wrk.format("GET", "/api/policies?q=$q&page=" .. math.random(1, 50) .. "&pageSize=" .. math.random(1, 100))
end
EOF

# --- measuring -----------------------------------------------------------------------------------
to_ms() { # wrk's latency with its unit (us, ms, s, m) → milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
    if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
    printf "%.2f", n }'
}

declare -A rps p99 errors ok_rps
measure() { # name path [wrk options...]
  local name=$1 path=$2
  shift 2
  local out=$work_dir/wrk-$name.txt
  say "wrk $name: $path ($duration, $connections connections)"
  wrk -t"$threads" -c"$connections" -d"$duration" --timeout 5s --latency "$@" "$base$path" >"$out" 2>&1 || { cat "$out" >&2; fail "wrk $name"; }
  rps[$name]=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  local p
  p=$(awk '$1 == "99%" { print $2 }' "$out")
  [[ -n ${rps[$name]} && -n $p ]] || { cat "$out" >&2; fail "could not read wrk's output for $name"; }
  p99[$name]=$(to_ms "$p")
  errors[$name]=$(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out")
  # Answers that were not errors, per second (the same as wrk's figure when there were none).
  ok_rps[$name]=$(awk '/ requests in / { r = $1; t = $4; sub(/s,?$/, "", t) } /Non-2xx or 3xx responses:/ { bad = $NF }
    END { printf "%.2f", (t > 0 ? (r - bad) / t : 0) }' "$out")
}

# A short untimed run of each first, so that JIT tiering and pool growth are done before anything is measured.
say "warming up (2 s each)"
for name in "${names[@]}"; do
  wrk -t"$threads" -c"$connections" -d2s "$base${paths[$name]}" >/dev/null 2>&1 || fail "warm-up of $name"
done
for name in "${names[@]}"; do
  measure "$name" "${paths[$name]}"
done
measure search_miss "/api/policies?q=$q" -s "$work_dir/search-miss.lua"
# Searches beyond Policies:SearchConcurrency wait their turn and, after Policies:SearchQueueTimeout, answer 503
# policy.search_busy: for this line only the answered searches count.
rps[search_miss]=${ok_rps[search_miss]}

# --- report --------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r >= t ? "met" : "MISSED") }'; }

echo
echo "Policy library benchmark: $documents published documents, wrk -t$threads -c$connections -d$duration on loopback, service in Release"
printf '%-34s %12s %10s %8s\n' endpoint 'requests/s' 'p99 ms' 'errors'
label() {
  case $1 in
    healthz) echo "/healthz" ;;
    list) echo "public list, page 1 (cached)" ;;
    search) echo "search 危险废物 (cached)" ;;
    detail) echo "detail (cached, counts a view)" ;;
    bare_list) echo "bare Dapper list, same 20 rows" ;;
    search_miss) echo "search, cache misses (info only)" ;;
  esac
}
for name in "${names[@]}" search_miss; do
  printf '%-34s %12s %10s %8s\n' "$(label "$name")" "${rps[$name]}" "${p99[$name]}" "${errors[$name]}"
done
echo "(cache misses: requests/s counts answered searches only; their errors are 503 policy.search_busy answers and time-outs)"
echo
list_ratio=$(ratio "${rps[list]}" "${rps[healthz]}")
detail_ratio=$(ratio "${rps[detail]}" "${rps[healthz]}")
search_ratio=$(ratio "${rps[search]}" "${rps[bare_list]}")
echo "list / healthz       = $list_ratio  (target >= 0.50: $(verdict "$list_ratio" 0.5))"
echo "detail / healthz     = $detail_ratio  (target >= 0.50: $(verdict "$detail_ratio" 0.5))"
echo "search / bare list   = $search_ratio  (target >= 1.00: $(verdict "$search_ratio" 1))"
echo "search miss / bare   = $(ratio "${rps[search_miss]}" "${rps[bare_list]}")  (information: the LIKE query without the cache)"
for name in list search detail; do
  echo "p99 $name = ${p99[$name]} ms  (target < 50 ms: $(awk -v p="${p99[$name]}" 'BEGIN { print (p < 50 ? "met" : "MISSED") }'))"
done

failed=0
for name in "${names[@]}"; do
  if (( ${errors[$name]} > 0 )); then
    echo "bench: FAILED: $name had ${errors[$name]} error responses or socket errors (see $work_dir/wrk-$name.txt)" >&2
    failed=1
  fi
done
exit $failed
