#!/usr/bin/env bash
# make demo: the lab cluster (tests/lab/lab) with two nodes, three HTTP
# backends and a NodePort Service created with kubectl, and what each step
# proves. KEEP=1 leaves the lab up to explore. Everything lives in network
# namespaces the lab creates and removes; the machine's own network is not
# touched.
set -euo pipefail
cd "$(dirname "$0")/.."

lab=tests/lab/lab
started=$(date +%s)

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
say() { printf '    %s\n' "$*"; }
fail() {
	printf '\033[31mdemo failed: %s\033[0m\n' "$*" >&2
	exit 1
}

cleanup() {
	if [ "${KEEP:-0}" = 1 ]; then
		return
	fi
	step "Tearing the lab down (no namespace, pin, process or file is left)"
	$lab down
}
trap cleanup EXIT

step "Bringing up the lab: a control plane (the test API server), two nodes and an outside host on one L2 segment"
$lab up 2
say "Each node runs xcni-agent: xdp_node on its device, routes to the other node's pod CIDR from the Node objects."
$lab status | sed 's/^/    /'

step "Three backend pods serving HTTP (web1 and web3 on node1, web2 on node2) and a client pod on node2"
say "The lab runs the xcni binary as kubelet's runtime would (CNI env, config on stdin) and creates the Pod objects."
for spec in node1:web1 node2:web2 node1:web3; do
	ip=$($lab pod add "${spec%%:*}" "${spec#*:}" app=web)
	$lab serve "${spec#*:}"
	say "${spec#*:} on ${spec%%:*}: $ip (busybox httpd on :8080)"
done
ip=$($lab pod add node2 client)
say "client on node2: $ip"

step "A NodePort Service, created with kubectl (the endpoints controller's EndpointSlice is written by the lab)"
$lab kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
EOF
$lab slice web web1 web2 web3
vip=$($lab kubectl get svc web -o jsonpath='{.spec.clusterIP}')
nodeport=$($lab kubectl get svc web -o jsonpath='{.spec.ports[0].nodePort}')
$lab kubectl get svc web | sed 's/^/    /'
for _ in $(seq 1 50); do
	[ "$($lab xcnictl node1 -o json services | jq length)" -ge 2 ] && break
	sleep 0.1
done

step "The client pod on node2 reaches the ClusterIP $vip: tc_pod picks a backend (Maglev), local or on node1"
seen=""
for i in $(seq 1 12); do
	out=$($lab exec client curl -s --max-time 3 "http://$vip/") || fail "request $i to the ClusterIP got no answer"
	seen="$seen $out"
done
for b in web1 web2 web3; do
	n=$(tr ' ' '\n' <<<"$seen" | grep -c "^$b\$" || true)
	say "$b answered $n of 12"
done
[ "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c web)" = 3 ] || fail "not every backend answered"
say "Proven: ClusterIP load balancing over all three backends, across nodes by native routing."

step "The outside host (not a cluster member) reaches NodePort $nodeport on both nodes"
for node in node1 node2; do
	addr=$($lab node ip "$node")
	for i in 1 2 3; do
		out=$($lab exec outside curl -s --max-time 3 "http://$addr:$nodeport/cgi-bin/who") ||
			fail "NodePort on $node gave no answer"
		say "$addr:$nodeport -> $out"
	done
done
say "Proven: xdp_node translates NodePort traffic on the node's device (to local pods by devmap"
say "redirect, to the other node's pods with SNAT by XDP_TX) and translates the replies back."

step "The datapath's counters (xcnictl stats on node1)"
$lab xcnictl node1 stats | sed 's/^/    /'

printf '\n\033[1mdemo done in %ss\033[0m\n' $(($(date +%s) - started))
if [ "${KEEP:-0}" = 1 ]; then
	cat <<EOF

The lab is still up. Try:
  $lab status
  $lab kubectl get svc,endpointslices,nodes
  $lab exec client curl -s http://$vip/
  $lab exec outside curl -s http://10.99.0.11:$nodeport/cgi-bin/who
  $lab xcnictl node1 services      (also: backends, conntrack, stats, status)
  $lab pod add node2 web4 app=web && $lab serve web4 && $lab slice web web1 web2 web3 web4
  $lab down                        (removes everything)
EOF
fi
