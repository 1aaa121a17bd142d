#!/usr/bin/env bats
# xcni-agent end to end: the test API server, kubectl making the changes,
# pods wired by xcni and enrolled into the agent's datapath, real TCP and
# UDP from a client pod to a ClusterIP.

load helpers
load agent_helpers

setup() {
	agent_env_setup
	add_pod srv1
	add_pod srv2
	add_pod client
	SRV1=$(pod_ip srv1)
	SRV2=$(pod_ip srv2)
	serve srv1 8080
	serve srv2 8080
}

teardown() {
	agent_env_teardown
}

apply_service() {
	kctl apply -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080, protocol: TCP}
  - {name: dns, port: 53, targetPort: 8080, protocol: UDP}
EOF
}

# apply_slice IP...: the service's one EndpointSlice, with these ready pods.
apply_slice() {
	local eps="" ip
	for ip in "$@"; do
		eps="$eps  - {addresses: [\"$ip\"], conditions: {ready: true}, nodeName: node-a}
"
	done
	[ -n "$eps" ] || eps="  []
"
	kctl apply -f - <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
- {name: dns, port: 8080, protocol: UDP}
endpoints:
$(if [ $# -eq 0 ]; then echo "  []"; else printf '%s' "$eps"; fi)
EOF
}

cluster_ip() {
	kctl get svc web -o jsonpath='{.spec.clusterIP}'
}

# Which servers answered N requests: sorted unique names.
answers() {
	local vip=$1 port=$2 proto=${3:-tcp} i
	for i in $(seq 1 "${4:-20}"); do
		ask client "$vip" "$port" "$proto" || echo FAILED
	done | sort -u | tr '\n' ' '
}

@test "agent: ready, node state written, XDP on the device, enrolled pods reach each other" {
	[ -f "$WORK/node.json" ]
	run jq -r .podCIDR "$WORK/node.json"
	[ "$output" = 10.244.1.0/24 ]
	run jq -r .bpffsRoot "$WORK/node.json"
	[ "$output" = "$BPF_ROOT" ]
	run xcnictl -o json status
	[ "$status" -eq 0 ]
	echo "$output" | jq -e '.xdpLinks[0].device == "xn0"'
	echo "$output" | jq -e '.agent.synced == true and .agent.nodeIP == "192.0.2.11"'
	[ -e "$BPF_ROOT/links/xdp_xn0" ]
	run ask client "$SRV1" 8080
	[ "$output" = srv1 ]
}

@test "agent: a Service applied with kubectl is served over TCP and UDP, spread over its backends" {
	apply_service
	apply_slice "$SRV1" "$SRV2"
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 2
$VIP:80 TCP 2" dp_services
	run answers "$VIP" 80 tcp 30
	[ "$output" = "srv1 srv2 " ]
	run answers "$VIP" 53 udp 30
	[ "$output" = "srv1 srv2 " ]
	# The metrics saw the change and the packets.
	run agent_http /metrics
	echo "$output" | grep -q '^xcni_event_to_map_seconds_count [1-9]'
	echo "$output" | grep -qE '^xcni_datapath_packets_total\{reason="dnat",kind="event"\} [1-9]'
	echo "$output" | grep -q '^xcni_xdp_attach_mode{device="xn0",mode="native"} 1'
}

@test "agent: new flows follow a backend change, an established flow keeps its backend" {
	apply_service
	apply_slice "$SRV1"
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 1
$VIP:80 TCP 1" dp_services
	# A long-lived connection to srv1 through the ClusterIP.
	mkfifo "$WORK/in"
	in_pod client socat -T30 PIPE:"$WORK/in" TCP:"$VIP":80 >"$WORK/long.out" &
	echo $! >"$WORK/long.pid"
	exec 9>"$WORK/in"
	wait_for_output srv1 cat "$WORK/long.out"
	apply_slice "$SRV2"
	wait_for_output "$SRV2:8080" dp_backends
	run answers "$VIP" 80 tcp 10
	[ "$output" = "srv2 " ]
	# The old flow still reaches srv1 (its server answers each connection
	# with its name then closes, so the flow is proved by its conntrack
	# entry living on to its FIN).
	run xcnictl -o json conntrack
	echo "$output" | jq -e --arg d "$SRV1:8080" '[.[] | select(.rewrite == $d)] | length >= 1'
	exec 9>&-
}

@test "agent: deleting the endpoints gets a refusal, deleting the Service removes its entries" {
	apply_service
	apply_slice "$SRV1"
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 1
$VIP:80 TCP 1" dp_services
	kctl delete endpointslice web-1
	wait_for_output "$VIP:53 UDP 0
$VIP:80 TCP 0" dp_services
	run ask client "$VIP" 80
	[ "$status" -ne 0 ]
	[[ "$output" == *"Connection refused"* ]]
	kctl delete svc web
	wait_for_output "" dp_services
	wait_for_output "" dp_backends
}

@test "agent: kill -9 during a transfer, restart: the transfer goes on and the maps converge" {
	apply_service
	apply_slice "$SRV1"
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 1
$VIP:80 TCP 1" dp_services
	# A slow sink on srv2 behind the ClusterIP.
	kctl delete endpointslice web-1
	apply_slice "$SRV2"
	wait_for_output "$SRV2:8080" dp_backends
	in_pod srv2 socat -u TCP-LISTEN:9000,reuseaddr OPEN:"$WORK/received",creat &
	echo $! >"$WORK/sink.pid"
	kctl patch svc web --type=json \
		-p '[{"op":"add","path":"/spec/ports/-","value":{"name":"bulk","port":9000,"protocol":"TCP"}}]'
	kctl patch endpointslice web-1 --type=json \
		-p '[{"op":"add","path":"/ports/-","value":{"name":"bulk","port":9000,"protocol":"TCP"}}]'
	wait_for_output 3 bash -c "$(declare -f xcnictl in_node); xcnictl -o json services | jq length"
	( for i in $(seq 1 40); do head -c 10000 /dev/zero; sleep 0.1; done ) |
		in_pod client socat -u - TCP:"$VIP":9000 &
	echo $! >"$WORK/sender.pid"
	sleep 1
	kill -9 "$(agent_pid)"
	sleep 0.5
	# Meanwhile the cluster changes.
	kctl delete svc web --wait=false
	agent_start
	agent_wait_ready
	wait "$(cat "$WORK/sender.pid")"
	wait_for_output 400000 stat -c %s "$WORK/received"
	wait_for_output "" dp_services
}
