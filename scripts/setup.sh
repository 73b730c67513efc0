#!/usr/bin/env bash
# Shared set-up: make sure uv is there, then install exactly what uv.lock pins.
# Sourced by serve.sh and test.sh; safe to run again (it only installs what is missing).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

export PATH="$HOME/.local/bin:$PATH"  # where an earlier run's pip --user put uv
if ! command -v uv >/dev/null 2>&1; then
  echo "setup: installing uv with pip" >&2
  python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
fi
# Never let uv fetch a Python build from the internet: use the machine's Python 3.11.
export UV_PYTHON_DOWNLOADS=never
uv sync --frozen --quiet
