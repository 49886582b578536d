#!/usr/bin/env bash
# Builds etcd-dr for linux-x64 as one Native AOT executable (PublishAot in
# src/EtcdDr.Cli/EtcdDr.Cli.csproj): no .NET runtime needed on the masters, no JIT at start-up.
# Output: out/linux-x64/etcd-dr (copy it to /usr/local/bin on each master). Needs a C toolchain
# for the final link (gcc or clang; Debian's build-essential). Why AOT and not ReadyToRun, with
# the figures: docs/benchmarks.md, "Start-up and size".
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet publish src/EtcdDr.Cli -c Release -r linux-x64 -p:DebugType=none -p:StripSymbols=true \
  -o out/linux-x64 -nologo -clp:ErrorsOnly
rm -f out/linux-x64/*.pdb   # a referenced project's symbols; the binary is all there is to copy
ls -l out/linux-x64/etcd-dr
