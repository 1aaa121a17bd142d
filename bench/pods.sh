#!/usr/bin/env bash
# Pod to pod, on one node and across nodes: TCP throughput (iperf3, 1 and 4
# streams) and the received rate of 64-byte UDP packets, for xcni (the lab
# cluster, tests/lab/lab) and for the reference bridge + host-local plugins
# wiring the same pods on the same kind of wire (namespaces made here).
#
# Both setups are up at once and measured in interleaved rounds (the order
# alternating), so drift hits both alike. Everything lives in network
# namespaces: the lab's (prefix $XCNI_LAB) and this script's ($R); all of it
# goes at the end, also on error or Ctrl-C.
#
# Writes bench/RESULTS.md (the section between the pods markers) and merges
# its keys into bench/results.json.
#
# Environment: BENCH_POD_SECONDS (per test, default 4, plus 1 s omitted at
# the start of TCP tests), BENCH_POD_ROUNDS (default 5: the UDP rates swing by
# 10% from round to round on this VM, and a median of five holds still), XCNI_LAB and
# XCNI_LAB_DIR (the lab's namespace prefix and state; defaults xlb,
# /run/xcni-lab-bench), REF_CNI_DIR; BENCH_POD_HOLD=1 sets both up and waits
# (for profiling by hand) instead of measuring.
set -euo pipefail
export LC_ALL=C

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB=$ROOT/tests/lab/lab
WIRE_XDP=$ROOT/build/lab/wire_pass.bpf.o
UDP_PPS=$ROOT/build/bench/udp_pps
UDP_PORT=9100
REF_DIR=${REF_CNI_DIR:-/usr/lib/cni}
SECS=${BENCH_POD_SECONDS:-4}
ROUNDS=${BENCH_POD_ROUNDS:-5}
RESULTS_MD=$ROOT/bench/RESULTS.md
RESULTS_JSON=$ROOT/bench/results.json
export XCNI_LAB=${XCNI_LAB:-xlb} XCNI_LAB_DIR=${XCNI_LAB_DIR:-/run/xcni-lab-bench}
GOAL_TCP=1.0
GOAL_UDP=1.3

die() {
	echo "bench/pods.sh: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "must run as root (network namespaces)"
[ -x "$ROOT/build/xcni" ] && [ -x "$ROOT/build/xcni-agent" ] && [ -e "$WIRE_XDP" ] ||
	die "build first (make all)"
[ -x "$UDP_PPS" ] || die "$UDP_PPS missing: make udp-pps (make bench builds it)"
for p in bridge host-local; do
	[ -x "$REF_DIR/$p" ] || die "$REF_DIR/$p missing (Debian containernetworking-plugins)"
done
for t in iperf3 ip nsenter ethtool jq python3; do
	command -v "$t" >/dev/null || die "$t is required"
done
[[ $SECS =~ ^[0-9]+$ && $SECS -ge 1 ]] || die "BENCH_POD_SECONDS must be a positive integer"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 ]] || die "BENCH_POD_ROUNDS must be a positive integer"

# The reference's namespaces all start with $R; the lab's with $XCNI_LAB-.
R=xpr$$
WORK=$(mktemp -d /tmp/xcni-bench-pods.XXXXXX)
REF_SEG=10.98.0
REF_PODS="a1:1 a2:1 b1:2"

rns() { echo "/run/netns/$R-$1"; }
in_ref() {
	local n=$1
	shift
	nsenter --net="$(rns "$n")" "$@"
}

# iperf3 servers run daemonised; their pid files say whom to stop.
stop_servers() {
	local f pid
	for f in "$WORK"/iperf-*.pid; do
		[ -e "$f" ] || continue
		pid=$(cat "$f" 2>/dev/null) || continue
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
		rm -f "$f"
	done
}

ref_cni() { # VERB POD NODE
	local verb=$1 pod=$2 i=$3
	printf '{"cniVersion":"1.0.0","name":"ref-pods","type":"bridge","bridge":"cni0",
	  "isGateway":true,"ipMasq":false,"ipam":{"type":"host-local",
	  "subnet":"10.245.%s.0/24","routes":[{"dst":"0.0.0.0/0"}],"dataDir":"%s/ipam%s"}}' "$i" "$WORK" "$i" |
		CNI_COMMAND=$verb CNI_CONTAINERID="$R-$pod" CNI_NETNS="$(rns "p-$pod")" \
			CNI_IFNAME=eth0 CNI_PATH="$REF_DIR" in_ref "node$i" "$REF_DIR/bridge"
}

cleanup() {
	local rc=$? n pp
	trap - EXIT INT TERM
	set +e
	stop_servers
	for pp in $REF_PODS; do
		[ -e "$(rns "p-${pp%:*}")" ] && ref_cni DEL "${pp%:*}" "${pp#*:}" >/dev/null 2>&1
	done
	for n in $(ip netns list 2>/dev/null | awk '{print $1}' | grep "^$R-"); do
		ip netns del "$n"
	done
	"$LAB" down >/dev/null 2>&1
	rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'echo "bench/pods.sh: interrupted" >&2; exit 130' INT
trap 'exit 143' TERM

# The reference's wire is built like the lab's (attach_host in tests/lab/lab):
# a bridge in a wire namespace, wire_pass on its ports polled in their own
# threads (threaded NAPI), tx checksum offload off at both ends of every port.
ref_host() { # NAME ADDRESS
	local n=$1 port=p-$1
	ip netns add "$R-$n"
	ip -n "$R-$n" link set lo up
	ip -n "$R-$n" link add lan0 type veth peer name "$port" netns "$R-wire"
	ip -n "$R-wire" link set "$port" master br0 up
	in_ref wire ethtool -K "$port" tx off >/dev/null
	ip -n "$R-wire" link set dev "$port" xdp obj "$WIRE_XDP" sec xdp
	ip netns exec "$R-wire" sh -c "echo 1 >/sys/class/net/$port/threaded"
	in_ref "$n" ethtool -K lan0 tx off >/dev/null
	ip -n "$R-$n" addr add "$2/24" dev lan0
	ip -n "$R-$n" link set lan0 up
}

# Two nodes, pods wired by bridge + host-local as a runtime would run them,
# and the routes a routed CNI (flannel host-gw, calico without overlay) sets:
# each node's pod CIDR via that node's address.
ref_up() {
	local i pp pod out
	ip netns add "$R-wire"
	ip -n "$R-wire" link add br0 type bridge
	ip -n "$R-wire" link set br0 up
	# As the lab's wire (wire_no_netfilter in tests/lab/lab): a switch, no
	# firewall. The nodes' own bridges keep bridge-nf-call-iptables.
	ip netns exec "$R-wire" sh -c 'for f in /proc/sys/net/bridge/bridge-nf-call-*; do
		[ -e "$f" ] && echo 0 >"$f"; done; true'
	for i in 1 2; do
		ref_host "node$i" "$REF_SEG.1$i"
		in_ref "node$i" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0
	done
	ip -n "$R-node1" route add 10.245.2.0/24 via "$REF_SEG.12"
	ip -n "$R-node2" route add 10.245.1.0/24 via "$REF_SEG.11"
	for pp in $REF_PODS; do
		pod=${pp%:*}
		ip netns add "$R-p-$pod"
		ip -n "$R-p-$pod" link set lo up
		out=$(ref_cni ADD "$pod" "${pp#*:}") || die "reference CNI ADD of $pod failed: $out"
		jq -r '.ips[0].address' <<<"$out" | cut -d/ -f1 >"$WORK/r-ip-$pod"
	done
}

xcni_up() {
	local pp pod
	"$LAB" up 2 >/dev/null
	for pp in $REF_PODS; do
		pod=${pp%:*}
		"$LAB" pod add "node${pp#*:}" "$pod" >"$WORK/x-ip-$pod"
	done
}

# Runs CMD in pod POD of setup K (x: xcni, r: reference).
in_pod() {
	local k=$1 pod=$2
	shift 2
	if [ "$k" = x ]; then "$LAB" exec "$pod" "$@"; else in_ref "p-$pod" "$@"; fi
}

pod_ip() { cat "$WORK/$1-ip-$2"; }

start_servers() {
	local k pod
	for k in x r; do
		for pod in a2 b1; do
			in_pod "$k" "$pod" iperf3 -s -D --pidfile "$WORK/iperf-$k-$pod.pid"
		done
	done
	for k in x r; do
		for pod in a2 b1; do
			for _ in $(seq 1 50); do
				in_pod "$k" "$pod" ss -Htln 'sport = :5201' | grep -q . && break
				sleep 0.1
			done
		done
	done
}

xcni_stats() { # FILE-PREFIX
	"$LAB" xcnictl node1 -o json stats >"$1-node1.json"
	"$LAB" xcnictl node2 -o json stats >"$1-node2.json"
}

# 64-byte UDP from a1 to DST at the sender's full speed; the receiver
# counts what arrives over $SECS s (after 0.5 s) and writes OUT.json. Both
# end by themselves (timeout as a backstop).
udp_test() { # K PATH DST OUT
	local k=$1 path=$2 dst=$3 out=$4 srv=a2 rpid
	[ "$path" = same ] || srv=b1
	in_pod "$k" "$srv" timeout $((SECS + 15)) "$UDP_PPS" recv "$UDP_PORT" "$SECS" \
		>"$out.json" 2>"$out.err" &
	rpid=$!
	for _ in $(seq 1 50); do
		grep -q listening "$out.err" && break
		sleep 0.05
	done
	in_pod "$k" a1 timeout $((SECS + 15)) "$UDP_PPS" send "$dst" "$UDP_PORT" $((SECS + 1)) 64 \
		>"$out.sent" || die "udp_pps send from $k a1 to $dst failed"
	wait "$rpid" || {
		cat "$out.err" >&2
		die "udp_pps recv in $k $srv failed"
	}
}

# One test: iperf3 from a1 of setup K to PATH's server (same: a2, cross:
# b1). TEST is tcp1, tcp4 or udp (udp_test). The JSON goes to $WORK/res; for xcni, the
# datapath's counters on both nodes before and after it.
run_test() {
	local k=$1 path=$2 test=$3 round=$4 dst args out
	[ "$path" = same ] && dst=$(pod_ip "$k" a2) || dst=$(pod_ip "$k" b1)
	case $test in
	tcp1) args=(-O 1) ;;
	tcp4) args=(-O 1 -P 4) ;;
	esac
	out=$WORK/res/$k-$path-$test-$round
	[ "$k" = x ] && xcni_stats "$out-before"
	if [ "$test" = udp ]; then
		udp_test "$k" "$path" "$dst" "$out"
	elif ! in_pod "$k" a1 iperf3 -c "$dst" -t "$SECS" "${args[@]}" -J >"$out.json" 2>&1; then
		cat "$out.json" >&2
		die "iperf3 $test from $k a1 to $dst failed"
	fi
	[ "$k" = x ] && xcni_stats "$out-after"
	printf '.'
}

echo "bench/pods.sh: setting up the xcni lab ($XCNI_LAB-*) and the reference ($R-*)"
mkdir -p "$WORK/res"
xcni_up
ref_up
start_servers
# Both setups answer before anything is timed.
for k in x r; do
	for pod in a2 b1; do
		in_pod "$k" a1 ping -c 1 -W 2 "$(pod_ip "$k" "$pod")" >/dev/null ||
			die "setup $k: a1 cannot reach $pod"
	done
done

if [ -n "${BENCH_POD_HOLD:-}" ]; then
	# For profiling by hand: both setups stay up until this script is stopped.
	echo "bench/pods.sh: holding; xcni pods: lab exec a1|a2|b1 ..., reference pods: ip netns exec $R-p-a1|a2|b1 ..."
	for pod in a1 a2 b1; do echo "  $pod xcni $(pod_ip x $pod) reference $(pod_ip r $pod)"; done
	sleep infinity &
	wait $! || true
	exit 0
fi
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date +%s)
echo "bench/pods.sh: $ROUNDS rounds of 12 tests, ${SECS} s each (+1 s omitted for TCP)"
for round in $(seq 1 "$ROUNDS"); do
	if ((round % 2)); then order="x r"; else order="r x"; fi
	for path in same cross; do
		for test in tcp1 tcp4 udp; do
			for k in $order; do run_test "$k" "$path" "$test" "$round"; done
		done
	done
done
echo
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench/pods.sh: measuring took $(($(date +%s) - started)) s"

# Figures, RESULTS.md section and results.json keys.
ref_ver=$(dpkg-query -W -f='${Version}' containernetworking-plugins 2>/dev/null || echo unknown)
cpu=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
bnf=$(in_ref node1 sysctl -n net.bridge.bridge-nf-call-iptables 2>/dev/null || echo n/a)
PYTHONPATH=$ROOT/bench python3 "$ROOT/bench/pods_report.py" "$WORK/res" "$ROUNDS" "$SECS" \
	"$RESULTS_MD" "$RESULTS_JSON" "$GOAL_TCP" "$GOAL_UDP" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	"$(nproc)" "$(uname -r)" "${cpu:-unknown}" "$ref_ver" "$LOAD_BEFORE" "$LOAD_AFTER" \
	"$(iperf3 --version | head -1)" "$bnf"
