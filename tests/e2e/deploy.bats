#!/usr/bin/env bats
# deploy/: the manifests apply against the test API server (client and
# server dry runs, then for real), the ClusterRole grants exactly what the
# agent's informers read, the ConfigMap's agent.json is made of the agent's
# options and passes its checks, the DaemonSet's mounts, probes and paths
# agree with that config, install-cni.sh installs what the DaemonSet says,
# the Dockerfile builds from source in two stages with the right runtime
# libraries, and the agent, run as the DaemonSet runs it (its command, env,
# capabilities, in-cluster credentials), serves pods the installed conflist
# enrolls.

load helpers
load agent_helpers

DEPLOY=$XCNI_ROOT/deploy

setup() {
	NET=xcni
	xcni_setup
	BPF_ROOT=$WORK/bpffs
	api_start
}

teardown() {
	local p
	for p in "$WORK"/pods/*; do
		[ -e "$p" ] || continue
		cni del "$NET" "$(basename "$p")" >/dev/null 2>&1 || true
		rm -f "$p"
	done
	agent_env_teardown
	if mountpoint -q "$WORK/host-bpffs"; then umount "$WORK/host-bpffs"; fi
}

# Every object in deploy/, as kubectl reads the YAML, as one JSON array.
objects() {
	kctl create --dry-run=client -o json -f "$DEPLOY" |
		jq -s '[.[] | if .kind == "List" then .items[] else . end]'
}

# obj KIND [JQ [JQ OPTION...]]: the one object of that kind in deploy/,
# through JQ; jq -e, so a false or null result fails.
obj() {
	local kind=$1 filter=${2:-.}
	shift
	[ $# -eq 0 ] || shift
	objects | jq -e "$@" --arg k "$kind" "[.[] | select(.kind == \$k)] |
		if length == 1 then .[0] else error(\"want one \" + \$k) end | $filter"
}

# The DaemonSet's agent and install containers: agent_container [JQ [OPTION...]]
agent_container() {
	local filter=${1:-.}
	[ $# -eq 0 ] || shift
	obj DaemonSet ".spec.template.spec.containers[] | select(.name == \"xcni-agent\") | $filter" "$@"
}

install_container() {
	local filter=${1:-.}
	[ $# -eq 0 ] || shift
	obj DaemonSet ".spec.template.spec.initContainers[] | select(.name == \"install-cni\") | $filter" "$@"
}

# The hostPath behind a container's mount of PATH: host_path_of CONTAINER_JSON PATH
host_path_of() {
	obj DaemonSet ".spec.template.spec.volumes" | jq -er --argjson c "$1" --arg p "$2" '
		. as $vols | $c.volumeMounts[] | select(.mountPath == $p) | .name as $n |
		$vols[] | select(.name == $n) | .hostPath.path'
}

# The ConfigMap file a container reads at PATH (its mount of deploy/'s
# ConfigMap, and the key): configmap_key CONTAINER_JSON PATH
configmap_key() {
	local dir=${2%/*} key=${2##*/} name
	name=$(obj DaemonSet ".spec.template.spec.volumes" | jq -er --argjson c "$1" --arg d "$dir" '
		. as $vols | $c.volumeMounts[] | select(.mountPath == $d) | .name as $n |
		$vols[] | select(.name == $n) | .configMap.name')
	[ "$name" = "$(obj ConfigMap .metadata.name -r)" ]
	obj ConfigMap ".data[\"$key\"]" -r
}

@test "deploy: the manifests pass kubectl's client and server dry runs, which store nothing" {
	local want="clusterrole.rbac.authorization.k8s.io/xcni-agent created
clusterrolebinding.rbac.authorization.k8s.io/xcni-agent created
configmap/xcni-config created
daemonset.apps/xcni-agent created
serviceaccount/xcni-agent created"
	run kctl apply --dry-run=client -f "$DEPLOY"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed 's/ (dry run)$//' | sort)" = "$want" ]
	run kctl apply --dry-run=server -f "$DEPLOY"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | sed 's/ (server dry run)$//' | sort)" = "$want" ]
	run kctl get -f "$DEPLOY" -o name
	[ "$status" -ne 0 ]
	[ "$(echo "$output" | grep -c NotFound)" -eq 5 ]
}

@test "deploy: applied for real, every object reads back as written; a second apply changes nothing" {
	kctl apply -f "$DEPLOY"
	objects | jq -S 'map({kind, name: .metadata.name, namespace: .metadata.namespace,
		labels: .metadata.labels, body: del(.metadata, .status, .kind, .apiVersion)}) |
		sort_by(.kind)' >"$WORK/want.json"
	kctl get -f "$DEPLOY" -o json | jq -S '.items | map({kind, name: .metadata.name,
		namespace: .metadata.namespace, labels: .metadata.labels,
		body: del(.metadata, .status, .kind, .apiVersion)}) | sort_by(.kind)' >"$WORK/got.json"
	[ "$(jq length "$WORK/want.json")" -eq 5 ]
	diff -u "$WORK/want.json" "$WORK/got.json"
	run kctl apply -f "$DEPLOY"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | grep -c ' unchanged$')" -eq 5 ]
}

@test "deploy: the ClusterRole is get/list/watch on exactly the resources the agent watches" {
	local granted watched
	watched=$("$AGENT_BIN" --print-resources | sed 's/$/ get,list,watch/' | sort)
	echo "$watched" | grep -qx '/services get,list,watch'
	echo "$watched" | grep -qx 'discovery.k8s.io/endpointslices get,list,watch'
	granted=$(obj ClusterRole '.rules[] | . as $r | $r.apiGroups[] as $g | $r.resources[] |
		"\($g)/\(.) \($r.verbs | sort | join(","))"' -r | sort)
	[ "$granted" = "$watched" ]
	# Nothing beyond those rules: no names, URLs or wildcards widen them.
	obj ClusterRole '.rules | all(keys - ["apiGroups", "resources", "verbs"] == [])'
	obj ClusterRole '[.rules[] | .apiGroups[], .resources[], .verbs[]] | index("*") == null'
	# Bound to the DaemonSet's ServiceAccount, in its namespace.
	ns=$(obj DaemonSet '.metadata.namespace' -r)
	sa=$(obj DaemonSet '.spec.template.spec.serviceAccountName' -r)
	obj ServiceAccount ".metadata.name == \"$sa\" and .metadata.namespace == \"$ns\""
	obj ClusterRoleBinding "(.roleRef | .kind == \"ClusterRole\" and .name == \"$(obj ClusterRole .metadata.name -r)\") and
		.subjects == [{kind: \"ServiceAccount\", name: \"$sa\", namespace: \"$ns\"}]"
}

@test "deploy: the ConfigMap's agent.json is made of the agent's options, and the agent accepts it" {
	local cfg
	cfg=$(configmap_key "$(agent_container)" \
		"$(agent_container '.command | index("--config") as $i | .[$i + 1]' -r)")
	echo "$cfg" >"$WORK/agent.json"
	[ "$(jq length "$WORK/agent.json")" -gt 0 ]
	"$AGENT_BIN" --print-options >"$WORK/options"
	for k in $(jq -r 'keys[]' "$WORK/agent.json"); do
		grep -qx -- "$k" "$WORK/options" || { echo "not an agent option: $k" >&2; return 1; }
	done
	# The node name is per node: from the downward API, not the ConfigMap.
	jq -e 'has("node-name") | not' "$WORK/agent.json"
	agent_container '.env[] | select(.name == "NODE_NAME") | .valueFrom.fieldRef.fieldPath == "spec.nodeName"'
	run env -u NODE_NAME "$AGENT_BIN" --config "$WORK/agent.json" --node-name n1 --print-config
	[ "$status" -eq 0 ]
	# Every value in the file is the one in effect.
	echo "$output" | jq -e --slurpfile c "$WORK/agent.json" '. as $e | $c[0] | to_entries | all(.value == $e[.key])'
	# The same check refuses what the agent would refuse.
	jq '. + {"no-such-option": 1}' "$WORK/agent.json" >"$WORK/bad.json"
	run "$AGENT_BIN" --config "$WORK/bad.json" --print-config
	[ "$status" -eq 2 ]
	[[ "$output" == *'unknown option "no-such-option"'* ]]
	jq '. + {"xdp-mode": "sideways"}' "$WORK/agent.json" >"$WORK/bad.json"
	run "$AGENT_BIN" --config "$WORK/bad.json" --print-config
	[ "$status" -eq 2 ]
}

@test "deploy: the DaemonSet's probes, mounts and conflist agree with the agent's config" {
	local agent install cfg conflist port
	agent=$(agent_container)
	install=$(install_container)
	cfg=$(configmap_key "$agent" "$(agent_container '.command | index("--config") as $i | .[$i + 1]' -r)")
	port=$(echo "$cfg" | jq -r '."metrics-address"' | sed 's/.*://')
	obj DaemonSet '.spec.template.spec.hostNetwork == true'
	# Probes on the agent's health endpoints, on the port it listens on.
	echo "$agent" | jq -e --argjson p "$port" '.livenessProbe.httpGet == {path: "/healthz", port: $p}
		and .readinessProbe.httpGet == {path: "/readyz", port: $p}'
	# Capabilities, not privileged.
	echo "$agent" | jq -e '.securityContext.privileged == false and
		.securityContext.capabilities.drop == ["ALL"] and
		(.securityContext.capabilities.add | length > 0)'
	# The bpffs root is inside the host's bpffs; the node state file's
	# directory is the host's, where the CNI binary reads it.
	[ "$(host_path_of "$agent" /sys/fs/bpf)" = /sys/fs/bpf ]
	[[ "$(echo "$cfg" | jq -r '."bpffs-root"')" == /sys/fs/bpf/* ]]
	state=$(echo "$cfg" | jq -r '."node-state-file"')
	[ "$(host_path_of "$agent" "${state%/*}")" = "${state%/*}" ]
	# The init container installs into the host's CNI dirs, and the
	# conflist it installs names the agent's node state file.
	env_of() { echo "$install" | jq -er --arg n "$1" '.env[] | select(.name == $n) | .value'; }
	[ "$(host_path_of "$install" "$(env_of CNI_BIN_DIR)")" = /opt/cni/bin ]
	[ "$(host_path_of "$install" "$(env_of CNI_CONF_DIR)")" = /etc/cni/net.d ]
	conflist=$(configmap_key "$install" "$(env_of CNI_CONFLIST)")
	echo "$conflist" | jq -e --arg s "$state" '.plugins | length == 1 and
		.[0].type == "xcni" and .[0].nodeStateFile == $s'
	# Its IPAM store is the host directory the init container creates.
	[ "$(host_path_of "$install" "$(env_of IPAM_DATA_DIR)")" = \
		"$(echo "$conflist" | jq -r '.plugins[0].ipam.dataDir')" ]
}

@test "deploy: install-cni.sh installs the binary, the conflist and the IPAM dir, again and again" {
	local host=$WORK/host
	obj ConfigMap '.data["10-xcni.conflist"]' -r >"$WORK/10-xcni.conflist"
	for _ in 1 2; do
		CNI_BIN_DIR=$host/opt/cni/bin CNI_CONF_DIR=$host/etc/cni/net.d \
			CNI_CONFLIST=$WORK/10-xcni.conflist IPAM_DATA_DIR=$host/var/lib/cni/xcni \
			XCNI_BIN=$XCNI_BIN "$DEPLOY/install-cni.sh"
	done
	cmp "$XCNI_BIN" "$host/opt/cni/bin/xcni"
	cmp "$WORK/10-xcni.conflist" "$host/etc/cni/net.d/10-xcni.conflist"
	[ "$(stat -c %a "$host/opt/cni/bin/xcni")" = 755 ]
	[ "$(stat -c %a "$host/etc/cni/net.d/10-xcni.conflist")" = 644 ]
	[ "$(stat -c %a "$host/var/lib/cni/xcni")" = 700 ]
	# No temporary file left behind.
	[ "$(find "$host" -name '.*.tmp.*' | wc -l)" -eq 0 ]
}

@test "deploy: the Dockerfile builds with the Makefile in one stage and ships the libraries the binaries need" {
	local df=$DEPLOY/Dockerfile build runtime need
	[ "$(grep -c '^FROM ' "$df")" -eq 2 ]
	build=$(awk '/^FROM /{n++} n == 1' "$df")
	runtime=$(awk '/^FROM /{n++} n == 2' "$df")
	echo "$build" | grep -qE '^FROM debian:12 AS build$'
	echo "$runtime" | grep -qE '^FROM debian:12'
	# The build stage runs make all; the runtime stage copies its output.
	echo "$build" | grep -qE '^RUN make .*\ball$'
	for b in xcni xcni-agent xcnictl; do
		echo "$runtime" | grep -E '^COPY --from=build ' | grep -qE "/src/build/$b( |$)"
	done
	echo "$runtime" | grep -q 'install-cni.sh /usr/local/bin/'
	# Each library a binary is linked against comes from a package the
	# runtime stage installs (libc6 is in the base image).
	need=$(for b in "$XCNI_BIN" "$AGENT_BIN" "$XCNICTL_BIN"; do
		objdump -p "$b" | awk '/NEEDED/ {print $2}'
	done | sort -u | while read -r so; do
		dpkg -S "*/$so" | head -1 | cut -d: -f1
	done | sort -u | grep -vx libc6)
	[ -n "$need" ]
	for p in $need; do
		echo "$runtime" | grep -qw -- "$p" || { echo "runtime stage lacks $p" >&2; return 1; }
	done
	# The build stage is given the build dependencies Make uses.
	for p in clang bpftool libbpf-dev libcjson-dev libmnl-dev libcurl4-openssl-dev \
		libmicrohttpd-dev libyaml-dev; do
		echo "$build" | sed -n '1,/^RUN make/p' | grep -qw -- "$p"
	done
}

# The agent as the DaemonSet starts it ($AGENT_CMD, $AGENT_CAPS from its
# manifest): only those capabilities, no privilege escalation, in-cluster
# credentials as the pod's service account gives them, NODE_NAME from the
# downward API, and the node's paths moved into this test's directory.
ds_agent_start() {
	nsenter --net="/run/netns/$NODE" setpriv --bounding-set "-all,$AGENT_CAPS" --no-new-privs \
		env NODE_NAME=node-a KUBERNETES_SERVICE_HOST=127.0.0.1 \
		KUBERNETES_SERVICE_PORT="$API_PORT" XCNI_SA_DIR="$WORK/api" \
		"$AGENT_BIN" "${AGENT_CMD[@]}" --bpffs-root "$BPF_ROOT" \
		--node-state-file "$WORK/node.json" --devices xn0 2>>"$WORK/agent.log" &
	echo $! >"$WORK/agent.pid"
}

# Ready and alive on the DaemonSet's probes.
ds_agent_wait_ready() {
	WAIT_TRIES=150 wait_for_output ok agent_http "$(echo "$AGENT" | jq -r .readinessProbe.httpGet.path)"
	[ "$(agent_http "$(echo "$AGENT" | jq -r .livenessProbe.httpGet.path)")" = ok ]
}

@test "deploy: the agent run as the DaemonSet runs it serves pods the installed conflist enrolls" {
	local cfgdir mount arg vip
	kctl apply -f "$DEPLOY"
	# The node: a device for XDP, its Node object.
	WIRE=$T-wire
	ip netns add "$WIRE"
	ip -n "$NODE" link add xn0 type veth peer name xw0 netns "$WIRE"
	ip -n "$NODE" addr add 192.0.2.11/24 dev xn0
	ip -n "$NODE" link set xn0 up
	ip -n "$WIRE" link set xw0 up
	kctl apply -f - <<EOF
apiVersion: v1
kind: Node
metadata: {name: node-a}
spec: {podCIDR: 10.244.1.0/24, podCIDRs: [10.244.1.0/24]}
status: {addresses: [{type: InternalIP, address: 192.0.2.11}]}
EOF
	# The DaemonSet and ConfigMap as the API server has them; the
	# ConfigMap's keys are files in a directory, as the kubelet mounts them.
	AGENT=$(kctl -n kube-system get ds xcni-agent -o json |
		jq '.spec.template.spec.containers[] | select(.name == "xcni-agent")')
	cfgdir=$WORK/etc-xcni
	mkdir -p "$cfgdir"
	kctl -n kube-system get cm xcni-config -o json >"$WORK/cm.json"
	for k in $(jq -r '.data | keys[]' "$WORK/cm.json"); do
		jq -r --arg k "$k" '.data[$k]' "$WORK/cm.json" >"$cfgdir/$k"
	done
	mount=$(echo "$AGENT" | jq -r '.volumeMounts[] | select(.name == "config") | .mountPath')
	AGENT_CMD=()
	for arg in $(echo "$AGENT" | jq -r '.command[1:][]'); do
		AGENT_CMD+=("${arg/#$mount\//$cfgdir/}")
	done
	AGENT_CAPS=$(echo "$AGENT" | jq -r '.securityContext.capabilities.add |
		map("+" + ascii_downcase) | join(",")')
	METRICS_PORT=$(echo "$AGENT" | jq -r .readinessProbe.httpGet.port)
	# The host's bpffs, mounted by the host (systemd does, at /sys/fs/bpf):
	# the DaemonSet mounts it in, and the agent pins inside it.
	mkdir -p "$WORK/host-bpffs"
	mount -t bpf xcni-test "$WORK/host-bpffs"
	BPF_ROOT=$WORK/host-bpffs/xcni

	ds_agent_start
	ds_agent_wait_ready
	# Its effective capabilities were the DaemonSet's, no more.
	[ "$(awk '/^CapEff/ {print $2}' "/proc/$(agent_pid)/status")" = \
		"$(setpriv --bounding-set "-all,$AGENT_CAPS" awk '/^CapEff/ {print $2}' /proc/self/status)" ]
	jq -e '.podCIDR == "10.244.1.0/24"' "$WORK/node.json"

	# The conflist the init container installs, with only the node's paths
	# moved here, wires and enrolls pods through cnitool (libcni).
	jq --arg s "$WORK/node.json" --arg d "$WORK/ipam" \
		'.plugins[0].nodeStateFile = $s | .plugins[0].ipam.dataDir = $d' \
		"$cfgdir/10-xcni.conflist" >"$NETCONFPATH/10-xcni.conflist"
	[ "$(jq -r .name "$NETCONFPATH/10-xcni.conflist")" = "$NET" ]
	mkdir -p "$WORK/pods"
	for p in srv client; do
		pod_netns "$p" >/dev/null
		cni add "$NET" "$p" >"$WORK/pods/$p"
		in_pod "$p" ip link set lo up
	done
	SRV=$(pod_ip srv)
	[[ "$SRV" == 10.244.1.* ]]
	bpftool map lookup pinned "$BPF_ROOT/maps/endpoints" key $(echo "$SRV" | tr . ' ') >/dev/null
	serve srv 8080
	run ask client "$SRV" 8080
	[ "$output" = srv ]

	# A Service to the server, served by the datapath.
	kctl apply -f - <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec: {ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: default, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 8080, protocol: TCP}]
endpoints: [{addresses: ["$SRV"], conditions: {ready: true}}]
EOF
	vip=$(kctl get svc web -o jsonpath='{.spec.clusterIP}')
	wait_for_output "$vip:80 TCP 1" dp_services
	run ask client "$vip" 80
	[ "$output" = srv ]

	# A rolling update's restart, with the same capabilities: the new agent
	# adopts the pinned state (reopening the Maglev tables by id).
	kill "$(agent_pid)"
	wait "$(agent_pid)" || true
	ds_agent_start
	ds_agent_wait_ready
	grep -q 'event=state_adopted services=1 backends=1' "$WORK/agent.log"
	run ask client "$vip" 80
	[ "$output" = srv ]
}
