#!/usr/bin/env bash
# Lays out a runnable Apicurio Registry (Quarkus fast-jar: quarkus-run.jar, lib/, app/, quarkus/)
# in the directory given as $1, from Maven Central only (see pom.xml for why no rebuild is done).
#
#   infra/apicurio/build.sh ~/.cache/ampseal/apicurio-3.3.3
#
# Idempotent: does nothing when $1 already holds a complete layout of the same version
# (stamp file .apicurio-version written last). Silent on success; on failure prints the tail of
# the Maven log to stderr and exits non-zero. Needs mvn (any JDK >= 8 can run the build; running
# the registry needs Java >= 21, see run.sh / README.md). Override the version with
# APICURIO_VERSION (must have an io.apicurio:apicurio-registry-app:<v>:tar.gz:all on Central).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: build.sh OUTPUT_DIR}"
version="${APICURIO_VERSION:-$(sed -n 's:.*<apicurio.version>\(.*\)</apicurio.version>.*:\1:p' "$here/pom.xml")}"
stamp=".apicurio-version"

if [[ -f "$out/quarkus-run.jar" && -f "$out/app/apicurio-registry-app-$version.jar" \
      && "$(cat "$out/$stamp" 2>/dev/null)" == "$version" ]]; then
  exit 0
fi

mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
stage="$(mktemp -d "$out.tmp.XXXXXX")"
log="$stage.log"
cleanup() { rm -rf "$stage" "$log"; }
trap cleanup EXIT

if ! mvn -B -q -f "$here/pom.xml" package \
       -Dapicurio.version="$version" \
       -Dapicurio.outputDirectory="$stage" >"$log" 2>&1; then
  echo "build.sh: Maven failed laying out Apicurio Registry $version; last lines of its log:" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
if [[ ! -f "$stage/quarkus-run.jar" || ! -f "$stage/app/apicurio-registry-app-$version.jar" ]]; then
  echo "build.sh: unpacked distribution in $stage has no quarkus-run.jar / app jar for $version" >&2
  exit 1
fi
echo "$version" >"$stage/$stamp"

# Swap in atomically-ish: a half-written layout never sits at $out.
rm -rf "$out"
mv "$stage" "$out"
