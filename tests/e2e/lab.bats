#!/usr/bin/env bats
# The whole system on the lab cluster (tests/lab/lab): three nodes with their
# agents, the test API server, an outside host; pods wired by xcni as a
# runtime runs it; Services made with kubectl. Every packet path of the
# design, end to end: pod to pod on one node and across nodes, pod to
# ClusterIP, outside to NodePort (both traffic policies), LoadBalancer and
# external IPs, affinity, nodes leaving and joining, an agent restarted under
# traffic.

setup_file() {
	export XCNI_LAB=xle$$ XCNI_LAB_DIR=$BATS_FILE_TMPDIR/lab
	lab up 3
	lab pod add node1 web1 app=web
	lab pod add node2 web2 app=web
	lab pod add node1 web3 app=web
	lab pod add node2 client
	lab pod add node3 far
	for p in web1 web2 web3 far; do lab serve "$p"; done
	lab kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
  - {name: dns, port: 53, targetPort: 9053, protocol: UDP}
  - {name: echo, port: 7000, targetPort: 7000, protocol: TCP}
EOF
	lab slice web web1 web2 web3
	wait_service node1 web
	wait_service node2 web
	wait_service node3 web
}

teardown_file() {
	lab down
}

lab() {
	"$BATS_TEST_DIRNAME/../lab/lab" "$@"
}

cluster_ip() {
	lab kubectl get svc "$1" -o jsonpath='{.spec.clusterIP}'
}

node_port() {
	lab kubectl get svc "$1" -o jsonpath="{.spec.ports[${2:-0}].nodePort}"
}

# Until NODE's datapath holds every port of SERVICE with backends.
wait_service() {
	local vip ports
	vip=$(cluster_ip "$2")
	ports=$(lab kubectl get svc "$2" -o json | jq '.spec.ports | length')
	for _ in $(seq 1 100); do
		[ "$(lab xcnictl "$1" -o json services |
			jq --arg vip "$vip" '[.[] | select(.address | startswith($vip + ":")) |
			select(.backends > 0)] | length')" = "$ports" ] && return 0
		sleep 0.1
	done
	echo "$2 ($vip) never reached the datapath of $1" >&2
	return 1
}

# HTTP GET from a pod or host: get WHERE URL
get() {
	lab exec "$1" curl -s --max-time 3 "$2"
}

udp() {
	echo hi | lab exec "$1" socat -T2 - UDP:"$2"
}

# The distinct first words of N answers: answers WHERE URL N
answers() {
	for _ in $(seq 1 "$3"); do get "$1" "$2" || echo FAIL; done | awk '{print $1}' | sort -u | xargs
}

node_ip() {
	lab node ip "$1"
}

counter() {
	lab xcnictl "$1" -o json stats | jq --arg r "$2" '.[$r].packets'
}

@test "lab: pod to pod on one node and across nodes, TCP, UDP and ICMP, routed by the datapath" {
	local client forwarded
	client=$(lab pod ip client)
	forwarded=$(counter node2 pod_forward)
	for target in web2 web1 far; do # same node, node1, node3
		run get client "http://$(lab pod ip $target):8080/cgi-bin/who"
		[ "$output" = "$target $client" ]
		run udp client "$(lab pod ip $target):9053"
		[ "$output" = "$target $client" ]
		lab exec client ping -c 1 -W 2 "$(lab pod ip $target)"
	done
	# tc_pod delivered them itself (redirect_peer or fib redirect), not
	# the stack.
	[ "$(counter node2 pod_forward)" -ge $((forwarded + 9)) ]
	# Native routing: each node has a route to the others' pod CIDRs.
	run lab exec node1 ip -o route show proto 201
	[[ "$output" == *"10.244.2.0/24 via 10.99.0.12"* ]]
	[[ "$output" == *"10.244.3.0/24 via 10.99.0.13"* ]]
}

@test "lab: a pod reaches a ClusterIP with local and remote backends, TCP and UDP" {
	local vip seen
	vip=$(cluster_ip web)
	run answers client "http://$vip/" 30
	[ "$output" = "web1 web2 web3" ]
	seen=$(for _ in $(seq 1 30); do udp client "$vip:53" || echo FAIL; done | awk '{print $1}' | sort -u | xargs)
	[ "$seen" = "web1 web2 web3" ]
}

@test "lab: outside to NodePort on every node, externalTrafficPolicy Cluster: the reply comes back through that node" {
	local np n out
	np=$(node_port web)
	for n in node1 node2 node3; do
		run answers outside "http://$(node_ip $n):$np/" 24
		[ "$output" = "web1 web2 web3" ]
		# A backend on the node sees the client; one elsewhere sees the
		# node's address (SNAT), and the client got its answer from the
		# node it asked.
		for _ in $(seq 1 12); do
			out=$(get outside "http://$(node_ip $n):$np/cgi-bin/who")
			case $out in
			"web1 "* | "web3 "*) [ "$n" = node1 ] && want=10.99.0.200 || want=$(node_ip $n) ;;
			"web2 "*) [ "$n" = node2 ] && want=10.99.0.200 || want=$(node_ip $n) ;;
			*) false ;;
			esac
			[ "${out#* }" = "$want" ]
		done
	done
}

@test "lab: externalTrafficPolicy Local: the client's address reaches the backend, only nodes with a backend answer" {
	local np
	lab kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: local}
spec:
  type: NodePort
  externalTrafficPolicy: Local
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
EOF
	lab slice local web1 web3
	wait_service node1 local
	np=$(node_port local)
	for _ in $(seq 1 6); do
		run get outside "http://$(node_ip node1):$np/cgi-bin/who"
		[[ "$output" == "web1 10.99.0.200" || "$output" == "web3 10.99.0.200" ]]
	done
	# Nodes without one drop the traffic (kube-proxy's rule): the client
	# times out (curl 28) rather than being refused (7), and tries elsewhere.
	for n in node2 node3; do
		run lab exec outside curl -s --max-time 1 "http://$(node_ip $n):$np/"
		[ "$status" -eq 28 ]
		[ "$(counter $n no_local_endpoint)" -ge 1 ]
	done
	# Inside the cluster the policy does not apply: the ClusterIP serves
	# from node2 too.
	run get client "http://$(cluster_ip local)/"
	[[ "$output" == web1 || "$output" == web3 ]]
}

@test "lab: a LoadBalancer ingress IP and an external IP reach the backends from outside" {
	lab kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: lb}
spec:
  type: LoadBalancer
  externalIPs: [10.99.2.10]
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
EOF
	# The cloud controller's part: the ingress address.
	lab kubectl patch svc lb --subresource=status --type=merge \
		-p '{"status":{"loadBalancer":{"ingress":[{"ip":"10.99.1.10"}]}}}'
	lab slice lb web1 web2 web3
	wait_service node1 lb
	for _ in $(seq 1 50); do
		lab xcnictl node1 services | grep -q '^10.99.1.10:80 ' && break
		sleep 0.1
	done
	run answers outside "http://10.99.1.10/" 24
	[ "$output" = "web1 web2 web3" ]
	run answers outside "http://10.99.2.10/" 24
	[ "$output" = "web1 web2 web3" ]
}

@test "lab: sessionAffinity ClientIP keeps each client on one backend, from a pod and from outside" {
	lab kubectl apply -f - <<'EOF'
apiVersion: v1
kind: Service
metadata: {name: sticky}
spec:
  type: NodePort
  sessionAffinity: ClientIP
  sessionAffinityConfig: {clientIP: {timeoutSeconds: 60}}
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]
EOF
	lab slice sticky web1 web2 web3
	wait_service node2 sticky
	wait_service node3 sticky
	run answers client "http://$(cluster_ip sticky)/" 15
	[[ "$output" =~ ^web[123]$ ]]
	run answers outside "http://$(node_ip node3):$(node_port sticky)/" 15
	[[ "$output" =~ ^web[123]$ ]]
}

@test "lab: a node leaving takes its routes from every other node, joining brings them back" {
	local far
	far=$(lab pod ip far)
	lab exec client ping -c 1 -W 2 "$far"
	lab node leave node3
	for n in node1 node2; do
		for _ in $(seq 1 50); do
			lab exec $n ip route show proto 201 | grep -q 10.244.3.0 || break
			sleep 0.1
		done
		run lab exec $n ip route show proto 201
		[[ "$output" != *10.244.3.0* ]]
	done
	run lab exec client ping -c 1 -W 1 "$far"
	[ "$status" -ne 0 ]
	lab node join node3
	for n in node1 node2; do
		for _ in $(seq 1 50); do
			lab exec $n ip route show proto 201 | grep -q "10.244.3.0/24 via 10.99.0.13" && break
			sleep 0.1
		done
	done
	lab exec client ping -c 1 -W 2 "$far"
	run get client "http://$far:8080/"
	[ "$output" = far ]
}

@test "lab: the agent of a node killed and restarted during traffic: flows go on, the node keeps serving" {
	local vip np before
	vip=$(cluster_ip web)
	np=$(node_port web)
	# A long-lived flow from the client (node2) through the ClusterIP, and
	# a stream of NodePort requests from outside to node2.
	(
		echo before
		sleep 3
		echo after
	) | lab exec client socat -T10 - TCP:"$vip":7000 >"$BATS_TEST_TMPDIR/long.out" &
	local flow=$!
	(for _ in $(seq 1 30); do
		get outside "http://$(node_ip node2):$np/" || echo FAIL
		sleep 0.1
	done) >"$BATS_TEST_TMPDIR/stream.out" &
	local stream=$!
	sleep 0.5
	lab agent kill node2
	sleep 0.5
	lab agent start node2
	wait "$flow"
	wait "$stream"
	run cat "$BATS_TEST_TMPDIR/long.out"
	[[ "${lines[0]}" =~ ^web[123]$ ]]
	[ "${lines[1]}" = before ]
	[ "${lines[2]}" = after ]
	run grep -c FAIL "$BATS_TEST_TMPDIR/stream.out"
	[ "$output" = 0 ]
	# The restarted agent took over the pinned state and serves changes.
	before=$(lab xcnictl node2 -o json status | jq .agent.adoptedServices)
	[ "$before" -ge 3 ]
	lab slice web web1 web2
	for _ in $(seq 1 50); do
		[ "$(answers client "http://$vip/" 12)" = "web1 web2" ] && break
		sleep 0.1
	done
	run answers client "http://$vip/" 12
	[ "$output" = "web1 web2" ]
	lab slice web web1 web2 web3
}

@test "lab: a pod reaches a host outside the cluster" {
	skip "needs SNAT to the node IP for pod traffic leaving the cluster (a later issue)"
}

@test "lab: up after a crash cleans the leftovers first, down leaves nothing behind" {
	local n
	# A crash: every process of the lab killed, its pins, mounts,
	# namespaces and files left as they were.
	for f in "$XCNI_LAB_DIR"/pids/*; do kill -9 "$(cat "$f")"; done
	lab up 1
	run ip netns list
	[[ "$output" != *"$XCNI_LAB-p-"* ]]
	[[ "$output" != *"$XCNI_LAB-node2"* ]]
	lab pod add node1 again
	lab down
	run ip netns list
	[[ "$output" != *"$XCNI_LAB-"* ]]
	run grep -c "$XCNI_LAB_DIR" /proc/mounts
	[ "$output" = 0 ]
	[ ! -e "$XCNI_LAB_DIR" ]
	for n in $(ip netns list | awk '{print $1}'); do
		[[ "$n" != "$XCNI_LAB"-* ]]
	done
}
