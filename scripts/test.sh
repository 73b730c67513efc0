#!/usr/bin/env bash
# Install everything (Python packages, the spaCy model, Debian's Chromium), then run the
# whole test suite: lint, unit, integration and browser tests.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"

if ! command -v chromium >/dev/null 2>&1; then
  echo "setup: installing Debian's chromium for the browser tests" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "setup: installing espeak-ng for the audio tests (it speaks the test questions)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq espeak-ng >/dev/null
fi

if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  echo "setup: installing Debian's nginx for the scale-out tests (run as this user, not a service)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nginx >/dev/null
fi

if ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: installing redis-server for the scale-out tests (they start their own)" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server >/dev/null
fi

uv run --frozen ruff check chatbot tests
uv run --frozen pytest "$@"
