#!/usr/bin/env bash
# Runs every test project in the solution and ends with one line: "N passed, N failed, N skipped".
# Exit status: 0 when nothing failed.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

dotnet build SweepCluster.sln -c Release -nologo -v quiet 2>&1 | tail -n 20
build_status=${PIPESTATUS[0]}
if [ "$build_status" -ne 0 ]; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

dotnet test --solution SweepCluster.sln -c Release --no-build 2>&1 | tee "$log"
test_status=${PIPESTATUS[0]}

# Microsoft.Testing.Platform closes with a summary block: total / failed / succeeded / skipped.
summary() { grep -E "^\s+$1:\s+[0-9]+" "$log" | tail -n 1 | grep -oE '[0-9]+' | head -n 1; }
passed=$(summary succeeded); failed=$(summary failed); skipped=$(summary skipped)
passed=${passed:-0}; failed=${failed:-0}; skipped=${skipped:-0}
if [ "$test_status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$test_status" -eq 0 ] && [ "$failed" -eq 0 ]
