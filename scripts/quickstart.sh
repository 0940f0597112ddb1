#!/usr/bin/env bash
# Set everything up on a fresh machine and run the main job: for now a simulated 5-node
# cluster under faults (the real local cluster arrives with the server).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  echo "installing pnpm 10.34.9 with npm"
  npm i -g pnpm@10.34.9
fi
pnpm install --frozen-lockfile
pnpm run build
pnpm sim --seeds 50 --first-seed 1 --nodes 5 --replication 2 --verbose
