# SweepCluster silo: docker build -f deploy/docker/silo.Dockerfile -t sweepcluster/silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Cli/Cli.csproj -c Release -o /app --runtime linux-x64 --self-contained false

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
USER app
# 11111 silo-to-silo, 30000 gateway (clients, workers), 9464 /metrics and /healthz
EXPOSE 11111 30000 9464
ENTRYPOINT ["/app/sweep", "silo"]
