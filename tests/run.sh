#!/usr/bin/env bash
# The one test command: installs what the tests need, builds, runs every test (unit, integration, component, browser).
# Exits non-zero on any failure. Never skips: a missing browser is installed, or the run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DEBIAN_FRONTEND=noninteractive
started=$(date +%s)

# Chromium for the browser tests, and a CJK font so that pages (and failure screenshots) render Chinese as people see it.
if [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/wqy ]; then
  echo "==> Installing Chromium and a CJK font (Debian packages) for the browser tests"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi
[ -x /usr/bin/chromium ] || { echo "Chromium is missing at /usr/bin/chromium and could not be installed" >&2; exit 1; }

echo "==> Restoring tools and packages"
dotnet tool restore >/dev/null
dotnet restore ClassExit.Portal.sln

echo "==> Building (warnings are errors)"
dotnet build ClassExit.Portal.sln -c Debug --no-restore

results=$(mktemp -d)
status=0
run() {
  local project=$1
  echo "==> Testing $project"
  dotnet test "tests/$project" -c Debug --no-build --logger "trx;LogFileName=$project.trx" --results-directory "$results" \
    --logger "console;verbosity=normal" > "$results/$project.log" 2>&1 || true
  # Failing tests with their messages, then the summary.
  grep -E "^\s+Failed |Error Message|Test Run|Total tests|^\s+(Passed|Failed|Skipped):" -A0 "$results/$project.log" || true
  if ! grep -q "Test Run Successful." "$results/$project.log"; then
    echo "---- $project output (tail) ----"; tail -60 "$results/$project.log"; status=1
  fi
  # A skipped test is a failure here: nothing is skipped silently.
  if grep -qE "^\s+Skipped:\s*[1-9]" "$results/$project.log"; then echo "Skipped tests in $project" >&2; status=1; fi
}
run ClassExit.Portal.Domain.Tests
run ClassExit.Portal.Tests
run ClassExit.Portal.BrowserTests

# The benchmarks only in their smoke size, so that they keep compiling and running: each figure once, no time is asserted
# (the Debug build above; speed is measured in Release, docs/benchmarks.md). Every figure line must be in the documented form.
echo "==> Benchmark smoke run (scale --smoke: a few thousand rows)"
bench_log="$results/benchmark-smoke.txt"
if dotnet run -c Debug --no-build --project tests/ClassExit.Portal.Benchmarks -- scale --smoke > "$bench_log" 2>&1; then
  lines=$(grep -c "^figure " "$bench_log" || true)
  wellformed=$(grep -cE "^figure [A-Za-z0-9_]+ median_ms=[0-9.]+ p95_ms=[0-9.]+ raw_p95_ms=([0-9.]+|-) ratio=([0-9.]+|-) goal=[^ ]+ verdict=(pass|fail)$" "$bench_log" || true)
  echo "$lines figure lines"
  if [ "$lines" -eq 0 ] || [ "$lines" -ne "$wellformed" ]; then
    echo "The benchmark smoke run printed $lines figure lines, $wellformed of them well-formed" >&2; grep "^figure " "$bench_log" || true; status=1
  fi
else
  echo "---- benchmark smoke run output (tail) ----"; tail -40 "$bench_log"; status=1
fi

passed=$(awk '/^[[:space:]]+Passed:[[:space:]]*[0-9]+/ {s+=$2} END {print s+0}' "$results"/*.log)
failed=$(awk '/^[[:space:]]+Failed:[[:space:]]*[0-9]+/ {s+=$2} END {print s+0}' "$results"/*.log)
echo "==> Finished in $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ]; then
  echo "TESTS FAILED (logs: $results)" >&2
  exit 1
fi
