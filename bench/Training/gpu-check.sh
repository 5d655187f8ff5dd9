#!/usr/bin/env bash
# Issue 16's GPU rows: whole training steps (forward, loss, backward, clipping, AdamW) of ours (FlatAdamW) against
# PyTorch's fastest comparable setting (fused AdamW + foreach clip_grad_norm_; foreach AdamW too, for the record),
# BERT base and small, float32 and bfloat16 (ours: bf16 weights with float32 masters; PyTorch: autocast),
# batch 32, sequence 128. One row per run; the GPU is named in each header. Prepared for an NVIDIA H200 lent
# to a session; budget: under 6 minutes with the build (the runs themselves take about a minute there).
#   bash bench/Training/gpu-check.sh [--steps 20] [--warmup 5]
# Build: -p:TorchBackend=cuda (TorchSharp-cuda-linux) when the machine's NuGet cache or feed has it; otherwise
# the CPU build with the machine's PyTorch CUDA libtorch on LD_LIBRARY_PATH (how the H200 rows in docs/training.md
# were taken: TorchSharp 0.107's libLibTorchSharp.so over PyTorch 2.11's libtorch).
set -uo pipefail
cd "$(dirname "$0")/../.."
steps=20 warmup=5
for ((i = 1; i <= $#; i++)); do
  j=$((i + 1))
  [ "${!i}" = "--steps" ] && steps=${!j}
  [ "${!i}" = "--warmup" ] && warmup=${!j}
done
start=$SECONDS
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader || { echo "no NVIDIA GPU"; exit 1; }
python=${PYTHON:-python3}
torch_lib=$($python -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null || true)
bench=bench/Training/bin/Release/net10.0/linux-x64/training-bench

if timeout 240 dotnet build bench/Training -c Release -v q -nologo -p:TorchBackend=cuda >/tmp/gpu-check-build.log 2>&1; then
  echo "build: TorchBackend=cuda ($((SECONDS - start)) s)"
else
  echo "build: TorchSharp-cuda-linux unavailable ($(grep -m1 -oE 'error [A-Z]+[0-9]+: .{0,120}' /tmp/gpu-check-build.log)); CPU build over PyTorch's CUDA libtorch in $torch_lib"
  [ -n "$torch_lib" ] || { echo "no PyTorch with CUDA on this machine either"; exit 1; }
  timeout 240 dotnet build bench/Training -c Release -v q -nologo >/tmp/gpu-check-build.log 2>&1 || { tail -20 /tmp/gpu-check-build.log; exit 1; }
  # Let the loader take libtorch/libc10 from PyTorch's CUDA build, not the CPU copies next to the app.
  rm -f bench/Training/bin/Release/net10.0/linux-x64/{libtorch,libtorch_cpu,libc10,libgomp}*.so*
  export LD_LIBRARY_PATH="$torch_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "build: CPU backend + LD_LIBRARY_PATH ($((SECONDS - start)) s)"
fi

common=(--batch 32 --seq 128 --steps "$steps" --warmup "$warmup")
echo "== ours: FlatAdamW (flat buffers, one-norm clipping), fp32 and bf16 mixed"
timeout 150 "$bench" cuda-check speed "${common[@]}" --optimizer flat
echo "== ours before issue 16: TorchSharp AdamW + clip_grad_norm_ per tensor"
timeout 150 "$bench" cuda-check speed "${common[@]}" --optimizer torchsharp
for adamw in fused foreach; do
  for precision in "" --bf16; do
    echo "== PyTorch AdamW $adamw ${precision:-fp32}"
    timeout 60 $python bench/Training/pytorch_reference.py --device cuda --sizes base,small "${common[@]}" --adamw "$adamw" $precision
  done
done
echo "gpu-check: $((SECONDS - start)) s"
