#!/usr/bin/env bash
# RTO of a three-member restore against its floor, in the same run (issue 9):
# - restore: `etcd-dr restore run --snapshot FILE` (snapshot-all) on a three-master Kubespray lab after
#   `lab break wipe-data` on every master, wall time from the command's start to its exit 0 (preflight,
#   the copy of the snapshot to each master with its hash checked there, stop, move aside, restore,
#   start, wait for a leader and every member healthy, verify);
# - floor: one `etcdctl snapshot restore` of the same file plus one etcd start on it until
#   `etcdctl endpoint health` answers, on this machine, no SSH, no copy.
# The snapshot is a MIB MiB (default 1024) db saved with `etcd-dr snapshot save` from a scratch etcd
# filled with 1 MiB values. The two alternate RUNS times (default 3; which goes first swaps every run).
# Prints the machine, date and load, medians and the ratio as markdown, then every raw run and the
# restore's own split (the staging group's time, the rest).
# Needs root (the lab). ETCD_DR_TEST_OCTET picks the loopback /16's second octet (default 0), as the
# tests do; NET and SSH_PORT override the lab's. ETCD_DR: the etcd-dr command (default: this
# checkout's Release build, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${MIB:-1024}
runs=${RUNS:-3}
octet=${ETCD_DR_TEST_OCTET:-0}
net=${NET:-127.$octet.210}
ssh_port=${SSH_PORT:-$((22000 + octet * 10))}
src_addr=127.$octet.211.1
floor_addr=127.$octet.211.2
work=$(mktemp -d /tmp/etcd-dr-bench-restore.XXXX)
state=$work/lab
export ETCDCTL_API=3

if [ -z "${ETCD_DR:-}" ]; then
  dll=src/EtcdDr.Cli/bin/Release/net10.0/etcd-dr.dll
  [ -f "$dll" ] || dotnet build src/EtcdDr.Cli -c Release -nologo -clp:ErrorsOnly >/dev/null
  ETCD_DR="dotnet $dll"
fi
dr() { $ETCD_DR "$@"; }

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ ! -f "$state/lab.json" ] || dr lab down --state "$state" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
wait_health() { # endpoint
  for _ in $(seq 600); do etcdctl --endpoints "$1" endpoint health >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "etcd at $1 never became healthy" >&2; return 1
}
start_etcd() { # name addr datadir log -> pid in $etcd_pid
  etcd --name "$1" --data-dir "$3" --quota-backend-bytes $((8 * 1024 * 1024 * 1024)) \
    --listen-client-urls "http://$2:2379" --advertise-client-urls "http://$2:2379" \
    --listen-peer-urls "http://$2:2380" --initial-advertise-peer-urls "http://$2:2380" \
    --initial-cluster "$1=http://$2:2380" >"$4" 2>&1 &
  etcd_pid=$!
  pids+=("$etcd_pid")
}
stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# ---- the snapshot: a scratch etcd filled to MIB MiB ----
start_etcd source "$src_addr" "$work/source" "$work/source.log"
src_pid=$etcd_pid
wait_health "$src_addr:2379"
head -c $((1024 * 1024)) /dev/urandom >"$work/value"
etcdctl --endpoints "$src_addr:2379" put /bench/canary before >/dev/null
for i in $(seq 1 "$mib"); do etcdctl --endpoints "$src_addr:2379" put "/bench/$i" <"$work/value" >/dev/null; done
snap=$work/snap.db
dr snapshot save --endpoints "$src_addr:2379" -o "$snap" >/dev/null
stop_pid "$src_pid"
rm -rf "$work/source"
size=$(stat -c %s "$snap")

# ---- the lab ----
dr lab up --flavor kubespray --masters 3 --net "$net" --ssh-port "$ssh_port" --state "$state" --timeout 180 --output json >/dev/null
lab_tls=(--cacert "$state/client/ca.crt" --cert "$state/client/client.crt" --key "$state/client/client.key")
ssh_master() { ssh -F /dev/null -i "$state/ssh/id_ed25519" -o IdentitiesOnly=yes -o UserKnownHostsFile="$state/ssh/known_hosts" \
  -o StrictHostKeyChecking=yes -o BatchMode=yes -p "$ssh_port" "root@$net.$1" "$2"; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$work/floor"; : >"$work/restore"; : >"$work/split"
run_floor() {
  local r=$1 t0 t1
  rm -rf "$work/floor-data"
  t0=$(now)
  etcdctl snapshot restore "$snap" --name floor --data-dir "$work/floor-data" --initial-cluster "floor=http://$floor_addr:2380" \
    --initial-advertise-peer-urls "http://$floor_addr:2380" --initial-cluster-token "floor-$r" >/dev/null 2>&1
  start_etcd floor "$floor_addr" "$work/floor-data" "$work/floor.log"
  wait_health "$floor_addr:2379"
  t1=$(now)
  [ "$(etcdctl --endpoints "$floor_addr:2379" get /bench/canary --print-value-only)" = before ]
  stop_pid "$etcd_pid"
  rm -rf "$work/floor-data"
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", b - a}' >>"$work/floor"
}
run_restore() {
  local r=$1 t0 t1 exit=0
  for i in 1 2 3; do dr lab break wipe-data --host "master-$i" --state "$state" >/dev/null; done
  t0=$(now)
  dr restore run --yes --snapshot "$snap" -i "$state/etcd-dr.yaml" --state-dir "$work/restore-state" --output json >"$work/run-$r.json" 2>"$work/run-$r.err" || exit=$?
  t1=$(now)
  [ "$exit" -eq 0 ] || { echo "restore run $r exited $exit:" >&2; cat "$work/run-$r.err" "$work/run-$r.json" >&2; exit 1; }
  [ "$(etcdctl --endpoints "https://$net.1:2379" "${lab_tls[@]}" get /bench/canary --print-value-only)" = before ]
  awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f\n", b - a}' >>"$work/restore"
  # The restore's own step times: the staging group (copy + hash on each master, in parallel) and the rest.
  python3 - "$work/run-$r.json" >>"$work/split" <<'EOF'
import json, sys
steps = json.load(open(sys.argv[1]))["steps"]
group = lambda kind: max((s["seconds"] or 0) for s in steps if s["kind"] == kind) if any(s["kind"] == kind for s in steps) else 0
print("stage %.1f restore-snapshot %.1f start-etcd %.1f wait-healthy %.1f" % tuple(group(k) for k in ("stageSnapshot", "restoreSnapshot", "startEtcd", "waitHealthy")))
EOF
  # Keep the masters' disks small for the next run: this run's staged copy and every moved-aside dir go.
  for i in 1 2 3; do ssh_master "$i" 'rm -rf /var/lib/etcd-dr/restore-* /var/lib/etcd.dr-* /var/lib/etcd-lab-wiped-*'; done
}
for r in $(seq 1 "$runs"); do
  if [ $((r % 2)) -eq 1 ]; then run_floor "$r"; run_restore "$r"; else run_restore "$r"; run_floor "$r"; fi
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

floor=$(median <"$work/floor")
restore=$(median <"$work/restore")
echo "$(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) CPUs, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1), $(free -g | awk '/Mem:/ {print $2}') GiB;" \
  "$(etcd --version | head -1); snapshot $size B ($mib x 1 MiB values); RUNS=$runs; load average at start $load_start, at end $load_end"
echo
echo "| what | median wall s | ratio to the floor |"
echo "|---|---|---|"
printf "| floor: etcdctl snapshot restore + one etcd start until healthy | %.2f | 1.00 |\n" "$floor"
printf "| etcd-dr restore run, snapshot-all, 3 Kubespray lab masters | %.2f | %.2f |\n" "$restore" "$(awk -v a="$restore" -v b="$floor" 'BEGIN {print a / b}')"
echo
echo "Raw runs (seconds): floor $(tr '\n' ' ' <"$work/floor"); restore $(tr '\n' ' ' <"$work/restore")"
echo "Restore step groups per run (longest host of each group, s):"
sed 's/^/- /' "$work/split"
