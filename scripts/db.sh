#!/usr/bin/env bash
# Manages private MariaDB instances that live inside this checkout, under .data/.
#
# Usage: scripts/db.sh start|stop|status|url [dev|test]      (default instance: dev)
#
#   start   install MariaDB if needed (as root, with apt-get), initialise the data folder on first
#           use, start the server (or reuse the one already running) and make sure the `ecoaid`
#           user (and for dev, the `ecoaid` database) exist. Idempotent.
#   stop    stop the server of this instance (only the process named in its own PID file).
#   status  print whether the instance runs; exit 0 if it does, 3 if it does not.
#   url     print the ADO.NET connection string of the instance.
#
# Instances:
#   dev   port 3407 (ECOAID_DB_PORT),      folder .data/mariadb-dev,  database `ecoaid`
#   test  port 3408 (ECOAID_TEST_DB_PORT), folder .data/mariadb-test, no database (tests make their own)
#
# Everything the server writes (data, socket, PID file, logs) stays in the instance folder.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)

readonly db_user=ecoaid
readonly db_password=ecoaid-dev
readonly db_name=ecoaid
readonly start_timeout_s=30
readonly stop_timeout_s=60

usage() {
  echo "usage: scripts/db.sh start|stop|status|url [dev|test]" >&2
  exit 2
}

[[ $# -ge 1 && $# -le 2 ]] || usage
action=$1
instance=${2:-dev}

case $instance in
  dev) port=${ECOAID_DB_PORT:-3407} ;;
  test) port=${ECOAID_TEST_DB_PORT:-3408} ;;
  *) usage ;;
esac
[[ $port =~ ^[0-9]+$ ]] || { echo "db.sh: port '$port' is not a number" >&2; exit 2; }

inst_dir=$repo_root/.data/mariadb-$instance
datadir=$inst_dir/db              # the server's --datadir
pid_file=$inst_dir/mariadbd.pid
error_log=$inst_dir/mariadbd.err
initialised_marker=$inst_dir/.initialised

# A Unix socket path must fit in 108 bytes. In a deeply nested checkout fall back to a
# per-checkout name in the temp folder rather than fail with a confusing bind error.
socket=$inst_dir/mariadbd.sock
if (( ${#socket} > 100 )); then
  socket=${TMPDIR:-/tmp}/ecoaid-mariadb-$(printf '%s' "$inst_dir" | cksum | cut -d' ' -f1).sock
fi

# mariadb-install-db creates root@localhost (and an account named after --user) that log in
# through the socket as the matching OS user, so the admin connection needs no password.
os_user=$(id -un)

# /usr/sbin is not on every user's PATH, but that is where Debian puts mariadbd.
PATH=$PATH:/usr/sbin:/usr/local/sbin

say() { echo "db.sh [$instance]: $*"; }
fail() { echo "db.sh [$instance]: $*" >&2; exit 1; }

# Clients get --no-defaults: the system's config would send them to /run/mysqld/mysqld.sock.
admin_sql() {
  mariadb --no-defaults --socket="$socket" --user="$os_user" --batch --skip-column-names "$@"
}

ping_server() {
  mariadb-admin --no-defaults --socket="$socket" --user="$os_user" --connect-timeout=2 ping \
    >/dev/null 2>&1
}

# True while PID is a live (not zombie) process. PID 1 of a container may never reap the
# server once it has exited, so a zombie counts as gone.
is_alive() {
  local state
  [[ -r /proc/$1/stat ]] || return 1
  state=$(sed -E 's/^.*\) (.).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
  [[ -n $state && $state != Z ]]
}

# Prints the PID from our PID file if it is a live mariadbd serving *this* data folder.
# Anything else (no file, stale PID, PID reused by another program) prints nothing, returns 1.
owned_pid() {
  local pid
  [[ -f $pid_file ]] || return 1
  pid=$(tr -dc '0-9' <"$pid_file")
  [[ -n $pid ]] || return 1
  is_alive "$pid" || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == mariadbd ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -Fxq -- "--datadir=$datadir" || return 1
  echo "$pid"
}

connection_string() {
  local cs="Server=127.0.0.1;Port=$port;User ID=$db_user;Password=$db_password;"
  if [[ $instance == dev ]]; then cs+="Database=$db_name;"; fi
  echo "$cs"
}

# Serialise start/stop of one instance (two test runs starting at once, say).
take_lock() {
  mkdir -p "$inst_dir"
  exec 9>"$inst_dir/lock"
  flock 9
}

ensure_mariadb_installed() {
  local tool missing=0
  for tool in mariadbd mariadb-install-db mariadb mariadb-admin; do
    command -v "$tool" >/dev/null 2>&1 || missing=1
  done
  (( missing )) || return 0

  if [[ $(id -u) -ne 0 ]]; then
    echo "db.sh: MariaDB is not installed. Install it, then run this again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y mariadb-server mariadb-client" >&2
    exit 1
  fi

  local apt_log=$repo_root/.data/apt-install.log
  mkdir -p "$repo_root/.data"
  say "installing mariadb-server and mariadb-client with apt-get (log: .data/apt-install.log)"
  if ! { apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-server mariadb-client; } \
      >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    fail "apt-get could not install MariaDB"
  fi
  command -v mariadbd >/dev/null 2>&1 || fail "mariadbd still not found after installing"
}

initialise_datadir() {
  [[ -f $initialised_marker ]] && return 0
  # A data folder without the marker is left over from an interrupted first start: redo it.
  rm -rf -- "$datadir"
  mkdir -p "$datadir"
  say "initialising ${datadir#"$repo_root"/}"
  if ! mariadb-install-db --no-defaults --user="$os_user" --datadir="$datadir" \
      --auth-root-authentication-method=socket --skip-test-db \
      >"$inst_dir/install-db.log" 2>&1; then
    tail -n 20 "$inst_dir/install-db.log" >&2
    fail "mariadb-install-db failed (log: $inst_dir/install-db.log)"
  fi
  touch "$initialised_marker"
}

launch_server() {
  local user_opt=()
  # As root, mariadbd refuses to start without being told explicitly to stay root.
  if [[ $(id -u) -eq 0 ]]; then user_opt=(--user=root); fi

  rm -f -- "$pid_file"
  # setsid detaches the server from this terminal, so Ctrl-C on `scripts/run.sh` stops the
  # API but not the database. fd 9 (our lock) must not be inherited, or the lock lives on.
  # max_connections: one service instance may hold 164 (its two pools, see README), the notification benchmark runs
  # two, and the scripts' own mysql clients need room beside them; the default of 151 is not enough.
  setsid mariadbd --no-defaults "${user_opt[@]}" \
    --datadir="$datadir" \
    --socket="$socket" \
    --pid-file="$pid_file" \
    --log-error="$error_log" \
    --port="$port" \
    --bind-address=127.0.0.1 \
    --character-set-server=utf8mb4 \
    --collation-server=utf8mb4_unicode_ci \
    --skip-log-bin \
    --skip-name-resolve \
    --performance-schema=OFF \
    --max-connections=400 \
    --sql-mode=STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_AUTO_CREATE_USER,NO_ENGINE_SUBSTITUTION \
    </dev/null >>"$inst_dir/mariadbd.out" 2>&1 9>&- &
  local launched=$!

  local deadline=$((SECONDS + start_timeout_s))
  until ping_server; do
    if ! is_alive "$launched" && ! owned_pid >/dev/null; then
      tail -n 20 "$error_log" >&2 2>/dev/null || true
      fail "mariadbd exited during start-up (log: $error_log)"
    fi
    if (( SECONDS >= deadline )); then
      tail -n 20 "$error_log" >&2 2>/dev/null || true
      fail "mariadbd did not answer within ${start_timeout_s}s (log: $error_log)"
    fi
    sleep 0.2
  done
}

# Wait for a server that is already running (another start may have just launched it).
wait_for_ping() {
  local deadline=$((SECONDS + start_timeout_s))
  until ping_server; do
    (( SECONDS < deadline )) || fail "mariadbd (pid $1) runs but does not answer (log: $error_log)"
    sleep 0.2
  done
}

provision() {
  # CREATE ... IF NOT EXISTS keeps this idempotent; ALTER USER resets the password in case it
  # was changed by hand. ALL ON *.* because the tests create and drop a database per class.
  local sql="" host
  for host in 127.0.0.1 localhost; do
    sql+="CREATE USER IF NOT EXISTS '$db_user'@'$host' IDENTIFIED BY '$db_password';"
    sql+="ALTER USER '$db_user'@'$host' IDENTIFIED BY '$db_password';"
    sql+="GRANT ALL PRIVILEGES ON *.* TO '$db_user'@'$host' WITH GRANT OPTION;"
  done
  if [[ $instance == dev ]]; then
    sql+="CREATE DATABASE IF NOT EXISTS \`$db_name\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  fi
  admin_sql -e "$sql" || fail "could not create the $db_user user / database"

  local sql_mode
  sql_mode=$(admin_sql -e 'SELECT @@GLOBAL.sql_mode')
  [[ ,$sql_mode, == *,STRICT_TRANS_TABLES,* ]] \
    || fail "sql_mode is '$sql_mode', expected it to include STRICT_TRANS_TABLES"
}

do_start() {
  take_lock
  local pid
  if pid=$(owned_pid); then
    wait_for_ping "$pid"
    provision
    say "already running (pid $pid, 127.0.0.1:$port)"
    return 0
  fi
  ensure_mariadb_installed
  initialise_datadir
  launch_server
  provision
  say "started (pid $(owned_pid || echo '?'), 127.0.0.1:$port, logs in ${inst_dir#"$repo_root"/})"
}

do_stop() {
  take_lock
  local pid
  if ! pid=$(owned_pid); then
    say "not running"
    return 0
  fi
  # SIGTERM is mariadbd's clean shutdown, and needs no login.
  kill -TERM "$pid"
  local deadline=$((SECONDS + stop_timeout_s))
  while is_alive "$pid"; do
    (( SECONDS < deadline )) || fail "mariadbd (pid $pid) still running after ${stop_timeout_s}s"
    sleep 0.2
  done
  rm -f -- "$pid_file"
  say "stopped (pid $pid)"
}

do_status() {
  local pid
  if pid=$(owned_pid); then
    if ping_server; then
      say "running (pid $pid, 127.0.0.1:$port)"
    else
      say "process $pid is up but does not answer yet"
    fi
    return 0
  fi
  say "not running"
  return 3
}

case $action in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  url) connection_string ;;
  *) usage ;;
esac
