#!/usr/bin/env bash
# Start-up cost and size of the published etcd-dr against etcdctl, in one run:
#   `etcd-dr --version`            vs `etcdctl version`
#   `etcd-dr status` (one endpoint) vs `etcdctl endpoint status` (the same endpoint)
#   the size of out/linux-x64/etcd-dr vs the etcdctl binary.
# A fresh single-member etcd on loopback (plain http); the commands alternate, which one goes first
# swapping every run, RUNS times each (default 21); median wall time from a monotonic clock.
# Prints the machine, date and load, then a markdown table for docs/benchmarks.md.
# Usage: bench/startup.sh            (NO_PUBLISH=1 measures the binary already in out/linux-x64)
# BENCH_ADDR picks the loopback address (default 127.0.78.1; bench/snapshot.sh uses 127.0.77.1).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-21}
addr=${BENCH_ADDR:-127.0.78.1}
work=$(mktemp -d /tmp/etcd-dr-startup.XXXX)
etcd_pid=
stop_etcd() { [ -z "$etcd_pid" ] || { kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; etcd_pid=; }; }
trap 'stop_etcd; rm -rf "$work"' EXIT

[ "${NO_PUBLISH:-}" = 1 ] || bash scripts/publish.sh >/dev/null
tool=$PWD/out/linux-x64/etcd-dr
ctl=$(command -v etcdctl)
export ETCDCTL_API=3

etcd --name bench --data-dir "$work/data" \
  --listen-client-urls "http://$addr:2379" --advertise-client-urls "http://$addr:2379" \
  --listen-peer-urls "http://$addr:2380" --initial-advertise-peer-urls "http://$addr:2380" \
  --initial-cluster "bench=http://$addr:2380" >"$work/etcd.log" 2>&1 &
etcd_pid=$!
for _ in $(seq 100); do "$ctl" --endpoints "$addr:2379" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
"$ctl" --endpoints "$addr:2379" endpoint health >/dev/null 2>&1 || { echo "etcd did not start: $work/etcd.log" >&2; exit 1; }

# Each command must work before it is timed: a fast failure is no result.
"$tool" --version >/dev/null
"$tool" status --endpoints "http://$addr:2379" --output table >/dev/null
"$ctl" version >/dev/null
"$ctl" --endpoints "$addr:2379" endpoint status >/dev/null

# Wall seconds of one run, output discarded.
wall() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; exit 1; }
  end=$(date +%s%N)
  awk -v ns=$((end - start)) 'BEGIN {printf "%.4f\n", ns / 1e9}'
}
median() { sort -g | awk '{a[NR]=$1} END {printf "%.4f", (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

declare -A times
pair() { # name-a name-b, then the two commands as strings
  local a=$1 b=$2 cmd_a=$3 cmd_b=$4
  : >"$work/$a"; : >"$work/$b"
  for i in $(seq 1 "$runs"); do
    if ((i % 2)); then
      wall $cmd_a >>"$work/$a"; wall $cmd_b >>"$work/$b"
    else
      wall $cmd_b >>"$work/$b"; wall $cmd_a >>"$work/$a"
    fi
  done
  times[$a]=$(median <"$work/$a"); times[$b]=$(median <"$work/$b")
}

load=$(cut -d' ' -f1-3 /proc/loadavg)
pair dr_version ctl_version "$tool --version" "$ctl version"
pair dr_status ctl_status "$tool status --endpoints http://$addr:2379 --output table" "$ctl --endpoints $addr:2379 endpoint status"
dr_size=$(stat -c %s "$tool"); ctl_size=$(stat -Lc %s "$ctl")

echo "$(date -u '+%Y-%m-%d %H:%M') UTC on $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "$(etcd --version | head -1), etcd-dr $("$tool" --version); load average at start: $load, at end: $(cut -d' ' -f1-3 /proc/loadavg); RUNS=$runs"
echo
echo "| measure | etcd-dr | etcdctl | ratio | target |"
echo "|---|---|---|---|---|"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f", a / b}'; }
echo "| \`--version\` / \`etcdctl version\`, median wall s | ${times[dr_version]} | ${times[ctl_version]} | $(ratio "${times[dr_version]}" "${times[ctl_version]}") | <= 0.05 s |"
echo "| \`status\` / \`endpoint status\`, one endpoint, median wall s | ${times[dr_status]} | ${times[ctl_status]} | $(ratio "${times[dr_status]}" "${times[ctl_status]}") | <= 0.1 s |"
echo "| binary size, MB (10^6 B) | $(awk -v s="$dr_size" 'BEGIN {printf "%.1f", s / 1e6}') | $(awk -v s="$ctl_size" 'BEGIN {printf "%.1f", s / 1e6}') | $(ratio "$dr_size" "$ctl_size") | <= 40 MB |"
echo
echo "Raw runs (wall s):"
for k in dr_version ctl_version dr_status ctl_status; do echo "- $k: $(tr '\n' ' ' <"$work/$k")"; done
