# Shared by run.sh, test.sh, client-tests.sh and the bench scripts (sourced, not run):
#   on_exit CMD            run CMD when the script ends, however it ends (last registered runs first)
#   db_use dev|test VAR    unless $VAR is set already, start that scripts/db.sh instance (reusing a running one) and
#                          export its connection string as VAR; an instance this script started is stopped on exit
#   db_stop_started        stop now what db_use started (for callers whose summary must stay the last line)
#   cs_setting CS KEY      the value of KEY in the ADO.NET connection string CS (case-insensitive key)
#   mysql_cli CS SQL       run SQL with the mariadb client against the server of CS
#   free_port              a free loopback TCP port
#   wait_ready URL PID LOG what  wait (bounded, 60 s) until URL answers; fail with LOG's tail if PID exits first
#   start_sandbox PORT CALLBACK LOG  start the built WeChat sandbox on 127.0.0.1:PORT pushing to CALLBACK, stopped on
#                          exit; returns once its page answers
# shellcheck shell=bash

lib_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
_exit_hooks=()

_run_exit_hooks() {
  local i
  for (( i = ${#_exit_hooks[@]} - 1; i >= 0; i-- )); do
    eval "${_exit_hooks[i]}" || true
  done
  _exit_hooks=()
}
trap _run_exit_hooks EXIT
# Make Ctrl-C and kill go through the EXIT trap too.
trap 'exit 130' INT
trap 'exit 143' TERM

on_exit() { _exit_hooks+=("$1"); }

_db_started=()
db_stop_started() {
  local instance
  for instance in "${_db_started[@]}"; do
    bash "$lib_dir/db.sh" stop "$instance" >/dev/null || true
  done
  _db_started=()
}

db_use() {
  local instance=$1 var=$2
  [[ -n ${!var:-} ]] && return 0
  if ! bash "$lib_dir/db.sh" status "$instance" >/dev/null 2>&1; then
    (( ${#_db_started[@]} )) || on_exit db_stop_started
    _db_started+=("$instance")
  fi
  bash "$lib_dir/db.sh" start "$instance"
  printf -v "$var" '%s' "$(bash "$lib_dir/db.sh" url "$instance")"
  export "${var?}"
}

cs_setting() {
  tr ';' '\n' <<<"$1" | awk -F= -v k="$2" 'tolower($1) == tolower(k) { sub(/^[^=]*=/, ""); print; exit }'
}

mysql_cli() {
  mariadb --no-defaults --protocol=TCP -h "$(cs_setting "$1" Server)" -P "$(cs_setting "$1" Port)" \
    -u "$(cs_setting "$1" 'User ID')" -p"$(cs_setting "$1" Password)" --batch --skip-column-names -e "$2"
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

stop_pid() {
  if [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}

wait_ready() {
  local url=$1 pid=$2 log=$3 what=$4
  for _ in $(seq 1 120); do
    curl -fsS -m 2 "$url" >/dev/null 2>&1 && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$what stopped during startup; its log:" >&2
      tail -n 40 "$log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "$what did not become ready at $url; its log:" >&2
  tail -n 40 "$log" >&2
  return 1
}

start_sandbox() {
  local port=$1 callback=$2 log=$3 pid
  ASPNETCORE_ENVIRONMENT=Development Sandbox__CallbackUrl=$callback \
    dotnet "$lib_dir/../src/EcoAid.Wechat.Sandbox/bin/Debug/net10.0/EcoAid.Wechat.Sandbox.dll" --urls "http://127.0.0.1:$port" \
    --contentRoot "$lib_dir/../src/EcoAid.Wechat.Sandbox" >"$log" 2>&1 &
  pid=$!
  on_exit "stop_pid $pid"
  wait_ready "http://127.0.0.1:$port/wechat-sandbox/" "$pid" "$log" "The WeChat sandbox"
}

# wrk for the benchmarks: installed from Debian's packages with apt-get when missing (as root); the log goes to DIR.
ensure_wrk() { # DIR
  command -v wrk >/dev/null 2>&1 && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "wrk is not installed: sudo apt-get install -y wrk" >&2
    return 1
  fi
  echo "installing wrk with apt-get (log: $1/apt-wrk.log)"
  { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y wrk; } >"$1/apt-wrk.log" 2>&1 \
    || { tail -n 20 "$1/apt-wrk.log" >&2; return 1; }
}
