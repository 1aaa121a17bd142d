# The agent's end-to-end setup, on top of helpers.bash: a node namespace
# with a device for xdp_node, the test API server and the agent running in
# it (so 127.0.0.1 is the node's own loopback), kubectl as the client, and
# pods wired by xcni with enrollment into the agent's datapath.
AGENT_BIN=$XCNI_ROOT/build/xcni-agent
XCNICTL_BIN=$XCNI_ROOT/build/xcnictl
APISERVER=${APISERVER:-$XCNI_ROOT/tests/apiserver/apiserver.py}
KUBECTL=${KUBECTL:-/usr/lib/google-cloud-sdk/bin/kubectl.1.33}
METRICS_PORT=9464

# A node with a device (xn0, its peer xw0 in a "wire" namespace), the API
# server, the Node object and the agent.
agent_env_setup() {
	xcni_setup
	WIRE=$T-wire
	BPF_ROOT=$WORK/bpffs
	ip netns add "$WIRE"
	ip -n "$NODE" link add xn0 type veth peer name xw0 netns "$WIRE"
	ip -n "$NODE" addr add 192.0.2.11/24 dev xn0
	ip -n "$NODE" link set xn0 up
	ip -n "$WIRE" addr add 192.0.2.1/24 dev xw0
	ip -n "$WIRE" link set xw0 up
	api_start
	kctl apply -f - <<EOF
apiVersion: v1
kind: Node
metadata: {name: node-a, labels: {kubernetes.io/hostname: node-a}}
spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
status:
  addresses: [{type: InternalIP, address: 192.0.2.11}, {type: Hostname, address: node-a}]
EOF
	agent_start
	agent_wait_ready
	cat >"$NETCONFPATH/10-k8s.conflist" <<CONF
{"cniVersion":"1.0.0","name":"k8s","plugins":[{"type":"xcni","nodeStateFile":"$WORK/node.json",
 "ipam":{"dataDir":"$WORK/ipam"}}]}
CONF
}

agent_env_teardown() {
	local pid
	# A failed test shows the agent's last words.
	if [ -z "${BATS_TEST_COMPLETED:-}" ] && [ -f "$WORK/agent.log" ]; then
		echo "# agent log (last 40 lines):" >&3
		{ grep -E "token|kube_config|agent_started" "$WORK/agent.log" | head -5; tail -40 "$WORK/agent.log"; } | sed 's/^/#   /' >&3
	fi
	for pid in $(cat "$WORK"/*.pid 2>/dev/null); do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $(cat "$WORK"/*.pid 2>/dev/null); do
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
	done
	for p in "$WORK"/pods/*; do
		[ -e "$p" ] || continue
		cni del k8s "$(basename "$p")" >/dev/null 2>&1 || true
	done
	# Whatever still runs in this test's namespaces (forked servers).
	for ns in $(ip netns list | awk '{print $1}' | grep "^$T-"); do
		for pid in $(ip netns pids "$ns"); do kill "$pid" 2>/dev/null || true; done
	done
	in_node "$AGENT_BIN" --cleanup --bpffs-root "$BPF_ROOT" \
		--node-state-file "$WORK/node.json" >/dev/null 2>&1 || true
	xcni_teardown
}

# The test API server in the node namespace, its kubeconfig for kubectl and
# the agent.
api_start() {
	mkdir -p "$WORK/api"
	nsenter --net="/run/netns/$NODE" python3 "$APISERVER" --state-dir "$WORK/api" --port 0 --bookmark-interval 1 \
		>"$WORK/api.out" 2>"$WORK/api.log" &
	echo $! >"$WORK/api.pid"
	for _ in $(seq 1 100); do
		grep -q '^READY' "$WORK/api.out" 2>/dev/null && break
		sleep 0.1
	done
	grep -q '^READY' "$WORK/api.out" || { cat "$WORK/api.log" >&2; return 1; }
	API_PORT=$(sed -n 's/^READY port=//p' "$WORK/api.out")
	API_CTL="https://127.0.0.1:$API_PORT/_test"
}

# kubectl, in the node namespace, with its own cache.
kctl() {
	in_node env HOME="$WORK/home" "$KUBECTL" --kubeconfig "$WORK/api/kubeconfig" \
		--cache-dir "$WORK/kcache" --token "$(cat "$WORK/api/token")" "$@"
}

# The API server's control endpoint: api_ctl PATH [JSON BODY]
api_ctl() {
	in_node curl -sf --cacert "$WORK/api/ca.crt" \
		-H "Authorization: Bearer $(cat "$WORK/api/token")" \
		-X POST -H 'Content-Type: application/json' -d "${2:-"{}"}" "$API_CTL/$1" >/dev/null
}

# Background processes are started with nsenter itself (it execs), so $!
# is the process, and its PID is what teardown stops.
agent_start() {
	nsenter --net="/run/netns/$NODE" "$AGENT_BIN" --node-name node-a --kubeconfig "$WORK/api/kubeconfig" \
		--bpffs-root "$BPF_ROOT" --devices xn0 --node-state-file "$WORK/node.json" \
		--metrics-address "127.0.0.1:$METRICS_PORT" --watch-timeout "${WATCH_TIMEOUT:-30}" \
		--ct-gc-interval 2 --log-level debug "$@" 2>>"$WORK/agent.log" &
	echo $! >"$WORK/agent.pid"
}

agent_pid() {
	cat "$WORK/agent.pid"
}

agent_http() {
	in_node curl -s "http://127.0.0.1:$METRICS_PORT$1"
}

agent_wait_ready() {
	for _ in $(seq 1 100); do
		[ "$(agent_http /readyz)" = ok ] && return 0
		kill -0 "$(agent_pid)" 2>/dev/null || break
		sleep 0.1
	done
	echo "agent not ready; its log:" >&2
	tail -30 "$WORK/agent.log" >&2
	return 1
}

xcnictl() {
	in_node "$XCNICTL_BIN" --bpffs-root "$BPF_ROOT" --agent "127.0.0.1:$METRICS_PORT" "$@"
}

# The service entries in the datapath as sorted lines
# "ADDRESS PROTO BACKENDS", and the backends as "ADDRESS".
dp_services() {
	xcnictl -o json services | jq -r '.[] | "\(.address) \(.protocol) \(.backends)"' | sort
}

dp_backends() {
	xcnictl -o json backends | jq -r '.[].address' | sort
}

# Waits (bounded) until a command's output equals the expected text.
wait_for_output() {
	local want=$1 got
	shift
	for _ in $(seq 1 "${WAIT_TRIES:-100}"); do
		got=$("$@" 2>/dev/null) || true
		[ "$got" = "$want" ] && return 0
		sleep 0.1
	done
	echo "waited for: $want" >&2
	echo "got:        $got" >&2
	return 1
}

# A pod wired by xcni through cnitool: add_pod NAME
add_pod() {
	mkdir -p "$WORK/pods"
	pod_netns "$1" >/dev/null
	cni add k8s "$1" >"$WORK/pods/$1"
	in_pod "$1" ip link set lo up
}

# A server in a pod answering every TCP connection on PORT and every UDP
# datagram on PORT with its name, and on port 7000 saying its name then
# echoing what it gets (a long-lived flow): serve POD PORT
serve() {
	nsenter --net="/run/netns/$T-$1" socat TCP-LISTEN:"$2",fork,reuseaddr SYSTEM:"echo $1" &
	echo $! >"$WORK/srv-$1-tcp.pid"
	nsenter --net="/run/netns/$T-$1" socat UDP-RECVFROM:"$2",fork SYSTEM:"echo $1" &
	echo $! >"$WORK/srv-$1-udp.pid"
	nsenter --net="/run/netns/$T-$1" socat TCP-LISTEN:7000,fork,reuseaddr \
		SYSTEM:"echo $1; cat" &
	echo $! >"$WORK/srv-$1-echo.pid"
	# Listening before anyone asks: a connect that beats socat gets a RST.
	local i
	for i in $(seq 1 100); do
		[ "$(nsenter --net="/run/netns/$T-$1" ss -Hltn "( sport = :$2 or sport = :7000 )" |
			wc -l)" = 2 ] &&
			nsenter --net="/run/netns/$T-$1" ss -Hlun "sport = :$2" | grep -q . && return 0
		sleep 0.05
	done
	echo "serve: $1 does not listen on $2" >&2
	return 1
}

dp_service_count() {
	xcnictl -o json services | jq length
}

# One TCP (or UDP) request from a pod: ask POD IP PORT [udp]
ask() {
	if [ "${4:-tcp}" = udp ]; then
		echo hi | in_pod "$1" socat -T2 - UDP:"$2":"$3"
	else
		in_pod "$1" socat -T2 - TCP:"$2":"$3",connect-timeout=2 </dev/null
	fi
}
