#!/usr/bin/env bash
# Installs every build and test dependency of xcni from Debian's archive, and
# builds cnitool (libcni's reference client) offline from Debian's sources.
# Idempotent: returns quickly when everything is already present.
set -euo pipefail

PKGS=(
	make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config
	libcjson-dev libcurl4-openssl-dev libmnl-dev libcmocka-dev libmicrohttpd-dev libyaml-dev
	bats iproute2 iputils-ping ethtool jq util-linux procps psmisc
	clang-format cppcheck
	golang-go golang-github-appc-cni-dev
	containerd runc busybox-static containernetworking-plugins hyperfine
	python3 openssl curl iperf3 socat nghttp2-proxy iptables
)
CNITOOL=${CNITOOL:-/usr/local/bin/cnitool}

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ] || [ ! -x "$CNITOOL" ]; then
	# cnitool ships only in the source package, so deb-src must be enabled.
	src=/etc/apt/sources.list.d/xcni-deb-src.sources
	if [ ! -x "$CNITOOL" ] && [ ! -f "$src" ]; then
		uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
		uri=${uri:-http://deb.debian.org/debian}
		cat >"$src" <<SRC
Types: deb-src
URIs: $uri
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	if [ ${#missing[@]} -gt 0 ]; then
		echo "deps: installing ${missing[*]}"
		apt-get install -y -q --no-install-recommends "${missing[@]}"
	fi
fi

if [ ! -x "$CNITOOL" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
	(cd "$work" && apt-get source -q --download-only golang-github-appc-cni >/dev/null &&
		dpkg-source -x --no-check ./*.dsc src >/dev/null)
	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off CGO_ENABLED=0 \
		GOCACHE="$work/cache" go build -o "$CNITOOL" "$work/src/cnitool/cnitool.go"
	echo "deps: built $CNITOOL"
fi
