#!/usr/bin/env bash
# Compares `etcd-dr snapshot save` with `etcdctl snapshot save` on the same endpoint.
# For each db size: fill a fresh single-member etcd on loopback, then alternate the two tools
# RUNS times each (which tool goes first swaps every run, so neither always gets the warm cache);
# print the machine, date and load, median wall time, CPU time (user+sys) and peak RSS as a
# markdown table, then every raw run.
# Also, per size, `etcd-dr snapshot save -r AGE_RECIPIENT` (encrypted; its ratio is to plain
# etcdctl), and for the size LINK_SIZE (default 256) both tools again through bench/delay_proxy.py
# at each round trip in RTTS (default "20 100" ms), with throughput in MiB/s.
# Usage: bench/snapshot.sh [SIZES_MIB...]   (default: 256 1024); RUNS=5 by default.
# ENCRYPT=0 skips the encrypted runs; RTTS="" skips the link runs.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(256 1024)
runs=${RUNS:-5}
encrypt=${ENCRYPT:-1}
rtts=${RTTS-20 100}
link_size=${LINK_SIZE:-256}
work=$(mktemp -d /tmp/etcd-dr-bench.XXXX)
addr=127.0.77.1
etcd_pid=
proxy_pid=
stop_etcd() { [ -z "$etcd_pid" ] || { kill "$etcd_pid" 2>/dev/null || true; wait "$etcd_pid" 2>/dev/null || true; etcd_pid=; }; }
stop_proxy() { [ -z "$proxy_pid" ] || { kill "$proxy_pid" 2>/dev/null || true; wait "$proxy_pid" 2>/dev/null || true; proxy_pid=; }; }
trap 'stop_proxy; stop_etcd; rm -rf "$work"' EXIT

# ETCD_DR_TOOL=path skips install and publish and measures that binary (a quick run on a busy machine).
if [ -n "${ETCD_DR_TOOL:-}" ]; then
  tool=$ETCD_DR_TOOL
else
  bash scripts/install-deps.sh
  dotnet publish src/EtcdDr.Cli -c Release -o "$work/bin" -nologo -clp:ErrorsOnly >/dev/null
  tool="$work/bin/etcd-dr"
fi
export ETCDCTL_API=3
age-keygen -o "$work/age.key" 2>/dev/null
recipient=$(age-keygen -y "$work/age.key")

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
echo "| db size | tool | median wall s | median CPU s | median peak RSS MiB | wall ratio | MiB/s |"
echo "|---|---|---|---|---|---|---|"
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

  : >"$work/ctl"; : >"$work/dr"; : >"$work/enc"
  run_ctl() {
    rm -f "$work/out.db" "$work/out.db.manifest.json"
    measure etcdctl --endpoints "$1" snapshot save "$work/out.db" >>"$work/$2"
  }
  run_dr() {
    rm -f "$work/out.db" "$work/out.db.manifest.json"
    measure "$tool" snapshot save --endpoints "$1" -o "$work/out.db" >>"$work/$2"
    "$tool" snapshot verify "$work/out.db" >/dev/null || { echo "verify failed" >&2; exit 1; }
  }
  run_enc() {
    rm -f "$work/out.db.age" "$work/out.db.age.manifest.json"
    measure "$tool" snapshot save --endpoints "$1" -r "$recipient" -o "$work/out.db.age" >>"$work/$2"
    "$tool" snapshot verify --identity "$work/age.key" "$work/out.db.age" >/dev/null || { echo "verify (encrypted) failed" >&2; exit 1; }
  }
  for r in $(seq 1 "$runs"); do
    if [ $((r % 2)) -eq 1 ]; then run_ctl "$addr:2379" ctl; run_dr "$addr:2379" dr; else run_dr "$addr:2379" dr; run_ctl "$addr:2379" ctl; fi
    [ "$encrypt" = 0 ] || run_enc "$addr:2379" enc
  done
  series="ctl dr"; [ "$encrypt" = 0 ] || series="$series enc"
  if [ "$mib" = "$link_size" ]; then
    for rtt in $rtts; do
      stop_proxy
      python3 bench/delay_proxy.py "$addr:2479" "$addr:2379" "$rtt" &
      proxy_pid=$!
      for _ in $(seq 50); do etcdctl --endpoints "$addr:2479" endpoint health >/dev/null 2>&1 && break; sleep 0.2; done
      : >"$work/ctl-rtt$rtt"; : >"$work/dr-rtt$rtt"
      for r in $(seq 1 "$runs"); do
        if [ $((r % 2)) -eq 1 ]; then run_ctl "$addr:2479" "ctl-rtt$rtt"; run_dr "$addr:2479" "dr-rtt$rtt"; else run_dr "$addr:2479" "dr-rtt$rtt"; run_ctl "$addr:2479" "ctl-rtt$rtt"; fi
      done
      stop_proxy
      series="$series ctl-rtt$rtt dr-rtt$rtt"
    done
  fi
  for t in $series; do
    raw="$raw
- $mib MiB $t (wall cpu rss_kib): $(tr '\n' ';' <"$work/$t")"
    wall=$(awk '{print $1}' "$work/$t" | median)
    cpu=$(awk '{print $2}' "$work/$t" | median)
    rss=$(awk '{print $3 / 1024}' "$work/$t" | median)
    case $t in
      ctl) name="etcdctl 3.4.23"; ctl_wall=$wall; base=$wall ;;
      dr) name="etcd-dr"; base=$ctl_wall ;;
      enc) name="etcd-dr -r (age)"; base=$ctl_wall ;;
      ctl-rtt*) name="etcdctl 3.4.23, ${t#ctl-rtt} ms RTT"; base=$wall; link_wall=$wall ;;
      dr-rtt*) name="etcd-dr, ${t#dr-rtt} ms RTT"; base=$link_wall ;;
    esac
    ratio=$(awk -v a="$wall" -v b="$base" 'BEGIN {printf "%.2f", a / b}')
    mibs=$(awk -v w="$wall" -v d="$db" 'BEGIN {printf "%.0f", d / 1048576 / w}')
    printf "| %d MiB (%s B) | %s | %.2f | %.2f | %.1f | %s | %s |\n" "$mib" "$db" "$name" "$wall" "$cpu" "$rss" "$ratio" "$mibs"
  done
done
echo
echo "Raw runs:$raw"
