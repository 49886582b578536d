#!/usr/bin/env bash
# Builds the self-contained single-file etcd-dr for linux-x64: no .NET runtime needed on the
# masters. Output: out/linux-x64/etcd-dr (copy it to /usr/local/bin on each master). Not compressed:
# compression would save disk but costs start-up time and memory on every timer run.
#
# Not Native AOT yet, although the code is ready for it (every build runs the trim and AOT
# analyzers, JSON goes through generated contexts, YAML through the node tree) and an AOT build of
# it measured 24 MB and near-zero start-up CPU (docs/benchmarks.md, "Start-up and size"): Docker.DotNet
# serializes with Newtonsoft.Json, which needs run-time code generation that Native AOT does not
# have, so the Docker-engine runtime would fail in an AOT binary. ETCD_DR_PUBLISH_AOT=1 builds the
# AOT binary anyway (it fails on those two packages' warnings until the engine client changes).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${ETCD_DR_PUBLISH_AOT:-0}" = 1 ]; then
  dotnet publish src/EtcdDr.Cli -c Release -r linux-x64 -p:PublishAot=true -p:DebugType=none -p:StripSymbols=true \
    -o out/linux-x64 -nologo -clp:ErrorsOnly
else
  dotnet publish src/EtcdDr.Cli -c Release -r linux-x64 --self-contained -p:PublishAot=false \
    -p:PublishSingleFile=true -p:DebugType=none \
    -o out/linux-x64 -nologo -clp:ErrorsOnly
fi
rm -f out/linux-x64/*.pdb   # a referenced project's symbols; the binary is all there is to copy
ls -l out/linux-x64/etcd-dr
