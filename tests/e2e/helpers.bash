# Shared setup for the end-to-end tests: one "node" network namespace per
# test (the host side of every veth lives there, never in the machine's own
# namespace), pods as further namespaces, a private CNI bin and conf dir.
XCNI_ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
XCNI_BIN=$XCNI_ROOT/build/xcni
CNITOOL=${CNITOOL:-/usr/local/bin/cnitool}

# Every name a test creates starts with $T so teardown finds them all.
xcni_setup() {
	T=xt$$t${BATS_TEST_NUMBER}
	NODE=$T-node
	WORK=$BATS_TEST_TMPDIR
	export NETCONFPATH=$WORK/net.d CNI_PATH=$WORK/bin
	mkdir -p "$NETCONFPATH" "$CNI_PATH" "$WORK/ipam"
	ln -sf "$XCNI_BIN" "$CNI_PATH/xcni"
	for p in /usr/lib/cni/*; do ln -sf "$p" "$CNI_PATH/"; done
	ip netns add "$NODE"
	ip -n "$NODE" link set lo up
}

xcni_teardown() {
	local ns id
	for ns in $(ip netns list | awk '{print $1}' | grep "^$T-"); do
		# cnitool's container ID is "cnitool-" + the first 10 bytes (20
		# hex digits) of the SHA-512 of the netns path; libcni caches
		# results as <network>-<container ID>-<ifname>. Drop this test's.
		id=$(printf '%s' "/run/netns/$ns" | sha512sum | cut -c1-20)
		rm -f /var/lib/cni/results/*-cnitool-"$id"-* 2>/dev/null || true
		ip netns del "$ns"
	done
}

# write_conf NAME [VERSION] [IPAM JSON]: a conflist for cnitool.
write_conf() {
	local name=$1 version=${2:-1.0.0}
	local ipam=${3:-"{\"subnet\":\"10.250.${BATS_TEST_NUMBER}.0/24\",\"dataDir\":\"$WORK/ipam\"}"}
	cat >"$NETCONFPATH/10-$name.conflist" <<CONF
{"cniVersion":"$version","name":"$name","plugins":[{"type":"xcni","mtu":1400,"ipam":$ipam}]}
CONF
}

pod_netns() {
	ip netns add "$T-$1"
	echo "/run/netns/$T-$1"
}

in_node() {
	nsenter --net="/run/netns/$NODE" "$@"
}

in_pod() {
	local pod=$1
	shift
	nsenter --net="/run/netns/$T-$pod" "$@"
}

# cnitool run in the node namespace: cnitool VERB NET POD
cni() {
	in_node "$CNITOOL" "$1" "$2" "/run/netns/$T-$3"
}

pod_ip() {
	in_pod "$1" ip -4 -o addr show dev "${2:-eth0}" | awk '{print $4}' | cut -d/ -f1
}

# Runs xcni directly as a runtime would: xcni_exec VERB CONTAINERID NETNS IFNAME < config
xcni_exec() {
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=$3 CNI_IFNAME=$4 CNI_PATH=$CNI_PATH \
		nsenter --net="/run/netns/$NODE" "$XCNI_BIN"
}

# The number of host-side veths xcni made in the node. DEL takes a veth
# down and leaves its unregistration (an RCU barrier, ~20 ms) to a detached
# child: wait, bounded, until no such down veth is pending.
node_veths() {
	local i
	for i in $(seq 1 100); do
		in_node ip -o link show | grep ': xc' | grep -qv '[<,]UP[,>]' || break
		sleep 0.05
	done
	in_node ip -o link show | grep -c ': xc' || true
}

# Allocations left in a network's IPAM store.
ipam_allocs() {
	ls "$WORK/ipam/$1" 2>/dev/null | grep -cE '^[0-9.]+$' || true
}

# A pod interface's attribute from netlink (sysfs under nsenter --net still
# shows the machine's own interfaces): pod_link POD FIELD [IFNAME]
pod_link() {
	in_pod "$1" ip -j link show dev "${3:-eth0}" | jq -r ".[0].$2"
}
