#!/usr/bin/env bash
# make demo: until the lab cluster exists (issue 5), this runs the CNI
# plugin end to end on two pods of one node, driven by cnitool (libcni), and
# says what each step proves. Everything lives in network namespaces it
# creates and removes; the machine's own network is not touched.
set -euo pipefail
cd "$(dirname "$0")/.."

id=xd$$
node=$id-node
work=$(mktemp -d)
export NETCONFPATH=$work/net.d CNI_PATH=$work/bin
cnitool=${CNITOOL:-/usr/local/bin/cnitool}

cleanup() {
	for p in a b; do
		nsenter --net=/run/netns/$node "$cnitool" del demo /run/netns/$id-$p >/dev/null 2>&1 || true
		ip netns del $id-$p 2>/dev/null || true
	done
	ip netns del $node 2>/dev/null || true
	rm -rf "$work" /var/lib/cni/results/*"$id"* 2>/dev/null || true
}
trap cleanup EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
in_node() { nsenter --net=/run/netns/$node "$@"; }

echo "xcni demo: the CNI plugin alone (the lab cluster with the datapath comes later)."
mkdir -p "$NETCONFPATH" "$CNI_PATH"
ln -s "$PWD/build/xcni" "$CNI_PATH/xcni"
cat >"$NETCONFPATH/10-demo.conflist" <<CONF
{"cniVersion":"1.0.0","name":"demo","plugins":[{"type":"xcni","mtu":1450,
 "ipam":{"subnet":"10.244.7.0/24","dataDir":"$work/ipam"}}]}
CONF
step "A node (network namespace $node) and two pod sandboxes"
ip netns add $node
ip netns add $id-a
ip netns add $id-b
cat "$NETCONFPATH/10-demo.conflist"

step "ADD through cnitool (libcni, as container runtimes call plugins)"
in_node "$cnitool" add demo /run/netns/$id-a | tee "$work/a.json"
in_node "$cnitool" add demo /run/netns/$id-b >"$work/b.json"
a=$(jq -r '.ips[0].address' "$work/a.json")
b=$(jq -r '.ips[0].address' "$work/b.json")
echo "pod a: $a   pod b: $b"

step "Inside pod a: eth0 with its address and a default route via the gateway"
nsenter --net=/run/netns/$id-a ip -br addr show eth0
nsenter --net=/run/netns/$id-a ip route

step "On the node: one host veth per pod, a /32 route to each, the gateway on each veth"
in_node ip -br link show type veth
in_node ip route

step "Traffic: pod a pings its gateway and pod b"
nsenter --net=/run/netns/$id-a ping -c2 -W2 10.244.7.1
nsenter --net=/run/netns/$id-a ping -c2 -W2 "${b%/*}"

step "CHECK passes; after removing pod a's address it fails and says why"
in_node "$cnitool" check demo /run/netns/$id-a && echo "CHECK: ok"
nsenter --net=/run/netns/$id-a ip addr del "$a" dev eth0
in_node "$cnitool" check demo /run/netns/$id-a || echo "(CHECK failed as it should)"

step "DEL both pods: veths, routes and addresses are gone"
in_node "$cnitool" del demo /run/netns/$id-a
in_node "$cnitool" del demo /run/netns/$id-b
echo "host veths left: $(in_node ip -o link show type veth | wc -l)"
echo "addresses still allocated: $(ls "$work/ipam/demo" | grep -cE '^[0-9.]+$' || true)"

step "Done: the CNI plugin wired, checked and removed two pods. Cleaning up."
