#!/usr/bin/env bash
# Benchmark of the demand path at scale (issue 17) — a measurement, not a test (scripts/test.sh does not run it).
#
# In a database of its own, with the service built in Release on loopback (Bench:Enabled, so /bench/* is mounted), it
# seeds one branch (50 enterprises, 10 members, a secretary, a commissioner, 64 enterprise contacts with known
# sessions) and 1,000 demands spread over the two years before now, with their events as the workflow writes them
# (submitted; claimed with a due date; resolved on time or late, with the due date in force; confirmed with a rating, or
# reopened), all by set-based INSERT … SELECT; measures; grows the same branch to 100,000 and measures again; then
# measures submissions; then seeds 10,000 policy documents and measures searches that miss the answer cache.
# Each measurement is wrk for a bounded time; the runs of a phase are interleaved and repeated, and medians are reported
# beside a bare Dapper yardstick of the same run where the target is a ratio. It prints the load average, RSS (VmRSS,
# VmHWM) after each phase, and each ratio beside its target. A missed target is reported, not fatal; the script fails
# when something breaks (start-up, seeding, wrk, error answers from the measured endpoints, gaps in the numbers).
#
# Phases and targets:
#   lists      at 1k and 100k: page 1, a deep page by number and by cursor, beside /bench/bare-demands (20 rows straight
#              from Dapper), wrk -t2 -c64 — page 1 >= 0.8 of bare; page-1 p99 at 100k <= 1.5 x at 1k; cursor flat.
#              The bare request carries the same bearer header, and authentication runs for every request, so the
#              yardstick is "the session check plus one bare query" (on the main pool, with its reset), not a query alone.
#   stats      GET /api/stats/overview for the two years up to today, as the branch's secretary, one request at a time
#              (curl in a loop for the run's duration), at 1k and 100k — the 100k p50 <= 2 x the 1k p50.
#   report     GET /api/stats/monthly-report for last month, format=json and format=xlsx, one at a time, at 1k and 100k
#              — each <= 2 x.
#   agenda     POST /api/meetings at 100k for last month, this month and next (one per repeat, at most 3; a branch has
#              one meeting a month): time, agenda lines and omitted counts, RSS — bounded by what a meeting can discuss.
#   export     GET /api/demands/export at 100k, xlsx and csv, one request each: time, size, rows counted in the files —
#              every demand of the branch, within the memory target (no ratio: nothing bare compares).
#   submit     POST /api/demands by the 64 enterprise contacts (wrk -t2 -c64; each request the next user of its thread,
#              a fresh Idempotency-Key each) beside /bench/bare-submit (one demand row + one outbox row in a transaction)
#              — product >= 0.5 of bare; afterwards the numbers must be gap-free and each demand have one outbox row.
#   search     policy searches that miss the answer cache at 10k documents — p50 <= 10 ms, no 503.
#   memory     RSS <= 300 MB after every phase.
# The content check calls a WeChat stand-in on loopback (/bench/wechat/, answering "pass"); the per-user daily and
# per-minute submission limits are raised by settings (Demands:DailyLimitPerUser, RateLimits:SubmissionsPerMinutePerUser);
# the notification dispatcher and reminder scheduler are off (Notifications:*:Enabled) so they do not compete.
#
# Needs wrk (installed with apt-get when missing and running as root).
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
source "$script_dir/lib.sh"
ensure_wrk "$work_dir" || fail "wrk is missing"
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
  # WeChat on loopback (the bench's stand-in), limits raised for 64 users submitting for minutes, background workers off.
  export Wechat__ApiBaseUrl=$base/bench/wechat/ Demands__DailyLimitPerUser=10000000 RateLimits__SubmissionsPerMinutePerUser=10000000
  export Notifications__Dispatcher__Enabled=false Notifications__Reminders__Enabled=false
  export Wechat__MiniProgram__AppId=wxbench0000000001 Wechat__MiniProgram__AppSecret=bench-not-a-secret
  export Wechat__OfficialAccount__AppId=wxbenchoa00000001 Wechat__OfficialAccount__AppSecret=bench-not-a-secret
  export Wechat__OfficialAccount__Token=benchtoken Wechat__OfficialAccount__EncodingAesKey=BenchOnlyEncodingAesKey0123456789abcdefghij
  exec dotnet EcoAid.Api.dll --urls "$base"
) >"$work_dir/service.log" 2>&1 &
service_pid=$!
wait_ready "$base/readyz" "$service_pid" "$work_dir/service.log" "The service" || fail "start-up"

# --- seeding: one branch, 50 enterprises, 10 members, a secretary, a commissioner, 64 contacts with sessions ------
token=bench-secretary-session-token
staff_users=64
bsql "
INSERT INTO cities (name, created_at) VALUES ('基准市', UTC_TIMESTAMP(6));
INSERT INTO party_branches (city_id, name, created_at, updated_at) SELECT id, '基准支部', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM cities WHERE name = '基准市';
SET @branch = (SELECT id FROM party_branches WHERE name = '基准支部');
SET @city = (SELECT city_id FROM party_branches WHERE id = @branch);
INSERT INTO enterprises (branch_id, name, credit_code, created_at, updated_at)
  SELECT @branch, CONCAT('基准企业', seq), CONCAT('91', LPAD(seq, 16, '0')), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_1_to_50;
INSERT INTO members (branch_id, name, task_force_role, created_at, updated_at)
  SELECT @branch, CONCAT('基准成员', seq), 'member', UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) FROM seq_1_to_10;
INSERT INTO users (openid, display_name, city_id, branch_id, created_at) VALUES ('bench-secretary', '基准书记', @city, @branch, UTC_TIMESTAMP(6));
SET @user = LAST_INSERT_ID();
INSERT INTO user_roles (user_id, role, granted_at) VALUES (@user, 'secretary', UTC_TIMESTAMP(6));
INSERT INTO sessions (user_id, token_hash, created_at, expires_at, channel) VALUES (@user, UNHEX(SHA2('$token', 256)), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY, 'app');
-- The commissioner every new demand is told about (one outbox row per submission: the enterprises have no liaison).
INSERT INTO users (openid, display_name, city_id, branch_id, created_at) VALUES ('bench-commissioner', '基准专员', @city, @branch, UTC_TIMESTAMP(6));
INSERT INTO user_roles (user_id, role, granted_at) VALUES (LAST_INSERT_ID(), 'commissioner', UTC_TIMESTAMP(6));
-- 64 enterprise contacts across the 50 enterprises, each with session token bench-staff-token-N.
INSERT INTO users (openid, display_name, city_id, branch_id, enterprise_id, created_at)
  SELECT CONCAT('bench-staff-', s.seq), CONCAT('基准联系人', s.seq), @city, @branch, e.id, UTC_TIMESTAMP(6)
  FROM seq_1_to_${staff_users} s JOIN enterprises e ON e.branch_id = @branch AND e.name = CONCAT('基准企业', 1 + (s.seq - 1) % 50);
INSERT INTO user_roles (user_id, role, granted_at) SELECT id, 'staff', UTC_TIMESTAMP(6) FROM users WHERE openid LIKE 'bench-staff-%';
INSERT INTO sessions (user_id, token_hash, created_at, expires_at, channel)
  SELECT id, UNHEX(SHA2(CONCAT('bench-staff-token-', SUBSTRING(openid, 13)), 256)), UTC_TIMESTAMP(6), UTC_TIMESTAMP(6) + INTERVAL 1 DAY, 'app'
  FROM users WHERE openid LIKE 'bench-staff-%';
" || fail "seeding the branch"
branch_id=$(bsql "SELECT id FROM party_branches WHERE name = '基准支部'")
user_id=$(bsql "SELECT id FROM users WHERE openid = 'bench-secretary'")

seed_demands() { # FROM TO: demands SQB-FROM..SQB-TO with their events, submitted over the two years before now
  local from=$1 to=$2 started=$SECONDS
  # The plan of each demand's life, from its sequence number: submitted at a spread-out instant of the last 730 days;
  # claimed 10 minutes to 48 hours later, spread over the minutes as real acceptances are (every 7th 100-200 hours later,
  # past the 48-hour limit); resolved 3-11 days after (every 10th 20 days: late); confirmed two days later with a rating
  # of 3-5, or (every 25th) reopened with a 2 and back in hand. The newest are still open.
  bsql "
  SET @now = UTC_TIMESTAMP(6);
  DROP TABLE IF EXISTS bench_plan;
  CREATE TABLE bench_plan (seq BIGINT PRIMARY KEY, enterprise_id BIGINT NOT NULL, owner BIGINT NOT NULL, owner_name VARCHAR(50) NOT NULL,
    submitted DATETIME(6) NOT NULL, accepted DATETIME(6) NULL, due DATE NULL, resolved DATETIME(6) NULL, confirmed DATETIME(6) NULL,
    reopened BOOLEAN NOT NULL DEFAULT FALSE, satisfaction INT NULL);
  INSERT INTO bench_plan (seq, enterprise_id, owner, owner_name, submitted)
  SELECT s.seq, e.id, m.id, m.name, @now - INTERVAL ((s.seq * 7919) % 63072000) SECOND
  FROM seq_${from}_to_${to} s
  JOIN enterprises e ON e.branch_id = $branch_id AND e.name = CONCAT('基准企业', 1 + s.seq % 50)
  JOIN members m ON m.branch_id = $branch_id AND m.name = CONCAT('基准成员', 1 + s.seq % 10);
  UPDATE bench_plan SET accepted = submitted + INTERVAL IF(seq % 7 = 0, 6000 + (seq * 61) % 6000, 10 + (seq * 37) % 2870) MINUTE
  WHERE NOT (submitted > @now - INTERVAL 5 DAY AND seq % 2 = 1) AND submitted + INTERVAL IF(seq % 7 = 0, 6000 + (seq * 61) % 6000, 10 + (seq * 37) % 2870) MINUTE < @now;
  UPDATE bench_plan SET due = DATE(accepted) + INTERVAL 15 DAY WHERE accepted IS NOT NULL;
  UPDATE bench_plan SET resolved = accepted + INTERVAL IF(seq % 10 = 0, 20, 3 + seq % 9) DAY
  WHERE accepted IS NOT NULL AND NOT (submitted > @now - INTERVAL 30 DAY AND seq % 3 = 0)
    AND accepted + INTERVAL IF(seq % 10 = 0, 20, 3 + seq % 9) DAY < @now;
  UPDATE bench_plan SET confirmed = resolved + INTERVAL 2 DAY, reopened = (seq % 25 = 0), satisfaction = IF(seq % 25 = 0, 2, 3 + seq % 3)
  WHERE resolved IS NOT NULL AND resolved + INTERVAL 2 DAY < @now AND NOT (submitted > @now - INTERVAL 40 DAY AND seq % 4 = 0);

  INSERT INTO demands (branch_id, enterprise_id, number, category, source, title, description, urgent, status, content_check,
                       submitted_by, submitted_at, updated_at, accepted_at, due_date, resolved_at, closed_at, owner_member_id,
                       objective, measures, responsible_unit_kind, responsible_unit, responsible_person_kind, responsible_person_name,
                       resolution, solved, satisfaction, reopen_count)
  SELECT $branch_id, p.enterprise_id, CONCAT('SQB-', p.seq), ELT(1 + p.seq % 3, 'pollution_control', 'eia_approval', 'credit_repair'),
         ELT(1 + p.seq % 4, 'mini_program', 'mini_program', 'survey', 'visit'),
         CONCAT('基准诉求第', p.seq, '号：危险废物贮存'), '基准测试生成的描述文字。', p.seq % 17 = 0,
         CASE WHEN p.confirmed IS NOT NULL AND NOT p.reopened THEN 'closed' WHEN p.reopened THEN 'accepted'
              WHEN p.resolved IS NOT NULL THEN 'resolved' WHEN p.accepted IS NOT NULL THEN 'accepted' ELSE 'submitted' END,
         'passed', $user_id, p.submitted, COALESCE(p.confirmed, p.resolved, p.accepted, p.submitted), p.accepted,
         IF(p.reopened, DATE(p.confirmed) + INTERVAL 15 DAY, p.due), IF(p.reopened, NULL, p.resolved),
         IF(p.confirmed IS NOT NULL AND NOT p.reopened, p.confirmed, NULL), IF(p.accepted IS NULL, NULL, p.owner),
         IF(p.accepted IS NULL, NULL, '规范危废贮存'), IF(p.accepted IS NULL, NULL, '[\"现场指导\",\"复核台账\"]'),
         IF(p.accepted IS NULL, NULL, 'branch'), IF(p.accepted IS NULL, NULL, '基准支部'),
         IF(p.accepted IS NULL, NULL, 'member'), IF(p.accepted IS NULL, NULL, p.owner_name),
         IF(p.resolved IS NULL, NULL, '已完成整改'), IF(p.confirmed IS NULL, NULL, NOT p.reopened), p.satisfaction, p.reopened
  FROM bench_plan p;

  INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
  SELECT d.id, $user_id, 'submitted', 'public', NULL, NULL, p.submitted
  FROM bench_plan p JOIN demands d ON d.branch_id = $branch_id AND d.number = CONCAT('SQB-', p.seq);
  INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
  SELECT d.id, $user_id, 'claimed', 'public', CONCAT('由基准支部认领办理，完成时限 ', p.due), NULL, p.accepted
  FROM bench_plan p JOIN demands d ON d.branch_id = $branch_id AND d.number = CONCAT('SQB-', p.seq) WHERE p.accepted IS NOT NULL;
  INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
  SELECT d.id, $user_id, 'resolved', 'public', '已完成整改', CONCAT('{\"dueDate\":\"', p.due, '\"}'), p.resolved
  FROM bench_plan p JOIN demands d ON d.branch_id = $branch_id AND d.number = CONCAT('SQB-', p.seq) WHERE p.resolved IS NOT NULL;
  INSERT INTO demand_events (demand_id, actor_user_id, kind, visibility, text, details, created_at)
  SELECT d.id, $user_id, IF(p.reopened, 'reopened', 'confirmed'), 'public',
         CONCAT(IF(p.reopened, '企业反馈未解决，满意度 ', '企业确认已解决，满意度 '), p.satisfaction, ' 分'),
         CONCAT('{\"solved\":', IF(p.reopened, 'false', 'true'), ',\"satisfaction\":', p.satisfaction, '}'), p.confirmed
  FROM bench_plan p JOIN demands d ON d.branch_id = $branch_id AND d.number = CONCAT('SQB-', p.seq) WHERE p.confirmed IS NOT NULL;
  DROP TABLE bench_plan;
  ANALYZE TABLE demands, demand_events;
  " >/dev/null || fail "seeding demands $from..$to"
  say "seeded demands $from..$to with $(bsql "SELECT COUNT(*) FROM demand_events ev JOIN demands d ON d.id = ev.demand_id WHERE d.branch_id = $branch_id") events so far in $(( SECONDS - started )) s"
}

# --- measuring ---------------------------------------------------------------------------------------------------
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
  if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000; printf "%.2f", n }'; }
median() { sort -g | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else if (NR % 2) print a[(NR + 1) / 2]; else printf "%.2f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
declare -A paths rps_runs p99_runs p50_runs errs
run_wrk() { # name path [wrk options]; WRK_SHAPE (default -t2 -c64) sets threads and connections
  local name=$1 path=$2 out=$work_dir/wrk-$1.txt
  shift 2
  # shellcheck disable=SC2086
  wrk ${WRK_SHAPE:--t2 -c64} -d"$duration" --timeout 10s --latency "$@" "$base$path" >"$out" 2>&1 || { cat "$out" >&2; fail "wrk $name"; }
  local r p5 p9
  r=$(awk '/^Requests\/sec:/ { print $2 }' "$out"); p5=$(awk '$1 == "50%" { print $2 }' "$out"); p9=$(awk '$1 == "99%" { print $2 }' "$out")
  [[ -n $r && -n $p9 ]] || { cat "$out" >&2; fail "could not read wrk's output for $name"; }
  rps_runs[$name]+="$r "; p50_runs[$name]+="$(to_ms "$p5") "; p99_runs[$name]+="$(to_ms "$p9") "
  errs[$name]=$(( ${errs[$name]:-0} + $(awk '/Non-2xx or 3xx responses:/ { n += $NF } /Socket errors:/ { gsub(/,/, ""); n += $4 + $6 + $8 + $10 } END { print n + 0 }' "$out") ))
}
med() { tr ' ' '\n' <<<"$1" | grep -v '^$' | median; }
rss() { awk '/^VmRSS|^VmHWM/ { printf "%s %.0f MB  ", $1, $2 / 1024 }' "/proc/$service_pid/status"; }
rss_mb() { awk '/^VmRSS/ { printf "%.0f", $2 / 1024 }' "/proc/$service_pid/status"; }
declare -A rss_at seen list_rows per_row
rss_order=()
mark_rss() { rss_at[$1]=$(rss); rss_order+=("$1"); }

list_phase() { # size
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
  done
  # Warmed twice, in the order of the runs: the first pass fills the pools, the tiered JIT and the server's buffers
  # unevenly (the first endpoint warms what the others then find warm), the second evens it out.
  for pass in 1 2; do
    for name in bare_$size page1_$size deep_$size cursor_$size; do
      wrk -t2 -c64 -d2s -H "Authorization: Bearer $token" "$base${paths[$name]}" >/dev/null 2>&1 || fail "warm-up $name (pass $pass)"
    done
  done
  for (( r = 1; r <= repeats; r++ )); do
    for name in bare_$size page1_$size deep_$size cursor_$size; do
      run_wrk "$name" "${paths[$name]}" -H "Authorization: Bearer $token"
    done
  done
  mark_rss "lists $size"
}

# One request at a time for a run's duration (at least one request, at most 200): what one user waits for. wrk -c1
# would report nothing for a run shorter than one answer; curl times each answer. p99 is the slowest of the run.
time_one_at_a_time() { # name path
  local name=$1 path=$2 out=$work_dir/times-$1.txt started count=0 limit=${duration%s} status_time
  : >"$out"
  started=$(date +%s.%N)
  while (( count < 200 )); do
    status_time=$(curl -sS -m 60 -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $token" "$base$path") || status_time="000 60"
    [[ ${status_time%% *} == 200 ]] || errs[$name]=$(( ${errs[$name]:-0} + 1 ))
    awk -v t="${status_time#* }" 'BEGIN { printf "%.2f\n", t * 1000 }' >>"$out"
    count=$(( count + 1 ))
    awk -v s="$started" -v now="$(date +%s.%N)" -v l="$limit" 'BEGIN { exit !(now - s >= l) }' && break
  done
  rps_runs[$name]+="$(awk -v n="$count" -v s="$started" -v now="$(date +%s.%N)" 'BEGIN { printf "%.2f", n / (now - s) }') "
  p50_runs[$name]+="$(median <"$out") "
  p99_runs[$name]+="$(sort -g "$out" | tail -n1) "
  errs[$name]=${errs[$name]:-0}
}

# Stats and the monthly report: one request at a time (what a secretary opening the page waits for).
today=$(TZ=Asia/Shanghai date +%F)
two_years_ago=$(TZ=Asia/Shanghai date -d "$today - 729 days" +%F)
last_month=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) - 1 day" +%Y-%m)
this_month=$(TZ=Asia/Shanghai date +%Y-%m)
next_month=$(TZ=Asia/Shanghai date -d "$(TZ=Asia/Shanghai date +%Y-%m-01) + 1 month" +%Y-%m)
reports_phase() { # size
  local size=$1 name
  paths=(
    [stats_$size]="/api/stats/overview?from=$two_years_ago&to=$today"
    [report_json_$size]="/api/stats/monthly-report?month=$last_month&format=json"
    [report_xlsx_$size]="/api/stats/monthly-report?month=$last_month&format=xlsx"
  )
  for name in stats_$size report_json_$size report_xlsx_$size; do
    curl -fsS -m 60 -o "$work_dir/$name.out" -H "Authorization: Bearer $token" "$base${paths[$name]}" || fail "$name (${paths[$name]}) does not answer 200"
  done
  for (( r = 1; r <= repeats; r++ )); do
    for name in stats_$size report_json_$size report_xlsx_$size; do
      time_one_at_a_time "$name" "${paths[$name]}"
    done
  done
  # What the answers covered, to show they did real work.
  seen[$size]="stats: $(jq -r '"\(.total.submitted) submitted, \(.total.byStatus | map(select(.code == "closed"))[0].count) closed"' "$work_dir/stats_$size.out") over two years; report $last_month: $(jq -r '.total.collected' "$work_dir/report_json_$size.out") collected"
  mark_rss "stats and report $size"
}

# A generated agenda: one meeting per branch and month, so each repeat takes another month (at most three).
agenda_ms=() agenda_lines=() agenda_omitted=() agenda_rss=()
agenda_phase() {
  local month out time_s r=0
  for month in "$last_month" "$this_month" "$next_month"; do
    (( r++ < repeats )) || break
    out=$work_dir/agenda-$month.json
    time_s=$(curl -sS -m 120 -o "$out" -w '%{http_code} %{time_total}' -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"month\":\"$month\"}" "$base/api/meetings") || fail "agenda for $month"
    [[ ${time_s%% *} == 201 ]] || { cat "$out" >&2; fail "agenda for $month answered ${time_s%% *}"; }
    agenda_ms+=("$(awk -v t="${time_s#* }" 'BEGIN { printf "%.0f", t * 1000 }')")
    agenda_lines+=("$(jq '.agenda | length' "$out")")
    agenda_omitted+=("$(jq '[.agendaOmitted[]?.count] | add // 0' "$out")")
    agenda_rss+=("$(rss_mb)")
  done
  mark_rss "agenda $large"
}

# The demand export (清单) at the large size: every demand of the branch in reach of the secretary, once as xlsx and once
# as csv, one request each, timed; the rows are counted in the files (in the report below) against the branch's count.
# VmHWM is the process's peak since it started: compared with the phase before, it shows whether the export raised it.
declare -A export_s export_mb
export_phase() {
  local format out status_time
  for format in xlsx csv; do
    out=$work_dir/export.$format
    status_time=$(curl -sS -m 600 -o "$out" -w '%{http_code} %{time_total}' -H "Authorization: Bearer $token" "$base/api/demands/export?format=$format") \
      || fail "export $format"
    [[ ${status_time%% *} == 200 ]] || { head -c 500 "$out" >&2; fail "export $format answered ${status_time%% *}"; }
    export_s[$format]=$(awk -v t="${status_time#* }" 'BEGIN { printf "%.1f", t }')
    export_mb[$format]=$(awk -v b="$(stat -c %s "$out")" 'BEGIN { printf "%.1f", b / 1048576 }')
  done
  export_expected=$(bsql "SELECT COUNT(*) FROM demands WHERE branch_id = $branch_id")
  mark_rss "export $large"
}

# Submissions: 64 enterprise contacts of the branch, each request the next user of its wrk thread (thread 1 the odd
# users, thread 2 the even) with a fresh Idempotency-Key; the bare yardstick posts to /bench/bare-submit for the same
# users and enterprises.
submit_phase() {
  local pairs
  pairs=$(bsql "SELECT CONCAT('\"enterpriseId=', enterprise_id, '&userId=', id, '\",') FROM users WHERE openid LIKE 'bench-staff-%' ORDER BY CAST(SUBSTRING(openid, 13) AS UNSIGNED)")
  cat >"$work_dir/submit.lua" <<EOF
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
local n = 0
local run = os.getenv("BENCH_RUN") or "0"
local body = '{"category":"pollution_control","title":"基准提交的诉求","description":"危险废物暂存间标识不全，台账记录不完整，请求现场指导。"}'
function request()
  n = n + 1
  local user = ((n - 1) % ($staff_users / 2)) * 2 + tid
  return wrk.format("POST", "/api/demands", { ["Authorization"] = "Bearer bench-staff-token-" .. user, ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. run .. "-" .. tid .. "-" .. n }, body)
end
EOF
  cat >"$work_dir/bare-submit.lua" <<EOF
local counter = 0
function setup(thread) counter = counter + 1; thread:set("tid", counter) end
local targets = { $pairs }
local n = 0
function request()
  n = n + 1
  local user = ((n - 1) % ($staff_users / 2)) * 2 + tid
  return wrk.format("POST", "/bench/bare-submit?" .. targets[user], nil, "")
end
EOF
  BENCH_RUN=warm wrk -t2 -c64 -d2s -s "$work_dir/submit.lua" "$base/" >/dev/null 2>&1 || fail "warm-up submissions"
  wrk -t2 -c64 -d2s -s "$work_dir/bare-submit.lua" "$base/" >/dev/null 2>&1 || fail "warm-up bare submissions"
  for (( r = 1; r <= repeats; r++ )); do
    export BENCH_RUN=run$r # a fresh set of Idempotency-Keys for each run
    run_wrk submit / -s "$work_dir/submit.lua"
    run_wrk bare_submit / -s "$work_dir/bare-submit.lua"
  done
  mark_rss "submissions"
  # The guarantees under load: this year's numbers gap-free, each submitted demand told to the commissioner once.
  local year counts
  year=$(TZ=Asia/Shanghai date +%Y)
  counts=$(bsql "SELECT COUNT(*), COALESCE(MAX(CAST(SUBSTRING(number, 8) AS UNSIGNED)), 0), COUNT(DISTINCT number),
    (SELECT COUNT(*) FROM notification_outbox o JOIN demands d2 ON d2.id = o.demand_id WHERE d2.branch_id = $branch_id AND d2.number LIKE 'SQ$year-%')
    FROM demands WHERE branch_id = $branch_id AND number LIKE 'SQ$year-%'")
  read -r submitted_count max_seq distinct_numbers outbox_rows <<<"$counts"
}

say "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
seed_demands 1 $small
list_phase $small
reports_phase $small
seed_demands $(( small + 1 )) $large
list_phase $large
reports_phase $large
agenda_phase
export_phase
submit_phase

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
mark_rss "search"

# --- report ------------------------------------------------------------------------------------------------------
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
verdict() { awk -v r="$1" -v t="$2" -v op="$3" 'BEGIN { ok = (op == ">=" ? r >= t : r <= t); print (ok ? "met" : "MISSED") }'; }
row() { printf '%-48s %12s %10s %10s %8s\n' "$1" "$(med "${rps_runs[$2]}")" "$(med "${p50_runs[$2]}")" "$(med "${p99_runs[$2]}")" "${errs[$2]}"; }
echo
echo "Demand benchmark: wrk for $duration per run ($repeats interleaved repeat(s), medians); service in Release on loopback"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-48s %12s %10s %10s %8s\n' run 'requests/s' 'p50 ms' 'p99 ms' errors
for size in $small $large; do
  row "bare Dapper 20 rows, $size demands (-c64)" "bare_$size"
  row "list page 1, $size demands (-c64)" "page1_$size"
  row "list deep page (number), $size demands (-c64)" "deep_$size"
  row "list deep page (cursor), $size demands (-c64)" "cursor_$size"
done
for size in $small $large; do
  row "stats overview, two years, $size (1 at a time)" "stats_$size"
  row "monthly report $last_month json, $size (1 at a time)" "report_json_$size"
  row "monthly report $last_month xlsx, $size (1 at a time)" "report_xlsx_$size"
done
row "bare insert + outbox row (-c64)" bare_submit
row "submission by $staff_users contacts (-c64)" submit
row "search 危险废物, answer-cache misses, 10k docs" search_miss
echo "first search of 危险废物 after seeding (ranks the library): $(awk -v t="$first_search" 'BEGIN { printf "%.0f", t * 1000 }') ms"
for size in $small $large; do echo "answers at $size demands: ${seen[$size]}"; done
for i in "${!agenda_ms[@]}"; do
  echo "agenda at $large demands, meeting $(( i + 1 )): ${agenda_ms[i]} ms, ${agenda_lines[i]} lines listed, ${agenda_omitted[i]} counted and linked, VmRSS ${agenda_rss[i]} MB after"
done
echo
for size in $small $large; do
  r=$(ratio "$(med "${rps_runs[page1_$size]}")" "$(med "${rps_runs[bare_$size]}")")
  echo "list page 1 / bare, $size demands       = $r  (target >= 0.80: $(verdict "$r" 0.8 '>='))"
done
r=$(ratio "$(med "${p99_runs[page1_$large]}")" "$(med "${p99_runs[page1_$small]}")")
echo "list page 1 p99, $large / $small          = $r  (target <= 1.50: $(verdict "$r" 1.5 '<='))"
r=$(ratio "$(med "${p99_runs[cursor_$large]}")" "$(med "${p99_runs[page1_$large]}")")
echo "deep cursor page p99 / page 1 p99, $large = $r  (target <= 1.50, flat at any depth: $(verdict "$r" 1.5 '<='))"
r=$(ratio "$(med "${rps_runs[submit]}")" "$(med "${rps_runs[bare_submit]}")")
echo "submission by $staff_users users / bare insert + outbox = $r  (target >= 0.50: $(verdict "$r" 0.5 '>='))"
gapless=no
(( submitted_count == max_seq && submitted_count == distinct_numbers )) && gapless=yes
echo "  numbers this year: $submitted_count demands, highest $max_seq, gap-free: $gapless; outbox rows: $outbox_rows (one each: $( (( outbox_rows == submitted_count )) && echo yes || echo no))"
r=$(ratio "$(med "${p50_runs[stats_$large]}")" "$(med "${p50_runs[stats_$small]}")")
echo "stats overview p50, $large / $small        = $r  (target <= 2.00: $(verdict "$r" 2 '<='))"
for format in json xlsx; do
  r=$(ratio "$(med "${p50_runs[report_${format}_$large]}")" "$(med "${p50_runs[report_${format}_$small]}")")
  echo "monthly report $format p50, $large / $small  = $r  (target <= 2.00: $(verdict "$r" 2 '<='))"
done
# Not a target, to read the xlsx figure by: its list (诉求清单, the last sheet) holds the month's new demands and the
# earlier ones closed in it, at most ReportFiles.ListPerPart of each; the rows are counted in the downloaded file (data rows
# are those whose first cell, 序号, is a number), and the time per listed row shows what writing them costs.
list_rows_of() { # workbook: the data rows of its last sheet (first cell a number), read as a stream (the demand export's
  # one sheet is ~100 MB of XML at 100k)
  python3 - "$1" <<'PY'
import re, sys, zipfile
import xml.etree.ElementTree as ET
main = '{http://schemas.openxmlformats.org/spreadsheetml/2006/main}'
rows = 0
with zipfile.ZipFile(sys.argv[1]) as z:
    sheets = sorted((n for n in z.namelist() if re.fullmatch(r'xl/worksheets/sheet\d+\.xml', n)), key=lambda n: int(re.findall(r'\d+', n)[0]))
    with z.open(sheets[-1]) as sheet:
        for _, element in ET.iterparse(sheet):
            if element.tag == main + 'row':
                first = element.find(main + 'c')
                rows += first is not None and ''.join(first.itertext()).strip().isdigit()
                element.clear()
print(rows)
PY
}
for size in $small $large; do
  list_rows[$size]=$(list_rows_of "$work_dir/report_xlsx_$size.out")
  per_row[$size]=$(awk -v t="$(med "${p50_runs[report_xlsx_$size]}")" -v n="${list_rows[$size]}" 'BEGIN { printf "%.1f", (n > 0 ? 1000 * t / n : 0) }')
done
echo "  xlsx list rows: ${list_rows[$small]} at $small, ${list_rows[$large]} at $large; p50 per listed row ${per_row[$small]} µs and ${per_row[$large]} µs = $(ratio "${per_row[$large]}" "${per_row[$small]}") (no target)"
csv_rows_of() { # file: data rows (a cell may hold line breaks, so the csv module counts them)
  python3 - "$1" <<'PY'
import csv, sys
with open(sys.argv[1], encoding='utf-8-sig', newline='') as f:
    print(sum(1 for _ in csv.reader(f)) - 1)
PY
}
export_rows_xlsx=$(list_rows_of "$work_dir/export.xlsx")
export_rows_csv=$(csv_rows_of "$work_dir/export.csv")
export_all=no
(( export_rows_xlsx == export_expected && export_rows_csv == export_expected )) && export_all=yes
echo "demand export at $large: xlsx $export_rows_xlsx rows in ${export_s[xlsx]} s (${export_mb[xlsx]} MB), csv $export_rows_csv rows in ${export_s[csv]} s (${export_mb[csv]} MB); the branch has $export_expected (all exported: $export_all; memory: the RSS line after phase export)"
echo "agenda at $large: median $(printf '%s\n' "${agenda_ms[@]}" | median) ms, at most $(printf '%s\n' "${agenda_lines[@]}" | sort -g | tail -n1) lines (target: bounded by what a meeting can discuss)"
r=$(med "${p50_runs[search_miss]}")
echo "search miss p50 = $r ms  (target <= 10 ms: $(verdict "$r" 10 '<=')); 503s and time-outs: ${errs[search_miss]} (target 0)"
for phase_name in "${rss_order[@]}"; do
  echo "RSS after phase $phase_name: ${rss_at[$phase_name]} (target <= 300 MB)"
done

failed=0
for name in page1_$small deep_$small cursor_$small page1_$large deep_$large cursor_$large bare_$small bare_$large \
            stats_$small stats_$large report_json_$small report_json_$large report_xlsx_$small report_xlsx_$large submit bare_submit; do
  if (( ${errs[$name]:-0} > 0 )); then echo "bench: FAILED: $name had ${errs[$name]} error answers (see $work_dir)" >&2; failed=1; fi
done
if [[ $export_all != yes ]]; then
  echo "bench: FAILED: the demand export did not hold every demand of the branch" >&2; failed=1
fi
if [[ $gapless != yes ]] || (( outbox_rows != submitted_count )); then
  echo "bench: FAILED: submissions under load left gaps in the numbers or not one outbox row each" >&2; failed=1
fi
exit $failed
