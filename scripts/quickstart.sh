#!/usr/bin/env bash
# Set everything up on a fresh machine and start a local 3-node FlexPaxos cluster:
# pnpm (if missing), nats-server (if missing: apt-get when root), dependencies, build, then
# `pnpm start` (nats-server + 3 nodes, data in .flexpaxos/, kept across restarts).
# It keeps running until Ctrl-C. Extra arguments go to `pnpm start`
# (for example: bash scripts/quickstart.sh --nodes 5 --replication 2).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pnpm >/dev/null 2>&1; then
  echo "installing pnpm 10.34.9 with npm"
  npm i -g pnpm@10.34.9
fi
if [ -z "${NATS_SERVER:-}" ] && ! command -v nats-server >/dev/null 2>&1 \
  && [ ! -x /usr/sbin/nats-server ] && [ ! -x /usr/local/bin/nats-server ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing nats-server with apt-get"
    apt-get update -qq && apt-get install -y -qq nats-server
  else
    echo "nats-server is not installed: run \`sudo apt-get install -y nats-server\`" >&2
    echo "(or set NATS_SERVER=/path/to/nats-server), then run this script again" >&2
    exit 1
  fi
fi
pnpm install --frozen-lockfile
pnpm run build
exec pnpm start "$@"
