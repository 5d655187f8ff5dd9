#!/usr/bin/env bash
# The main job end to end on one machine, on the embedded default (SQLite under .sweep/): a local
# cluster with two training workers runs examples/extremism-study.yaml — search with pruning over four
# backbones, final retrain, ensemble, submission and report — and prints the results table.
set -euo pipefail
cd "$(dirname "$0")/.."
tokenizers=../shared/models/tokenizers
dotnet build src/Cli -c Release -v q -nologo >/dev/null
sweep=src/Cli/bin/Release/net10.0/linux-x64/sweep

# Small random-initialised checkpoints over the real tokenizers (no pretrained weights can be brought here).
make_checkpoint() { # name family tokenizer [extra options]
  local folder=.sweep/checkpoints/$1
  [ -f "$folder/model.safetensors" ] || "$sweep" checkpoint create --family "$2" --tokenizer "$tokenizers/$3" --out "$folder" "${@:4}"
}
make_checkpoint bert-tiny bert bert-tiny-emotion-config
make_checkpoint distilbert-tiny distilbert all-MiniLM-L6-v2
make_checkpoint roberta-tiny roberta roberta-gpt2-bpe-mlnet
make_checkpoint electra-tiny electra electra-small-QUT-abusive-student-feedback --embedding-size 32

exec "$sweep" up --workers 2 --data-dir .sweep --submit examples/extremism-study.yaml --until-done
