#!/bin/sh
# Load benchmark (see bench/load.py). Installs wrk from Debian if it is missing.
set -eu
cd "$(dirname "$0")/.."
if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then apt-get install -y wrk; else sudo apt-get install -y wrk; fi
fi
exec .venv/bin/python bench/load.py "$@"
