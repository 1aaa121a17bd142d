#!/usr/bin/env bats
# Bad input: every malformed environment, config or request gets one clear
# CNI error object on stdout (code, msg naming the problem, cniVersion) and
# leaves nothing behind: no host veth in the node, no pod interface, no IPAM
# allocation, no file outside the store's own lock and last-reserved files.
# Everything runs in the per-test node namespace, never the machine's own.

bats_require_minimum_version 1.5.0
load helpers

SUPPORTED='["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]'

setup() {
	xcni_setup
	NET=bad$BATS_TEST_NUMBER
	SUBNET=10.252.$BATS_TEST_NUMBER.0/24
	CID=${T}c1
	POD=$(pod_netns pod)
}

teardown() {
	xcni_teardown
}

# conf [JQ ARGS...] [JQ FILTER]: the default config (cniVersion 1.1.0, own subnet and
# store in $WORK/ipam), changed by the filter.
conf() {
	jq -cn --arg name "$NET" --arg subnet "$SUBNET" --arg dir "$WORK/ipam" \
		'{cniVersion: "1.1.0", name: $name, type: "xcni", mtu: 1400,
		  ipam: {subnet: $subnet, dataDir: $dir}}' | jq -c "${@:-.}"
}

# Everything under $WORK, to compare before and after a run (bats' own
# stderr capture files excluded).
work_tree() {
	find "$WORK" -mindepth 1 ! -name 'separate-stderr-*' | sort
}

# xcni_try STDIN [VAR=VALUE | -VAR]...: runs xcni in the node netns as a
# runtime would for an ADD of $CID as eth0 in $POD, with the environment
# changed by the arguments (VAR=VALUE sets, -VAR removes entirely); STDIN is
# passed byte for byte (no trailing newline). Fills status/output/stderr.
xcni_try() {
	local stdin=$1 a k
	shift
	local -A e=([CNI_COMMAND]=ADD [CNI_CONTAINERID]=$CID [CNI_NETNS]=$POD
		[CNI_IFNAME]=eth0 [CNI_PATH]=$CNI_PATH)
	for a in "$@"; do
		case $a in
		-*) unset "e[${a#-}]" ;;
		*=*) e[${a%%=*}]=${a#*=} ;;
		*) echo "xcni_try: bad argument $a" >&2; return 1 ;;
		esac
	done
	local args=(-u CNI_COMMAND -u CNI_CONTAINERID -u CNI_NETNS -u CNI_IFNAME -u CNI_PATH -u CNI_ARGS)
	for k in "${!e[@]}"; do
		args+=("$k=${e[$k]}")
	done
	BEFORE=$(work_tree)
	run --separate-stderr env "${args[@]}" nsenter --net="/run/netns/$NODE" "$XCNI_BIN" \
		< <(printf '%s' "$stdin")
}

# expect_error CODE WORD: the last run failed and printed exactly one JSON
# object with that code, a msg containing WORD (case-insensitive) and a
# supported cniVersion.
expect_error() {
	local code=$1 word=$2 n got msg ver
	if [ "$status" -eq 0 ]; then
		echo "expected failure (code $code), got exit 0: $output" >&2
		return 1
	fi
	n=$(jq -s 'length' <<<"$output" 2>/dev/null) || n=invalid
	if [ "$n" != 1 ] || [ "$(jq -r type <<<"$output")" != object ]; then
		echo "stdout is not one JSON object: $output" >&2
		return 1
	fi
	got=$(jq -r '.code' <<<"$output")
	msg=$(jq -r '.msg // empty' <<<"$output")
	ver=$(jq -r '.cniVersion // empty' <<<"$output")
	if [ "$got" != "$code" ]; then
		echo "expected code $code, got $got: $output" >&2
		return 1
	fi
	if ! grep -qiF -- "$word" <<<"$msg"; then
		echo "msg does not mention \"$word\": $output" >&2
		return 1
	fi
	if ! jq -e --arg v "$ver" 'index($v) != null' <<<"$SUPPORTED" >/dev/null; then
		echo "cniVersion missing or unsupported: $output" >&2
		return 1
	fi
}

# Interfaces in a pod netns other than lo.
pod_links() {
	in_pod "$1" ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -vx lo || true
}

# expect_clean [store]: nothing left by the last run. With "store", the run
# may have opened (and created) the network's IPAM store, so its directory
# and its lock/last_reserved_ip.0 files may be new; nothing else may be.
expect_clean() {
	local store=${1:-} new bad
	if [ "$(node_veths)" != 0 ]; then
		echo "host veths left in the node:" >&2
		in_node ip -o link show >&2
		return 1
	fi
	if [ "$(ipam_allocs "$NET")" != 0 ]; then
		echo "allocations left:" >&2
		ls -la "$WORK/ipam/$NET" >&2
		return 1
	fi
	if [ -n "$(pod_links pod)" ]; then
		echo "pod interfaces left: $(pod_links pod)" >&2
		return 1
	fi
	new=$(comm -13 <(echo "$BEFORE") <(work_tree))
	if [ -n "$store" ]; then
		bad=$(grep -vxE "$WORK/ipam/$NET(/lock|/last_reserved_ip\.0)?" <<<"$new" || true)
	else
		bad=$new
	fi
	if [ -n "$bad" ]; then
		echo "new files left behind:" >&2
		echo "$bad" >&2
		return 1
	fi
}

# bad_add CODE WORD STDIN [ENV CHANGES]...: an ADD that must fail cleanly.
bad_add() {
	local code=$1 word=$2 stdin=$3
	shift 3
	xcni_try "$stdin" "$@"
	expect_error "$code" "$word"
	expect_clean
}

# ---- environment ----

@test "env: CNI_COMMAND missing" {
	bad_add 4 CNI_COMMAND "$(conf)" -CNI_COMMAND
}

@test "env: unknown CNI_COMMAND FOO" {
	bad_add 4 FOO "$(conf)" CNI_COMMAND=FOO
}

@test "env: CNI_CONTAINERID missing" {
	bad_add 4 CNI_CONTAINERID "$(conf)" -CNI_CONTAINERID
}

@test "env: CNI_CONTAINERID ../../etc" {
	bad_add 4 CNI_CONTAINERID "$(conf)" CNI_CONTAINERID=../../etc
}

@test "env: CNI_IFNAME missing" {
	bad_add 4 CNI_IFNAME "$(conf)" -CNI_IFNAME
}

@test "env: CNI_IFNAME of 16 characters" {
	bad_add 4 CNI_IFNAME "$(conf)" CNI_IFNAME=abcdefghijklmnop
}

@test "env: CNI_NETNS missing" {
	bad_add 4 CNI_NETNS "$(conf)" -CNI_NETNS
}

@test "env: CNI_NETNS relative" {
	bad_add 4 CNI_NETNS "$(conf)" CNI_NETNS="run/netns/$T-pod"
}

@test "env: CNI_NETNS does not exist" {
	bad_add 3 "does not exist" "$(conf)" CNI_NETNS="/run/netns/$T-nosuchpod"
}

@test "env: CNI_NETNS a regular file" {
	echo "not a netns" >"$WORK/notns"
	bad_add 4 "not a network namespace" "$(conf)" CNI_NETNS="$WORK/notns"
}

@test "env: CNI_PATH missing" {
	bad_add 4 CNI_PATH "$(conf)" -CNI_PATH
}

@test "env: CNI_ARGS foo" {
	bad_add 4 CNI_ARGS "$(conf)" CNI_ARGS=foo
}

# ---- network config ----

@test "config: empty stdin" {
	bad_add 6 "config" ""
}

@test "config: malformed JSON {" {
	bad_add 6 JSON "{"
}

@test "config: JSON truncated in the middle" {
	local c
	c=$(conf)
	bad_add 6 JSON "${c:0:$((${#c} / 2))}"
}

@test "config: an array" {
	bad_add 6 object "[$(conf)]"
}

@test "config: cniVersion missing" {
	bad_add 7 cniVersion "$(conf 'del(.cniVersion)')"
}

@test "config: cniVersion 0.2.0" {
	bad_add 1 "0.2.0" "$(conf '.cniVersion = "0.2.0"')"
}

@test "config: cniVersion 2.0.0" {
	bad_add 1 "2.0.0" "$(conf '.cniVersion = "2.0.0"')"
}

@test "config: name ../evil" {
	bad_add 7 name "$(conf '.name = "../evil"')"
	[ ! -e "$WORK/evil" ]
	[ ! -e "$WORK/ipam/../evil" ]
}

@test "config: type bridge" {
	bad_add 7 type "$(conf '.type = "bridge"')"
}

@test "config: mtu as a string" {
	bad_add 7 mtu "$(conf '.mtu = "1500"')"
}

@test "config: mtu 10" {
	bad_add 7 mtu "$(conf '.mtu = 10')"
}

@test "config: ipam a string" {
	bad_add 7 ipam "$(conf '.ipam = "x"')"
}

@test "config: ipam.subnet /33" {
	bad_add 7 subnet "$(conf '.ipam.subnet = "10.0.0.0/33"')"
}

@test "config: ipam.subnet IPv6" {
	bad_add 2 IPv6 "$(conf '.ipam.subnet = "fd00:252::/64"')"
}

@test "config: ipam.rangeStart outside the subnet" {
	bad_add 7 rangeStart "$(conf '.ipam.rangeStart = "10.253.0.10"')"
}

@test "config: ipam.dataDir relative" {
	bad_add 7 dataDir "$(conf '.ipam.dataDir = "ipam"')"
}

@test "config: ipam.type not in CNI_PATH" {
	bad_add 7 no-such-plugin "$(conf '.ipam = {type: "no-such-plugin"}')"
}

# ---- runtime failures ----

@test "exhausted range: second ADD fails with 102 and takes nothing" {
	local c pod2 owner start
	c=$(conf --arg n "$BATS_TEST_NUMBER" \
		'.ipam.subnet = "10.252.\($n).0/30" | .ipam.gateway = "10.252.\($n).1"')
	xcni_try "$c"
	start=$BEFORE
	[ "$status" -eq 0 ] || { echo "first ADD failed: $output" >&2; false; }
	[ "$(jq -r '.ips[0].address' <<<"$output")" = "10.252.$BATS_TEST_NUMBER.2/30" ]
	[ "$(node_veths)" = 1 ]
	[ "$(ipam_allocs "$NET")" = 1 ]

	pod2=$(pod_netns pod2)
	xcni_try "$c" CNI_CONTAINERID="${T}c2" CNI_NETNS="$pod2"
	expect_error 102 "free address"
	[ "$(node_veths)" = 1 ]
	[ "$(ipam_allocs "$NET")" = 1 ]
	owner=$(head -n1 "$WORK/ipam/$NET/10.252.$BATS_TEST_NUMBER.2")
	[ "$owner" = "$CID" ]
	[ -z "$(pod_links pod2)" ]
	[ -z "$(comm -13 <(echo "$BEFORE") <(work_tree))" ]

	xcni_try "$c" CNI_COMMAND=DEL
	[ "$status" -eq 0 ] || { echo "DEL failed: $output" >&2; false; }
	BEFORE=$start
	expect_clean store
}

@test "interface name already in the pod: error, address released" {
	local kind=dummy
	# Kernels without the dummy driver: a bridge is as good a squatter.
	in_pod pod ip link add eth0 type dummy 2>/dev/null ||
		{ kind=bridge && in_pod pod ip link add eth0 type bridge; }
	xcni_try "$(conf)"
	expect_error 101 eth0
	grep -qi exist <<<"$(jq -r .msg <<<"$output")"
	# The pod's own eth0 is untouched; nothing else was added.
	[ "$(pod_links pod)" = eth0 ]
	in_pod pod ip -d -o link show dev eth0 | grep -qw "$kind"
	in_pod pod ip link del eth0
	expect_clean store
}

# ---- verbs ----

PREV='{"cniVersion":"1.1.0","interfaces":[{"name":"eth0","sandbox":"/run/netns/x"}],
	"ips":[{"address":"10.252.0.2/24","gateway":"10.252.0.1","interface":0}]}'

@test "CHECK with cniVersion 0.3.1" {
	bad_add 1 CHECK "$(conf --argjson p "$PREV" '.cniVersion = "0.3.1" | .prevResult = ($p | .cniVersion = "0.3.1")')" \
		CNI_COMMAND=CHECK
}

@test "CHECK without prevResult" {
	bad_add 7 prevResult "$(conf)" CNI_COMMAND=CHECK
}

@test "STATUS with cniVersion 1.0.0" {
	bad_add 1 STATUS "$(conf '.cniVersion = "1.0.0"')" \
		CNI_COMMAND=STATUS -CNI_CONTAINERID -CNI_NETNS -CNI_IFNAME
}

@test "GC with cniVersion 1.0.0" {
	bad_add 1 GC "$(conf '.cniVersion = "1.0.0" | ."cni.dev/valid-attachments" = []')" \
		CNI_COMMAND=GC -CNI_CONTAINERID -CNI_NETNS -CNI_IFNAME
}

@test "GC without cni.dev/valid-attachments" {
	bad_add 7 valid-attachments "$(conf)" \
		CNI_COMMAND=GC -CNI_CONTAINERID -CNI_NETNS -CNI_IFNAME
}

@test "VERSION answers in the version asked" {
	xcni_try '{"cniVersion":"0.4.0"}' CNI_COMMAND=VERSION -CNI_CONTAINERID -CNI_NETNS -CNI_IFNAME
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" = 1 ]
	[ "$(jq -r .cniVersion <<<"$output")" = 0.4.0 ]
	[ "$(jq -c .supportedVersions <<<"$output")" = "$SUPPORTED" ]
	expect_clean
}

@test "VERSION with empty stdin answers 1.1.0" {
	xcni_try "" CNI_COMMAND=VERSION -CNI_CONTAINERID -CNI_NETNS -CNI_IFNAME
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" = 1 ]
	[ "$(jq -r .cniVersion <<<"$output")" = 1.1.0 ]
	[ "$(jq -c .supportedVersions <<<"$output")" = "$SUPPORTED" ]
	expect_clean
}
