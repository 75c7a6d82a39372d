#!/usr/bin/env bash
# Benchmark of the notification dispatcher — a measurement, not a test (scripts/test.sh does not run it).
#
# Queues 10,000 Official Account notifications and drains them through the real dispatcher and the real WeChat client
# to the sandbox on loopback, with one and with two service instances on one database; beside each, a bare loop that
# claims the same rows with the same SQL and posts to the same sandbox endpoint. Prints messages per second, lost and
# duplicated messages (both must be 0) and the service's share of the bare loop's rate (target: at least 70 %).
# Exits non-zero when a message was lost or duplicated or the target was missed.
#
# Needs a MariaDB: unless ECOAID_BENCH_MYSQL is set (a login allowed to create and drop databases), it starts the
# `test` instance of scripts/db.sh and stops it again at the end (only if it started it). The benchmark works in a
# database of its own and drops it. Extra arguments go to the program: --count N (at most 10000), --repeat N (runs of
# each pairing, 3; the ratio uses the medians), --timeout SECONDS (600).
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"

source "$script_dir/lib.sh"
db_use test ECOAID_BENCH_MYSQL

project=bench/EcoAid.Bench.Notifications
dotnet build "$project" -c Release --nologo -v quiet -clp:NoSummary
# Bounded: the program gives up after --timeout (600 s by default); this is the backstop.
timeout 900 dotnet "$project/bin/Release/net10.0/EcoAid.Bench.Notifications.dll" --server "$ECOAID_BENCH_MYSQL" "$@"
