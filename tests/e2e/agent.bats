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
  - {name: echo, port: 7000, protocol: TCP}
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
- {name: echo, port: 7000, protocol: TCP}
endpoints:
$(if [ $# -eq 0 ]; then echo "  []"; else printf '%s' "$eps"; fi)
EOF
}

# slice_named NAME IP: one more EndpointSlice of the service, one ready pod.
slice_named() {
	kctl apply -f - <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $1
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports:
- {name: http, port: 8080, protocol: TCP}
endpoints:
- {addresses: ["$2"], conditions: {ready: true}, nodeName: node-a}
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
$VIP:7000 TCP 2
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

# The agent keeps a service's first two slices inline and moves to an
# array at the third: every slice counts, before and after a removal.
@test "agent: a service's backends come from all of its slices, however many" {
	apply_service
	slice_named web-a "$SRV1"
	slice_named web-b "$SRV2"
	slice_named web-c 10.244.1.250
	slice_named web-d 10.244.1.251
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 0
$VIP:7000 TCP 0
$VIP:80 TCP 4" dp_services
	kctl delete endpointslice web-c web-a
	wait_for_output "$VIP:53 UDP 0
$VIP:7000 TCP 0
$VIP:80 TCP 2" dp_services
	run answers "$VIP" 80 tcp 30
	[[ $output == *srv2* && $output != *srv1* ]]
}

@test "agent: new flows follow a backend change, an established flow keeps its backend" {
	apply_service
	apply_slice "$SRV1"
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 1
$VIP:7000 TCP 1
$VIP:80 TCP 1" dp_services
	# A long-lived connection to srv1 through the ClusterIP: the server
	# says its name, then echoes each line the client sends.
	( echo before; sleep 4; echo after ) |
		in_pod client socat -T10 - TCP:"$VIP":7000 >"$WORK/long.out" &
	echo $! >"$WORK/long.pid"
	wait_for_output "srv1
before" cat "$WORK/long.out"
	apply_slice "$SRV2"
	wait_for_output "$SRV2:7000
$SRV2:8080" dp_backends
	run answers "$VIP" 80 tcp 10
	[ "$output" = "srv2 " ]
	# The old flow still reaches srv1: "after" comes back from it.
	wait "$(cat "$WORK/long.pid")"
	run cat "$WORK/long.out"
	[ "$output" = "srv1
before
after" ]
}

@test "agent: deleting the endpoints gets a refusal, deleting the Service removes its entries" {
	apply_service
	apply_slice "$SRV1"
	VIP=$(cluster_ip)
	wait_for_output "$VIP:53 UDP 1
$VIP:7000 TCP 1
$VIP:80 TCP 1" dp_services
	kctl delete endpointslice web-1
	wait_for_output "$VIP:53 UDP 0
$VIP:7000 TCP 0
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
$VIP:7000 TCP 1
$VIP:80 TCP 1" dp_services
	# A slow sink on srv2 behind the ClusterIP.
	kctl delete endpointslice web-1
	apply_slice "$SRV2"
	wait_for_output "$SRV2:7000
$SRV2:8080" dp_backends
	nsenter --net="/run/netns/$T-srv2" socat -u TCP-LISTEN:9000,reuseaddr OPEN:"$WORK/received",creat &
	echo $! >"$WORK/sink.pid"
	kctl patch svc web --type=json \
		-p '[{"op":"add","path":"/spec/ports/-","value":{"name":"bulk","port":9000,"protocol":"TCP"}}]'
	kctl patch endpointslice web-1 --type=json \
		-p '[{"op":"add","path":"/ports/-","value":{"name":"bulk","port":9000,"protocol":"TCP"}}]'
	wait_for_output "$VIP:53 UDP 1
$VIP:7000 TCP 1
$VIP:80 TCP 1
$VIP:9000 TCP 1" dp_services
	wait_for_output 1 bash -c "ip netns exec $T-srv2 ss -Hltn 'sport = 9000' | wc -l"
	( for i in $(seq 1 40); do head -c 10000 /dev/zero; sleep 0.1; done ) |
		in_pod client socat -u - TCP:"$VIP":9000 &
	echo $! >"$WORK/sender.pid"
	sleep 1
	kill -9 "$(agent_pid)"
	while kill -0 "$(agent_pid)" 2>/dev/null; do sleep 0.05; done
	sleep 0.5
	# Meanwhile the cluster changes.
	kctl delete svc web --wait=false
	agent_start
	agent_wait_ready
	wait "$(cat "$WORK/sender.pid")"
	wait_for_output 400000 stat -c %s "$WORK/received"
	wait_for_output "" dp_services
}

# The agent in-cluster style: the API server's state dir holds token,
# ca.crt and namespace, as a service account directory would.
agent_start_in_cluster() {
	XCNI_SA_DIR=$WORK/api KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT=$API_PORT \
		nsenter --net="/run/netns/$NODE" "$AGENT_BIN" --node-name node-a --bpffs-root "$BPF_ROOT" --devices xn0 \
		--node-state-file "$WORK/node.json" --metrics-address "127.0.0.1:$METRICS_PORT" \
		--watch-timeout 20 --log-level debug 2>>"$WORK/agent.log" &
	echo $! >"$WORK/agent.pid"
}

metric() {
	agent_http /metrics | awk -v m="$1" '$1 == m {print $2}'
}

# After a fault, a change made with kubectl must reach the maps:
# converge_to POD... (the slice's ready pods), checked through the backends.
converge_to() {
	local want="" p i
	# The API server may be restarting: kubectl retries, bounded.
	for i in $(seq 1 50); do
		apply_slice "$@" >/dev/null 2>&1 && break
		sleep 0.2
	done
	[ "$i" -lt 50 ]
	for p in "$@"; do want="$want$p:7000
$p:8080
"; done
	WAIT_TRIES=300 wait_for_output "$(printf '%s' "$want" | sort | sed '/^$/d')" dp_backends
}

@test "agent: every injected API fault ends with the maps equal to the server's truth" {
	# This agent reads its credentials as a pod does.
	kill "$(agent_pid)"
	wait "$(agent_pid)" 2>/dev/null || true
	agent_start_in_cluster
	agent_wait_ready
	apply_service
	converge_to "$SRV1"

	# F11: the token rotates (the file too, as the kubelet does): 401, re-read.
	api_ctl token '{"token":"rotated-token","write":true}'
	api_ctl watches/drop
	converge_to "$SRV2"

	# F1: watches cut mid-event, F2: ended cleanly; re-watch, no relist.
	relists=$(metric 'xcni_watch_relists_total{resource="endpointslices"}')
	api_ctl watches/drop '{"mid_event":true}'
	converge_to "$SRV2"
	api_ctl watches/end
	converge_to "$SRV1"
	[ "$(metric 'xcni_watch_relists_total{resource="endpointslices"}')" = "$relists" ]

	# F3: 410 on the next watches and a compacted history: relist.
	api_ctl faults '{"type":"watch","action":"expired","resource":"endpointslices","count":2}'
	api_ctl watches/end
	converge_to "$SRV2"
	api_ctl compact
	api_ctl watches/drop
	converge_to "$SRV1" "$SRV2"
	[ "$(metric 'xcni_watch_relists_total{resource="endpointslices"}')" -gt "$relists" ]

	# F4, F5: the server restarts with the same, a lower and a higher RV space.
	api_ctl restart '{"down":1,"rv":"same"}'
	converge_to "$SRV1"
	api_ctl restart '{"down":1,"rv":"lower"}'
	converge_to "$SRV2"
	api_ctl restart '{"down":1,"rv":"higher"}'
	converge_to "$SRV1"

	# F6 slow answers, F7 429 with Retry-After, F8 5xx.
	api_ctl faults '[{"type":"delay","seconds":2,"count":2,"verb":["list","watch"]},{"type":"trickle","bytes":16,"count":2,"verb":["list","watch"]}]'
	api_ctl watches/drop
	converge_to "$SRV2"
	api_ctl faults '{"type":"status","code":429,"retry_after":1,"count":3,"verb":["list","watch"]}'
	api_ctl watches/drop
	converge_to "$SRV1"
	api_ctl faults '{"type":"status","code":503,"count":3,"verb":["list","watch"]}'
	api_ctl watches/drop
	converge_to "$SRV2"

	# F9: a garbage line, a wrong-typed object and a truncated list.
	api_ctl watches/inject '{"resource":"endpointslices","action":"garbage"}'
	converge_to "$SRV1"
	api_ctl faults '{"type":"truncate","verb":"list","count":2}'
	api_ctl watches/inject '{"resource":"endpointslices","action":"wrong-type","path":"ports/0/port"}'
	converge_to "$SRV2"
	[ "$(metric 'xcni_watch_events_rejected_total{resource="endpointslices"}')" -ge 2 ]

	# F10: one byte per chunk, events split across chunks, an event over 64 KiB.
	api_ctl faults '{"type":"framing","mode":"byte","verb":"watch","count":-1}'
	api_ctl watches/drop
	converge_to "$SRV1"
	api_ctl faults/clear
	api_ctl faults '{"type":"framing","mode":"split","verb":"watch","count":-1}'
	api_ctl watches/drop
	api_ctl watches/inject '{"resource":"endpointslices","action":"oversize"}'
	converge_to "$SRV2"
	api_ctl faults/clear

	# F12: duplicate ADDED, DELETED of an unknown object, a lone BOOKMARK.
	api_ctl watches/inject '{"resource":"endpointslices","action":"duplicate-added"}'
	api_ctl watches/inject '{"resource":"endpointslices","action":"deleted-unknown","name":"ghost"}'
	api_ctl watches/inject '{"resource":"endpointslices","action":"bookmark"}'
	converge_to "$SRV1" "$SRV2"

	# Throughout, the datapath served: the service answers.
	run answers "$(cluster_ip)" 80 tcp 10
	[ "$output" = "srv1 srv2 " ]
	! grep -q 'rotated-token\|Bearer' "$WORK/agent.log"
}

# libcurl offers HTTP/2 by ALPN; the test API server speaks HTTP/1.1, so an
# HTTP/2 front (nghttpx, as a load balancer before a real API server would
# be) carries the agent's lists and watches as HTTP/2 streams.
@test "agent: over HTTP/2 the watches carry every change, however the events are framed" {
	local h2=16443
	kill "$(agent_pid)"
	wait "$(agent_pid)" 2>/dev/null || true
	# --conf=/dev/null: not the package's sample config.
	nsenter --net="/run/netns/$NODE" nghttpx --conf=/dev/null --frontend="127.0.0.1,$h2" \
		--backend="127.0.0.1,$API_PORT;;tls;sni=localhost" --cacert="$WORK/api/ca.crt" \
		--backend-read-timeout=5m --accesslog-file="$WORK/h2.log" --no-ocsp \
		--accesslog-format='$alpn $method $path $status' --workers=1 \
		--errorlog-file="$WORK/nghttpx.log" "$WORK/api/server.key" "$WORK/api/server.crt" &
	echo $! >"$WORK/nghttpx.pid"
	sed "s|server: .*|server: \"https://127.0.0.1:$h2\"|" "$WORK/api/kubeconfig" >"$WORK/kubeconfig-h2"
	for _ in $(seq 1 50); do
		in_node curl -s --cacert "$WORK/api/ca.crt" "https://127.0.0.1:$h2/healthz" >/dev/null && break
		sleep 0.1
	done
	nsenter --net="/run/netns/$NODE" "$AGENT_BIN" --node-name node-a --kubeconfig "$WORK/kubeconfig-h2" \
		--bpffs-root "$BPF_ROOT" --devices xn0 --node-state-file "$WORK/node.json" \
		--metrics-address "127.0.0.1:$METRICS_PORT" --watch-timeout 30 --log-level debug \
		2>>"$WORK/agent.log" &
	echo $! >"$WORK/agent.pid"
	agent_wait_ready
	apply_service
	converge_to "$SRV1"
	api_ctl faults '{"type":"framing","mode":"byte","verb":"watch","count":-1}'
	api_ctl watches/drop
	converge_to "$SRV2"
	api_ctl faults/clear
	api_ctl faults '{"type":"framing","mode":"split","verb":"watch","count":-1}'
	api_ctl watches/drop
	api_ctl watches/inject '{"resource":"endpointslices","action":"oversize"}'
	converge_to "$SRV1" "$SRV2"
	api_ctl faults/clear
	# They were HTTP/2 streams: the front's log says so for the watches.
	run grep -c '^h2 GET /apis/discovery.k8s.io/v1/endpointslices?.*watch=true' "$WORK/h2.log"
	[ "$output" -ge 2 ]
	run grep -v '^h2 ' "$WORK/h2.log"
	[ -z "$output" ]
}
