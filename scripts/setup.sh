#!/usr/bin/env bash
# Installs everything timesync needs on a fresh Debian 12 machine (as root, or with sudo):
# system services (MariaDB, sshd, Chromium) and the project into ./.venv.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure_services.sh

if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq python3-venv python3-pip >/dev/null
fi
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip 2>&1 | grep -v -i warning || true
.venv/bin/python -m pip install -q -e ".[dev]" 2>&1 | grep -v -i warning || true
.venv/bin/python -c "import dagster, pymysql, sshtunnel, httpx, pandas" || { echo "setup: install failed" >&2; exit 1; }
echo "setup: ready (.venv)"
