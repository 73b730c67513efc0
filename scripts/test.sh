#!/usr/bin/env bash
# Install everything (Python packages, the spaCy model, Debian's Chromium), then run the
# whole test suite: lint, unit, integration and browser tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

# Debian packages the tests use, each installed only where missing, in one apt run:
# chromium (browser tests), espeak-ng (speaks the audio tests' questions), nginx and
# redis-server (scale-out tests; run as this user, not as services).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v espeak-ng >/dev/null 2>&1 || missing+=(espeak-ng)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages for the tests: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

uv run --frozen ruff check chatbot tests
uv run --frozen pytest "$@"
