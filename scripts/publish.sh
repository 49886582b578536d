#!/usr/bin/env bash
# Builds the self-contained single-file etcd-dr for linux-x64: no .NET runtime needed on the
# masters. Output: out/linux-x64/etcd-dr (copy it to /usr/local/bin on each master). Not compressed:
# compression would save disk but costs start-up time and memory on every timer run.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish src/EtcdDr.Cli -c Release -r linux-x64 --self-contained \
  -p:PublishSingleFile=true -p:DebugType=none \
  -o out/linux-x64 -nologo -clp:ErrorsOnly
ls -l out/linux-x64/etcd-dr
