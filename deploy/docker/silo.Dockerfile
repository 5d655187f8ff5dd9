# syntax=docker/dockerfile:1
# SweepCluster silo (also the image of the simulated CPU workers):
#   docker build -f deploy/docker/silo.Dockerfile -t sweepcluster/silo .
# Context = repository root; /.dockerignore keeps bin/ and obj/ out.
#
# The silo never runs a training step, so it is published with TorchBackend=none: TorchSharp's managed
# assembly only (the one `sweep` program still links the worker), no libtorch (~480 MB). `sweep worker
# --simulated` runs from this image; a real training trial would fail to load libtorch here.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore layer: only what restore reads, so a code change reuses the downloaded packages.
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
RUN dotnet restore src/Cli/Cli.csproj -p:TorchBackend=none
COPY src/ src/
RUN dotnet publish src/Cli/Cli.csproj -c Release -o /app --no-restore --self-contained false -p:TorchBackend=none

# ASP.NET Core runtime: the CLI's runtimeconfig names Microsoft.AspNetCore.App (the silo's HTTP endpoint).
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# Numeric UID (the .NET images' `app` user) so Kubernetes can verify runAsNonRoot.
USER 1654
# 11111 silo-to-silo, 30000 gateway (clients, workers), 9464 /metrics, /healthz/live, /healthz/ready
EXPOSE 11111 30000 9464
ENTRYPOINT ["/app/sweep", "silo"]
