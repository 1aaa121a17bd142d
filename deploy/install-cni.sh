#!/bin/sh
# The DaemonSet's init container: installs the xcni CNI binary and the
# ConfigMap's conflist on the host, each by an atomic rename (the runtime
# never reads half a file, and a running xcni is never overwritten in place),
# and creates the built-in IPAM's data dir.
set -eu

CNI_BIN_DIR=${CNI_BIN_DIR:-/host/opt/cni/bin}
CNI_CONF_DIR=${CNI_CONF_DIR:-/host/etc/cni/net.d}
CNI_CONFLIST=${CNI_CONFLIST:-/etc/xcni/10-xcni.conflist}
IPAM_DATA_DIR=${IPAM_DATA_DIR:-/host/var/lib/cni/xcni}
XCNI_BIN=${XCNI_BIN:-/usr/local/bin/xcni}

# install_atomic SRC DIR NAME MODE
install_atomic() {
	tmp="$2/.$3.tmp.$$"
	cp "$1" "$tmp"
	chmod "$4" "$tmp"
	mv -f "$tmp" "$2/$3"
	echo "install-cni: $2/$3"
}

mkdir -p "$CNI_BIN_DIR" "$CNI_CONF_DIR"
mkdir -p -m 0700 "$IPAM_DATA_DIR"
chmod 0700 "$IPAM_DATA_DIR"
install_atomic "$XCNI_BIN" "$CNI_BIN_DIR" xcni 0755
install_atomic "$CNI_CONFLIST" "$CNI_CONF_DIR" "$(basename "$CNI_CONFLIST")" 0644
