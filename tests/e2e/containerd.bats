#!/usr/bin/env bats
# xcni driven by containerd 1.6's `ctr run --cni`: go-cni, the library the
# CRI plugin (what kubelet talks to) uses, on top of libcni.
#
# One private containerd per file (own root, state, socket, and its own
# /run/containerd through a private mount namespace). Every ctr call runs in
# a private mount namespace where /etc/cni/net.d, /opt/cni/bin, /var/lib/cni
# (libcni's result cache) and /run/containerd are this run's temp dirs, and
# in the test's node netns, so the host end of every veth lands there.
#
# What ctr 1.6 does with CNI (cmd/ctr/commands/run/run.go, nothing else):
#   - ADD after the task is created, before it starts, CNI_NETNS=/proc/PID/ns/net,
#     CNI_CONTAINERID=<ctr namespace>-<container id>, CNI_IFNAME=eth0;
#   - DEL only from a foreground (not -d) `ctr run`, once its task has exited,
#     with an empty CNI_NETNS. A detached container never gets a DEL.

load helpers

CTR_NS=xcni

# ctrd ARGS...: ctr against this file's containerd. In a test it sees the
# test's conf and plugin dirs and runs in the node netns; outside a test (no
# $NODE, e.g. teardown_file) it sees empty dirs and a throwaway netns.
ctrd() {
	local conf=$CTRD/empty bin=$CTRD/empty cache=$CTRD/empty
	local -a netns=(unshare --net)
	if [ -n "${NODE:-}" ]; then
		conf=$NETCONFPATH bin=$CNI_PATH cache=$WORK/cnicache
		netns=(nsenter --net="/run/netns/$NODE")
	fi
	# shellcheck disable=SC2016 # expanded by the inner bash
	unshare --mount --propagation private bash -c '
		mount --bind "$1" /etc/cni/net.d && mount --bind "$2" /opt/cni/bin &&
			mount --bind "$3" /var/lib/cni && mount --bind "$4" /run/containerd || exit 125
		shift 4
		exec "$@"' ctrd "$conf" "$bin" "$cache" "$CTRD/run" \
		"${netns[@]}" ctr --address "$CTRD/c.sock" -n "$CTR_NS" "$@"
}

# cexec ID CMD...: run CMD inside container ID (busybox applets by path).
cexec() {
	local id=$1
	shift
	EXECS=$((${EXECS:-0} + 1))
	ctrd task exec --exec-id "x$EXECS" "$id" "$@" </dev/null
}

# crun ID [FLAGS...]: a busybox container that sleeps, wired by go-cni.
# --cgroup= keeps runc to a leaf cgroup per container, which it removes on
# delete (the default /<namespace>/<id> would leave /<namespace> behind).
crun() {
	local id=$1
	shift
	ctrd run "$@" --null-io --cni --cgroup= --rootfs "$CTRD/rootfs" "$id" /bin/sleep 600
}

task_field() { # task_field ID COLUMN (2 = PID, 3 = STATUS)
	ctrd task ls 2>/dev/null | awk -v id="$1" -v col="$2" '$1 == id { print $col }'
}

task_running() { [ "$(task_field "$1" 3)" = RUNNING ]; }

# started ID: waits for ID's task to run and records its PID, so that
# teardown_file can still stop it by PID should containerd have died.
started() {
	wait_for 10 task_running "$1" || return 1
	echo "$1 $(task_field "$1" 2)" >>"$CTRD/tasks"
}

c_ip() {
	cexec "$1" /bin/ip -4 -o addr show dev eth0 | awk '{print $4}' | cut -d/ -f1
}

# wait_for SECONDS CMD...: poll CMD every 50 ms.
wait_for() {
	local n=$(($1 * 20))
	shift
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.05
	done
}

# pid_gone PID: exited (a zombie counts: PID 1 may be slow to reap orphans).
pid_gone() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "${st%% *}" = Z ]
}
sock_up() { ctr --address "$CTRD/c.sock" version >/dev/null 2>&1; }

# Removes every task and container whose ID starts with $1 (all if empty).
ctr_sweep() {
	local id
	for id in $(ctrd containers ls -q 2>/dev/null | grep "^$1"); do
		ctrd task rm -f "$id" >/dev/null 2>&1 || true
		ctrd containers rm "$id" >/dev/null 2>&1 || true
	done
}

setup_file() {
	CTRD=$(mktemp -d "${TMPDIR:-/tmp}/xcni-ctrd.XXXXXX")
	export CTRD CTR_NS
	mkdir -p "$CTRD/empty" "$CTRD/run" "$CTRD/rootfs/bin"
	# Mount points for the private namespaces; made only if missing and
	# recorded so teardown_file removes exactly those.
	local d
	for d in /etc/cni /etc/cni/net.d /opt/cni /opt/cni/bin /var/lib/cni /run/containerd; do
		if [ ! -d "$d" ]; then
			mkdir "$d"
			echo "$d" >>"$CTRD/made-dirs"
		fi
	done

	cp /bin/busybox "$CTRD/rootfs/bin/busybox"
	for d in sh ip ping sleep; do ln -s busybox "$CTRD/rootfs/bin/$d"; done

	# Only what ctr run/exec needs: no CRI, no image snapshotters, no
	# restart monitor, no /opt/containerd.
	cat >"$CTRD/config.toml" <<CONF
version = 2
root = "$CTRD/root"
state = "$CTRD/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.internal.v1.opt",
  "io.containerd.internal.v1.restart",
  "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.monitor.v1.cgroups",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.overlayfs",
  "io.containerd.snapshotter.v1.zfs",
]
[grpc]
  address = "$CTRD/c.sock"
CONF
	# Its own /run/containerd: shim sockets, runc state and ctr's FIFOs.
	# shellcheck disable=SC2016
	unshare --mount --propagation private bash -c \
		'mount --bind "$1/run" /run/containerd && exec containerd --config "$1/config.toml"' \
		containerd "$CTRD" </dev/null >"$CTRD/containerd.log" 2>&1 3>&- &
	echo $! >"$CTRD/containerd.pid"
	if ! wait_for 10 sock_up; then
		cat "$CTRD/containerd.log"
		return 1
	fi
	readlink "/proc/$(cat "$CTRD/containerd.pid")/ns/mnt" >"$CTRD/containerd.mntns"
}

teardown_file() {
	[ -n "${CTRD:-}" ] && [ -d "$CTRD" ] || return 0
	local pid mntns p id
	pid=$(cat "$CTRD/containerd.pid" 2>/dev/null || true)
	mntns=$(cat "$CTRD/containerd.mntns" 2>/dev/null || true)
	if [ -n "$pid" ]; then
		sock_up && ctr_sweep ""
		kill "$pid" 2>/dev/null || true
		wait_for 5 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	# Only if containerd died under a test: its shims (they live in its
	# mount ns) and their containers (by the PID recorded at start, if it
	# is still that container) are stopped, and the containers' cgroups go.
	if [ -n "$mntns" ]; then
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mntns" ] && kill -KILL "${p#/proc/}" 2>/dev/null
		done
	fi
	if [ -f "$CTRD/tasks" ]; then
		while read -r id p; do
			grep -q "/$id\$" "/proc/$p/cgroup" 2>/dev/null || continue
			kill -KILL "$p" 2>/dev/null || true
			wait_for 5 pid_gone "$p" || true
			find /sys/fs/cgroup -depth -type d -name "$id" -exec rmdir {} + 2>/dev/null || true
		done <"$CTRD/tasks"
	fi
	if [ -f "$CTRD/made-dirs" ]; then
		tac "$CTRD/made-dirs" | while read -r p; do rmdir "$p" || true; done
	fi
	rm -rf "$CTRD"
}

setup() {
	if ! sock_up; then
		echo "containerd is down; the end of its log:" && tail -n 20 "$CTRD/containerd.log"
		return 1
	fi
	xcni_setup
	NET=$T-ctr
	SUBNET=10.251.$BATS_TEST_NUMBER
	mkdir -p "$WORK/cnicache"
	cat >"$NETCONFPATH/10-$NET.conflist" <<CONF
{"cniVersion":"1.0.0","name":"$NET","plugins":[{"type":"xcni","ipam":{"subnet":"$SUBNET.0/24","dataDir":"$WORK/ipam"}}]}
CONF
	# xcni behind a one-line logger, so the tests see what go-cni sent.
	rm -f "$CNI_PATH/xcni"
	# shellcheck disable=SC2016 # expanded by the logger
	printf '#!/bin/sh\necho "$CNI_COMMAND id=$CNI_CONTAINERID netns=$CNI_NETNS if=$CNI_IFNAME" >>%s\nexec %s "$@"\n' \
		"$WORK/calls.log" "$XCNI_BIN" >"$CNI_PATH/xcni"
	chmod +x "$CNI_PATH/xcni"
	: >"$WORK/calls.log"
}

teardown() {
	local pid
	ctr_sweep "$T-"
	# A foreground `ctr run` left by a failed test: it exits (after its DEL)
	# once its task is gone; stop it by PID if it does not.
	if [ -f "$WORK/ctr-run.pids" ]; then
		while read -r pid; do
			wait_for 5 pid_gone "$pid" || kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		done <"$WORK/ctr-run.pids"
	fi
	xcni_teardown
}

@test "ctr run -d --cni: two containers get distinct addresses on eth0 and reach each other and the gateway" {
	crun "$T-a" -d
	crun "$T-b" -d
	started "$T-a"
	started "$T-b"

	a=$(c_ip "$T-a")
	b=$(c_ip "$T-b")
	[[ "$a" == "$SUBNET".* ]]
	[[ "$b" == "$SUBNET".* ]]
	[ "$a" != "$b" ]

	# go-cni called ADD once per container, on the task's netns.
	[ "$(grep -c . "$WORK/calls.log")" -eq 2 ]
	grep -qx "ADD id=$CTR_NS-$T-a netns=/proc/$(task_field "$T-a" 2)/ns/net if=eth0" "$WORK/calls.log"
	grep -qx "ADD id=$CTR_NS-$T-b netns=/proc/$(task_field "$T-b" 2)/ns/net if=eth0" "$WORK/calls.log"

	# What libcni cached from the result is what the container has.
	cached=$WORK/cnicache/results/$NET-$CTR_NS-$T-a-eth0
	[ "$(jq -r .result.ips[0].address "$cached")" = "$a/24" ]
	gw=$(jq -r .result.ips[0].gateway "$cached")
	[ "$gw" = "$SUBNET.1" ]
	cexec "$T-a" /bin/ip route | grep -q "^default via $gw dev eth0"

	# Host ends in the node namespace (never the machine's), one address each.
	[ "$(node_veths)" -eq 2 ]
	in_node ip route | grep -q "^$a dev xc"
	in_node ip route | grep -q "^$b dev xc"
	[ "$(ip -o link show | grep -c "xcni/$NET/")" -eq 0 ]
	[ "$(ipam_allocs "$NET")" -eq 2 ]
	[ -f "$WORK/ipam/$NET/$a" ]
	[ -f "$WORK/ipam/$NET/$b" ]

	cexec "$T-a" /bin/ping -c1 -W2 "$b"
	cexec "$T-b" /bin/ping -c1 -W2 "$a"
	cexec "$T-a" /bin/ping -c1 -W2 "$gw"
	cexec "$T-b" /bin/ping -c1 -W2 "$gw"
}

@test "ctr task kill: the DEL ctr sends with an empty CNI_NETNS removes the host veth and the IPAM allocation" {
	# Foreground run: the only path on which ctr 1.6 sends a DEL.
	crun "$T-c" >"$WORK/run-c.log" 2>&1 3>&- &
	run_pid=$!
	echo "$run_pid" >>"$WORK/ctr-run.pids"
	started "$T-c"
	pid=$(task_field "$T-c" 2)
	ip=$(c_ip "$T-c")
	[[ "$ip" == "$SUBNET".* ]]
	[ "$(node_veths)" -eq 1 ]
	[ -f "$WORK/ipam/$NET/$ip" ]
	[ "$(ipam_allocs "$NET")" -eq 1 ]

	# Keep the container's netns alive past its task, so the veth pair
	# cannot simply vanish with it: only xcni's DEL can remove it now.
	ip netns attach "$T-held" "$pid"

	ctrd task kill -s SIGKILL "$T-c"
	wait_for 10 pid_gone "$run_pid"
	rc=0
	wait "$run_pid" || rc=$?
	cat "$WORK/run-c.log"
	[ "$rc" -eq 137 ] # ctr run passes the task's exit status on
	[ "$(grep -c 'network review' "$WORK/run-c.log")" -eq 0 ]

	[ "$(grep -c . "$WORK/calls.log")" -eq 2 ]
	grep -qx "ADD id=$CTR_NS-$T-c netns=/proc/$pid/ns/net if=eth0" "$WORK/calls.log"
	[ "$(sed -n 2p "$WORK/calls.log")" = "DEL id=$CTR_NS-$T-c netns= if=eth0" ]

	[ "$(node_veths)" -eq 0 ]
	[ "$(in_node ip route | grep -c "^$ip ")" -eq 0 ]
	run nsenter --net="/run/netns/$T-held" ip link show eth0
	[ "$status" -ne 0 ]
	[ ! -e "$WORK/ipam/$NET/$ip" ]
	[ "$(ipam_allocs "$NET")" -eq 0 ]
	[ ! -e "$WORK/cnicache/results/$NET-$CTR_NS-$T-c-eth0" ]

	# The task is gone (ctr run deleted it); the container record goes now.
	[ -z "$(task_field "$T-c" 1)" ]
	ctrd containers rm "$T-c"
	[ -z "$(ctrd containers ls -q | grep "^$T-" || true)" ]
}
