#!/usr/bin/env bash
# The whole test suite from a fresh clone: install dependencies, build, typecheck, lint, test.
# Ends with the plain line `N passed, N failed`.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  echo "installing pnpm 10.34.9 with npm"
  npm i -g pnpm@10.34.9
fi
pnpm install --frozen-lockfile --reporter=silent
pnpm run build
pnpm run typecheck
pnpm run lint
node scripts/check-workspace.mjs
node scripts/run-tests.mjs "$@"
