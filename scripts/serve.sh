#!/usr/bin/env bash
# Install everything, then start the chat on the embedded defaults (or on .env settings).
# Arguments go to `chatbot serve`: bash scripts/serve.sh --port 8001
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
exec uv run --frozen chatbot serve "$@"
