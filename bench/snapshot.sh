#!/usr/bin/env bash
# Compares `etcd-dr snapshot save` with `etcdctl snapshot save` on the same endpoint.
# For each db size: fill a fresh single-member etcd on loopback, then alternate the two tools
# RUNS times each (which tool goes first swaps every run, so neither always gets the warm cache);
# print the machine, date and load, median wall time, CPU time (user+sys) and peak RSS as a
# markdown table, then every raw run.
# Usage: bench/snapshot.sh [SIZES_MIB...]   (default: 256 1024); RUNS=5 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(256 1024)
runs=${RUNS:-5}
work=$(mktemp -d /tmp/etcd-dr-bench.XXXX)
addr=127.0.77.1
etcd_pid=
stop_etcd() { [ -z "$etcd_pid" ] || { kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; etcd_pid=; }; }
trap 'stop_etcd; rm -rf "$work"' EXIT

bash scripts/install-deps.sh
dotnet publish src/EtcdDr.Cli -c Release -o "$work/bin" -nologo -clp:ErrorsOnly >/dev/null
tool="$work/bin/etcd-dr"
export ETCDCTL_API=3

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }

# One measured run: prints "wall cpu rss_kib".
measure() {
  local out="$work/time.txt"
  /usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null 2>&1
  awk '{printf "%s %.2f %s\n", $1, $2 + $3, $4}' "$out"
}

echo "$(date -u +%Y-%m-%d) on $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "$(etcd --version | head -1), etcd-dr $("$tool" version 2>/dev/null | head -1); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); RUNS=$runs"
echo
echo "| db size | tool | median wall s | median CPU s | median peak RSS MiB | wall ratio |"
echo "|---|---|---|---|---|---|"
raw=
for mib in "${sizes[@]}"; do
  stop_etcd
  rm -rf "$work/data"
  etcd --name bench --data-dir "$work/data" --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) \
    --listen-client-urls "http://$addr:2379" --advertise-client-urls "http://$addr:2379" \
    --listen-peer-urls "http://$addr:2380" --initial-advertise-peer-urls "http://$addr:2380" \
    --initial-cluster "bench=http://$addr:2380" >"$work/etcd.log" 2>&1 &
  etcd_pid=$!
  for _ in $(seq 50); do etcdctl --endpoints "$addr:2379" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
  head -c $((1024 * 1024)) /dev/urandom >"$work/value"
  for i in $(seq 1 "$mib"); do etcdctl --endpoints "$addr:2379" put "/bench/$i" <"$work/value" >/dev/null; done
  db=$(etcdctl --endpoints "$addr:2379" endpoint status -w json | sed -E 's/.*"dbSize":([0-9]+).*/\1/')

  : >"$work/ctl"; : >"$work/dr"
  run_ctl() {
    rm -f "$work/out.db" "$work/out.db.manifest.json"
    measure etcdctl --endpoints "$addr:2379" snapshot save "$work/out.db" >>"$work/ctl"
  }
  run_dr() {
    rm -f "$work/out.db" "$work/out.db.manifest.json"
    measure "$tool" snapshot save --endpoints "$addr:2379" -o "$work/out.db" >>"$work/dr"
    "$tool" snapshot verify "$work/out.db" >/dev/null || { echo "verify failed" >&2; exit 1; }
  }
  for r in $(seq 1 "$runs"); do
    if [ $((r % 2)) -eq 1 ]; then run_ctl; run_dr; else run_dr; run_ctl; fi
  done
  raw="$raw
- $mib MiB etcdctl (wall cpu rss_kib): $(tr '\n' ';' <"$work/ctl")
- $mib MiB etcd-dr (wall cpu rss_kib): $(tr '\n' ';' <"$work/dr")"
  for t in ctl dr; do
    wall=$(awk '{print $1}' "$work/$t" | median)
    cpu=$(awk '{print $2}' "$work/$t" | median)
    rss=$(awk '{print $3 / 1024}' "$work/$t" | median)
    eval "${t}_wall=$wall"
    name=$([ "$t" = ctl ] && echo "etcdctl 3.4.23" || echo "etcd-dr")
    ratio=$([ "$t" = dr ] && awk -v a="$wall" -v b="$ctl_wall" 'BEGIN {printf "%.2f", a / b}' || echo "1.00")
    printf "| %d MiB (%s B) | %s | %.2f | %.2f | %.1f | %s |\n" "$mib" "$db" "$name" "$wall" "$cpu" "$rss" "$ratio"
  done
done
echo
echo "Raw runs:$raw"
