#!/usr/bin/env bash
# Runs (in the foreground, via exec) the Apicurio Registry laid out by build.sh in $1, with
# in-memory storage (H2 in-memory, lost on exit), on 127.0.0.1 only.
#
#   infra/apicurio/run.sh ~/.cache/ampseal/apicurio-3.3.3 >apicurio.log 2>&1 &
#   -> Confluent-compatible API at http://127.0.0.1:8081/apis/ccompat/v7
#
# Env: APICURIO_PORT (8081), APICURIO_MGMT_PORT (9081; Quarkus management interface with
# /health/ready, /metrics; its default 9000 clashes too easily), APICURIO_JAVA (a java >= 21;
# default: $JAVA_HOME/bin/java if new enough, else /usr/lib/jvm/temurin-25-jdk-amd64/bin/java,
# else java on PATH), APICURIO_JAVA_OPTS (extra JVM flags / -D properties, appended last so they win).
set -euo pipefail

dir="${1:?usage: run.sh DIR_BUILT_BY_build.sh}"
[[ -f "$dir/quarkus-run.jar" ]] || { echo "run.sh: no $dir/quarkus-run.jar; run build.sh first" >&2; exit 1; }

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
pick_java() {
  local c
  for c in "${APICURIO_JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" \
           /usr/lib/jvm/temurin-25-jdk-amd64/bin/java "$(command -v java || true)"; do
    [[ -n "$c" && -x "$c" ]] || continue
    if (( $(java_major "$c" || echo 0) >= 21 )); then echo "$c"; return; fi
  done
  echo "run.sh: need a Java >= 21 (Apicurio 3.3 is compiled for 21); set APICURIO_JAVA" >&2
  exit 1
}
java="$(pick_java)"

# shellcheck disable=SC2086  # APICURIO_JAVA_OPTS is a flag list on purpose
exec "$java" -Xmx512m -XX:+UseSerialGC \
  -Dquarkus.http.host=127.0.0.1 \
  -Dquarkus.http.port="${APICURIO_PORT:-8081}" \
  -Dquarkus.management.host=127.0.0.1 \
  -Dquarkus.management.port="${APICURIO_MGMT_PORT:-9081}" \
  -Dapicurio.storage.kind=sql \
  -Dapicurio.storage.sql.kind=h2 \
  ${APICURIO_JAVA_OPTS:-} \
  -jar "$dir/quarkus-run.jar"
