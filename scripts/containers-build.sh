#!/bin/sh
# Builds every image of docker-compose.yml (the services and web) and tags each twice:
# shipshape/<service>:<version>
# (the version of package.json) and shipshape/<service>:latest. Extra arguments go to `compose build`.
# Uses $SHIPSHAPE_COMPOSE when set, else `docker compose`, else docker-compose (1.29 needs BuildKit on,
# which this script turns on).
set -eu
cd "$(dirname "$0")/.."

compose() {
  if [ -n "${SHIPSHAPE_COMPOSE:-}" ]; then $SHIPSHAPE_COMPOSE "$@"
  elif docker compose version >/dev/null 2>&1; then docker compose "$@"
  else docker-compose "$@"; fi
}

version=$(node -p 'require("./package.json").version' 2>/dev/null ||
  sed -n 's/^  "version": "\([^"]*\)",*$/\1/p' package.json | head -n 1)
SHIPSHAPE_VERSION=${SHIPSHAPE_VERSION:-$version}
SHIPSHAPE_REVISION=${SHIPSHAPE_REVISION:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}
DOCKER_BUILDKIT=1
COMPOSE_DOCKER_CLI_BUILD=1
export SHIPSHAPE_VERSION SHIPSHAPE_REVISION DOCKER_BUILDKIT COMPOSE_DOCKER_CLI_BUILD

compose build "$@"
for dockerfile in services/*/Dockerfile web/Dockerfile; do
  service=$(basename "$(dirname "$dockerfile")")
  docker tag "shipshape/$service:$SHIPSHAPE_VERSION" "shipshape/$service:latest"
  echo "tagged shipshape/$service:$SHIPSHAPE_VERSION and shipshape/$service:latest"
done
