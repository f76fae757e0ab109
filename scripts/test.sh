#!/usr/bin/env bash
# The test command (README, CI): install, typecheck, then every unit and
# integration test against real nats-server processes the harness starts.
set -euo pipefail
cd "$(dirname "$0")/.."
# The tests cover the PyTorch executor and the dashboard (in Chromium) too: install them.
NEURA_EXECUTORS=pytorch NEURA_BROWSER=chromium bash scripts/install.sh
source scripts/nodeRuntime.sh
echo "[test] typecheck"
npx tsc --noEmit -p tsconfig.json
echo "[test] vitest (unit + integration)"
report=$(mktemp)
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report"
status=$?
set -e
# One plain closing line for CI: "N passed, N failed, N skipped".
node -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
  if (r.numTotalTests === 0) { console.error("no tests ran"); process.exit(1) }
' "$report" || status=1
rm -f "$report"
exit $status
