#!/usr/bin/env bash
# Small random-initialised checkpoints of four families over the real tokenizers in ../shared/models, for
# examples/tiny-backbones-study.yaml (no pretrained weights of these families can be brought here).
#   bash scripts/tiny-checkpoints.sh SWEEP_BINARY [OUT_DIR (default .sweep/checkpoints)]
set -euo pipefail
cd "$(dirname "$0")/.."
sweep=${1:?usage: tiny-checkpoints.sh SWEEP_BINARY [OUT_DIR]}
out=${2:-.sweep/checkpoints}
tokenizers=../shared/models/tokenizers
make_checkpoint() { # name family tokenizer [extra options]
  local folder=$out/$1
  [ -f "$folder/model.safetensors" ] || "$sweep" checkpoint create --family "$2" --tokenizer "$tokenizers/$3" --out "$folder" "${@:4}"
}
make_checkpoint bert-tiny bert bert-tiny-emotion-config
make_checkpoint distilbert-tiny distilbert all-MiniLM-L6-v2
make_checkpoint roberta-tiny roberta roberta-gpt2-bpe-mlnet
make_checkpoint electra-tiny electra electra-small-QUT-abusive-student-feedback --embedding-size 32
