#!/usr/bin/env bash
# Training samples/s: our TorchSharp BERT vs PyTorch on the same shapes and threads (CPU).
# Needs Debian's python3-torch and libopenblas0-openmp (PyTorch 1.13 in Debian otherwise runs on one
# thread with the reference BLAS, which would make the comparison meaningless).
#   bash bench/Training/run.sh [--sizes base,small,minilm] [--threads 2] [--batch 8] [--seq 128] [--steps 5] [--warmup 2]
# Sizes (all intermediate = 4 x hidden, vocabulary 30522, 512 positions): base = BERT-base (12 layers, hidden 768,
# 12 heads), small = 4 x 256 x 4 heads, minilm = all-MiniLM-L6-v2 / snowflake-arctic-embed-xs (6 x 384 x 12 heads).
set -euo pipefail
cd "$(dirname "$0")/../.."
threads=2
for ((i = 1; i <= $#; i++)); do [ "${!i}" = "--threads" ] && { j=$((i + 1)); threads=${!j}; }; done
export OMP_NUM_THREADS=$threads OPENBLAS_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
dotnet build bench/Training -c Release -v q -nologo >/dev/null
echo "== TorchSharp (ours)"
bench/Training/bin/Release/net10.0/linux-x64/training-bench "$@"
echo "== PyTorch (reference)"
# Debian's python3-torch lives in the system interpreter (a pyenv python3 on PATH does not see it).
/usr/bin/python3 bench/Training/pytorch_reference.py "$@"
