#!/usr/bin/env bash
# Makes sure a font with Chinese glyphs is installed for the report charts (ScottPlot draws them on the server).
# The service looks for Debian's fonts-noto-cjk (NotoSansCJK-Regular.ttc) under the system's font folders at run time;
# this installs that package with apt-get when no such font is found and we run as root, else says what to install.
# Called by scripts/test.sh and scripts/run.sh.
set -euo pipefail

have_cjk_font() {
  local folder
  for folder in /usr/share/fonts /usr/local/share/fonts; do
    [[ -d $folder ]] || continue
    if find "$folder" \( -name 'NotoSansCJK-Regular.ttc' -o -name 'NotoSansCJKsc-Regular.otf' -o -name 'NotoSansSC-Regular.otf' \
        -o -name 'SourceHanSansSC-Regular.otf' -o -name 'wqy-microhei.ttc' -o -name 'wqy-zenhei.ttc' \) -print -quit | grep -q .; then
      return 0
    fi
  done
  return 1
}

if have_cjk_font; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "fonts.sh: no CJK font found; the report charts need one: sudo apt-get install -y fonts-noto-cjk" >&2
  exit 1
fi
echo "fonts.sh: installing fonts-noto-cjk with apt-get (charts in the monthly report)" >&2
log=$(mktemp)
if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends fonts-noto-cjk; } >"$log" 2>&1; then
  tail -n 20 "$log" >&2
  rm -f "$log"
  echo "fonts.sh: apt-get could not install fonts-noto-cjk" >&2
  exit 1
fi
rm -f "$log"
have_cjk_font || { echo "fonts.sh: fonts-noto-cjk installed but no CJK font file found" >&2; exit 1; }
