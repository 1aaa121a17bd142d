#!/usr/bin/env bats
# Enrollment: a config that names its node state file puts each pod into the
# datapath the agent pinned (dp_pin_tool stands in for the agent): tc_pod on
# the host veth, the pod in endpoints, the veth in tx_ports, GRO on in the
# pod; real TCP through a Service and through xdp_node's redirect.

load helpers

PIN_TOOL=$XCNI_ROOT/build/tests/dp_pin_tool

setup() {
	xcni_setup
	R=$WORK/bpffs
	SUBNET=10.247.$BATS_TEST_NUMBER
	VIP=10.96.$BATS_TEST_NUMBER.10
	PIDS=()
	echo '{"podCIDR":"'$SUBNET'.0/24","gateway":"'$SUBNET'.1","mtu":1400,"bpffsRoot":"'$R'"}' >"$WORK/node.json"
	# cnitool speaks results up to 1.0.0; STATUS and GC need 1.1.0.
	CONF='{"cniVersion":"1.0.0","name":"net1","type":"xcni","nodeStateFile":"'$WORK/node.json'","ipam":{"dataDir":"'$WORK/ipam'"}}'
	CONF11=$(echo "$CONF" | jq -c '.cniVersion = "1.1.0"')
	echo "$CONF" | jq -c '{cniVersion, name, plugins: [del(.cniVersion, .name)]}' \
		>"$NETCONFPATH/10-net1.conflist"
}

teardown() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	in_node "$PIN_TOOL" cleanup --root "$R" || true
	umount "$R" 2>/dev/null || true
	xcni_teardown
}

load_datapath() {
	in_node "$PIN_TOOL" load --root "$R" --node-ip 192.168.$BATS_TEST_NUMBER.1 "$@"
}

status() {
	echo "$CONF11" | CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH "$XCNI_BIN" 2>/dev/null
}

ifindex_of() {
	in_node ip -j link show dev "$1" | jq -r '.[0].ifindex'
}

# The endpoints map's entry for a pod IP, as bpftool formats it (BTF).
endpoint() {
	bpftool -j map lookup pinned "$R/maps/endpoints" key $(echo "$1" | tr . ' ') 2>/dev/null |
		jq -c .formatted.value
}

# Whether tx_ports holds an ifindex (keys are host-order u32).
in_tx_ports() {
	local i=$1
	bpftool map lookup pinned "$R/maps/tx_ports" \
		key $((i & 255)) $((i >> 8 & 255)) $((i >> 16 & 255)) $((i >> 24)) >/dev/null 2>&1
}

# Packets counted for a stat reason (include/xcni/stats.h), summed over CPUs.
stat_packets() {
	bpftool map dump pinned "$R/maps/stats" |
		jq "[.[] | select(.key == $1) | .values[].value.packets] | add"
}

# How many entries a pinned map holds.
entries() {
	bpftool -j map dump pinned "$R/maps/$1" | jq length
}

# An IPv4 address as a __be32 field reads in bpftool's output (this host is
# little-endian).
be32() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $((a | b << 8 | c << 16 | d << 24))
}
STAT_DNAT=3
STAT_REDIRECT=2

mac_bytes() {
	echo "$1" | tr ':' '\n' | while read -r b; do printf '%d,' "0x$b"; done | sed 's/,$//'
}

# An HTTP server on IP:PORT in a pod, serving $WORK/www; waits until it listens.
serve() {
	local pod=$1 ip=$2 port=$3 i
	mkdir -p "$WORK/www"
	[ -f "$WORK/www/blob" ] || head -c 3000000 /dev/urandom >"$WORK/www/blob"
	(cd "$WORK/www" && exec nsenter --net="/run/netns/$T-$pod" \
		python3 -m http.server "$port" --bind "$ip" >/dev/null 2>&1) &
	PIDS+=($!)
	for i in $(seq 1 100); do
		in_pod "$pod" ss -ltn | grep -q "$ip:$port" && return 0
		sleep 0.05
	done
	return 1
}

@test "before the agent loads the datapath ADD fails with code 11 and leaves nothing; STATUS says 50" {
	run status
	[ "$status" -ne 0 ]
	[ "$(echo "$output" | jq -r .code)" = 50 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"has not loaded the datapath"* ]]

	run bash -c "echo '$CONF' | CNI_COMMAND=ADD CNI_CONTAINERID=c1 CNI_NETNS=$(pod_netns a) \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH nsenter --net=/run/netns/$NODE $XCNI_BIN 2>/dev/null"
	[ "$status" -ne 0 ]
	[ "$(echo "$output" | jq -r .code)" = 11 ]
	[[ "$(echo "$output" | jq -r .msg)" == *"has not loaded the datapath"*"progs/tc_pod"* ]]
	[ "$(node_veths)" -eq 0 ]
	[ "$(ipam_allocs net1)" -eq 0 ]

	load_datapath
	run status
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	cni add net1 a >/dev/null
	[ "$(node_veths)" -eq 1 ]
}

@test "ADD enrolls the pod (filter, endpoint, devmap, GRO) and keeps its offloads; CHECK verifies it; DEL takes it out" {
	load_datapath
	pod_netns a >/dev/null
	pod_netns b >/dev/null
	out=$(cni add net1 a)
	host=$(echo "$out" | jq -r '.interfaces[0].name')
	ip=$(pod_ip a)
	ifx=$(ifindex_of "$host")

	in_node tc filter show dev "$host" ingress | grep -q 'tc_pod.*direct-action'
	ep=$(endpoint "$ip")
	[ "$(echo "$ep" | jq .ifindex)" = "$ifx" ]
	[ "$(echo "$ep" | jq -c .pod_mac)" = "[$(mac_bytes "$(echo "$out" | jq -r '.interfaces[1].mac')")]" ]
	[ "$(echo "$ep" | jq -c .host_mac)" = "[$(mac_bytes "$(echo "$out" | jq -r '.interfaces[0].mac')")]" ]
	in_tx_ports "$ifx"
	# A veth starts with GRO off: on means enrollment turned it on. The
	# pod's own offloads stay as they were.
	in_pod a ethtool -k eth0 | grep -q '^generic-receive-offload: on'
	in_pod a ethtool -k eth0 | grep -q '^tx-checksumming: on'
	in_pod a ethtool -k eth0 | grep -q '^tcp-segmentation-offload: on'
	cni check net1 a

	bpftool map delete pinned "$R/maps/endpoints" key $(echo "$ip" | tr . ' ')
	run cni check net1 a
	[ "$status" -ne 0 ]
	[[ "$output" == *"pod $ip is not in the endpoints map"* ]]
	in_node tc filter del dev "$host" ingress
	run cni check net1 a
	[[ "$output" == *"tc_pod is not attached to host veth $host"* ]]

	hb=$(cni add net1 b | jq -r '.interfaces[0].name')
	ifb=$(ifindex_of "$hb")
	ipb=$(pod_ip b)
	[ "$(endpoint "$ipb" | jq .ifindex)" = "$ifb" ]
	in_tx_ports "$ifb"
	cni del net1 b
	[ "$(endpoint "$ipb")" = null ]
	run in_tx_ports "$ifb"
	[ "$status" -ne 0 ]
	[ "$(node_veths)" -eq 1 ]
}

@test "a config without nodeStateFile wires standalone, datapath loaded or not" {
	load_datapath
	write_conf plain
	pod_netns a >/dev/null
	host=$(cni add plain a | jq -r '.interfaces[0].name')
	[ -z "$(in_node tc filter show dev "$host" ingress)" ]
	[ "$(entries endpoints)" = 0 ]
	[ "$(entries tx_ports)" = 0 ]
	in_pod a ethtool -k eth0 | grep -q '^generic-receive-offload: off'
	in_pod a ping -c1 -W2 "10.250.$BATS_TEST_NUMBER.1"
}

@test "a Service between enrolled pods carries TCP end to end through tc_pod, across an agent restart" {
	load_datapath
	pod_netns a >/dev/null
	pod_netns b >/dev/null
	cni add net1 a >/dev/null
	hb=$(cni add net1 b | jq -r '.interfaces[0].name')
	b=$(pod_ip b)
	in_node "$PIN_TOOL" service --root "$R" --id 1 --vip "$VIP" --port 80 --backend "$b:8080"
	serve b "$b" 8080

	in_pod a curl -sf -m 10 -o "$WORK/got" "http://$VIP/blob"
	cmp "$WORK/got" "$WORK/www/blob"
	[ "$(stat_packets $STAT_DNAT)" -ge 1 ]
	# The flow went through conntrack, towards pod b.
	bpftool map dump pinned "$R/maps/conntrack" |
		jq -e --argjson vip "$(be32 "$VIP")" --argjson b "$(be32 "$b")" \
			'any(.[]; .key.daddr == $vip and .value.daddr == $b)' >/dev/null

	# A restarted (upgraded) agent: the maps stay, pods move to its tc_pod.
	old=$(in_node tc -j filter show dev "$hb" ingress | jq '.[] | select(.options.prog) | .options.prog.id')
	run load_datapath
	[ "$status" -eq 0 ]
	[[ "$output" == *"13 maps reused, 0 migrated, 0 created"* ]]
	[ "$(entries endpoints)" = 2 ]
	in_node "$PIN_TOOL" refresh --root "$R" | grep -q 'refreshed 2'
	new=$(in_node tc -j filter show dev "$hb" ingress | jq '.[] | select(.options.prog) | .options.prog.id')
	[ "$new" != "$old" ]
	[ "$new" = "$(bpftool -j prog show pinned "$R/progs/tc_pod" | jq .id)" ]
	rm -f "$WORK/got"
	in_pod a curl -sf -m 10 -o "$WORK/got" "http://$VIP/blob"
	cmp "$WORK/got" "$WORK/www/blob"
	cni check net1 a
}

@test "xdp_node on the node's device redirects traffic for an enrolled pod straight into it, which GRO makes arrive" {
	load_datapath
	pod_netns a >/dev/null
	cni add net1 a >/dev/null
	a=$(pod_ip a)
	# The network outside the node: a wire from an "outside" namespace.
	ip netns add "$T-out"
	in_node ip link add wn type veth peer name wo netns "$T-out"
	in_node ip addr add 192.168.$BATS_TEST_NUMBER.1/24 dev wn
	in_node ip link set wn up
	nsenter --net="/run/netns/$T-out" sh -c "ip link set lo up && ip link set wo up &&
		ip addr add 192.168.$BATS_TEST_NUMBER.2/24 dev wo &&
		ip route add $SUBNET.0/24 via 192.168.$BATS_TEST_NUMBER.1"
	# A real wire delivers complete checksums (BASELINES.md).
	nsenter --net="/run/netns/$T-out" ethtool -K wo tx off >/dev/null
	in_node "$PIN_TOOL" attach --root "$R" --dev wn | grep -q 'xdp_node on wn: native mode'
	in_node "$PIN_TOOL" status --root "$R" | grep -q '^xdp wn native$'
	serve out 192.168.$BATS_TEST_NUMBER.2 8080

	# The pod downloads from outside: every data frame comes in on wn.
	before=$(stat_packets $STAT_REDIRECT)
	in_pod a curl -sf -m 10 -o "$WORK/got" "http://192.168.$BATS_TEST_NUMBER.2:8080/blob"
	cmp "$WORK/got" "$WORK/www/blob"
	after=$(stat_packets $STAT_REDIRECT)
	echo "redirected: $before -> $after"
	# 3 MB in frames of at most 1500 bytes: over 2000 of them.
	[ "$after" -gt $((before + 2000)) ]

	# Without GRO in the pod the redirected frames vanish; CHECK says why.
	in_pod a ethtool -K eth0 gro off
	run nsenter --net="/run/netns/$T-out" ping -c1 -W1 "$a"
	[ "$status" -ne 0 ]
	run cni check net1 a
	[[ "$output" == *"GRO is off on eth0"* ]]
	in_pod a ethtool -K eth0 gro on
	nsenter --net="/run/netns/$T-out" ping -c1 -W2 "$a"
}

@test "DEL works after the agent cleaned up; GC drops the endpoints of veths that vanished" {
	load_datapath
	pod_netns a >/dev/null
	pod_netns b >/dev/null
	ha=$(cni add net1 a | jq -r '.interfaces[0].name')
	in_node "$PIN_TOOL" cleanup --root "$R"
	[ ! -e "$R" ]
	[ -z "$(in_node tc filter show dev "$ha" ingress)" ]
	cni del net1 a
	[ "$(node_veths)" -eq 0 ]

	load_datapath
	hb=$(echo "$CONF11" | xcni_exec ADD cb "/run/netns/$T-b" eth0 | jq -r '.interfaces[0].name')
	[ "$(entries endpoints)" = 1 ]
	# The veth goes without a DEL (a node that lost track of the pod).
	in_node ip link del "$hb"
	gc=$(echo "$CONF11" | jq -c '. + {"cni.dev/valid-attachments":[]}')
	echo "$gc" | CNI_COMMAND=GC CNI_PATH=$CNI_PATH nsenter --net="/run/netns/$NODE" "$XCNI_BIN"
	[ "$(entries endpoints)" = 0 ]
	[ "$(ipam_allocs net1)" -eq 0 ]
}
