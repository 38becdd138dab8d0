#!/usr/bin/env bash
# Builds deploy/Dockerfile as jt1078-cluster:local (or $JT1078_IMAGE).
#
#   deploy/ci/build-image.sh     # or: npm run image
#
# The base, node:20-bookworm-slim, is used when present, pulled when a registry answers, and
# otherwise made here from Debian's and npm's packages (make-local-base.sh; a few minutes once
# per machine, kept by Docker afterwards). Docker's layer cache makes a second run with no
# source change take seconds. Without the buildx plugin the classic builder is used.
set -euo pipefail
cd "$(dirname "$0")/../.."

TAG="${JT1078_IMAGE:-jt1078-cluster:local}"
BASE=node:20-bookworm-slim
log() { echo "build-image: $*" >&2; }

docker info >/dev/null 2>&1 || { log "no Docker engine answers (docker info failed): start dockerd (.ci/run does)"; exit 1; }

# One build at a time on a machine: a second caller (the container test, while .ci/run's early
# build still runs) waits for the first, then finds every layer cached.
exec 9>"${TMPDIR:-/tmp}/jt1078-build-image.lock"
flock 9

if ! docker image inspect "$BASE" >/dev/null 2>&1; then
  if timeout "${PULL_TIMEOUT_SECONDS:-60}" docker pull -q "$BASE" >/dev/null 2>&1; then
    log "pulled $BASE"
  else
    log "$BASE cannot be pulled: making it locally"
  fi
fi
# The test servers' images come from the same local base; made only when missing.
deploy/ci/make-local-base.sh

docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
start=$SECONDS
docker build -q -f deploy/Dockerfile -t "$TAG" . 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e 'buildx component' -e 'docs.docker.com/go/buildx' -e 'BuildKit is currently disabled' -e 'DOCKER_BUILDKIT=0' -e 'environment-variable' -e '^$' >&2) >/dev/null
log "$TAG built in $((SECONDS - start)) s ($(docker image inspect -f '{{.Size}}' "$TAG" | awk '{printf "%.0f MB", $1 / 1e6}'))"
