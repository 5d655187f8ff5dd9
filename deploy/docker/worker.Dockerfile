# syntax=docker/dockerfile:1
# SweepCluster GPU worker:
#   docker build -f deploy/docker/worker.Dockerfile --build-arg TORCH_BACKEND=cuda -t sweepcluster/worker .
# Context = repository root; /.dockerignore keeps bin/ and obj/ out.
#
# TORCH_BACKEND=cuda selects TorchSharp-cuda-linux (0.107.0 -> libtorch-cuda-12.8-linux-x64, libtorch
# 2.10, split over several -partN packages) through the MSBuild property TorchBackend; that package must
# be on the NuGet feed the build uses (it is not on every mirror). The libtorch-cuda packages carry
# libtorch's "shared-with-deps" lib folder, i.e. the CUDA 12.8 runtime libraries libtorch links
# (cudart, cuBLAS, cuDNN, NCCL, …) beside libtorch itself, so the image needs no CUDA base: only the
# node's NVIDIA driver (libcuda.so), which the NVIDIA container toolkit mounts into the container when
# the pod requests nvidia.com/gpu (driver >= 570 for CUDA 12.8). Should a feed ship a libtorch-cuda
# package without those libraries, build with
#   --build-arg RUNTIME_BASE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
# and install the ASP.NET Core runtime in it (the CLI's runtimeconfig needs Microsoft.AspNetCore.App).
# The default, cpu, builds a CPU worker (also what `sweep worker --simulated` smoke tests need).
ARG TORCH_BACKEND=cpu
ARG RUNTIME_BASE=mcr.microsoft.com/dotnet/aspnet:10.0
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
ARG TORCH_BACKEND
WORKDIR /src
# Restore layer: only what restore reads, so a code change does not download libtorch again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Cli/Cli.csproj src/Cli/
COPY src/Connection/Connection.csproj src/Connection/
COPY src/Contracts/Contracts.csproj src/Contracts/
COPY src/Search/Search.csproj src/Search/
COPY src/Silo/Silo.csproj src/Silo/
COPY src/Studies/Studies.csproj src/Studies/
COPY src/Training/Training.csproj src/Training/
COPY src/Vocabulary/Vocabulary.csproj src/Vocabulary/
COPY src/Worker/Worker.csproj src/Worker/
RUN dotnet restore src/Cli/Cli.csproj -p:TorchBackend=${TORCH_BACKEND}
COPY src/ src/
RUN dotnet publish src/Cli/Cli.csproj -c Release -o /app --no-restore --self-contained false -p:TorchBackend=${TORCH_BACKEND}

# ASP.NET Core runtime (not dotnet/runtime): the CLI's runtimeconfig names Microsoft.AspNetCore.App.
FROM ${RUNTIME_BASE}
WORKDIR /app
COPY --from=build /app .
# The NVIDIA container toolkit mounts the driver when these are set (the device plugin sets them too).
ENV NVIDIA_VISIBLE_DEVICES=all NVIDIA_DRIVER_CAPABILITIES=compute,utility
# Numeric UID (the .NET images' `app` user) so Kubernetes can verify runAsNonRoot.
USER 1654
ENTRYPOINT ["/app/sweep", "worker"]
