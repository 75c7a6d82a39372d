#!/usr/bin/env bash
# Benchmark of the demand path at scale (issue 17) — a measurement, not a test (scripts/test.sh does not run it).
#
# In a database of its own, with the service built in Release on loopback (Bench:Enabled, so /bench/* is mounted), it
# seeds 1,000 demands with their `submitted` events by multi-row INSERT … SELECT, measures, grows the same branch to
# 100,000 and measures again; then seeds 10,000 policy documents and measures searches that miss the answer cache.
# Each measurement is wrk -t2 -c64 for a bounded time; endpoints are interleaved and repeated, and the medians are
# reported beside the bare Dapper yardstick of the same run (/bench/bare-demands: the branch's first 20 demands, no
# session, no reach, no count). It prints the load average, RSS (VmRSS, VmHWM) after each phase, and each ratio beside
# its target. A missed target is reported, not fatal; the script fails when something breaks (start-up, seeding, wrk,
# error answers on the demand list).
#
# Measured: demand list page 1 and a deep page (by page number and by cursor) at 1k and 100k; uncached searches at 10k
# documents; RSS per phase. NOT measured yet (printed as such): submissions by 64 users, stats over two years, the
# monthly report, a generated agenda.
#
# Settings (environment): ECOAID_DB_PORT (the MariaDB of `scripts/db.sh dev` that holds the benchmark's own database;
# set it to a port used by nothing else for a private server), ECOAID_BENCH_PORT (service, default 5173),
# BENCH_DATABASE (default ecoaid_bench_demands; dropped and made again), BENCH_KEEP_DB=1 to keep it.
# Options: --quick (3 s per run, 1 repeat, 10,000 instead of 100,000 demands), --repeats N (default 3), --duration D
# (default 10s).
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"

port=${ECOAID_BENCH_PORT:-5173}
database=${BENCH_DATABASE:-ecoaid_bench_demands}
duration=10s
repeats=3
large=100000
while (( $# )); do
  case $1 in
    --quick) duration=3s; repeats=1; large=10000 ;;
    --repeats) repeats=$2; shift ;;
    --duration) duration=$2; shift ;;
    *) echo "usage: scripts/bench-demands.sh [--quick] [--repeats N] [--duration D]" >&2; exit 2 ;;
  esac
  shift
done
[[ $repeats =~ ^[1-9][0-9]?$ ]] || { echo "--repeats must be 1-99" >&2; exit 2; }
[[ $duration =~ ^[1-9][0-9]?s$ ]] || { echo "--duration must be 1s-99s" >&2; exit 2; }
small=1000
base=http://127.0.0.1:$port
work_dir=$repo_root/.data/bench-demands
mkdir -p "$work_dir"
say() { echo "bench: $*"; }
fail() { echo "bench: FAILED: $*" >&2; exit 1; }
[[ $database =~ ^[a-z0-9_]+$ ]] || fail "BENCH_DATABASE must be lower-case letters, digits and _"
command -v wrk >/dev/null 2>&1 || fail "wrk is not installed (apt-get install wrk)"

source "$script_dir/lib.sh"
service_pid=
on_exit 'if [[ ${BENCH_KEEP_DB:-0} != 1 && -n ${dev_cs:-} ]]; then sql "DROP DATABASE IF EXISTS \`$database\`" >/dev/null 2>&1; fi'
on_exit 'stop_pid "$service_pid"'
db_use dev dev_cs >/dev/null
sql() { mysql_cli "$dev_cs" "$1"; }
bsql() { mysql_cli "$dev_cs" "USE \`$database\`; $1"; }
sql "DROP DATABASE IF EXISTS \`$database\`; CREATE DATABASE \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" || fail "create $database"
connection_string="Server=127.0.0.1;Port=$(cs_setting "$dev_cs" Port);User ID=$(cs_setting "$dev_cs" 'User ID');Password=$(cs_setting "$dev_cs" Password);Database=$database;"

say "building in Release"
dotnet build src/EcoAid.Api -c Release -v quiet -nologo >"$work_dir/build.log" 2>&1 || { tail -n 30 "$work_dir/build.log" >&2; fail "dotnet build"; }
(
  cd "$repo_root/src/EcoAid.Api/bin/Release/net10.0"
  export ASPNETCORE_ENVIRONMENT=Development ConnectionStrings__EcoAid=$connection_string Database__MigrateOnStartup=true
  export Bench__Enabled=true Docs__Enabled=false Logging__LogLevel__Default=Warning
  export Wechat__MiniProgram__AppId=wxbench0000000001 Wechat__MiniProgram__AppSecret=bench-not-a-secret
  export Wechat__OfficialAccount__AppId=wxbenchoa00000001 Wechat__OfficialAccount__AppSecret=bench-not-a-secret
  export Wechat__OfficialAccount__Token=benchtoken Wechat__OfficialAccount__EncodingAesKey=BenchOnlyEncodingAesKey0123456789abcdefghij
  exec dotnet EcoAid.Api.dll --urls "$base"
) >"$work_dir/service.log" 2>&1 &
service_pid=$!
wait_ready "$base/readyz" "$service_pid" "$work_dir/service.log" "The service" || fail "start-up"

# --- seeding: one branch, 50 enterprises, a secretary with a known session token ---------------------------------
token=bench-secretary-session-token
bsql "
INSERT INTO cities (name, created_at) VALUES ('基准市', UTC_TIMESTAMP(6));
INSERT INTO party_branches (city_id, name, created_at, updated_at) SELECT id, '基准支部', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM cities WHERE name = '基准市';
SET @branch = (SELECT id FROM party_branches WHERE name = '基准支部');
INSERT INTO enterprises (branch_id, name, credit_code, created_at, updated_at)
  SELECT @branch, CONCAT('基准企业', seq), CONCAT('91', LPAD(seq, 16, '0')), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_1_to_50;
INSERT INTO users (openid, display_name, city_id, branch_id, created_at) SELECT 'bench-secretary', '基准书记', city_id, id, UTC_TIMESTAMP(6) FROM party_branches WHERE id = @branch;
SET @user = LAST_INSERT_ID();
INSERT INTO user_roles (user_id, role, granted_at) VALUES (@user, 'secretary', UTC_TIMESTAMP(6));
INSERT INTO sessions (user_id, token_hash, created_at, expires_at, channel) VALUES (@user, UNHEX(SHA2('$token', 256)), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY, 'app');
" || fail "seeding the branch"
branch_id=$(bsql "SELECT id FROM party_branches WHERE name = '基准支部'")
user_id=$(bsql "SELECT id FROM users WHERE openid = 'bench-secretary'")

seed_demands() { # FROM TO: demands FROM..TO (numbers), submitted over the two years before now, with their events
  local from=$1 to=$2 started=$SECONDS
  bsql "
  INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, status, content_check,
                       submitted_by, submitted_at, updated_at, accepted_at, due_date)
  SELECT $branch_id, e.id, CONCAT('SQB-', s.seq), ELT(1 + s.seq % 3, 'pollution_control', 'eia_approval', 'credit_repair'), 'mini_program',
         CONCAT('基准诉求第', s.seq, '号：危险废物贮存'), '基准测试生成的描述文字。', s.seq % 17 = 0,
         ELT(1 + s.seq % 4, 'submitted', 'accepted', 'resolved', 'closed'), 'passed', $user_id,
         UTC_TIMESTAMP(6) - INTERVAL ((${large} - CAST(s.seq AS SIGNED)) * 630) SECOND, UTC_TIMESTAMP(6),
         IF(s.seq % 4 = 0, NULL, UTC_TIMESTAMP(6) - INTERVAL ((${large} - CAST(s.seq AS SIGNED)) * 630 - 3600) SECOND),
         IF(s.seq % 4 = 0, NULL, DATE(UTC_TIMESTAMP() - INTERVAL ((${large} - CAST(s.seq AS SIGNED)) * 630) SECOND) + INTERVAL 15 DAY)
  FROM seq_${from}_to_${to} s JOIN enterprises e ON e.branch_id = $branch_id AND e.name = CONCAT('基准企业', 1 + s.seq % 50);
  INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, created_at)
  SELECT d.id, $user_id, 'submitted', 'public', d.submitted_at FROM demands d
  WHERE d.branch_id = $branch_id AND d.number BETWEEN 'SQB-' AND 'SQB-~' AND CAST(SUBSTRING(d.number, 5) AS UNSIGNED) BETWEEN $from AND $to;
  INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, created_at)
  SELECT d.id, $user_id, 'accepted', 'public', d.accepted_at FROM demands d
  WHERE d.branch_id = $branch_id AND d.accepted_at IS NOT NULL AND CAST(SUBSTRING(d.number, 5) AS UNSIGNED) BETWEEN $from AND $to;
  ANALYZE TABLE demands, demand_events;
  " >/dev/null || fail "seeding demands $from..$to"
  say "seeded demands $from..$to in $(( SECONDS - started )) s"
}

# --- measuring ---------------------------------------------------------------------------------------------------
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A paths rps_runs p99_runs p50_runs errs
run_wrk() { # name path [wrk options]
  local name=$1 path=$2 out=$work_dir/wrk-$1.txt
  shift 2
  wrk -t2 -c64 -d"$duration" --timeout 5s --latency "$@" "$base$path" >"$out" 2>&1 || { cat "$out" >&2; fail "wrk $name"; }
  local r p5 p9
  r=$(awk '/^Requests\/sec:/ { print $2 }' "$out"); p5=$(awk '$1 == "50%" { print $2 }' "$out"); p9=$(awk '$1 == "99%" { print $2 }' "$out")
  [[ -n $r && -n $p9 ]] || { cat "$out" >&2; fail "could not read wrk's output for $name"; }
  rps_runs[$name]+="$r "; p50_runs[$name]+="$(to_ms "$p5") "; p99_runs[$name]+="$(to_ms "$p9") "
  errs[$name]=$(( ${errs[$name]:-0} + $(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out") ))
}
med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
auth=(-H "Authorization: Bearer $token")
rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' "/proc/$service_pid/status"; }
declare -A rss_at
phase() { # size label
  local size=$1 deep_page cursor
  deep_page=$(( size / 20 / 2 ))
  # The cursor that starts the deep page: the last row of the page before it.
  cursor=$(curl -fsS -H "Authorization: Bearer $token" "$base/api/demands?page=$(( deep_page - 1 ))&pageSize=20&includeTotal=false" \
    | sed -E 's/.*"nextCursor":"([^"]+)".*/\1/')
  [[ $cursor =~ ^[A-Za-z0-9_-]+$ ]] || fail "no cursor for the deep page at $size"
  paths=(
    [bare_$size]="/bench/bare-demands?branchId=$branch_id"
    [page1_$size]="/api/demands?page=1&pageSize=20"
    [deep_$size]="/api/demands?page=$deep_page&pageSize=20"
    [cursor_$size]="/api/demands?cursor=$cursor&pageSize=20"
  )
  local name
  for name in bare_$size page1_$size deep_$size cursor_$size; do
    curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base${paths[$name]}" || fail "$name (${paths[$name]}) does not answer 200"
    wrk -t2 -c64 -d2s -H "Authorization: Bearer $token" "$base${paths[$name]}" >/dev/null 2>&1 || fail "warm-up $name"
  done
  for (( r = 1; r <= repeats; r++ )); do
    for name in bare_$size page1_$size deep_$size cursor_$size; do
      run_wrk "$name" "${paths[$name]}" -H "Authorization: Bearer $token"
    done
  done
  rss_at[$size]=$(rss)
}

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
seed_demands 1 $small
phase $small
seed_demands $(( small + 1 )) $large
phase $large

say "seeding 10,000 policy documents"
curl -fsS -m 900 -X POST "$base/bench/seed?count=10000" >"$work_dir/seed-policies.json" || fail "seeding policies"
q=%E5%8D%B1%E9%99%A9%E5%BA%9F%E7%89%A9 # 危险废物, in nearly every document
cat >"$work_dir/search-miss.lua" <<EOF
local counter = 0
function setup(thread) counter = counter + 1; thread:set("id", counter) end
function init(args) math.randomseed(os.time() * 1000 + id) end
function request()
  return wrk.format("GET", "/api/policies?q=$q&page=" .. math.random(1, 50) .. "&pageSize=" .. math.random(1, 100))
end
EOF
# A first search ranks the term over the whole library (once per library version); every later page misses the
# answer cache (random page and page size) and reads only its rows.
first_search=$(curl -fsS -o /dev/null -w '%{time_total}' "$base/api/policies?q=$q&page=1&pageSize=20") || fail "search"
for (( r = 1; r <= repeats; r++ )); do
  run_wrk search_miss "/api/policies?q=$q" -s "$work_dir/search-miss.lua"
done
rss_at[search]=$(rss)

# --- report ------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=" ? r >= t : r <= t); print (ok ? "met" : "MISSED") }'; }
echo
echo "Demand benchmark: wrk -t2 -c64 -d$duration, $repeats interleaved repeat(s), medians; service in Release on loopback"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-44s %12s %10s %10s %8s\n' run 'requests/s' 'p50 ms' 'p99 ms' errors
for size in $small $large; do
  for kind in bare page1 deep cursor; do
    name=${kind}_$size
    case $kind in
      bare) label="bare Dapper 20 rows, $size demands" ;; page1) label="list page 1, $size demands" ;;
      deep) label="list deep page (number), $size demands" ;; cursor) label="list deep page (cursor), $size demands" ;;
    esac
    printf '%-44s %12s %10s %10s %8s\n' "$label" "$(med "${rps_runs[$name]}")" "$(med "${p50_runs[$name]}")" "$(med "${p99_runs[$name]}")" "${errs[$name]}"
  done
done
printf '%-44s %12s %10s %10s %8s\n' "search 危险废物, answer-cache misses, 10k docs" "$(med "${rps_runs[search_miss]}")" "$(med "${p50_runs[search_miss]}")" "$(med "${p99_runs[search_miss]}")" "${errs[search_miss]}"
echo "first search of 危险废物 after seeding (ranks the library): $(awk -v t="$first_search" 'BEGIN { printf "%.0f", t * 1000 }') ms"
echo
for size in $small $large; do
  r=$(ratio "$(med "${rps_runs[page1_$size]}")" "$(med "${rps_runs[bare_$size]}")")
  echo "list page 1 / bare, $size demands     = $r  (target >= 0.80: $(verdict "$r" 0.8 '>='))"
done
r=$(ratio "$(med "${p99_runs[page1_$large]}")" "$(med "${p99_runs[page1_$small]}")")
echo "list page 1 p99, $large / $small        = $r  (target <= 1.50: $(verdict "$r" 1.5 '<='))"
r=$(ratio "$(med "${p99_runs[cursor_$large]}")" "$(med "${p99_runs[page1_$large]}")")
echo "deep cursor page p99 / page 1 p99, $large = $r  (target <= 1.50, flat at any depth: $(verdict "$r" 1.5 '<='))"
r=$(med "${p50_runs[search_miss]}")
echo "search miss p50 = $r ms  (target <= 10 ms: $(verdict "$r" 10 '<=')); 503s and time-outs: ${errs[search_miss]} (target 0)"
for phase_name in $small $large search; do
  echo "RSS after phase $phase_name: ${rss_at[$phase_name]} (target <= 300 MB)"
done
echo "not measured by this script yet: submission by 64 users, stats over two years, monthly report, generated agenda"

failed=0
for name in page1_$small deep_$small cursor_$small page1_$large deep_$large cursor_$large bare_$small bare_$large; do
  if (( ${errs[$name]:-0} > 0 )); then echo "bench: FAILED: $name had ${errs[$name]} error answers (see $work_dir)" >&2; failed=1; fi
done
exit $failed
