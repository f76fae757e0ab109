#!/usr/bin/env bash
# The main job (README): install, start the dev stack (NATS with nats.conf,
# provisioning, the HTTP API) and run the demo end to end. DEMO_EXIT=1 stops
# the stack after the demo instead of serving until Ctrl-C; --cluster runs a
# 3-node JetStream cluster (R3) instead of one nats-server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
source scripts/nodeRuntime.sh
# The process hosts the API, the log's writer: its V8 flags (why: infra/nodeFlags.ts).
exec node --max-semi-space-size=64 --import tsx scripts/dev.ts "$@"
