# Shared steps of scripts/up and scripts/test. Each step is idempotent and skips
# work whose inputs have not changed, so running either command again is cheap.
set -euo pipefail

HAVEN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
STATE="$HAVEN_ROOT/.state"
VENV="$HAVEN_ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$STATE"

say() { printf '\033[1m[haven]\033[0m %s\n' "$*"; }
die() { printf '\033[1;31m[haven] %s\033[0m\n' "$*" >&2; exit 1; }

# Debian packages Haven needs on the host, by the command that proves each is there.
ensure_packages() {
  local wanted=("$@") missing=() cmd pkg
  for pair in "${wanted[@]}"; do
    cmd="${pair%%:*}"; pkg="${pair#*:}"
    if ! command -v "$cmd" >/dev/null 2>&1 && ! [ -e "$cmd" ]; then missing+=("$pkg"); fi
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "run as root to install: ${missing[*]}"
    say "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    # With recommends: docker.io's and chromium's recommended packages (cgroup helpers,
    # fonts) are what the verified installs had.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_host_packages() {
  # systemd-analyze and nft: the deployment's static tier (tests/unit/deploy) verifies the
  # rendered units and firewall rules with the tools the deployed host runs them with.
  ensure_packages /usr/sbin/dockerd:docker.io /usr/bin/docker:docker.io debootstrap:debootstrap \
    iptables:iptables ip:iproute2 node:nodejs npm:npm git:git \
    /usr/share/doc/python3-venv:python3-venv /etc/ssl/certs/ca-certificates.crt:ca-certificates \
    /usr/bin/systemd-analyze:systemd /usr/sbin/nft:nftables
}

docker_up() { /usr/bin/docker info >/dev/null 2>&1; }

ensure_dockerd() {
  if docker_up; then return; fi
  say "starting dockerd (log: /var/log/haven-dockerd.log)"
  setsid /usr/sbin/dockerd >/var/log/haven-dockerd.log 2>&1 < /dev/null &
  for _ in $(seq 1 60); do docker_up && return; sleep 1; done
  die "dockerd did not start; see /var/log/haven-dockerd.log"
}

# The hub's Python environment, reinstalled only when pyproject.toml or the lock change.
# With "test", also the test tools and the analyst library (tested on the host too).
ensure_venv() {
  local extras="${1:-}" stamp_file="$STATE/venv.stamp" stamp
  stamp="$(cat "$HAVEN_ROOT/pyproject.toml" "$HAVEN_ROOT/requirements.lock" \
    "$HAVEN_ROOT/extensions/haven-py/pyproject.toml" | sha256sum | cut -c1-16)-$extras"
  if [ -x "$PY" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then return; fi
  say "installing Haven's Python environment in .venv${extras:+ (with $extras)}"
  [ -x "$PY" ] || /usr/bin/python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -c "$HAVEN_ROOT/requirements.lock" \
    -e "$HAVEN_ROOT${extras:+[$extras]}"
  if [ "$extras" = test ]; then
    "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps -e "$HAVEN_ROOT/extensions/haven-py"
  fi
  echo "$stamp" > "$stamp_file"
}

# Node.js as the project pins it (scripts/node/package-lock.json: the npm registry's official
# builds, integrity-checked), not whatever the host has: Debian 12 ships Node 18 and the front
# end needs 20. The host's npm only bootstraps it; every later node and npm call (the proxy,
# the front-end build) runs on the pinned one, first on PATH.
NODE_DIR="$HAVEN_ROOT/scripts/node"
ensure_node() {
  local stamp_file="$STATE/node.stamp" stamp
  stamp="$(sha256sum "$NODE_DIR/package-lock.json" | cut -c1-16)"
  if ! [ -x "$NODE_DIR/node_modules/.bin/node" ] || [ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]; then
    say "installing the pinned Node.js from scripts/node/package-lock.json"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) \
      || die "could not install the pinned Node.js (scripts/node)"
    echo "$stamp" > "$stamp_file"
  fi
  case ":$PATH:" in *":$NODE_DIR/node_modules/.bin:"*) ;; *) export PATH="$NODE_DIR/node_modules/.bin:$PATH" ;; esac
  [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "node on PATH is not Node.js 20 or later"
}

ensure_proxy() {
  local dir="$HAVEN_ROOT/hub/proxy" stamp_file="$STATE/proxy.stamp" stamp
  ensure_node
  stamp="$(sha256sum "$dir/package-lock.json" | cut -c1-16)"
  if [ -x "$dir/node_modules/.bin/configurable-http-proxy" ] && [ "$(cat "$stamp_file" 2>/dev/null)" = "$stamp" ]; then return; fi
  say "installing configurable-http-proxy from package-lock.json"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  echo "$stamp" > "$stamp_file"
}

# The settings file, found as every haven command finds it (docs/settings.md): one resolver.
settings_file() {
  "$PY" -c 'import sys
from haven_hub.settings import SettingsError, locate_settings
try:
    print(locate_settings().resolve())
except SettingsError as error:
    sys.exit(str(error))'
}

ensure_images() {
  ensure_node
  "$PY" "$HAVEN_ROOT/images/build.py" --settings "$1"
}

