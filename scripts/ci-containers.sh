#!/usr/bin/env bash
# Container tests in CI (.ci/run calls it after the other tests): builds the images, starts the stack
# under a project of its own, checks it through the published ports, removes it with its volumes; then
# the same images as a Swarm stack (npm run test:swarm).
# With the container lab next to the repository (../shared/lab) its engine and stand-in base images are
# used; elsewhere the machine's own Docker. Without any engine the tests skip with a warning, except
# with CI=true and the lab present, where that is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

lab=../shared/lab
if [ -x "$lab/prepare" ]; then
  lab=$(cd "$lab" && pwd)
  "$lab/prepare" .
  # the lab's engine comes with its own docker CLI (BuildKit builds without buildx) and docker-compose 1.29
  export PATH=/usr/bin:/usr/sbin:$PATH
  export SHIPSHAPE_COMPOSE="$lab/compose"
fi
export DOCKER_BUILDKIT=1 COMPOSE_DOCKER_CLI_BUILD=1

# A project name known here as well, so that the stack is removed even if the test process is killed.
export SHIPSHAPE_CONTAINERS_PROJECT="shipshape-ci-$$"
compose() {
  if [ -n "${SHIPSHAPE_COMPOSE:-}" ]; then $SHIPSHAPE_COMPOSE "$@"
  elif docker compose version >/dev/null 2>&1; then docker compose "$@"
  else docker-compose "$@"; fi
}
cleanup() {
  if docker info >/dev/null 2>&1; then
    compose -p "$SHIPSHAPE_CONTAINERS_PROJECT" down --volumes --remove-orphans --timeout 10 \
      >/dev/null 2>&1 || true
    # The Swarm tests' stack, when their process died before removing it.
    if docker stack ls --format '{{.Name}}' 2>/dev/null | grep -qx shipshape; then
      node scripts/swarm.mjs down --volumes --secrets >/dev/null 2>&1 || true
    fi
  fi
}
trap cleanup EXIT

npm run test:containers
# Then the Swarm stack, from the images just built (tests/swarm: swarm:up, rolling updates, swarm:down).
npm run test:swarm
