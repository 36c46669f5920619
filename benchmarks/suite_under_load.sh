#!/usr/bin/env bash
# The test suite, run RUNS times in a row while BUSY processes keep every core busy: the check
# that no test depends on a quiet machine (timing guards are >= 10x the measured figure).
#   bash benchmarks/suite_under_load.sh            # 3 runs, one busy process per core
#   RUNS=1 BUSY=4 bash benchmarks/suite_under_load.sh
# Prints each run's summary line and wall time; exits 1 if any run failed.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${RUNS:-3}"
busy="${BUSY:-$(nproc)}"
pids=()
for _ in $(seq "$busy"); do
  python3 -c "while True: pass" &
  pids+=("$!")
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
echo "busy processes: $busy on $(nproc) cores; load average: $(cut -d' ' -f1-3 /proc/loadavg)"
failed=0
for run in $(seq "$runs"); do
  started=$(date +%s)
  log="$(mktemp)"
  uv run pytest -q -p no:cacheprovider >"$log" 2>&1
  status=$?
  echo "run $run: exit $status in $(( $(date +%s) - started )) s; load $(cut -d' ' -f1-3 /proc/loadavg): $(tail -n 1 "$log")"
  if [ "$status" -ne 0 ]; then
    failed=1
    grep -E "^(FAILED|ERROR)" "$log" | head -20
  fi
  rm -f "$log"
done
exit "$failed"
