#!/usr/bin/env bash
# The operator's chaos run on one machine (SQLite, embedded default), re-runnable on demand; not part of CI.
#   bash bench/Chaos/chaos.sh [SWEEP] [WORKERS] [KILLS]
# 1. A simulated study of 120 trials (2 backbones × 60, 10 steps of 0.5 s, so it outlasts the kills) with WORKERS workers; one
#    random worker is killed with -9 every 3 s and restarted, KILLS times.
# 2. Then the silo is killed with -9 and restarted twice while the study runs; the seconds from each
#    restart to the next completed trial are printed.
# At the end: trials complete, lost (not complete when the study ended), duplicated (a number held twice),
# stuck (still running), and the largest number of attempts any trial needed.
set -uo pipefail
cd "$(dirname "$0")/../.."
SWEEP=${1:-src/Cli/bin/Release/net10.0/linux-x64/sweep}
WORKERS=${2:-3}
KILLS=${3:-20}
dir=$(mktemp -d /tmp/sweep-chaos-XXXX)
port=$((32000 + RANDOM % 2000)); siloport=$((port + 1))
cluster="localhost:$port"
trap 'for f in "$dir"/*.pid; do kill -9 "$(cat "$f")" 2>/dev/null; done; rm -rf "$dir"' EXIT

start_silo() { "$SWEEP" silo --storage "sqlite:$dir/sweep.db" --gateway-port $port --silo-port $siloport --metrics-port 0 --fast-failure-detection >>"$dir/silo.log" 2>&1 & echo $! > "$dir/silo.pid"; disown; }
start_worker() { "$SWEEP" worker --simulated --cluster "$cluster" --connect-timeout 120 >>"$dir/worker-$1.log" 2>&1 & echo $! > "$dir/worker-$1.pid"; disown; }
completed() { "$SWEEP" trials chaos --format csv --status complete --cluster "$cluster" 2>/dev/null | tail -n +2 | wc -l; }

cat > "$dir/study.yaml" <<YAML
name: chaos
seed: 11
data: {train: unused.csv}
objective: {metric: loss, direction: minimize}
budget: {trials_per_backbone: 60, max_parallel: 4}
pruner: {kind: none}
workload: {kind: simulated, curve_family: crossing, steps: 10, step_seconds: 0.5}
trials: {lease_seconds: 5, max_attempts: 5}
search_space:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  reg: {type: float, low: 0.0, high: 1.0}
backbones:
  - {name: distilbert, family: distilbert}
  - {name: roberta, family: roberta}
YAML

start_silo
until "$SWEEP" status --cluster "$cluster" --connect-timeout 2 >/dev/null 2>&1; do sleep 1; done
for w in $(seq 1 "$WORKERS"); do start_worker "$w"; done
"$SWEEP" submit "$dir/study.yaml" --id chaos --cluster "$cluster" >/dev/null
clock=$(date +%s)
echo "chaos: $WORKERS workers, $KILLS worker kills (-9, one every 3 s), then 2 silo kills; $(nproc) cores"
for k in $(seq 1 "$KILLS"); do
  sleep 3
  w=$((1 + RANDOM % WORKERS))
  kill -9 "$(cat "$dir/worker-$w.pid")" 2>/dev/null
  start_worker "$w"
done
echo "worker kills done at $(( $(date +%s) - clock )) s, $(completed) trials complete"
for r in 1 2; do
  before=$(completed)
  kill -9 "$(cat "$dir/silo.pid")"; sleep 1
  restart=$(date +%s.%N)
  start_silo
  waited=0
  until [ "$(completed)" -gt "$before" ] || [ $waited -gt 600 ]; do sleep 0.2; waited=$((waited + 1)); done
  echo "silo kill $r: next trial completed $(echo "$(date +%s.%N) - $restart" | bc | xargs printf '%.1f') s after the restart"
done
until "$SWEEP" status chaos --json --cluster "$cluster" 2>/dev/null | grep -q '"state": "finished"'; do sleep 1; done
echo "study finished after $(( $(date +%s) - clock )) s"
"$SWEEP" trials chaos --format json --cluster "$cluster" > "$dir/trials.json"
python3 - "$dir/trials.json" <<'PY'
import json, sys, collections
trials = json.load(open(sys.argv[1]))
by = collections.Counter((t["backbone"], t["number"]) for t in trials)
status = collections.Counter(t["status"] for t in trials)
print(f"trials: {len(trials)} (expected 120); complete {status['complete']}, lost {120 - status['complete']}, "
      f"duplicated {sum(c - 1 for c in by.values() if c > 1)}, stuck {status['running'] + status['leased']}, "
      f"most attempts {max(t['attempts'] for t in trials)}; statuses {dict(status)}")
PY
