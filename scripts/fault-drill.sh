#!/usr/bin/env bash
# The fault drill (issue "Hardening"): runs the service in Development on loopback against a private MariaDB of its own
# (the `drill` database on the dev instance of scripts/db.sh, dropped at the end), then breaks things and prints one
# line per figure. Bounded: every load loop has a count and a time limit. Stops only the processes it started, by PID.
#
#   bash scripts/fault-drill.sh
#
# Ports: the database ECOAID_DB_PORT (3407), the service ECOAID_PORT (5080), a second instance ECOAID_DRILL_PORT2
# (ECOAID_PORT + 1), a black-hole WeChat ECOAID_DRILL_BLACKHOLE_PORT (ECOAID_PORT + 2), the WeChat sandbox (its own
# program, as scripts/run.sh starts it) ECOAID_SANDBOX_PORT (ECOAID_PORT + 3). Needs curl and python3.
# DRILL_ONLY=dispatcher runs only the kill -9 section; DRILL_KEEP=1 keeps the drill database and logs for a look.
# Sizes, for a quick check that the script still runs (the figures are meant at the defaults): DRILL_BODY_MB (29),
# DRILL_LOGINS (150), DRILL_ROWS (600).
# Not part of the tests; figures depend on the machine, so it prints the load average beside them.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"

port=${ECOAID_PORT:-5080}
port2=${ECOAID_DRILL_PORT2:-$((port + 1))}
blackhole_port=${ECOAID_DRILL_BLACKHOLE_PORT:-$((port + 2))}
sandbox_port=${ECOAID_SANDBOX_PORT:-$((port + 3))}
sandbox_url=http://127.0.0.1:$sandbox_port/wechat-sandbox
base=http://127.0.0.1:$port
work_dir=$(mktemp -d "${TMPDIR:-/tmp}/ecoaid-drill-XXXX")
pids=()

say() { printf '%s\n' "$*" >&2; }
fail() { say "fault-drill: $*"; exit 1; }

cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
  done
  # The database process may have been stopped or killed by the drill: bring it back for the next user.
  if [[ -n ${db_pid:-} ]]; then kill -CONT "$db_pid" 2>/dev/null || true; fi
  bash "$script_dir/db.sh" start dev >/dev/null 2>&1 || true
  [[ -n ${DRILL_KEEP:-} ]] || { mariadb_admin -e "DROP DATABASE IF EXISTS ecoaid_drill" >/dev/null 2>&1; rm -rf "$work_dir"; } || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

command -v python3 >/dev/null || fail "python3 is needed"
bash "$script_dir/db.sh" start dev >/dev/null
base_cs=$(bash "$script_dir/db.sh" url dev)
base_cs=${base_cs/Database=ecoaid;/}
connection_string="${base_cs%;};Database=ecoaid_drill;"
mariadb_admin() {
  local sock; sock=$(ls "$repo_root"/.data/mariadb-dev/mariadbd.sock 2>/dev/null || ls "${TMPDIR:-/tmp}"/ecoaid-mariadb-*.sock 2>/dev/null | head -n1)
  mariadb --no-defaults --socket="$sock" --user="$(id -un)" --batch --skip-column-names "$@"
}
sql() { mariadb_admin ecoaid_drill -e "$1"; }
# The dev instance's login may create and drop databases (scripts/db.sh grants it everything).
mariadb_admin -e "DROP DATABASE IF EXISTS ecoaid_drill; CREATE DATABASE ecoaid_drill CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
db_pid_file=$repo_root/.data/mariadb-dev/mariadbd.pid
db_pid() { tr -dc '0-9' <"$db_pid_file"; }

say "building"
dotnet build src/EcoAid.Api -c Release -v quiet -nologo >"$work_dir/build.log" 2>&1 || { tail -n 30 "$work_dir/build.log" >&2; fail "dotnet build"; }
dotnet build src/EcoAid.Wechat.Sandbox -c Release -v quiet -nologo >>"$work_dir/build.log" 2>&1 || { tail -n 30 "$work_dir/build.log" >&2; fail "dotnet build (sandbox)"; }
bin_dir=$repo_root/src/EcoAid.Api/bin/Release/net10.0

# The WeChat sandbox, pushing Official Account events to the first service's callback.
ASPNETCORE_ENVIRONMENT=Development Sandbox__CallbackUrl=http://127.0.0.1:$port/wechat/callback Logging__LogLevel__Default=Warning \
  dotnet "$repo_root/src/EcoAid.Wechat.Sandbox/bin/Release/net10.0/EcoAid.Wechat.Sandbox.dll" --urls "http://127.0.0.1:$sandbox_port" \
  --contentRoot "$repo_root/src/EcoAid.Wechat.Sandbox" >"$work_dir/sandbox.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 240); do
  curl -fsS --connect-timeout 1 -m 2 "$sandbox_url/" >/dev/null 2>&1 && break
  kill -0 "${pids[-1]}" 2>/dev/null || { tail -n 30 "$work_dir/sandbox.log" >&2; fail "the WeChat sandbox exited during start-up"; }
  sleep 0.5
done

# start_service PORT LOG [VAR=VALUE ...]: the service in Development with the sandbox, on loopback; its PID is left in
# $started (not printed: a command substitution would run this in a subshell and the PID would miss the cleanup list).
start_service() {
  local p=$1 log=$2; shift 2
  (
    cd "$bin_dir"
    export ASPNETCORE_ENVIRONMENT=Development ConnectionStrings__EcoAid=$connection_string Sandbox__Enabled=true
    export Wechat__ApiBaseUrl=$sandbox_url/
    export Logging__LogLevel__Default=Warning Logging__LogLevel__EcoAid=Error Demands__DailyLimitPerUser=1000
    export Notifications__Dispatcher__Enabled=false
    # The drill measures idempotency and the database, not the per-minute submission limit.
    export RateLimits__SubmissionsPerMinutePerUser=1000
    for kv in "$@"; do export "${kv?}"; done
    exec dotnet EcoAid.Api.dll --urls "http://127.0.0.1:$p"
  ) >"$log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  started=$pid
  for _ in $(seq 1 240); do
    # Readiness of this process, not of one still leaving the port.
    if kill -0 "$pid" 2>/dev/null && curl -fsS --connect-timeout 1 -m 2 "http://127.0.0.1:$p/readyz" >/dev/null 2>&1; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$log" >&2; fail "the service on $p exited during start-up"; }
    sleep 0.5
  done
  fail "the service on $p never became ready"
}

# stop_service PID: SIGTERM, then wait (bounded) until it has gone, so that its port is free again.
stop_service() {
  kill "$1" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.2; done
  kill -9 "$1" 2>/dev/null || true
}

only=${DRILL_ONLY:-}   # DRILL_ONLY=dispatcher runs the kill -9 section alone

say "starting the service on $base"
start_service "$port" "$work_dir/service.log"; service_pid=$started
echo "fault drill — $(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"

export DRILL_BASE=$base DRILL_SERVICE_PID=$service_pid DRILL_DB_PID_FILE=$db_pid_file DRILL_WORK=$work_dir
export DRILL_TOKEN=sandboxcallbacktoken DRILL_SANDBOX=$sandbox_url DRILL_DB_SCRIPT=$script_dir/db.sh
export DRILL_BODY_MB=${DRILL_BODY_MB:-29} DRILL_LOGINS=${DRILL_LOGINS:-150}
drill_rows=${DRILL_ROWS:-600}

# --- sections 1, 2, 3, 4, 5, 6: one Python driver (threads, timings) ---------------------------------------------------
[[ $only == dispatcher ]] || python3 - <<'PY'
import hashlib, json, os, select, subprocess, threading, time, urllib.request, urllib.error, uuid, signal, http.client

base = os.environ["DRILL_BASE"]; host, port = base.split("//")[1].split(":"); port = int(port)
service_pid = int(os.environ["DRILL_SERVICE_PID"])

def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def answered(conn, wait):
    """True when the service has begun to answer (or closed) before the client finished sending."""
    return bool(select.select([conn.sock], [], [], wait)[0])

def request(method, path, body=None, headers=None, timeout=30, chunked=False):
    """One request. A body over 1 MB is sent the way a careful client does: headers first, then the body in pieces,
    looking for an early answer (the 413 the service sends before reading) before each piece, and reading it."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    t0 = time.monotonic()
    try:
        if body is not None and (chunked or len(body) > 1024 * 1024):
            conn.putrequest(method, path)
            for k, v in (headers or {}).items(): conn.putheader(k, v)
            if chunked: conn.putheader("Transfer-Encoding", "chunked")
            else: conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            try:
                # A declared length over the limit is answered at once: give that answer a moment before sending.
                early = answered(conn, 0.0 if chunked else 1.0)
                i = 0
                while not early and i < len(body):
                    part = body[i:i + 65536]; i += len(part)
                    conn.send(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
                    early = answered(conn, 0)
                if not early and chunked: conn.send(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):
                pass
        else:
            conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse(); data = r.read()
        return r.status, (time.monotonic() - t0) * 1000, data, dict(r.getheaders())
    except (ConnectionError, OSError, http.client.HTTPException) as e:
        return 0, (time.monotonic() - t0) * 1000, str(e).encode(), {}
    finally:
        conn.close()

def post_json(path, obj, headers=None, timeout=30):
    h = {"Content-Type": "application/json"}; h.update(headers or {})
    return request("POST", path, json.dumps(obj).encode(), h, timeout)

def post_sandbox(path, obj):
    req = urllib.request.Request(os.environ["DRILL_SANDBOX"] + path, data=json.dumps(obj).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, 0, r.read(), {}

def login(openid):
    s, _, data, _ = post_sandbox("/_sandbox/wx-login", {"appid": "wxsandbox00000001", "openid": openid})
    code = json.loads(data)["code"]
    s, _, data, _ = post_json("/api/auth/login", {"code": code})
    return json.loads(data)["token"]

# 1. Four 29 MB login bodies at once.
body_mb = int(os.environ["DRILL_BODY_MB"])
body = b'{"code":"' + b"y" * (body_mb * 1024 * 1024) + b'"}'
before = rss_kb(service_pid); results = [None] * 4
def big(i):
    results[i] = request("POST", "/api/auth/login", body, {"Content-Type": "application/json"}, timeout=60, chunked=(i % 2 == 1))
threads = [threading.Thread(target=big, args=(i,)) for i in range(4)]
[t.start() for t in threads]; [t.join() for t in threads]
after = rss_kb(service_pid)
statuses = ",".join(str(r[0]) for r in results); slowest = max(r[1] for r in results)
print(f"{body_mb} MB login bodies x4 (2 declared, 2 chunked): status {statuses}; slowest {slowest:.0f} ms; RSS growth {(after - before) / 1024:.1f} MB (target < 50 MB)")

# 2. A stale and a forged callback.
token = os.environ["DRILL_TOKEN"]
def sig(*parts): return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()
xml = b"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[oFORGED]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event></xml>"
s1, _, d1, _ = request("POST", f"/wechat/callback?timestamp=1000000000&nonce=x&signature={sig(token, '1000000000', 'x')}", xml, {"Content-Type": "text/xml"})
now = str(int(time.time()))
s2, _, d2, _ = request("POST", f"/wechat/callback?timestamp={now}&nonce=x&signature={sig(token, now, 'x')}", xml, {"Content-Type": "text/xml"})
code1 = json.loads(d1).get("code") if d1.startswith(b"{") else d1[:20]; code2 = json.loads(d2).get("code") if d2.startswith(b"{") else d2[:20]
print(f"stale callback (timestamp 1000000000, valid signature): {s1} {code1}; forged plaintext callback (valid signature, body not covered): {s2} {code2} (target: both refused)")

# 5. Thirty parallel submissions, each with its own key (before the database is broken).
staff = login("demo-drill-staff")
# The drill user needs an enterprise to submit for: make one through SQL (the demo data is not loaded here).
subprocess.run(["bash", "-c", """
sql="INSERT INTO cities (name, created_at) VALUES ('演练市', NOW(6)) ON DUPLICATE KEY UPDATE name = name;
INSERT INTO party_branches (city_id, name, created_at, updated_at) SELECT id, '演练支部', NOW(6), NOW(6) FROM cities WHERE name = '演练市';
SET @b = LAST_INSERT_ID();
INSERT INTO enterprises (branch_id, name, credit_code, contact_phone, created_at, updated_at) VALUES (@b, '演练企业', '91000000T000000012', '13700000000', NOW(6), NOW(6));
SET @e = LAST_INSERT_ID();
UPDATE users SET branch_id = @b, city_id = (SELECT city_id FROM party_branches WHERE id = @b), enterprise_id = @e WHERE openid = 'demo-drill-staff';
INSERT INTO user_roles (user_id, role, granted_at) SELECT id, 'staff', NOW(6) FROM users WHERE openid = 'demo-drill-staff';"
sock=$(ls .data/mariadb-dev/mariadbd.sock 2>/dev/null || ls ${TMPDIR:-/tmp}/ecoaid-mariadb-*.sock | head -n1)
mariadb --no-defaults --socket="$sock" --user="$(id -un)" ecoaid_drill -e "$sql"
"""], check=True)
demand = {"category": "pollution_control", "title": "演练诉求", "description": "故障演练提交的诉求，检验并行提交。"}
codes = [None] * 30
def submit(i):
    codes[i] = post_json("/api/demands", demand, {"Authorization": f"Bearer {staff}", "Idempotency-Key": str(uuid.uuid4())}, timeout=60)[0]
threads = [threading.Thread(target=submit, args=(i,)) for i in range(30)]
[t.start() for t in threads]; [t.join() for t in threads]
print(f"30 parallel submissions with their own keys: {codes.count(201)} x 201, others {sorted(c for c in codes if c != 201)} (target: 30 x 201)")

# 3. The database killed under load, then started again.
db_pid_file = os.environ["DRILL_DB_PID_FILE"]
def db_pid(): return int(open(db_pid_file).read().strip())
stop = threading.Event(); answers = []; lock = threading.Lock()
def load():
    deadline = time.monotonic() + 60
    n = 0
    while not stop.is_set() and time.monotonic() < deadline and n < 5000:
        s, ms, _, h = request("GET", "/api/me", headers={"Authorization": f"Bearer {staff}"}, timeout=20)
        with lock: answers.append((time.monotonic(), s, ms, h.get("Retry-After")))
        n += 1
workers = [threading.Thread(target=load) for _ in range(4)]
[w.start() for w in workers]
time.sleep(2)
killed_at = time.monotonic(); os.kill(db_pid(), signal.SIGKILL)
time.sleep(4)
restart_at = time.monotonic()
subprocess.run(["bash", os.environ["DRILL_DB_SCRIPT"], "start", "dev"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
restarted = time.monotonic()
recovered = None
while time.monotonic() - restarted < 30:
    with lock:
        ok = [a for a in answers if a[0] > restarted and a[1] == 200]
    if ok: recovered = ok[0][0]; break
    time.sleep(0.1)
stop.set(); [w.join() for w in workers]
after_kill = [a for a in answers if a[0] >= killed_at]
first503 = next((a for a in after_kill if a[1] == 503), None)
other5xx = sum(1 for a in after_kill if a[1] >= 500 and a[1] != 503)
with_retry = sum(1 for a in after_kill if a[1] == 503 and a[3])
n503 = sum(1 for a in after_kill if a[1] == 503)
print(f"database killed under load: first 503 after {((first503[0] - killed_at) * 1000 if first503 else float('nan')):.0f} ms (target < 2000); "
      f"{n503} x 503 ({with_retry} with Retry-After), {other5xx} other 5xx; "
      f"recovered {((recovered - restarted) * 1000 if recovered else float('nan')):.0f} ms after the database was back, without a restart")
slow503 = max((a[2] for a in after_kill if a[1] == 503), default=float('nan'))
print(f"database killed: slowest 503 answer {slow503:.0f} ms")

# 4. The database frozen (SIGSTOP) for 6 s.
time.sleep(1)
pid = db_pid(); answers.clear(); stop.clear()
workers = [threading.Thread(target=load) for _ in range(4)]
[w.start() for w in workers]
time.sleep(1)
frozen_at = time.monotonic(); os.kill(pid, signal.SIGSTOP)
time.sleep(6)
os.kill(pid, signal.SIGCONT); thawed = time.monotonic()
time.sleep(3)
stop.set(); [w.join() for w in workers]
during = [a for a in answers if frozen_at <= a[0] - a[2] / 1000 <= thawed]
longest = max((a[2] for a in during), default=float('nan'))
statuses = {}
for a in during: statuses[a[1]] = statuses.get(a[1], 0) + 1
print(f"database frozen 6 s: longest answer {longest:.0f} ms; answers by status {dict(sorted(statuses.items()))}")

# 7. 150 bogus logins in a burst; the code2Session calls are counted at the sandbox (its GET /_sandbox/state).
def code2session_calls():
    with urllib.request.urlopen(os.environ["DRILL_SANDBOX"] + "/_sandbox/state", timeout=30) as r:
        return json.loads(r.read())["calls"].get("sns/jscode2session", 0)
calls_before = code2session_calls()
statuses = []
logins = int(os.environ["DRILL_LOGINS"])
for i in range(logins):
    statuses.append(post_json("/api/auth/login", {"code": f"bogus-{i}"})[0])
calls = code2session_calls() - calls_before
print(f"{logins} bogus logins in a burst: {statuses.count(429)} x 429, {statuses.count(400)} x 400; code2Session calls counted at the sandbox: {calls}")
PY

# --- 6. kill -9 of the dispatcher with 600 rows -------------------------------------------------------------------------
# Instance A dispatches against a WeChat that accepts connections and never answers, so its claimed rows stay 'sending';
# it is killed with SIGKILL; instance B (dispatching, its own sandbox) must take them over.
python3 - "$blackhole_port" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(64)
held = []; end = time.time() + 300
s.settimeout(1)
while time.time() < end:
    try: held.append(s.accept()[0])
    except socket.timeout: pass
PY
pids+=($!)
stop_service "$service_pid"
# The branch the rows belong to (the driver above made it, unless DRILL_ONLY skipped the driver).
sql "INSERT INTO cities (name, created_at) VALUES ('演练市', NOW(6)) ON DUPLICATE KEY UPDATE name = name;
     INSERT INTO party_branches (city_id, name, created_at, updated_at)
     SELECT id, '演练支部', NOW(6), NOW(6) FROM cities WHERE name = '演练市'
       AND NOT EXISTS (SELECT 1 FROM party_branches WHERE name = '演练支部');"
sql "INSERT INTO members (branch_id, name, title, task_force_role, phone, oa_openid, oa_following, created_at, updated_at)
     SELECT id, '演练成员', '演练', 'member', '13900000000', 'oDRILLMEMBER', 1, NOW(6), NOW(6) FROM party_branches WHERE name = '演练支部' LIMIT 1;
     SET @m = LAST_INSERT_ID();
     INSERT INTO notification_outbox (kind, recipient_type, recipient_id, payload, next_attempt_at, created_at)
     SELECT 'demand_urged', 'member', @m, '{\"demandId\":1,\"number\":\"D-1\",\"title\":\"演练\",\"enterpriseName\":\"演练企业\",\"dueDate\":\"2026-12-31\"}', NOW(6), NOW(6)
     FROM (SELECT 1 FROM information_schema.columns LIMIT $drill_rows) x;"
rows=$(sql "SELECT COUNT(*) FROM notification_outbox WHERE status = 'pending'")
# Instance A: WeChat answers nothing (the black hole holds every connection), so what A claims stays 'sending'.
# Its HTTP client waits 30 s per call (the lease is long enough for that, as the settings check demands), so only
# the heartbeat can free its rows.
start_service "$port" "$work_dir/a.log" Notifications__Dispatcher__Enabled=true Notifications__Dispatcher__Interval=00:00:01 \
  Sandbox__Enabled=false Wechat__ApiBaseUrl=http://127.0.0.1:$blackhole_port/ Wechat__Timeout=00:00:30 Notifications__Dispatcher__Lease=00:30:00
pid_a=$started
claimed_by_a=0
for _ in $(seq 1 150); do
  claimed_by_a=$(sql "SELECT COUNT(*) FROM notification_outbox WHERE status = 'sending'")
  (( claimed_by_a > 0 )) && break
  sleep 0.2
done
kill -9 "$pid_a"
killed=$(date +%s.%N)
claimed_by_a=$(sql "SELECT COUNT(*) FROM notification_outbox WHERE status = 'sending'")
# Instance B: a dispatcher with its own sandbox; A's claims are taken over once A's heartbeat is older than 30 s.
start_service "$port2" "$work_dir/b.log" Notifications__Dispatcher__Enabled=true Notifications__Dispatcher__Interval=00:00:01
pid_b=$started
taken=""
for _ in $(seq 1 240); do
  left=$(sql "SELECT COUNT(*) FROM notification_outbox WHERE status IN ('pending', 'sending')")
  if (( left == 0 )); then taken=$(date +%s.%N); break; fi
  sleep 0.5
done
lost=$(sql "SELECT COUNT(*) FROM notification_outbox WHERE status IN ('pending', 'sending')")
by_status=$(sql "SELECT GROUP_CONCAT(CONCAT(status, ' ', n) ORDER BY status SEPARATOR ', ') FROM (SELECT status, COUNT(*) n FROM notification_outbox GROUP BY status) s")
# Duplicates: a row WeChat was asked to deliver more than once (the sandbox records every delivery it made).
dup=$(curl -fsS --connect-timeout 1 -m 5 "$sandbox_url/_sandbox/deliveries?take=1000" | python3 -c '
import json, sys, collections
d = json.load(sys.stdin); ids = collections.Counter(x.get("clientMsgId") for x in d if x.get("clientMsgId"))
print(sum(n - 1 for n in ids.values()))' 2>/dev/null || echo "?")
if [[ -n $taken ]]; then secs=$(python3 -c "print(f'{$taken - $killed:.1f}')"); else secs="not within 120 s"; fi
echo "kill -9 of the dispatcher with $rows rows ($claimed_by_a claimed by it): $lost lost, $dup delivered twice; all settled by a second instance $secs s after the kill (target < 60 s); rows by status: $by_status"
stop_service "$pid_b"
echo "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)"
