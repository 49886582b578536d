#!/usr/bin/env bash
# Installs what etcd-dr's lab, drills and tests need on Debian: real etcd, OpenSSH, age, Ansible.
# Idempotent: does nothing when everything is present. Needs root (or sudo) for apt-get.
set -euo pipefail

packages=(etcd-server etcd-client openssh-server openssh-client age ansible iproute2 iptables procps time util-linux openssl)
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
