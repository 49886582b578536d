#!/usr/bin/env bash
# Encrypt and decrypt 1 GiB with etcd-dr (Release, self-contained, ReadyToRun) and with the
# reference `age` CLI, alternating which goes first, and write medians of wall time, CPU time and peak RSS to
# docs/benchmarks-age.md.
#
# Two output modes are measured:
#   stdout  both tools write to stdout redirected to a file: the same I/O path, no fsync in either.
#   -o      each tool's own output option: etcd-dr writes a .part file, fsyncs and renames it
#           (durability it does on purpose), starting writeback every 8 MiB so the disk works
#           while it encrypts; age writes the file and does not fsync.
#
# Files live on tmpfs (/dev/shm) by default so that disk writeback of a shared machine does not
# dominate the numbers; set BENCH_DIR to a disk directory to include the disk.
#
# Usage: bench/age.sh [RUNS] (default 5). Env: BENCH_DIR (default /dev/shm/etcd-dr-bench-age),
# SIZE_MIB (default 1024), KEEP=1 keeps the 1 GiB files afterwards, APPEND=1 adds a section to
# docs/benchmarks-age.md instead of rewriting it (to record a tmpfs run and a disk run side by side).
set -euo pipefail

runs="${1:-5}"
size_mib="${SIZE_MIB:-1024}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="${BENCH_DIR:-/dev/shm/etcd-dr-bench-age}"
out_doc="$repo/docs/benchmarks-age.md"

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench/age.sh: '$1' is missing: $2" >&2; exit 2; }; }
need age "apt-get install age"
need age-keygen "apt-get install age"
need dotnet "install the .NET 10 SDK"
[ -x /usr/bin/time ] || { echo "bench/age.sh: /usr/bin/time is missing: apt-get install time" >&2; exit 2; }

mkdir -p "$work"
bin="$work/bin"
echo "publishing etcd-dr (Release, linux-x64, self-contained, ReadyToRun) to $bin" >&2
dotnet publish "$repo/src/EtcdDr.Cli" -c Release -r linux-x64 --self-contained \
  -p:PublishReadyToRun=true -p:TieredCompilation=true -p:TieredPGO=true \
  -o "$bin" >/dev/null
drbin="$bin/etcd-dr"

plain="$work/plain.bin"
if [ ! -f "$plain" ] || [ "$(stat -c %s "$plain")" -ne $((size_mib * 1024 * 1024)) ]; then
  echo "creating $size_mib MiB of random input" >&2
  head -c $((size_mib * 1024 * 1024)) /dev/urandom > "$plain"
fi
rm -f "$work/key.txt"
age-keygen -o "$work/key.txt" 2>/dev/null
recipient="$(age-keygen -y "$work/key.txt")"

# One encrypted input for all decrypt runs (written by age, so both tools read a reference file).
age -r "$recipient" -o "$work/in.age" "$plain"

# measure NAME MODE -- command...: appends "wall user sys rss_kib" to $work/NAME.MODE.times
measure() {
  local name="$1" mode="$2"; shift 3
  local vfile="$work/time.txt"
  # Untimed: write back whatever the previous run left dirty (age never syncs its 1 GiB), so that
  # no run pays for the one before it.
  sync
  /usr/bin/time -v -o "$vfile" "$@"
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, p, ":"); w = 0; for (i = 1; i <= n; i++) w = w * 60 + p[i] }
    /User time/ { u = $2 } /System time/ { s = $2 } /Maximum resident set size/ { m = $2 }
    END { printf "%.3f %.2f %.2f %d\n", w, u, s, m }' "$vfile" >> "$work/$name.$mode.times"
}

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$work"/*.times
# One measurement per tool and cell; which tool goes first alternates from run to run, so that
# neither always inherits the other's dirty pages, writeback or a warmer page cache.
dr_enc_stdout() { measure dr-encrypt stdout -- sh -c "exec \"\$0\" encrypt -r \"\$1\" \"\$2\" > \"\$3\"" "$drbin" "$recipient" "$plain" "$work/o.age"; rm -f "$work/o.age"; }
age_enc_stdout() { measure age-encrypt stdout -- sh -c "exec age -r \"\$0\" \"\$1\" > \"\$2\"" "$recipient" "$plain" "$work/o.age"; rm -f "$work/o.age"; }
dr_dec_stdout() { measure dr-decrypt stdout -- sh -c "exec \"\$0\" decrypt -i \"\$1\" \"\$2\" > \"\$3\"" "$drbin" "$work/key.txt" "$work/in.age" "$work/o.out"; rm -f "$work/o.out"; }
age_dec_stdout() { measure age-decrypt stdout -- sh -c "exec age -d -i \"\$0\" \"\$1\" > \"\$2\"" "$work/key.txt" "$work/in.age" "$work/o.out"; rm -f "$work/o.out"; }
dr_enc_o() { measure dr-encrypt o -- "$drbin" encrypt -r "$recipient" -o "$work/o.age" "$plain"; rm -f "$work/o.age"; }
age_enc_o() { measure age-encrypt o -- age -r "$recipient" -o "$work/o.age" "$plain"; rm -f "$work/o.age"; }
dr_dec_o() {
  measure dr-decrypt o -- "$drbin" decrypt -i "$work/key.txt" -o "$work/o.out" "$work/in.age"
  cmp -s "$work/o.out" "$plain" || { echo "etcd-dr decrypted output differs" >&2; exit 1; }
  rm -f "$work/o.out"
}
age_dec_o() { measure age-decrypt o -- age -d -i "$work/key.txt" -o "$work/o.out" "$work/in.age"; rm -f "$work/o.out"; }

pair() { # run-number dr-cell age-cell
  if [ $(( $1 % 2 )) -eq 1 ]; then "$2"; "$3"; else "$3"; "$2"; fi
}

for i in $(seq 1 "$runs"); do
  if [ $(( i % 2 )) -eq 1 ]; then first=etcd-dr; else first=age; fi
  echo "run $i/$runs ($first first)" >&2
  rm -f "$work/o.age" "$work/o.out"
  pair "$i" dr_enc_stdout age_enc_stdout
  pair "$i" dr_dec_stdout age_dec_stdout
  pair "$i" dr_enc_o age_enc_o
  pair "$i" dr_dec_o age_dec_o
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$2" '{ print $c }' "$work/$1.times" | median; }
cpu() { awk '{ print $2 + $3 }' "$work/$1.times" | median; }

row() { # op mode
  local dr="dr-$1.$2" ag="age-$1.$2"
  local dw aw
  dw=$(col "$dr" 1); aw=$(col "$ag" 1)
  printf "| %s | %s | %s s | %s s | **%.2f** | %s s | %s s | %d MiB | %d MiB |\n" "$1" "$2" "$dw" "$aw" \
    "$(echo "$dw $aw" | awk '{ print $1 / $2 }')" "$(cpu "$dr")" "$(cpu "$ag")" \
    $(( $(col "$dr" 4) / 1024 )) $(( $(col "$ag" 4) / 1024 ))
}

fstype="$(df --output=fstype "$work" | tail -1 | tr -d ' ')"
{
  if [ "${APPEND:-0}" != 1 ]; then
    echo "# age benchmark: etcd-dr vs age"
    echo
  fi
  echo "## Files on $fstype ($work)"
  echo
  echo "Generated by \`bench/age.sh $runs\` on $(date -u '+%Y-%m-%d %H:%M UTC')."
  echo
  echo "- machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(awk '/MemTotal/ { printf "%d GiB", $2 / 1048576 }' /proc/meminfo) RAM, kernel $(uname -r)"
  echo "- input: $size_mib MiB of random bytes, X25519 recipient, binary (not armored); files in \`$work\` ($fstype)"
  echo "- etcd-dr: $("$drbin" version | cut -d' ' -f2), .NET $(dotnet --version) self-contained ReadyToRun Release build, workstation non-concurrent GC"
  echo "- age: $(age --version)"
  echo "- $runs runs per cell, the tool that goes first alternating (etcd-dr in odd runs, age in even); medians. CPU = user + system. RSS = peak resident set (\`/usr/bin/time -v\`)."
  echo "- an untimed \`sync\` before every run, so no run pays for the dirty pages of the one before."
  echo "- shared machine: other jobs may run at the same time, so single runs are noisy; compare medians."
  echo "- load average (1/5/15 min) before the runs: $load_before; after: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| operation | output | etcd-dr wall | age wall | ratio etcd-dr/age | etcd-dr CPU | age CPU | etcd-dr peak RSS | age peak RSS |"
  echo "|---|---|---|---|---|---|---|---|---|"
  row encrypt stdout
  row decrypt stdout
  row encrypt o
  row decrypt o
  echo
  echo "\`stdout\`: output redirected to a file for both tools (same I/O path). \`o\`: each tool's \`-o\`;"
  echo "etcd-dr then writes a temporary file, starts its writeback every 8 MiB (\`sync_file_range\`), fsyncs it"
  echo "and renames it into place (on a disk, 1 GiB must reach the disk before it returns, which age does not"
  echo "wait for; on tmpfs fsync costs nothing)."
  echo
  echo "Raw runs (wall s, user s, sys s, peak RSS KiB):"
  echo
  for f in "$work"/*.times; do echo "- $(basename "$f" .times): $(tr '\n' ';' < "$f")"; done
  echo
} > "$work/section.md"
if [ "${APPEND:-0}" = 1 ]; then cat "$work/section.md" >> "$out_doc"; else cp "$work/section.md" "$out_doc"; fi
cat "$work/section.md"
[ "${KEEP:-0}" = 1 ] || rm -f "$plain" "$work/in.age" "$work/o.age" "$work/o.out"
