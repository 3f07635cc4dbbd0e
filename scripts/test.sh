#!/usr/bin/env bash
# Runs the whole test suite: build, typecheck, lint, dependency rules, then every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec npm test
