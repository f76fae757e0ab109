#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine with Node 20 (run as root):
# a current nats-server (>= 2.10.27) and the Fashion-MNIST data, project-local under .tools/, then the locked npm
# dependencies, among them the Node (24 LTS) every project process runs on (scripts/nodeRuntime.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

# nats-server >= 2.10: `sync_interval: always` (an audit log must not lose acknowledged events on
# power loss) and `+TERM` reasons. Debian bookworm ships 2.9.10; trixie's 2.10.27 package runs on
# bookworm.
NATS_BIN=.tools/nats-server/usr/sbin/nats-server
FASHION_DIR=.tools/fashion-mnist/usr/share/datasets/fashion-mnist
version_ok() { "$1" --version 2>/dev/null | grep -Eq 'v(2\.(1[0-9]|[2-9][0-9])|[3-9])\.'; }
# Debian packages fetched with apt from a trixie source used for these downloads only (nothing is
# installed system-wide) and unpacked under .tools/: nats-server, and Fashion-MNIST (MIT; the
# fashion-cnn workload's data, package dataset-fashion-mnist, 31 MB).
need=()
version_ok "$NATS_BIN" || need+=(nats-server)
[ -f "$FASHION_DIR/t10k-images-idx3-ubyte.gz" ] || need+=(dataset-fashion-mnist)
if [ ${#need[@]} -gt 0 ]; then
  echo "[install] fetching ${need[*]} (Debian trixie packages) into .tools/"
  apt_dir=$(mktemp -d)
  mkdir -p "$apt_dir/etc" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" .tools
  cat > "$apt_dir/etc/trixie.sources" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt_opts=(-o Dir::Etc::SourceList=/dev/null -o "Dir::Etc::SourceParts=$apt_dir/etc" -o "Dir::State::Lists=$apt_dir/lists"
            -o "Dir::Cache=$apt_dir/cache" -o APT::Get::List-Cleanup=0 -o APT::Sandbox::User=root)
  apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_dir" && apt-get "${apt_opts[@]}" download -qq "${need[@]}")
  for pkg in "${need[@]}"; do
    dest=.tools/${pkg#dataset-}
    rm -rf "$dest"
    dpkg -x "$apt_dir/${pkg}"_*.deb "$dest"
  done
  rm -rf "$apt_dir"
fi
[ -f "$FASHION_DIR/t10k-images-idx3-ubyte.gz" ] || { echo "[install] could not provide Fashion-MNIST in $FASHION_DIR" >&2; exit 1; }
version_ok "$NATS_BIN" || { echo "[install] could not provide nats-server >= 2.10 in $NATS_BIN" >&2; exit 1; }
echo "[install] $("$NATS_BIN" --version) ($NATS_BIN)"

# espeak-ng (Debian bookworm, GPL-3.0-or-later) synthesises the spoken-digits workload's speech
# offline (workloads/spoken-digits/recipe.ts); installed system-wide because it loads its voice data
# from /usr/lib/*/espeak-ng-data.
if ! command -v espeak-ng >/dev/null 2>&1; then
  echo "[install] installing espeak-ng (Debian package)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends espeak-ng >/dev/null; }
fi
command -v espeak-ng >/dev/null 2>&1 || { echo "[install] could not install espeak-ng" >&2; exit 1; }

# The PyTorch executor (infra/ml/pytorch/worker.py) needs Debian bookworm's python3-torch 1.13 and
# python3-onnx (for /usr/bin/python3): installed when NEURA_EXECUTORS names pytorch (the test command
# and CI set it; about 180 packages, 100 s here).
if [[ ",${NEURA_EXECUTORS:-}," == *",pytorch,"* ]] && ! /usr/bin/python3 -c "import torch, onnx" >/dev/null 2>&1; then
  echo "[install] installing python3-torch and python3-onnx (Debian packages) for the PyTorch executor"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends python3-torch python3-onnx >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends python3-torch python3-onnx >/dev/null; }
  /usr/bin/python3 -c "import torch, onnx" || { echo "[install] could not provide python3-torch and python3-onnx" >&2; exit 1; }
fi

# The dashboard's test drives a real headless Chromium (Debian's package, through playwright-core):
# installed when NEURA_BROWSER=chromium (the test command and CI set it; about 100 packages).
if [ "${NEURA_BROWSER:-}" = "chromium" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "[install] installing chromium (Debian package) for the dashboard test"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
  command -v chromium >/dev/null 2>&1 || { echo "[install] could not install chromium" >&2; exit 1; }
fi

# Reinstall only when the lockfile changed since the last install.
stamp=node_modules/.install-stamp
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  # onnxruntime-node ships its linux binaries; its install script would try to download (offline here).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
