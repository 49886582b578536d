#!/usr/bin/env bash
# Runs every test: unit tests and the integration tests against real etcd, sshd and age.
# Installs what the tests need first. Prints one closing line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh || exit 1
dotnet build EtcdDr.sln -c Release -nologo -clp:ErrorsOnly || exit 1
bash scripts/publish.sh || exit 1   # the single-file binary has a test of its own

passed=0; failed=0; skipped=0; status=0
for project in tests/PkiVault.Tests tests/EtcdDr.Tests tests/integration; do
  log=$(mktemp)
  dotnet test "$project" -c Release --no-build -nologo 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  # VSTest's summary: "Passed!  - Failed:     0, Passed:    39, Skipped:     0, Total:    39, ..."
  line=$(grep -E '(Passed|Failed)! +- Failed: ' "$log" | tail -n 1)
  if [ -z "$line" ]; then
    echo "error: no test summary from $project (exit $rc)" >&2
    status=1; failed=$((failed + 1))
  else
    f=$(sed -E 's/.*Failed: *([0-9]+).*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed: *([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped: *([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  fi
  [ "$rc" -eq 0 ] || status=1
  rm -f "$log"
done

echo
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
