#!/usr/bin/env bats
# xcni driven by cnitool (libcni, the library container runtimes embed):
# pods wired into their namespaces, reachable, checked, deleted, collected.

load helpers

setup() {
	xcni_setup
	write_conf net1
}

teardown() {
	xcni_teardown
}

@test "ADD gives two pods addresses, and they ping each other and the gateway" {
	pod_netns a >/dev/null
	pod_netns b >/dev/null
	run cni add net1 a
	[ "$status" -eq 0 ]
	echo "$output" >"$WORK/a.json"
	cni add net1 b >/dev/null

	# The result's shape, exactly as the spec lays it out for 1.0.0.
	[ "$(jq -r .cniVersion "$WORK/a.json")" = 1.0.0 ]
	host=$(jq -r '.interfaces[0].name' "$WORK/a.json")
	[[ "$host" =~ ^xc[0-9a-f]{13}$ ]]
	[ "$(jq -r '.interfaces[0].sandbox // "none"' "$WORK/a.json")" = none ]
	[ "$(jq -r '.interfaces[1].name' "$WORK/a.json")" = eth0 ]
	[ "$(jq -r '.interfaces[1].sandbox' "$WORK/a.json")" = "/run/netns/$T-a" ]
	[ "$(jq -r '.ips[0].interface' "$WORK/a.json")" = 1 ]
	[ "$(jq -r '.ips[0].gateway' "$WORK/a.json")" = "10.250.$BATS_TEST_NUMBER.1" ]
	[ "$(jq -r '.ips[0] | has("version")' "$WORK/a.json")" = false ]
	[ "$(jq -r '.routes[0].dst' "$WORK/a.json")" = 0.0.0.0/0 ]

	a=$(pod_ip a)
	b=$(pod_ip b)
	[ "$a/24" = "$(jq -r '.ips[0].address' "$WORK/a.json")" ]
	[ "$a" != "$b" ]
	[ "$(pod_link a mtu)" = 1400 ]
	[ "$(pod_link a address)" = "$(jq -r '.interfaces[1].mac' "$WORK/a.json")" ]
	in_pod a ip route | grep -q "default via 10.250.$BATS_TEST_NUMBER.1 dev eth0"
	in_node ip route | grep -q "^$a dev $host"

	in_pod a ping -c1 -W2 "10.250.$BATS_TEST_NUMBER.1"
	in_pod a ping -c1 -W2 "$b"
	in_pod b ping -c1 -W2 "$a"
}

@test "CHECK passes on a wired pod and names the address once it is removed" {
	pod_netns a >/dev/null
	cni add net1 a >/dev/null
	run cni check net1 a
	[ "$status" -eq 0 ]

	addr=$(in_pod a ip -4 -o addr show dev eth0 | awk '{print $4}')
	in_pod a ip addr del "$addr" dev eth0
	run cni check net1 a
	[ "$status" -ne 0 ]
	[[ "$output" == *"address $addr missing on eth0"* ]]
}

@test "CHECK notices a missing default route and a missing host veth" {
	pod_netns a >/dev/null
	out=$(cni add net1 a)
	in_pod a ip route del default
	run cni check net1 a
	[ "$status" -ne 0 ]
	[[ "$output" == *"route 0.0.0.0/0 missing"* ]]

	in_node ip link del "$(echo "$out" | jq -r '.interfaces[0].name')"
	run cni check net1 a
	[ "$status" -ne 0 ]
	[[ "$output" == *"host veth of"*"not found"* ]]
}

@test "DEL twice: the first removes veth and address, the second is a no-op" {
	pod_netns a >/dev/null
	cni add net1 a >/dev/null
	[ "$(node_veths)" -eq 1 ]
	[ "$(ipam_allocs net1)" -eq 1 ]
	cni del net1 a
	[ "$(node_veths)" -eq 0 ]
	[ "$(ipam_allocs net1)" -eq 0 ]
	[ -z "$(in_pod a ip -o link show | grep -v ': lo:')" ]
	run cni del net1 a
	[ "$status" -eq 0 ]
}

@test "DEL takes the pod off the node at once; ADD of the same attachment right after works" {
	pod_netns a >/dev/null
	cni add net1 a >/dev/null
	a=$(pod_ip a)
	cni del net1 a
	# Before any unregistration finishes: no route to the pod, address free.
	[ -z "$(in_node ip route show "$a/32")" ]
	[ "$(ipam_allocs net1)" -eq 0 ]
	run cni add net1 a
	[ "$status" -eq 0 ]
	in_pod a ping -c1 -W2 "10.250.$BATS_TEST_NUMBER.1"
	[ "$(node_veths)" -eq 1 ]
	cni del net1 a
	[ "$(node_veths)" -eq 0 ]
}

@test "DEL with an empty CNI_NETNS (as containerd sends it) still cleans up" {
	ns=$(pod_netns a)
	conf='{"cniVersion":"1.1.0","name":"net1","type":"xcni","ipam":{"subnet":"10.250.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/ipam'"}}'
	echo "$conf" | xcni_exec ADD ctr1 "$ns" eth0 >/dev/null
	[ "$(node_veths)" -eq 1 ]
	# The pod's netns is gone before DEL, as when a sandbox dies.
	ip netns del "$T-a"
	run bash -c "echo '$conf' | CNI_COMMAND=DEL CNI_CONTAINERID=ctr1 CNI_NETNS= CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH nsenter --net=/run/netns/$NODE $XCNI_BIN"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	[ "$(node_veths)" -eq 0 ]
	[ "$(ipam_allocs net1)" -eq 0 ]
}

@test "50 ADDs in parallel get 50 distinct addresses; DEL of all returns every one" {
	for i in $(seq 1 50); do pod_netns "p$i" >/dev/null; done
	for i in $(seq 1 50); do
		cni add net1 "p$i" >"$WORK/r$i.json" &
	done
	wait
	jq -r '.ips[0].address' "$WORK"/r*.json | sort >"$WORK/ips"
	[ "$(wc -l <"$WORK/ips")" -eq 50 ]
	[ "$(sort -u "$WORK/ips" | wc -l)" -eq 50 ]
	[ "$(node_veths)" -eq 50 ]
	[ "$(ipam_allocs net1)" -eq 50 ]
	for i in $(seq 1 50); do [ -n "$(pod_ip "p$i")" ]; done

	for i in $(seq 1 50); do
		cni del net1 "p$i" &
	done
	wait
	[ "$(node_veths)" -eq 0 ]
	[ "$(ipam_allocs net1)" -eq 0 ]
}

@test "an ADD killed with SIGKILL at random points leaves nothing DEL or GC cannot clean" {
	conf='{"cniVersion":"1.1.0","name":"net1","type":"xcni","ipam":{"subnet":"10.250.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/ipam'"}}'
	for i in $(seq 1 30); do
		ns=$(pod_netns "k$i")
		(echo "$conf" | CNI_COMMAND=ADD CNI_CONTAINERID="kill$i" CNI_NETNS="$ns" \
			CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH \
			nsenter --net="/run/netns/$NODE" "$XCNI_BIN" >/dev/null 2>&1) &
		sleep "0.00$((RANDOM % 10))"
		pkill -KILL -P $! 2>/dev/null || true
		kill -KILL $! 2>/dev/null || true
		wait $! 2>/dev/null || true
	done
	# Half are cleaned by DEL, as a runtime retrying the sandbox would.
	for i in $(seq 1 15); do
		echo "$conf" | xcni_exec DEL "kill$i" "/run/netns/$T-k$i" eth0
	done
	# The rest by GC, as a runtime that lost track of them would.
	gc='{"cniVersion":"1.1.0","name":"net1","type":"xcni","ipam":{"subnet":"10.250.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/ipam'"},"cni.dev/valid-attachments":[]}'
	echo "$gc" | CNI_COMMAND=GC CNI_PATH=$CNI_PATH nsenter --net="/run/netns/$NODE" "$XCNI_BIN"
	[ "$(node_veths)" -eq 0 ]
	[ "$(ipam_allocs net1)" -eq 0 ]
	[ -z "$(ls -A "$WORK/ipam/net1" | grep -vE '^(lock|last_reserved_ip\.0)$')" ]
	for i in $(seq 1 30); do
		[ -z "$(in_pod "k$i" ip -o link show | grep -v ': lo:')" ]
	done
}

@test "GC removes the veths and addresses of attachments not listed as valid" {
	conf='{"cniVersion":"1.1.0","name":"net1","type":"xcni","ipam":{"subnet":"10.250.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/ipam'"}}'
	for c in keep drop1 drop2; do
		echo "$conf" | xcni_exec ADD "$c" "$(pod_netns "$c")" eth0 >/dev/null
	done
	# Another network's attachment on the same node is not ours to collect.
	other='{"cniVersion":"1.1.0","name":"net2","type":"xcni","ipam":{"subnet":"10.249.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/ipam'"}}'
	echo "$other" | xcni_exec ADD other "$(pod_netns other)" eth0 >/dev/null
	[ "$(node_veths)" -eq 4 ]

	gc=$(echo "$conf" | jq -c '. + {"cni.dev/valid-attachments":[{"containerID":"keep","ifname":"eth0"}]}')
	echo "$gc" | CNI_COMMAND=GC CNI_PATH=$CNI_PATH nsenter --net="/run/netns/$NODE" "$XCNI_BIN"
	[ "$(node_veths)" -eq 2 ]
	[ "$(ipam_allocs net1)" -eq 1 ]
	[ "$(ipam_allocs net2)" -eq 1 ]
	[ -n "$(pod_ip keep)" ]
	[ -z "$(in_pod drop1 ip -o link show | grep -v ': lo:')" ]
	in_pod keep ping -c1 -W2 "10.250.$BATS_TEST_NUMBER.1"
}

@test "the result is encoded in the version asked, from 0.3.0 to 1.1.0" {
	for v in 0.3.0 0.3.1 0.4.0 1.0.0 1.1.0; do
		c=c${v//./}
		conf='{"cniVersion":"'$v'","name":"net1","type":"xcni","mtu":1400,"ipam":{"subnet":"10.250.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/ipam'"}}'
		out=$(echo "$conf" | xcni_exec ADD "$c" "$(pod_netns "$c")" eth0)
		[ "$(echo "$out" | jq -r .cniVersion)" = "$v" ]
		if [[ "$v" == 0.* ]]; then
			[ "$(echo "$out" | jq -r '.ips[0].version')" = 4 ]
		else
			[ "$(echo "$out" | jq -r '.ips[0] | has("version")')" = false ]
		fi
		if [ "$v" = 1.1.0 ]; then
			[ "$(echo "$out" | jq -r '.interfaces[1].mtu')" = 1400 ]
		else
			[ "$(echo "$out" | jq -r '.interfaces[1] | has("mtu")')" = false ]
		fi
		echo "$conf" | xcni_exec DEL "$c" "/run/netns/$T-$c" eth0
	done
	[ "$(node_veths)" -eq 0 ]
}

@test "IPAM delegated to the reference host-local plugin, allocated and released" {
	write_conf hl 1.0.0 '{"type":"host-local","subnet":"10.248.'$BATS_TEST_NUMBER'.0/24","dataDir":"'$WORK/hl'"}'
	pod_netns a >/dev/null
	run cni add hl a
	[ "$status" -eq 0 ]
	addr=$(echo "$output" | jq -r '.ips[0].address')
	[[ "$addr" == 10.248.$BATS_TEST_NUMBER.* ]]
	[ "$(pod_ip a)/24" = "$addr" ]
	[ -f "$WORK/hl/hl/${addr%/*}" ]
	in_pod a ping -c1 -W2 "10.248.$BATS_TEST_NUMBER.1"
	run cni check hl a
	[ "$status" -eq 0 ]
	cni del hl a
	[ ! -f "$WORK/hl/hl/${addr%/*}" ]
	[ "$(node_veths)" -eq 0 ]
}

@test "first plugin of a chain: prevResult flows to the next plugin and back on CHECK and DEL" {
	cat >"$NETCONFPATH/10-chain.conflist" <<CONF
{"cniVersion":"1.0.0","name":"chain","plugins":[
 {"type":"xcni","ipam":{"subnet":"10.247.$BATS_TEST_NUMBER.0/24","dataDir":"$WORK/ipam"}},
 {"type":"tuning","sysctl":{"net.ipv4.conf.eth0.rp_filter":"2"}}]}
CONF
	pod_netns a >/dev/null
	run cni add chain a
	[ "$status" -eq 0 ]
	[ "$(in_pod a cat /proc/sys/net/ipv4/conf/eth0/rp_filter)" = 2 ]
	run cni check chain a
	[ "$status" -eq 0 ]
	cni del chain a
	[ "$(node_veths)" -eq 0 ]
	[ "$(ipam_allocs chain)" -eq 0 ]
}

@test "without ipam.subnet the pod CIDR and MTU come from the node state file" {
	echo '{"podCIDR":"10.246.'$BATS_TEST_NUMBER'.0/24","gateway":"10.246.'$BATS_TEST_NUMBER'.1","mtu":1380}' >"$WORK/node.json"
	conf='{"cniVersion":"1.1.0","name":"net1","type":"xcni","nodeStateFile":"'$WORK/node.json'","ipam":{"dataDir":"'$WORK/ipam'"}}'
	out=$(echo "$conf" | xcni_exec ADD c1 "$(pod_netns a)" eth0)
	[[ "$(echo "$out" | jq -r '.ips[0].address')" == 10.246.$BATS_TEST_NUMBER.*/24 ]]
	[ "$(pod_link a mtu)" = 1380 ]
	echo "$conf" | CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH "$XCNI_BIN"

	rm "$WORK/node.json"
	run bash -c "echo '$conf' | CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH $XCNI_BIN 2>/dev/null"
	[ "$status" -ne 0 ]
	[ "$(echo "$output" | jq -r .code)" = 50 ]
	[[ "$output" == *"node.json"* ]]
	echo "$conf" | xcni_exec DEL c1 "/run/netns/$T-a" eth0
	[ "$(node_veths)" -eq 0 ]
}

@test "STATUS says ready while addresses are left and not-available when the range is full" {
	conf='{"cniVersion":"1.1.0","name":"net1","type":"xcni","ipam":{"subnet":"10.250.'$BATS_TEST_NUMBER'.0/30","dataDir":"'$WORK/ipam'"}}'
	run bash -c "echo '$conf' | CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH $XCNI_BIN 2>/dev/null"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	echo "$conf" | xcni_exec ADD c1 "$(pod_netns a)" eth0 >/dev/null
	run bash -c "echo '$conf' | CNI_COMMAND=STATUS CNI_PATH=$CNI_PATH $XCNI_BIN 2>/dev/null"
	[ "$status" -ne 0 ]
	[ "$(echo "$output" | jq -r .code)" = 50 ]
	echo "$conf" | xcni_exec DEL c1 "/run/netns/$T-a" eth0
}
