#!/usr/bin/env bash
# Builds the control plane the e2e suite runs against: etcd comes from Debian (etcd-server), while
# kube-apiserver, kube-controller-manager and a matching kubectl are built from Debian's
# `kubernetes` source package (1.20.2, Go dependencies vendored), because Debian ships no API
# server binary. Idempotent: when the cached binaries exist and run, it does nothing.
#
# Output: ~/.cache/ztgate/kube/bin/{kube-apiserver,kube-controller-manager,kubectl}
# Override the cache with ZTGATE_KUBE_CACHE. Needs root (apt-get) on a Debian machine.
set -euo pipefail

CACHE="${ZTGATE_KUBE_CACHE:-$HOME/.cache/ztgate/kube}"
BIN="$CACHE/bin"
SRC="$CACHE/src"
BINARIES=(kube-apiserver kube-controller-manager kubectl)
REFLECT2_DEBIAN=/usr/share/gocode/src/github.com/modern-go/reflect2

log() { echo "[setup-control-plane] $*"; }

have_binaries() {
  command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || return 1
  "$BIN/kube-apiserver" --version >/dev/null 2>&1 || return 1
  "$BIN/kube-controller-manager" --version >/dev/null 2>&1 || return 1
  "$BIN/kubectl" version --client >/dev/null 2>&1 || return 1
  command -v openssl >/dev/null 2>&1
}

if have_binaries; then
  log "cached binaries in $BIN run; nothing to do"
  exit 0
fi

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# A deb-src entry mirroring the existing Debian archive, so `apt-get source` finds the same release.
add_deb_src() {
  local target=/etc/apt/sources.list.d/ztgate-deb-src
  if grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; then
    log "a deb-src entry already exists"
    return
  fi
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -e "$f" ] || continue
    grep -qE '^URIs:.*debian' "$f" || continue
    log "adding deb-src stanzas mirroring $f"
    sed -E 's/^Types:[[:space:]]*deb[[:space:]]*$/Types: deb-src/' "$f" | as_root tee "$target.sources" >/dev/null
    return
  done
  if [ -f /etc/apt/sources.list ] && grep -qE '^deb ' /etc/apt/sources.list; then
    log "adding deb-src lines mirroring /etc/apt/sources.list"
    grep -E '^deb ' /etc/apt/sources.list | sed -E 's/^deb /deb-src /' | as_root tee "$target.list" >/dev/null
    return
  fi
  echo "no Debian apt source found to mirror as deb-src" >&2
  exit 1
}

add_deb_src
log "apt-get update and install build dependencies"
as_root apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  etcd-server openssl golang-go rsync build-essential dpkg-dev golang-github-modern-go-reflect2-dev >/dev/null

mkdir -p "$SRC" "$BIN"
cd "$SRC"
tree="$(find . -maxdepth 1 -type d -name 'kubernetes-*' | sort | tail -n1)"
if [ -z "$tree" ]; then
  log "apt-get source kubernetes into $SRC"
  apt-get source -qq kubernetes
  tree="$(find . -maxdepth 1 -type d -name 'kubernetes-*' | sort | tail -n1)"
fi
cd "$tree"

# Kubernetes 1.20 vendors reflect2 1.0.1, whose map iteration faults under Go >= 1.18 (the API
# server dies on its first CRD write); Debian's 1.0.2 carries the fix.
log "replacing vendored github.com/modern-go/reflect2 with Debian's 1.0.2"
rsync -a --delete --exclude '.git*' "$REFLECT2_DEBIAN/" vendor/github.com/modern-go/reflect2/

log "building ${BINARIES[*]} with $(go version) (takes several minutes)"
export KUBE_GIT_VERSION="${KUBE_GIT_VERSION:-v1.20.2}" KUBE_GIT_TREE_STATE=clean KUBE_GIT_COMMIT=debian
export GOFLAGS="${GOFLAGS:--mod=vendor}" GOCACHE="$CACHE/gocache"
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kubectl"

for b in "${BINARIES[@]}"; do
  install -m 0755 "_output/local/bin/linux/$(go env GOARCH)/$b" "$BIN/$b"
done
have_binaries
log "done: $("$BIN/kube-apiserver" --version), etcd $(etcd --version | head -n1)"
