#!/usr/bin/env bash
# Captures the live view of `sweep up --until-done` on a short simulated study, through a pseudo-terminal
# (util-linux `script`) of 100 and of 200 columns, and saves one frame of each as plain text (ANSI
# stripped) in docs/terminal/live-view-100.txt and live-view-200.txt: the last frame drawn while trials
# were running, so the running-trials table shows. The raw terminal streams stay in the temp folder.
# Usage: scripts/capture-live-view.sh   (builds src/Cli first unless SWEEP=/path/to/sweep is given)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${SWEEP:-}" ]; then
  dotnet build src/Cli -c Release -nologo -v quiet >/dev/null
  SWEEP="$PWD/src/Cli/bin/Release/net10.0/linux-x64/sweep"
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/study.yaml" <<'YAML'
name: live-view
seed: 7
data: {train: unused.csv}
objective: {metric: loss, direction: minimize}
budget: {trials_per_backbone: 4, max_parallel: 2}
pruner: {kind: none}
workload: {kind: simulated, curve_family: crossing, steps: 8, folds: 2, step_seconds: 0.25}
search_space:
  lr: {type: float, low: 1.0e-5, high: 1.0e-1, log: true}
  weight_decay: {type: float, low: 0.0, high: 0.3}
  warmup_ratio: {type: float, low: 0.0, high: 0.2}
backbones:
  - {name: distilbert-base-uncased, family: distilbert}
  - {name: roberta-base, family: roberta}
YAML
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
for cols in ${COLS:-100 200}; do
  raw="$tmp/raw-$cols"
  SWEEP_LOG_COLOR=0 TERM=xterm-256color script -q -e -c "stty cols $cols rows 40; exec '$SWEEP' up --workers 2 --submit '$tmp/study.yaml' --until-done \
    --data-dir '$tmp/data-$cols' --gateway-port $(free_port) --silo-port $(free_port) --metrics-port $(free_port)" "$raw" >/dev/null
  if [ -n "${RAW_DIR:-}" ]; then cp "$raw" "$RAW_DIR/"; fi
  python3 scripts/last-live-frame.py "$raw" >"docs/terminal/live-view-$cols.txt"
  widest=$(python3 -c 'import sys; print(max(map(len, open(sys.argv[1], encoding="utf-8").read().splitlines())))' "docs/terminal/live-view-$cols.txt")
  echo "docs/terminal/live-view-$cols.txt ($(wc -l <"docs/terminal/live-view-$cols.txt") lines, widest $widest columns)"
done
