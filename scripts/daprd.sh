#!/usr/bin/env bash
# Provides daprd and placement of the pinned Dapr runtime version (from .env) and prints the directory
# holding both. Order of preference: our cached build, an installed daprd that reports the pinned version
# (~/.dapr/bin, then PATH), then a build from the Go module proxy.
#
# Why a build: these machines reach the Go module proxy but not GitHub releases. `go install …@vX`
# refuses dapr because its go.mod has replace directives, so we generate a tiny module that requires
# github.com/dapr/dapr at the pinned version and repeats its replace block, and build the official
# mains inside it with -tags stablecomponents (the component set of the release's stable-components flavor,
# daprio/daprd:<version>-stablecomponents, which the Dockerfile uses; the plain release has alpha ones too).
#
# Idempotent: the binaries are cached outside the repository, keyed by version; a second run takes
# well under a second.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${DAPR_VERSION:-$(sed -n 's/^DAPR_VERSION=//p' "$root/.env")}"
[[ -n "$version" ]] || { echo "daprd.sh: DAPR_VERSION not set in $root/.env" >&2; exit 1; }
cache="${FANOUT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/followers-fanout}/dapr/$version"

log() { echo "daprd.sh: $*" >&2; }

# daprd reports its version; placement has no --version flag, so it only has to be there beside it.
usable() { # $1 = directory
  [[ -x "$1/daprd" && -x "$1/placement" ]] && [[ "$("$1/daprd" --version 2>/dev/null | head -n1)" == "$version" ]]
}

for dir in "$cache/bin" "$HOME/.dapr/bin" "$(dirname "$(command -v daprd 2>/dev/null || echo /nonexistent/daprd)")"; do
  if usable "$dir"; then
    echo "$dir"; exit 0
  fi
done

command -v go >/dev/null || { log "Go is required to build daprd $version (no installed daprd of that version found)"; exit 1; }
# dapr's go.mod asks for a newer Go than most distributions ship (1.24.11 for 1.16.5): below, Go 1.21 and later
# fetch that toolchain from the module proxy; an older one cannot.
go_version="$(go env GOVERSION)"
if [[ "$go_version" =~ ^go1\.([0-9]+) ]] && ((BASH_REMATCH[1] < 21)); then
  log "Go 1.21 or newer is required to build daprd $version (it fetches the Go toolchain dapr asks for); found $go_version"
  exit 1
fi
local_go="${go_version#go}"
local_go="${local_go%%[ -]*}" # go1.22.2 X:… or go1.23rc1-… : the version alone

mkdir -p "$cache/bin"
# Two first runs at once (scripts/run.sh and scripts/test.sh in two terminals) would write the same module and
# binaries: the second waits for the first, then finds its build.
exec 9>"$cache/.build.lock"
flock 9
if usable "$cache/bin"; then
  echo "$cache/bin"; exit 0
fi

log "building daprd and placement $version from the Go module proxy (first time only; cached in $cache)"
mod="$cache/module"
mkdir -p "$mod"
cd "$mod"
export GOFLAGS=-mod=mod CGO_ENABLED=0
# dapr's go.mod first, outside any module: it names the Go dapr asks for. A Go older than that fetches the .mod
# and then reports the module as needing a newer Go; only the .mod is wanted here. No toolchain switch meanwhile.
rm -f go.mod # a previous build's: the probe must not run inside it
mkdir -p probe
probe="$(cd probe && GOTOOLCHAIN=local GOSUMDB=off go mod download -json "github.com/dapr/dapr@v$version" 2>&1)" || true
dapr_gomod="$(sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' <<<"$probe")"
if [[ ! -f "$dapr_gomod" ]]; then
  # With -json, go reports a failed download only in the JSON it prints: keep it, to say why.
  log "could not download github.com/dapr/dapr@v$version: $(printf '%b' "$(sed -n 's/.*"Error": "\(.*\)".*/\1/p' <<<"$probe")")"
  exit 1
fi
dapr_go="$(sed -n 's/^go \([0-9.]*\).*/\1/p' "$dapr_gomod")"

# A Go older than that fetches its toolchain from the module proxy, once (Go caches it beside the modules), verified
# by the checksum database, which Go insists on for a toolchain. Then no other switch, whatever go.env says.
go_bin=go
if [[ "$(printf '%s\n' "$dapr_go" "$local_go" | sort -V | head -n1)" != "$dapr_go" ]]; then
  log "Go $local_go is older than the $dapr_go dapr $version asks for: fetching that toolchain from the module proxy"
  GOTOOLCHAIN="go$dapr_go" GOFLAGS= go version >&2 || {
    log "could not fetch Go $dapr_go (the module proxy and sum.golang.org must be reachable); or install it"
    exit 1
  }
  go_bin="$(GOTOOLCHAIN="go$dapr_go" GOFLAGS= go env GOROOT)/bin/go"
fi
# tools/daprd/go.sum, committed, pins every module's hash (go verifies against it; entries it lacks are added on
# first use), so the modules need no checksum database.
export GOTOOLCHAIN=local GOSUMDB=off
[[ -f "$root/tools/daprd/go.sum" ]] && cp "$root/tools/daprd/go.sum" go.sum
cat > go.mod <<GOMOD
module followers-fanout/daprd-build

go $dapr_go

require github.com/dapr/dapr v$version
GOMOD
# dapr's own replace directives do not apply to a module that depends on it: repeat them.
awk '/^replace \(/{inblock=1} inblock{print} inblock && /^\)/{inblock=0} /^replace [^(]/{print}' "$dapr_gomod" >> go.mod

ldflags="-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=$version -X github.com/dapr/kit/logger.DaprVersion=$version"
start=$SECONDS
"$go_bin" build -tags stablecomponents -trimpath -ldflags "$ldflags" -o "$cache/bin/daprd.tmp" github.com/dapr/dapr/cmd/daprd
"$go_bin" build -trimpath -ldflags "$ldflags" -o "$cache/bin/placement.tmp" github.com/dapr/dapr/cmd/placement
mv "$cache/bin/daprd.tmp" "$cache/bin/daprd"
mv "$cache/bin/placement.tmp" "$cache/bin/placement"
log "built in $((SECONDS - start)) s: $(du -sh "$cache/bin" | cut -f1) of binaries"
echo "$cache/bin"
