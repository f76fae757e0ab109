#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with Node 20 (run as root):
# nats-server from Debian when it is missing, then the locked npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nats-server >/dev/null 2>&1; then
  echo "[install] nats-server missing: installing it from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
fi
echo "[install] $(nats-server --version)"
# Reinstall only when the lockfile changed since the last install.
stamp=node_modules/.install-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
