#!/usr/bin/env bash
# Lints and renders the Helm chart (charts/ampseal); CI calls this. Installs Helm with `go install` into
# ${AMPSEAL_CACHE_DIR:-$HOME/.cache/ampseal}/bin when it is missing or not the pinned version, then:
#   - helm lint --strict and helm template, with the default values and with every ci/*-values.yaml,
#     against the chart's minimum Kubernetes version and a current one;
#   - checks that the optional resources appear when their flags are on, and the security defaults (one
#     ServiceAccount per service, NetworkPolicies with egress, no admin listener, CPU requests);
#   - checks that the dashboard and the alerts query only metrics the services define;
#   - checks that bad values are refused (schema enum, grace period not above the drain deadline).
# Exit 0 only when all of that holds. Needs Go (already a prerequisite of the local stack).
#
# Environment:
#   AMPSEAL_HELM_VERSION        Helm module version to install (default v3.22.0)
#   AMPSEAL_HELM_KUBE_VERSIONS  Kubernetes versions to render for (default "1.25.0 1.37.0")
#   AMPSEAL_HELM_OUT            keep the rendered manifests in this directory (default: a temp dir, removed)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CHART="$ROOT/charts/ampseal"
HELM_VERSION="${AMPSEAL_HELM_VERSION:-v3.22.0}"
KUBE_VERSIONS="${AMPSEAL_HELM_KUBE_VERSIONS:-1.25.0 1.37.0}"
BIN="${AMPSEAL_CACHE_DIR:-$HOME/.cache/ampseal}/bin"
HELM="$BIN/helm"

installed_version() {
  [[ -x "$HELM" ]] && "$HELM" version --template '{{.Version}}' 2>/dev/null || true
}

if [[ "$(installed_version)" != "$HELM_VERSION" ]]; then
  command -v go >/dev/null || { echo "helm-lint: Go is needed to install Helm $HELM_VERSION" >&2; exit 1; }
  echo "helm-lint: installing Helm $HELM_VERSION into $BIN (go install)"
  mkdir -p "$BIN"
  # `go install` stamps nothing, unlike Helm's release build: the binary would report no patch version and
  # assume Kubernetes 1.20 (below the chart's kubeVersion floor) for `helm template`. Stamp both the way
  # Helm's Makefile does: the version, and the Kubernetes minor of the client-go it is built with.
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
  k8s_minor="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -n 1)"
  [[ -n "$k8s_minor" ]] || { echo "helm-lint: cannot find client-go in $gomod" >&2; exit 1; }
  ldflags="-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in pkg/chartutil pkg/lint/rules; do
    ldflags+=" -X helm.sh/helm/v3/$pkg.k8sVersionMajor=1 -X helm.sh/helm/v3/$pkg.k8sVersionMinor=$k8s_minor"
  done
  GOBIN="$BIN" go install -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
fi
echo "helm-lint: $("$HELM" version --short)"

if [[ -n "${AMPSEAL_HELM_OUT:-}" ]]; then
  OUT="$AMPSEAL_HELM_OUT"
  mkdir -p "$OUT"
else
  OUT="$(mktemp -d)"
  trap 'rm -rf "$OUT"' EXIT
fi

# Render for the chart's floor and a current version: every command names the version it renders for.
value_sets=("")
for file in "$CHART"/ci/*-values.yaml; do
  [[ -e "$file" ]] && value_sets+=("$file")
done

for kube in $KUBE_VERSIONS; do
  for values in "${value_sets[@]}"; do
    label="$(basename "${values:-default}" .yaml)"
    args=(--kube-version "$kube")
    [[ -n "$values" ]] && args+=(-f "$values")
    echo "== kube $kube, values $label"
    "$HELM" lint --strict "$CHART" "${args[@]}"
    "$HELM" template ampseal "$CHART" --namespace ampseal "${args[@]}" >"$OUT/$label-$kube.yaml"
    echo "rendered: $(grep -E '^kind: ' "$OUT/$label-$kube.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}' | sed 's/, $//')"
  done
done

failures=0
expect_kinds() { # file kind...
  local file="$1"; shift
  for kind in "$@"; do
    if ! grep -qx "kind: $kind" "$file"; then
      echo "FAIL: $kind missing from $(basename "$file")" >&2
      failures=$((failures + 1))
    fi
  done
}
first_kube="${KUBE_VERSIONS%% *}"
expect_kinds "$OUT/default-$first_kube.yaml" Deployment Service ServiceAccount PodDisruptionBudget Pod NetworkPolicy
if [[ -e "$OUT/all-on-values-$first_kube.yaml" ]]; then
  expect_kinds "$OUT/all-on-values-$first_kube.yaml" ConfigMap NetworkPolicy ServiceMonitor PrometheusRule Secret
fi
# Security defaults that must not regress: one ServiceAccount per service, NetworkPolicies with egress, no admin
# listener unless asked for, the signing key mounted as a file.
expect_count() { # file, what, pattern, count
  local n
  n="$(grep -cE -- "$3" "$1" || true)"
  if [[ "$n" != "$4" ]]; then
    echo "FAIL: $2: expected $4, found $n in $(basename "$1")" >&2
    failures=$((failures + 1))
  fi
}
default="$OUT/default-$first_kube.yaml"
expect_count "$default" "ServiceAccounts" '^kind: ServiceAccount$' 2
expect_count "$default" "NetworkPolicies restricting egress" '^    - Egress$' 2
expect_count "$default" "admin listener off by default" 'AMPSEAL_ADMIN_PORT' 0
expect_count "$default" "signing key as a file" 'name: AMPSEAL_REQUEST_SIGNING_KEY_FILE$' 1
expect_count "$default" "CPU requests" '^ +cpu: ' 3
if [[ -e "$OUT/all-on-values-$first_kube.yaml" ]]; then
  expect_count "$OUT/all-on-values-$first_kube.yaml" "the privacy console's variables with the admin listener" 'name: AMPSEAL_ADMIN_CONSOLE(_SESSION_MINUTES)?$' 2
fi

# The dashboard and the alerts query only metrics the services define (a renamed metric would leave a panel empty
# and an alert silent): every ampseal_* name in them, less a histogram's _bucket/_count/_sum, is a `name:` in
# services/*/src.
if [[ -e "$OUT/all-on-values-$first_kube.yaml" ]]; then
  defined="$(grep -rhoE "name: '(ampseal_[a-z0-9_]+)'" "$ROOT"/services/*/src --include='*.ts' | sed -E "s/name: '(.*)'/\1/" | sort -u)"
  used="$(grep -oE 'ampseal_[a-z0-9_]+' "$OUT/all-on-values-$first_kube.yaml" | sed -E 's/_(bucket|count|sum)$//' | sort -u)"
  for metric in $used; do
    if ! grep -qx "$metric" <<<"$defined"; then
      echo "FAIL: $metric is queried by the dashboard or the alerts but no service defines it" >&2
      failures=$((failures + 1))
    fi
  done
  echo "metrics queried by the dashboard and alerts, all defined: $(wc -w <<<"$used")"
fi

expect_refused() { # description, expected message, helm args...
  local what="$1" message="$2"; shift 2
  local log="$OUT/refused.log"
  if "$HELM" template ampseal "$CHART" --kube-version "$first_kube" "$@" >/dev/null 2>"$log"; then
    echo "FAIL: $what was accepted" >&2
    failures=$((failures + 1))
  elif ! grep -q -- "$message" "$log"; then
    echo "FAIL: $what refused for another reason:" >&2
    cat "$log" >&2
    failures=$((failures + 1))
  else
    echo "refused as expected: $what"
  fi
}
expect_refused "config.logLevel=loud (schema enum)" "value must be one of" --set config.logLevel=loud
expect_refused "pseudonymizer.audiences={marketing} (schema enum)" "value must be one of" --set 'pseudonymizer.audiences={marketing}'
expect_refused "unknown key config.logLeve (schema)" "additional properties" --set config.logLeve=debug
expect_refused "grace period not above the drain deadline" "must be larger than" --set shredder.terminationGracePeriodSeconds=20
expect_refused "admin API without operators" "needs shredder.admin.tokens.operators" --set shredder.admin.enabled=true
expect_refused "admin API on the ops port" "must differ from config.httpPort" --set shredder.admin.enabled=true --set shredder.admin.tokens.existingSecret=t --set shredder.admin.port=9464
expect_refused "a console session of 1 minute (schema)" "minimum" --set shredder.admin.console.sessionMinutes=1
expect_refused "a clear token instead of its hash (schema)" "does not match pattern" --set shredder.admin.enabled=true --set 'shredder.admin.tokens.operators[0].name=alice' --set 'shredder.admin.tokens.operators[0].sha256=my-secret-token'
expect_refused "signatures required without a key" "needs requestSigning.existingSecret" --set requestSigning.existingSecret=
expect_refused "no CPU request (schema)" "missing property 'cpu'" --set pseudonymizer.resources.requests.cpu=null

if ((failures > 0)); then
  echo "helm-lint: $failures check(s) failed" >&2
  exit 1
fi
echo "helm-lint: ok"
