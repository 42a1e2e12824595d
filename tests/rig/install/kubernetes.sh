#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kube-scheduler v1.20.2 from Debian's own source
# package (its tarball ships vendor/, so no Go module download is needed) and caches the three binaries.
# Skipped when the cached binaries are present and report the right version.
set -euo pipefail
source "$(dirname "$0")/../lib.sh"

BINARIES=(kube-apiserver kube-controller-manager kube-scheduler)

verified() {
  [[ -f "$K8S_DIR/.complete" ]] || return 1
  local b
  for b in "${BINARIES[@]}"; do
    "$K8S_DIR/bin/$b" --version 2>/dev/null | grep -qx "Kubernetes v$K8S_VERSION" || return 1
  done
}

if verified; then
  log "kubernetes v$K8S_VERSION cached in $K8S_DIR"
  exit 0
fi
command -v go >/dev/null || die "go is missing (run install/apt.sh first)"

mkdir -p "$RIG_CACHE"
work="$(mktemp -d "$RIG_CACHE/.build-kubernetes.XXXXXX")"
# The Go cache and the source tree take about 1.5 GB: never leave them behind, even on failure.
cleanup() {
  chmod -R u+w "$work" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

log "fetching Debian source package $K8S_DEBIAN_SOURCE"
# A private apt configuration with deb-src entries, so the system's sources and lists stay untouched.
apt_dir="$work/apt"
mkdir -p "$apt_dir/sources.list.d" "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
: >"$apt_dir/sources.list"
if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
  sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources \
    >"$apt_dir/sources.list.d/debian.sources"
fi
if [[ -f /etc/apt/sources.list ]]; then
  sed -n 's/^deb /deb-src /p' /etc/apt/sources.list >"$apt_dir/sources.list"
fi
cat >"$apt_dir/apt.conf" <<CONF
Dir::Etc::SourceList "$apt_dir/sources.list";
Dir::Etc::SourceParts "$apt_dir/sources.list.d";
Dir::State::Lists "$apt_dir/lists";
Dir::Cache "$apt_dir/cache";
# The private dirs are root-only (mktemp); download as root instead of the _apt user.
APT::Sandbox::User "root";
CONF
export APT_CONFIG="$apt_dir/apt.conf"
apt-get update -qq || die "apt-get update (deb-src) failed"
(cd "$work" && apt-get source -qq --download-only "$K8S_DEBIAN_SOURCE") ||
  die "apt-get source $K8S_DEBIAN_SOURCE failed"
unset APT_CONFIG

orig="$(find "$work" -maxdepth 1 -name 'kubernetes_*.orig.tar.*' | head -n1)"
[[ -n "$orig" ]] || die "no orig tarball in the source package"
mkdir -p "$work/src"
tar -xf "$orig" -C "$work/src"
tree="$(dirname "$(find "$work/src" -maxdepth 3 -type d -path '*/cmd/kube-apiserver' | head -n1)")"
tree="${tree%/cmd}"
[[ -d "$tree/vendor" ]] || die "source tree without vendor/ in $orig"

# The vendored reflect2 1.0.1 breaks under Go >= 1.18: the API server panics (nil pointer in
# reflect2.Type2) decoding maps with named key types, such as a Node's capacity. 1.0.2 is the fixed,
# API-compatible release, and Debian ships it: overlay it.
reflect2=/usr/share/gocode/src/github.com/modern-go/reflect2
[[ -f "$reflect2/reflect2.go" ]] || die "$reflect2 missing (apt package golang-github-modern-go-reflect2-dev)"
rm -rf "$tree/vendor/github.com/modern-go/reflect2"
cp -r "$reflect2" "$tree/vendor/github.com/modern-go/reflect2"

# GOPATH mode: module mode fails on this tree ("updates to go.mod needed").
export GOPATH="$work/gopath" GOCACHE="$work/gocache" GO111MODULE=off CGO_ENABLED=0 GOPROXY=off GOFLAGS=
mkdir -p "$GOPATH/src/k8s.io"
ln -s "$tree" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"

log "generating code (make generated_files)"
make generated_files >"$work/generate.log" 2>&1 || {
  tail -n 40 "$work/generate.log" >&2
  die "make generated_files failed"
}

# Without these the server reports v0.0.0 and Helm's kubeVersion checks break.
ldflags=""
for pkg in k8s.io/kubernetes/vendor/k8s.io/component-base/version \
  k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=v$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=20"
  ldflags+=" -X $pkg.gitTreeState=clean"
done

mkdir -p "$work/bin"
for b in "${BINARIES[@]}"; do
  log "building $b"
  go build -trimpath -ldflags "-s -w$ldflags" -o "$work/bin/$b" "./cmd/$b" ||
    die "go build $b failed"
done

rm -rf "$K8S_DIR"
mkdir -p "$K8S_DIR"
mv "$work/bin" "$K8S_DIR/bin"
touch "$K8S_DIR/.complete"
verified || die "built binaries do not report Kubernetes v$K8S_VERSION"
log "kubernetes v$K8S_VERSION built into $K8S_DIR"
