#!/usr/bin/env bash
# The operator's chaos run on one machine (SQLite, embedded default), re-runnable on demand; not part of CI.
#   [SAMPLER=tpe|tpe_multivariate|gp|random] [ORDER=interleaved|sequential] [SHARE=true|false] [KEEP=1] \
#     bash bench/Chaos/chaos.sh [SWEEP] [WORKERS] [KILLS]
# SAMPLER, ORDER and SHARE set the study's sampler.kind, budget.backbone_order and sampler.share_across_backbones;
# unset, the study file leaves them out (tpe, interleaved, no sharing), as before they existed. KEEP=1 keeps the
# run's folder (study.yaml, silo.log, worker-N.log, trials.json) and prints its path; otherwise it is removed.
# 1. A simulated study of 120 trials (2 backbones × 60, 10 steps of 0.5 s, so it outlasts the kills) with WORKERS workers; one
#    random worker is killed with -9 every 3 s and restarted, KILLS times.
# 2. Then the silo is killed with -9 and restarted twice while the study runs; the seconds from each
#    restart to the next completed trial are printed. With ORDER=sequential the kills hit the hand-over between the
#    backbones: the first once distilbert has asked 58 of its 60 trials, the second once roberta has its first trial.
# The study allows 10 attempts a trial. At 5 (as before), about one run in three failed a trial by chance, as designed:
# a running trial's worker is killed with p ≈ 0.5 per attempt (a kill every 3 s hits one of 3 workers; an attempt lasts
# ~6 s), so 5 leases in a row all ended by kills happened to some trial of the ~10 exposed; each silo restart also costs
# every running trial an attempt (the worker abandons a trial whose report cannot get through, docs/cluster.md). At 10
# a failed or lost trial means a fault, not bad luck.
# At the end it prints the figures (trials complete, lost = not complete when the study ended, duplicated = a number
# held twice, stuck = still leased or running, the most attempts any trial needed) and one PASS/FAIL line per check:
#   finished   the study reached "finished" within FINISH_TIMEOUT seconds (default 900)
#   complete   all 120 trials complete; lost, duplicated and stuck are 0; most attempts ≤ trials.max_attempts (10)
#   budget     each backbone holds exactly its budget (60) of trials, all of them complete (no over- or under-run)
#   order      (ORDER=sequential only) no trial of a later backbone was created, so none started, before every
#              trial of each earlier backbone had started: the later backbone's earliest created_utc is at or after
#              the earlier one's latest first start (`sweep trials --format json`; the CSV prints no times). A trial
#              leased more than once shows only its last start, so its first start is bounded below by its creation
#   log        the silo and worker logs hold no error ("fail:"), critical line or stack trace; warnings are counted
#              by source, not judged (the kills themselves cause lease-expiry, reconnect and retry warnings)
# The exit status is 0 when every check passed, 1 otherwise.
set -uo pipefail
cd "$(dirname "$0")/../.."
SWEEP=${1:-src/Cli/bin/Release/net10.0/linux-x64/sweep}
WORKERS=${2:-3}
KILLS=${3:-20}
SAMPLER=${SAMPLER:-}
ORDER=${ORDER:-}
SHARE=${SHARE:-}
FINISH_TIMEOUT=${FINISH_TIMEOUT:-900}
dir=$(mktemp -d /tmp/sweep-chaos-XXXX)
port=$((32000 + RANDOM % 2000)); siloport=$((port + 1))
cluster="localhost:$port"
cleanup() {
  for f in "$dir"/*.pid; do kill -9 "$(cat "$f")" 2>/dev/null; done
  if [ "${KEEP:-}" = 1 ]; then echo "kept $dir"; else rm -rf "$dir"; fi
}
trap cleanup EXIT

start_silo() { "$SWEEP" silo --storage "sqlite:$dir/sweep.db" --gateway-port $port --silo-port $siloport --metrics-port 0 --fast-failure-detection >>"$dir/silo.log" 2>&1 & echo $! > "$dir/silo.pid"; disown; }
start_worker() { "$SWEEP" worker --simulated --cluster "$cluster" --connect-timeout 120 >>"$dir/worker-$1.log" 2>&1 & echo $! > "$dir/worker-$1.pid"; disown; }
completed() { "$SWEEP" trials chaos --format csv --status complete --cluster "$cluster" 2>/dev/null | tail -n +2 | wc -l; }
asked() { "$SWEEP" trials chaos --format csv --backbone "$1" --cluster "$cluster" 2>/dev/null | tail -n +2 | wc -l; }
# With ORDER=sequential each silo kill waits for a moment of the hand-over from distilbert to roberta: the first for
# distilbert to have asked 58 of its 60 trials (polling takes about a second, and roberta's first trial follows
# distilbert's last within one trial start), the second for roberta's first trial.
await_handover() {
  [ "$ORDER" = sequential ] || return 0
  local waited=0
  case $1 in
    1) until [ "$(asked distilbert)" -ge 58 ] || [ $waited -gt 300 ]; do sleep 0.5; waited=$((waited + 1)); done ;;
    2) until [ "$(asked roberta)" -ge 1 ] || [ $waited -gt 300 ]; do sleep 0.2; waited=$((waited + 1)); done ;;
  esac
  echo "silo kill $r at $(( $(date +%s) - clock )) s: distilbert $(asked distilbert) trials asked, roberta $(asked roberta)"
}

budget="trials_per_backbone: 60, max_parallel: 4"
[ -n "$ORDER" ] && budget="$budget, backbone_order: $ORDER"
sampler=""
if [ -n "$SAMPLER$SHARE" ]; then
  sampler="sampler: {kind: ${SAMPLER:-tpe}${SHARE:+, share_across_backbones: $SHARE}}"
fi
cat > "$dir/study.yaml" <<YAML
name: chaos
seed: 11
data: {train: unused.csv}
objective: {metric: loss, direction: minimize}
budget: {$budget}
$sampler
pruner: {kind: none}
workload: {kind: simulated, curve_family: crossing, steps: 10, step_seconds: 0.5}
trials: {lease_seconds: 5, max_attempts: 10}
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
"$SWEEP" submit "$dir/study.yaml" --id chaos --cluster "$cluster" >/dev/null || { echo "FAIL submit: the study was refused"; exit 1; }
clock=$(date +%s)
echo "chaos: $WORKERS workers, $KILLS worker kills (-9, one every 3 s), then 2 silo kills; $(nproc) cores;" \
  "sampler ${SAMPLER:-tpe}, order ${ORDER:-interleaved}, share ${SHARE:-false}"
for k in $(seq 1 "$KILLS"); do
  sleep 3
  w=$((1 + RANDOM % WORKERS))
  kill -9 "$(cat "$dir/worker-$w.pid")" 2>/dev/null
  start_worker "$w"
done
echo "worker kills done at $(( $(date +%s) - clock )) s, $(completed) trials complete"
for r in 1 2; do
  await_handover $r
  before=$(completed)
  kill -9 "$(cat "$dir/silo.pid")"; sleep 1
  restart=$(date +%s.%N)
  start_silo
  waited=0
  until [ "$(completed)" -gt "$before" ] || [ $waited -gt 600 ]; do sleep 0.2; waited=$((waited + 1)); done
  echo "silo kill $r: next trial completed $(echo "$(date +%s.%N) - $restart" | bc | xargs printf '%.1f') s after the restart"
done
finished=1
until "$SWEEP" status chaos --json --cluster "$cluster" 2>/dev/null | grep -q '"state": "finished"'; do
  if [ $(( $(date +%s) - clock )) -gt "$FINISH_TIMEOUT" ]; then finished=0; break; fi
  sleep 1
done
if [ $finished = 1 ]; then echo "study finished after $(( $(date +%s) - clock )) s"
else echo "study not finished after $FINISH_TIMEOUT s: $("$SWEEP" status chaos --cluster "$cluster" 2>&1 | tr '\n' ' ')"; fi
"$SWEEP" trials chaos --format json --cluster "$cluster" > "$dir/trials.json"
python3 - "$dir" "$finished" "${ORDER:-interleaved}" <<'PY'
import json, sys, collections, datetime, glob, os, re
folder, finished, order = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
backbones, budget, max_attempts = ["distilbert", "roberta"], 60, 10   # as study.yaml above, in file order
total = budget * len(backbones)
trials = json.load(open(os.path.join(folder, "trials.json")))
by = collections.Counter((t["backbone"], t["number"]) for t in trials)
status = collections.Counter(t["status"] for t in trials)
lost, dup = total - status["complete"], sum(c - 1 for c in by.values() if c > 1)
stuck, most = status["running"] + status["leased"], max((t["attempts"] for t in trials), default=0)
print(f"trials: {len(trials)} (expected {total}); complete {status['complete']}, lost {lost}, "
      f"duplicated {dup}, stuck {stuck}, most attempts {most}; statuses {dict(status)}")
failed = []
def check(name, ok, detail):
    print(f"{'PASS' if ok else 'FAIL'} {name}: {detail}")
    if not ok: failed.append(name)

check("finished", finished, "the study reached 'finished'" if finished else "the study never finished")
check("complete", status["complete"] == total and lost == 0 and dup == 0 and stuck == 0 and most <= max_attempts,
      f"complete {status['complete']}/{total}, lost {lost}, duplicated {dup}, stuck {stuck}, most attempts {most} (max {max_attempts})")
per = {b: [t for t in trials if t["backbone"] == b] for b in backbones}
counts = {b: (len(ts), sum(t["status"] == "complete" for t in ts)) for b, ts in per.items()}
check("budget", all(n == budget and c == budget for n, c in counts.values()),
      ", ".join(f"{b} {c} complete of {n} trials (budget {budget})" for b, (n, c) in counts.items()))

def when(s):
    # .NET writes up to 7 fractional digits; Python 3.11 reads at most 6.
    if s is None: return None
    m = re.match(r"(.*T\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-].*)?$", s)
    frac = (m.group(2) or "0")[:6].ljust(6, "0")
    return datetime.datetime.fromisoformat(f"{m.group(1)}.{frac}+00:00")

if order == "sequential":
    for earlier, later in zip(backbones, backbones[1:]):
        # The latest first start among the earlier backbone's trials: exact for a trial started once; for one
        # leased again, started_utc is its last start, so its creation is the only sure lower bound.
        firsts = [when(t["started_utc"]) if t["attempts"] == 1 and t["started_utc"] else when(t["created_utc"]) for t in per[earlier]]
        released = sum(1 for t in per[earlier] if t["attempts"] != 1)
        last_first = max(firsts, default=None)
        created_later = [(when(t["created_utc"]), t["number"]) for t in per[later]]
        started_later = [(when(t["started_utc"]), t["number"]) for t in per[later] if t["started_utc"]]
        first_created = min(created_later, default=(None, None))
        first_started = min(started_later, default=(None, None))
        ok = last_first is not None and first_created[0] is not None and first_created[0] >= last_first
        detail = (f"{earlier}'s last first start {last_first:%H:%M:%S.%f} "
                  f"({released} of its trials leased more than once: bounded by creation); "
                  f"{later}'s first trial created {first_created[0]:%H:%M:%S.%f} (#{first_created[1]}), "
                  f"first started {first_started[0]:%H:%M:%S.%f} (#{first_started[1]})") if ok or (last_first and first_created[0]) else "no trials to compare"
        if not ok and last_first and first_created[0]:
            early = sorted(n for c, n in created_later if c < last_first)
            detail += f"; {len(early)} {later} trials created before then: {early[:10]}"
        check(f"order {earlier} before {later}", ok, detail)

# The logs: an error, a critical line or a stack trace alarms an operator; warnings (the kills cause lease-expiry,
# reconnect and retry warnings) are counted by their source, not judged.
logs = sorted(glob.glob(os.path.join(folder, "*.log")))
alarms, warnings = [], collections.Counter()
for path in logs:
    for line in open(path, errors="replace"):
        if re.search(r" (fail|crit): |^\s+at \S+\(|Unhandled exception", line): alarms.append(f"{os.path.basename(path)}: {line.strip()[:200]}")
        if m := re.search(r" warn: ([\w.]+)", line): warnings[m.group(1)] += 1
check("log", not alarms, f"{len(alarms)} error/critical/stack-trace lines; warnings by source {dict(warnings.most_common())}"
      + "".join(f"\n    {a}" for a in alarms[:8]))
sys.exit(1 if failed else 0)
PY
