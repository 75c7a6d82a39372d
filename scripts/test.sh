#!/usr/bin/env bash
# THE test command (the README and CI call it): builds the solution, runs every test suite and
# prints, as its very last line, "N passed, N failed, N skipped" summed over all of them.
#
# Needs a MariaDB for the integration tests: unless ECOAID_TEST_MYSQL is set already, it starts
# the `test` instance of scripts/db.sh and stops it again at the end (only if it started it).
# Exits non-zero if the build fails, a test run fails, any test fails, or nothing passed.
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)
cd "$repo_root"

# --- database ------------------------------------------------------------------------------

source "$script_dir/lib.sh"
# An instance someone already runs is reused and left running; one started here is stopped at the end.
db_use test ECOAID_TEST_MYSQL

# --- fonts ---------------------------------------------------------------------------------

# The report charts need a CJK font; the chart tests fail with a message naming fonts-noto-cjk without one.
bash "$script_dir/fonts.sh" || echo "test.sh: continuing without a CJK font; the chart tests will fail" >&2

# --- .NET ----------------------------------------------------------------------------------

problems=()      # reasons to fail, printed just before the summary line

# The console's browser tests: Chromium, chromedriver and CJK fonts (apt-get when missing), axe-core (npm ci).
if ! bash "$script_dir/browser-deps.sh"; then
  problems+=("the browser tests' dependencies could not be installed (scripts/browser-deps.sh)")
fi

if ! dotnet build EcoAid.Wechat.sln; then
  echo "test.sh: dotnet build failed" >&2
  exit 1
fi

mkdir -p TestResults
results_dir=$(mktemp -d "TestResults/run-$(date +%Y%m%d-%H%M%S)-XXXX")

# A failing test makes dotnet test exit non-zero: keep going to report the counts.
dotnet_status=0
dotnet test EcoAid.Wechat.sln --no-build --logger trx --results-directory "$results_dir" 2>&1 \
  | tee "$results_dir/dotnet-test.log" || dotnet_status=$?
(( dotnet_status == 0 )) || problems+=("dotnet test exited with status $dotnet_status")
# Each test project writes its own TRX named after the time; should two ever clash, the counts
# of one would be lost silently, so refuse to report them.
if grep -q 'Overwriting results file' "$results_dir/dotnet-test.log"; then
  problems+=("a TRX file was overwritten: the counts are incomplete")
fi

# Sum the <Counters .../> of every TRX file. The attributes are read by name (their order is not
# guaranteed), and the tag may span lines: splitting records at "<" handles both.
# Skipped: xunit v3 gives a skipped test the outcome NotExecuted, yet the VSTest TRX logger leaves
# Counters' notExecuted at 0 and only counts it in total and not in executed; so per file take
# total - executed (or notExecuted, should a logger fill that in). error/timeout/aborted = failed.
mapfile -t trx_files < <(find "$results_dir" -name '*.trx' -type f | sort)
dotnet_passed=0 dotnet_failed=0 dotnet_skipped=0
if (( ${#trx_files[@]} == 0 )); then
  problems+=("dotnet test produced no TRX file in $results_dir")
else
  read -r trx_counted dotnet_passed dotnet_failed dotnet_skipped < <(awk '
    BEGIN { RS = "<" }
    /^Counters[[:space:]]/ {
      rest = $0
      split("", c)
      while (match(rest, /[A-Za-z]+="[0-9]+"/)) {
        pair = substr(rest, RSTART, RLENGTH)
        rest = substr(rest, RSTART + RLENGTH)
        split(pair, kv, "=")
        gsub(/"/, "", kv[2])
        c[kv[1]] = kv[2] + 0
      }
      passed += c["passed"]
      failed += c["failed"] + c["error"] + c["timeout"] + c["aborted"]
      not_run = c["total"] - c["executed"]
      skipped += (c["notExecuted"] > not_run ? c["notExecuted"] : not_run)
      counted++
    }
    END { printf "%d %d %d %d\n", counted, passed, failed, skipped }' "${trx_files[@]}")
  if (( trx_counted != ${#trx_files[@]} )); then
    problems+=("only $trx_counted of ${#trx_files[@]} TRX files had counters")
  fi
fi

# --- JavaScript client (miniprogram-api-docs/client) ----------------------------------------
# The client's Node tests run against the real service on the test database (scripts/client-tests.sh
# starts it), and their counts are added to the summary. The client has no npm dependencies.

# Value of a "# KEY N" summary line of a TAP file (0 if absent).
tap_count() {
  awk -v key="$2" '$1 == "#" && $2 == key && $3 ~ /^[0-9]+$/ { n = $3 } END { print n + 0 }' "$1"
}

node_passed=0 node_failed=0 node_skipped=0
client_dir=miniprogram-api-docs/client
if [[ -f $client_dir/package.json ]]; then
  if ! command -v node >/dev/null 2>&1; then
    problems+=("node is not installed, but $client_dir has tests")
  else
    tap_file=$results_dir/node-test.tap
    node_status=0
    # TAP ends with "# pass N", "# fail N", "# cancelled N", "# skipped N", "# todo N".
    bash "$script_dir/client-tests.sh" "$tap_file" || node_status=$?
    (( node_status == 0 )) || problems+=("node --test exited with status $node_status")
    if grep -Eq '^# pass [0-9]+' "$tap_file"; then
      node_passed=$(tap_count "$tap_file" pass)
      node_failed=$(( $(tap_count "$tap_file" fail) + $(tap_count "$tap_file" cancelled) ))
      node_skipped=$(( $(tap_count "$tap_file" skipped) + $(tap_count "$tap_file" todo) ))
    else
      problems+=("node --test printed no summary (see $tap_file)")
    fi
  fi
fi

# --- a TypeScript client generated from the OpenAPI document type-checks -----------------
# Counted as one test: npm ci, openapi-typescript over miniprogram-api-docs/openapi.json, tsc --noEmit with usage.ts.
ts_passed=0 ts_failed=0
if ! command -v npm >/dev/null 2>&1; then
  problems+=("npm is not installed, so the generated TypeScript client cannot be type-checked")
  ts_failed=1
elif bash "$script_dir/typescript-client.sh" >"$results_dir/typescript-client.log" 2>&1; then
  ts_passed=1
else
  ts_failed=1
  problems+=("the TypeScript client generated from openapi.json does not type-check (see $results_dir/typescript-client.log)")
fi

# --- the production build carries no sandbox -----------------------------------------------
# The sandbox is a development tool in a program of its own: a publish of the API must not contain it.
publish_dir=$results_dir/publish-api
if dotnet publish src/EcoAid.Api -c Release -o "$publish_dir" --nologo -v quiet -clp:NoSummary >"$results_dir/publish.log" 2>&1; then
  if [[ ! -f $publish_dir/EcoAid.Api.dll ]]; then
    problems+=("the API publish has no EcoAid.Api.dll (see $results_dir/publish.log)")
  elif compgen -G "$publish_dir/*Sandbox*" >/dev/null || grep -q 'Sandbox' "$publish_dir/EcoAid.Api.deps.json"; then
    problems+=("the API publish contains the WeChat sandbox: $(ls "$publish_dir" | grep Sandbox | tr '\n' ' ')")
  else
    echo "- API publish: no sandbox assembly among $(ls "$publish_dir" | wc -l) files"
  fi
  rm -rf "$publish_dir"
else
  problems+=("dotnet publish of the API failed (see $results_dir/publish.log)")
fi

# --- the database is no longer needed ------------------------------------------------------
# Stopped here rather than left to the EXIT trap, so that the summary stays the last line.
db_stop_started

# --- summary -------------------------------------------------------------------------------

passed=$(( dotnet_passed + node_passed + ts_passed ))
failed=$(( dotnet_failed + node_failed + ts_failed ))
skipped=$(( dotnet_skipped + node_skipped ))

(( failed == 0 )) || problems+=("$failed test(s) failed")
(( passed > 0 )) || problems+=("no test passed")

echo
# Worded unlike the summary so that nothing reading the output mistakes them for it.
echo "- .NET tests: passed $dotnet_passed, failed $dotnet_failed, skipped $dotnet_skipped (TRX in $results_dir)"
if [[ -f $client_dir/package.json ]]; then
  echo "- JS client tests: passed $node_passed, failed $node_failed, skipped $node_skipped"
fi
echo "- generated TypeScript client type-check: passed $ts_passed, failed $ts_failed"
for problem in "${problems[@]}"; do
  echo "FAILED: $problem"
done
echo "$passed passed, $failed failed, $skipped skipped"
(( ${#problems[@]} == 0 ))
