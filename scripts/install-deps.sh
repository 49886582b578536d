#!/usr/bin/env bash
# Installs what etcd-dr's lab, drills and tests need on Debian: real etcd, OpenSSH, age, Ansible,
# docker.io (the kubespray-docker lab flavor starts its own dockerd per master; none system-wide),
# gcc (only for the opt-in Native AOT link, ETCD_DR_PUBLISH_AOT=1 scripts/publish.sh),
# Chromium (headless, opens the drill's HTML report in a test),
# Node.js, and the storage emulators s3rver and Azurite (npm, into the gitignored .tools/).
# Idempotent: does nothing when everything is present. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(gcc libc6-dev etcd-server etcd-client openssh-server openssh-client age ansible ansible-lint vagrant ruby iproute2 iptables procps time util-linux openssl chromium docker.io)
# Node.js from Debian only when none is installed (a newer one from elsewhere is fine too).
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK (dotnet) is required and is not on PATH" >&2
  exit 1
fi

# Storage emulators for the store tests, pinned: Azurite 3.36+ needs Node 21+ (Debian 12 has 18).
# Installed per checkout into .tools/ (gitignored); the tests look for them there.
repo_root=$(cd "$(dirname "$0")/.." && pwd)
npm_tools=(s3rver@3.7.1 azurite@3.35.0)
if [ ! -x "$repo_root/.tools/node_modules/.bin/s3rver" ] || [ ! -x "$repo_root/.tools/node_modules/.bin/azurite-blob" ]; then
  echo "installing into .tools/: ${npm_tools[*]}"
  mkdir -p "$repo_root/.tools"
  npm install --prefix "$repo_root/.tools" --no-audit --no-fund --loglevel=error "${npm_tools[@]}" >/dev/null
fi
