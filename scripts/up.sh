#!/usr/bin/env bash
# Quick start: installs what is missing, then starts a single-node cluster (`skiff up`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec bin/skiff up "$@"
