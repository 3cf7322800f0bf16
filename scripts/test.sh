#!/usr/bin/env bash
# The test command: makes sure the real parts are there (MariaDB up, sshd, Chromium), then runs pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/ruff check .
exec .venv/bin/python -m pytest -q "$@"
