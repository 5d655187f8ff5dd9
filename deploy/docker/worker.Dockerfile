# SweepCluster GPU worker:
#   docker build -f deploy/docker/worker.Dockerfile --build-arg TORCH_BACKEND=cuda -t sweepcluster/worker .
# TORCH_BACKEND=cuda selects TorchSharp-cuda-linux through the MSBuild property TorchBackend; that
# package must be on the NuGet feed the build uses (it is not on every mirror). The default, cpu,
# builds a CPU worker (also what `sweep worker --simulated` smoke tests need).
ARG TORCH_BACKEND=cpu
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
COPY . .
RUN dotnet publish src/Cli/Cli.csproj -c Release -o /app --runtime linux-x64 --self-contained false -p:TorchBackend=${TORCH_BACKEND}

FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libicu70 && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 1654 app
COPY --from=mcr.microsoft.com/dotnet/runtime:10.0 /usr/share/dotnet /usr/share/dotnet
ENV PATH="/usr/share/dotnet:${PATH}" DOTNET_ROOT=/usr/share/dotnet
WORKDIR /app
COPY --from=build /app .
USER app
ENTRYPOINT ["/app/sweep", "worker"]
