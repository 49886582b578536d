#!/usr/bin/env bash
# The main job: install what is needed, build etcd-dr, and run a DR drill with `etcd-dr drill --lab`
# on a fresh local lab of 3 masters (loopback addresses, namespaces, sshd, TLS etcd). The drill
# writes a canary every 100 ms, takes an encrypted snapshot and PKI backups the way the schedule
# does, destroys every member (data dirs moved aside, never deleted), restores them with
# `etcd-dr restore`, checks the canaries and reports RTO and RPO as Markdown, JSON and one HTML page.
# The lab is torn down afterwards.
#
# Usage: scripts/run.sh [drill options], e.g. --scenario all, --flavor kubeadm, --keep.
# Defaults: --flavor kubespray --scenario wipe-all; reports under ./drill-reports/, history in
# ./drill-reports/history (the HTML shows the RTO trend of past runs).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
echo "== building etcd-dr"
dotnet publish src/EtcdDr.Cli -c Release -o out/etcd-dr -nologo -clp:ErrorsOnly >/dev/null

reports="$PWD/drill-reports"
report="$reports/drill-lab-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$reports/history"
# Defaults only where the caller did not choose (an option given twice is a usage error).
defaults=()
[[ " $* " == *" --flavor "* ]] || defaults+=(--flavor kubespray)
[[ " $* " == *" --scenario "* ]] || defaults+=(--scenario wipe-all)
[[ " $* " == *" --report "* ]] || defaults+=(--report "$report")
[[ " $* " == *" --history "* ]] || defaults+=(--history "$reports/history")
status=0
out/etcd-dr/etcd-dr drill --lab "${defaults[@]}" --output table "$@" || status=$?
echo
if [ "$status" -eq 0 ]; then echo "DRILL PASSED"; else echo "DRILL FAILED (exit $status): the report says which check failed" >&2; fi
[ -d "$report" ] && echo "report: $(find "$report" -name report.html | sort | tr '\n' ' ')"
exit "$status"
