#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the console's browser test (test/console), the way infra/stack.sh
# installs the stack's Debian packages: apt-get as root, once, quiet. A machine that already has it pays nothing.
# The test fails, naming this script, when the browser is still missing (never a silent skip).
# Usage: bash infra/chromium.sh    (prints the browser's path on success)
set -euo pipefail

BROWSER=${AMPSEAL_CHROMIUM:-/usr/bin/chromium}
log() { echo "[chromium] $*" >&2; }

if [[ ! -x "$BROWSER" ]]; then
  command -v apt-get >/dev/null || { log "apt-get not found: install Chromium by hand (or set AMPSEAL_CHROMIUM)"; exit 1; }
  root=(); [[ $(id -u) -eq 0 ]] || root=(sudo -n)
  log "installing Debian's chromium (apt-get, about 100 MB once)"
  # Bounded: a mirror that hangs must not hold CI for ever.
  timeout 300 "${root[@]}" apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive timeout 600 "${root[@]}" apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
[[ -x "$BROWSER" ]] || { log "$BROWSER is still missing after the install"; exit 1; }
echo "$BROWSER"
