#!/usr/bin/env bash
# `npm run image`: builds the container image ampseal:<version> (localhost/ampseal:<version> in buildah's storage)
# from the Containerfile with buildah, no Docker daemon. Installs buildah from Debian's packages when it is
# missing (root), assembles the bases when needed (infra/image/base.sh, cached), then builds with layer caching:
# an unchanged lockfile reuses the dependency layers, so a warm build only compiles and copies.
#
#   bash infra/image/build.sh                 prints the image name on its last line
#   AMPSEAL_IMAGE_SOURCE=URL                  the org.opencontainers.image.source label (default: git's origin)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
export BUILDAH_ISOLATION=chroot
log() { echo "[image] $*" >&2; }

if ! command -v buildah >/dev/null; then
  [ "$(id -u)" -eq 0 ] || { log "buildah is missing; install it: apt-get install -y buildah"; exit 1; }
  log "installing buildah (Debian package)"
  apt-get install -y -q buildah >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q buildah >/dev/null; }
fi

# npm ci checks the lockfile against every workspace's manifest, so the Containerfile must copy them all.
for manifest in schemas/package.json services/*/package.json test/package.json; do
  grep -q "^COPY $manifest " Containerfile || { log "Containerfile does not copy $manifest (add it to the manifests stage)"; exit 1; }
done

version=$(node -p "require('./services/cli/package.json').version")
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
source_url=${AMPSEAL_IMAGE_SOURCE:-$(git config --get remote.origin.url 2>/dev/null | sed -E 's#//[^/@]*@#//#' || true)}
image="localhost/ampseal:$version"
node_version=$(sed -n 's/^NODE_VERSION=//p' infra/versions.env)

# The build stages install from the npm registry: where its TLS is intercepted by a proxy whose CA the host trusts
# (npm's cafile, NODE_EXTRA_CA_CERTS), RUN steps get that bundle, read-only, for the build only.
ca_file=${NODE_EXTRA_CA_CERTS:-$(npm config get cafile 2>/dev/null || true)}
ca_args=()
if [ -n "$ca_file" ] && [ -f "$ca_file" ]; then
  ca_args=(--volume "$ca_file:/run/build-ca.pem:ro" --build-arg NODE_EXTRA_CA_CERTS=/run/build-ca.pem)
fi

# Every build whose sources changed leaves its layers behind as cache; past a bound (AMPSEAL_IMAGE_STORE_MAX_GB,
# default 8) the unnamed ones go, and the next build pays for its dependency layers once.
store=$(buildah info --format '{{index .store "GraphRoot"}}' 2>/dev/null || echo /var/lib/containers/storage)
if [ -d "$store" ] && [ "$(du -s --block-size=1G "$store" | cut -f1)" -gt "${AMPSEAL_IMAGE_STORE_MAX_GB:-8}" ]; then
  log "buildah storage over ${AMPSEAL_IMAGE_STORE_MAX_GB:-8} GB: removing unnamed layers"
  buildah rmi --prune >/dev/null 2>&1 || true
fi

bash infra/image/base.sh
log "building $image (Node.js $node_version)"
build_log="${AMPSEAL_CACHE_DIR:-$HOME/.cache/ampseal}/image/last-build.log"
mkdir -p "$(dirname "$build_log")"
buildah build --layers --isolation chroot \
  --file Containerfile "${ca_args[@]}" \
  --build-arg NODE_VERSION="$node_version" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  --build-arg SOURCE="${source_url:-unknown}" \
  --tag "$image" . >"$build_log" 2>&1 || { tail -n 40 "$build_log" >&2; log "build failed (whole log: $build_log)"; exit 1; }
log "$image: $(buildah images --format '{{.Size}}' "$image"), user $(buildah inspect --type image --format '{{.OCIv1.Config.User}}' "$image")"
echo "$image"
