#!/usr/bin/env bash
# What the console's browser tests need, installed when missing (scripts/test.sh calls this):
#   - Chromium, its driver and CJK fonts from Debian's packages (apt-get, as root): nothing is downloaded at run time,
#     the tests name /usr/bin/chromium and /usr/bin/chromedriver themselves;
#   - axe-core from the committed lockfile in tests/browser (`npm ci`).
set -euo pipefail

script_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
repo_root=$(cd -- "$script_dir/.." && pwd)

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
fc-list 2>/dev/null | grep -qi 'Noto Sans CJK' || missing+=(fonts-noto-cjk)
if (( ${#missing[@]} > 0 )); then
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "browser-deps.sh: missing ${missing[*]}. Install them, then run this again:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  mkdir -p "$repo_root/.data"
  echo "browser-deps.sh: installing ${missing[*]} with apt-get (log: .data/apt-browser.log)"
  if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"; } \
      >"$repo_root/.data/apt-browser.log" 2>&1; then
    tail -n 20 "$repo_root/.data/apt-browser.log" >&2
    echo "browser-deps.sh: apt-get could not install ${missing[*]}" >&2
    exit 1
  fi
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "browser-deps.sh: npm is needed for axe-core (tests/browser); install nodejs and npm." >&2
  exit 1
fi
lock=$repo_root/tests/browser/package-lock.json
stamp=$repo_root/tests/browser/node_modules/.installed-lock
if [[ ! -f $stamp ]] || ! cmp -s "$lock" "$stamp"; then
  (cd "$repo_root/tests/browser" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$lock" "$stamp"
fi
