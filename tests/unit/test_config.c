/* The network config (net_conf_parse, net_conf_resolve_node) and the CNI_*
 * environment (cni_env_load): what is accepted, and which error code each
 * kind of bad input gets. */
#include "unit.h"

#include "config.h"
#include "env.h"
#include "error.h"
#include "ip4.h"

/* The configs below are written with single quotes for legibility; dq()
 * turns them into JSON. The result lives until the next call. */
static const char *dq(const char *s)
{
	static char buf[8192];
	size_t n = strlen(s);

	assert_true(n < sizeof(buf));
	memcpy(buf, s, n + 1);
	for (char *p = buf; (p = strchr(p, '\'')); p++)
		*p = '"';
	return buf;
}

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	assert_int_equal(ip4_parse(s, &a), 0);
	return a;
}

/* Parses a single-quoted config into c; the caller frees c. */
static int parse_into(const char *sq, struct net_conf *c, struct cni_err *e)
{
	const char *text = dq(sq);

	memset(e, 0, sizeof(*e));
	return net_conf_parse(text, strlen(text), c, e);
}

/* Parses a single-quoted config and throws the result away. */
static int parse(const char *sq, struct cni_err *e)
{
	struct net_conf c;
	int rc = parse_into(sq, &c, e);

	net_conf_free(&c);
	return rc;
}

#define assert_parse_fails(sq, want_code, msg_part)      \
	do {                                             \
		struct cni_err e_;                       \
		assert_int_equal(parse((sq), &e_), -1);  \
		assert_int_equal(e_.code, (want_code));  \
		assert_str_contains(e_.msg, (msg_part)); \
	} while (0)

#define assert_parse_ok(sq)                                             \
	do {                                                            \
		struct cni_err e_;                                      \
		int rc_ = parse((sq), &e_);                             \
		if (rc_)                                                \
			fail_msg("rejected (%d): %s", e_.code, e_.msg); \
	} while (0)

/* ---- net_conf_parse: a good config ---- */

static void test_valid_config_fills_every_field(void **state)
{
	static const char *text =
		"{'cniVersion':'1.0.0','name':'podnet','type':'xcni','mtu':1450,"
		"'nodeStateFile':'/run/test/node.json','ipam':{'type':'xcni',"
		"'subnet':'10.1.0.0/24','rangeStart':'10.1.0.10','rangeEnd':'10.1.0.20',"
		"'gateway':'10.1.0.1','dataDir':'/var/lib/test-ipam','routes':["
		"{'dst':'0.0.0.0/0'},{'dst':'192.168.0.0/16','gw':'10.1.0.254'}]},"
		"'prevResult':{'cniVersion':'1.0.0'}}";
	struct net_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse_into(text, &c, &e), 0);
	assert_int_equal(e.code, 0);
	assert_string_equal(c.cni_version, "1.0.0");
	assert_string_equal(c.name, "podnet");
	assert_int_equal(c.mtu, 1450);
	assert_string_equal(c.node_state_file, "/run/test/node.json");
	assert_true(c.node_state_explicit);
	assert_true(c.ipam.builtin);
	assert_string_equal(c.ipam.type, "xcni");
	assert_true(c.ipam.have_subnet);
	assert_int_equal(c.ipam.subnet.addr, ip("10.1.0.0"));
	assert_int_equal(c.ipam.subnet.len, 24);
	assert_int_equal(c.ipam.range_start, ip("10.1.0.10"));
	assert_int_equal(c.ipam.range_end, ip("10.1.0.20"));
	assert_int_equal(c.ipam.gateway, ip("10.1.0.1"));
	assert_string_equal(c.ipam.data_dir, "/var/lib/test-ipam");
	assert_true(c.ipam.have_routes);
	assert_int_equal(c.ipam.n_routes, 2);
	assert_int_equal(c.ipam.routes[0].dst.addr, 0);
	assert_int_equal(c.ipam.routes[0].dst.len, 0);
	assert_int_equal(c.ipam.routes[0].gw, 0);
	assert_int_equal(c.ipam.routes[1].dst.addr, ip("192.168.0.0"));
	assert_int_equal(c.ipam.routes[1].dst.len, 16);
	assert_int_equal(c.ipam.routes[1].gw, ip("10.1.0.254"));
	assert_non_null(c.root);
	assert_non_null(c.prev_result);
	assert_int_equal(c.raw_len, strlen(c.raw));
	net_conf_free(&c);
	assert_null(c.root);
}

static void test_minimal_config_gets_defaults(void **state)
{
	struct net_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse_into("{'cniVersion':'0.4.0','name':'n1','type':'xcni'}", &c, &e), 0);
	assert_string_equal(c.cni_version, "0.4.0");
	assert_int_equal(c.mtu, 0);
	assert_true(c.ipam.builtin);
	assert_false(c.ipam.have_subnet);
	assert_false(c.ipam.have_routes);
	assert_string_equal(c.ipam.data_dir, XCNI_DEFAULT_DATA_DIR);
	assert_string_equal(c.node_state_file, "/run/xcni/node.json");
	assert_false(c.node_state_explicit);
	assert_null(c.prev_result);
	net_conf_free(&c);
}

/* ---- cniVersion and cniVersions ---- */

static void test_missing_cniVersion_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'name':'n1','type':'xcni'}", CNI_ERR_INVALID_CONFIG, "cniVersion");
}

static void test_unknown_cniVersion_is_incompatible_version(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'9.9.9','name':'n1','type':'xcni'}",
			   CNI_ERR_INCOMPATIBLE_VERSION, "9.9.9");
}

static void test_cniVersion_not_a_string_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':1,'name':'n1','type':'xcni'}", CNI_ERR_INVALID_CONFIG,
			   "cniVersion");
}

static void test_every_supported_cniVersion_is_accepted(void **state)
{
	(void)state;
	assert_parse_ok("{'cniVersion':'0.3.0','name':'n1','type':'xcni'}");
	assert_parse_ok("{'cniVersion':'0.3.1','name':'n1','type':'xcni'}");
	assert_parse_ok("{'cniVersion':'0.4.0','name':'n1','type':'xcni'}");
	assert_parse_ok("{'cniVersion':'1.0.0','name':'n1','type':'xcni'}");
	assert_parse_ok("{'cniVersion':'1.1.0','name':'n1','type':'xcni'}");
}

static void test_cniVersions_picks_newest_supported(void **state)
{
	struct net_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse_into("{'cniVersions':['0.3.1','1.1.0','2.0.0','0.4.0'],"
				    "'name':'n1','type':'xcni'}",
				    &c, &e),
			 0);
	assert_string_equal(c.cni_version, "1.1.0");
	net_conf_free(&c);

	assert_int_equal(parse_into("{'cniVersions':['1.0.0','0.4.0','0.1.0'],'name':'n1',"
				    "'type':'xcni'}",
				    &c, &e),
			 0);
	assert_string_equal(c.cni_version, "1.0.0");
	net_conf_free(&c);
}

static void test_cniVersions_none_supported_is_incompatible_version(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersions':['0.1.0','0.2.0','9.9.9'],'name':'n1','type':'xcni'}",
			   CNI_ERR_INCOMPATIBLE_VERSION, "cniVersions");
	assert_parse_fails("{'cniVersions':[],'name':'n1','type':'xcni'}",
			   CNI_ERR_INCOMPATIBLE_VERSION, "cniVersions");
}

static void test_cniVersions_not_array_of_strings_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersions':'1.0.0','name':'n1','type':'xcni'}",
			   CNI_ERR_INVALID_CONFIG, "cniVersions");
	assert_parse_fails("{'cniVersions':['1.0.0',1],'name':'n1','type':'xcni'}",
			   CNI_ERR_INVALID_CONFIG, "cniVersions");
}

/* ---- name and type ---- */

static void test_missing_name_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','type':'xcni'}", CNI_ERR_INVALID_CONFIG, "name");
}

static void test_name_with_dotdot_slash_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'../etc','type':'xcni'}",
			   CNI_ERR_INVALID_CONFIG, "../etc");
}

static void test_name_with_slash_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'pod/net','type':'xcni'}",
			   CNI_ERR_INVALID_CONFIG, "pod/net");
}

static void test_name_with_dots_dashes_underscores_is_accepted(void **state)
{
	(void)state;
	assert_parse_ok("{'cniVersion':'1.0.0','name':'k8s-pod_net.v2','type':'xcni'}");
}

static void test_type_other_than_xcni_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'bridge'}",
			   CNI_ERR_INVALID_CONFIG, "bridge");
}

static void test_missing_type_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1'}", CNI_ERR_INVALID_CONFIG, "type");
}

/* ---- mtu ---- */

static void test_mtu_as_string_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':'1500'}",
			   CNI_ERR_INVALID_CONFIG, "mtu");
}

static void test_mtu_not_an_integer_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':1500.5}",
			   CNI_ERR_INVALID_CONFIG, "mtu");
}

static void test_mtu_out_of_range_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':67}",
			   CNI_ERR_INVALID_CONFIG, "mtu");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':65536}",
			   CNI_ERR_INVALID_CONFIG, "mtu");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':-1500}",
			   CNI_ERR_INVALID_CONFIG, "mtu");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':1e12}",
			   CNI_ERR_INVALID_CONFIG, "mtu");
}

static void test_mtu_limits_68_and_65535_are_accepted(void **state)
{
	(void)state;
	assert_parse_ok("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':68}");
	assert_parse_ok("{'cniVersion':'1.0.0','name':'n1','type':'xcni','mtu':65535}");
}

/* ---- ipam ---- */

static void test_ipam_not_an_object_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','ipam':'xcni'}",
			   CNI_ERR_INVALID_CONFIG, "ipam");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','ipam':[]}",
			   CNI_ERR_INVALID_CONFIG, "ipam");
}

static void test_ipam_subnet_not_a_cidr_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.subnet");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/33'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.subnet");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0/24'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.subnet");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':24}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.subnet");
}

/* The prefix length is digits only: no sign, and no blank in front of it
 * for strtol to skip. */
static void test_ipam_subnet_with_blank_after_slash_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/+24'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.subnet");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/ 24'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.subnet");
}

static void test_ipam_ipv6_subnet_is_unsupported_field(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'fd00:10::/64'}}",
			   CNI_ERR_UNSUPPORTED_FIELD, "IPv6");
}

static void test_ipam_rangeStart_of_wrong_type_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','rangeStart':167837706}}",
			   CNI_ERR_INVALID_CONFIG, "rangeStart");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','rangeStart':'10.1.0.x'}}",
			   CNI_ERR_INVALID_CONFIG, "rangeStart");
}

static void test_ipam_routes_malformed_is_invalid_config(void **state)
{
	(void)state;
	/* Not an array. */
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','routes':{'dst':'0.0.0.0/0'}}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.routes");
	/* An element that is not an object. */
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','routes':['0.0.0.0/0']}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.routes");
	/* No dst. */
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','routes':[{'gw':'10.1.0.1'}]}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.routes");
	/* dst not a CIDR. */
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','routes':[{'dst':'default'}]}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.routes");
	/* gw not an address. */
	assert_parse_fails(
		"{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
		"'ipam':{'subnet':'10.1.0.0/24','routes':[{'dst':'0.0.0.0/0','gw':'x'}]}}",
		CNI_ERR_INVALID_CONFIG, "ipam.routes");
}

static void test_ipam_type_host_local_is_delegated(void **state)
{
	struct net_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse_into("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
				    "'ipam':{'type':'host-local','subnet':'10.1.0.0/24'}}",
				    &c, &e),
			 0);
	assert_false(c.ipam.builtin);
	assert_string_equal(c.ipam.type, "host-local");
	net_conf_free(&c);
}

static void test_ipam_type_xcni_is_builtin(void **state)
{
	struct net_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse_into("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
				    "'ipam':{'type':'xcni','subnet':'10.1.0.0/24'}}",
				    &c, &e),
			 0);
	assert_true(c.ipam.builtin);
	net_conf_free(&c);
}

static void test_ipam_type_with_slash_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'type':'/opt/cni/bin/host-local'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.type");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'type':'../host-local'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.type");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'type':'..'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.type");
}

static void test_ipam_relative_dataDir_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
			   "'ipam':{'subnet':'10.1.0.0/24','dataDir':'var/lib/cni'}}",
			   CNI_ERR_INVALID_CONFIG, "ipam.dataDir");
}

/* ---- malformed input ---- */

static void test_malformed_json_is_decode_error(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0',,'name':'n1'}", CNI_ERR_DECODE, "decode");
}

static void test_truncated_json_is_decode_error(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xc", CNI_ERR_DECODE,
			   "decode");
}

static void test_trailing_garbage_is_decode_error(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni'} {}", CNI_ERR_DECODE,
			   "decode");
}

static void test_json_array_instead_of_object_is_decode_error(void **state)
{
	(void)state;
	assert_parse_fails("[{'cniVersion':'1.0.0','name':'n1','type':'xcni'}]", CNI_ERR_DECODE,
			   "object");
}

static void test_empty_input_is_decode_error(void **state)
{
	struct net_conf c;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(net_conf_parse("", 0, &c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	net_conf_free(&c);
}

static void test_nul_byte_inside_is_decode_error(void **state)
{
	static const char text[] =
		"{\"cniVersion\":\"1.0.0\",\"name\":\"n1\0x\",\"type\":\"xcni\"}";
	struct net_conf c;
	struct cni_err e = { 0 };

	(void)state;
	assert_int_equal(net_conf_parse(text, sizeof(text) - 1, &c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_str_contains(e.msg, "NUL");
	net_conf_free(&c);
}

static void test_prevResult_not_an_object_is_invalid_config(void **state)
{
	(void)state;
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','prevResult':[]}",
			   CNI_ERR_INVALID_CONFIG, "prevResult");
	assert_parse_fails("{'cniVersion':'1.0.0','name':'n1','type':'xcni','prevResult':'{}'}",
			   CNI_ERR_INVALID_CONFIG, "prevResult");
}

/* ---- net_conf_resolve_node ---- */

struct node_fixture {
	char dir[256];
	char node_file[PATH_MAX];
	char config[PATH_MAX + 512];
};

static int node_setup(void **state)
{
	struct node_fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	unit_mkdtemp(f->dir, sizeof(f->dir));
	snprintf(f->node_file, sizeof(f->node_file), "%s/node.json", f->dir);
	*state = f;
	return 0;
}

static int node_teardown(void **state)
{
	struct node_fixture *f = *state;
	int rc = unit_rm_rf(f->dir);

	free(f);
	return rc;
}

/* A config without ipam.subnet that names the fixture's node state file;
 * extra is spliced in before the closing brace. */
static const char *node_config(struct node_fixture *f, const char *extra)
{
	snprintf(f->config, sizeof(f->config),
		 "{'cniVersion':'1.0.0','name':'n1','type':'xcni','nodeStateFile':'%s'%s}",
		 f->node_file, extra);
	return f->config;
}

static void write_node_state(struct node_fixture *f, const char *sq)
{
	char path[PATH_MAX];

	unit_write_file(f->dir, "node.json", dq(sq), path, sizeof(path));
	assert_string_equal(path, f->node_file);
}

static void test_resolve_node_takes_subnet_gateway_and_mtu_from_node_state(void **state)
{
	struct node_fixture *f = *state;
	struct net_conf c;
	struct cni_err e;

	write_node_state(f, "{'podCIDR':'10.244.3.0/24','gateway':'10.244.3.254','mtu':1410}");
	assert_int_equal(parse_into(node_config(f, ""), &c, &e), 0);
	assert_false(c.ipam.have_subnet);
	assert_int_equal(net_conf_resolve_node(&c, &e), 0);
	assert_int_equal(e.code, 0);
	assert_true(c.ipam.have_subnet);
	assert_int_equal(c.ipam.subnet.addr, ip("10.244.3.0"));
	assert_int_equal(c.ipam.subnet.len, 24);
	assert_int_equal(c.ipam.gateway, ip("10.244.3.254"));
	assert_int_equal(c.mtu, 1410);
	net_conf_free(&c);
}

static void test_resolve_node_keeps_config_mtu_and_gateway(void **state)
{
	struct node_fixture *f = *state;
	struct net_conf c;
	struct cni_err e;

	write_node_state(f, "{'podCIDR':'10.244.3.0/24','gateway':'10.244.3.254','mtu':1410}");
	assert_int_equal(parse_into(node_config(f, ",'mtu':9000,'ipam':{'gateway':'10.244.3.1'}"),
				    &c, &e),
			 0);
	assert_int_equal(net_conf_resolve_node(&c, &e), 0);
	assert_int_equal(c.ipam.subnet.addr, ip("10.244.3.0"));
	assert_int_equal(c.ipam.gateway, ip("10.244.3.1"));
	assert_int_equal(c.mtu, 9000);
	net_conf_free(&c);
}

static void test_resolve_node_without_node_mtu_uses_default_mtu(void **state)
{
	struct node_fixture *f = *state;
	struct net_conf c;
	struct cni_err e;

	write_node_state(f, "{'podCIDR':'10.244.7.0/24'}");
	assert_int_equal(parse_into(node_config(f, ""), &c, &e), 0);
	assert_int_equal(net_conf_resolve_node(&c, &e), 0);
	assert_int_equal(c.ipam.subnet.addr, ip("10.244.7.0"));
	assert_int_equal(c.ipam.gateway, 0);
	assert_int_equal(c.mtu, XCNI_DEFAULT_MTU);
	net_conf_free(&c);
}

static void test_resolve_node_with_config_subnet_needs_no_node_state(void **state)
{
	struct net_conf c;
	struct cni_err e;

	(void)state;
	assert_int_equal(parse_into("{'cniVersion':'1.0.0','name':'n1','type':'xcni',"
				    "'ipam':{'subnet':'10.9.0.0/16'}}",
				    &c, &e),
			 0);
	assert_int_equal(net_conf_resolve_node(&c, &e), 0);
	assert_int_equal(c.ipam.subnet.addr, ip("10.9.0.0"));
	assert_int_equal(c.ipam.subnet.len, 16);
	assert_int_equal(c.mtu, XCNI_DEFAULT_MTU);
	net_conf_free(&c);
}

static void test_resolve_node_missing_file_is_try_later(void **state)
{
	struct node_fixture *f = *state;
	struct net_conf c;
	struct cni_err e;

	assert_int_equal(parse_into(node_config(f, ""), &c, &e), 0);
	assert_int_equal(net_conf_resolve_node(&c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_TRY_LATER);
	assert_str_contains(e.msg, f->node_file);
	assert_str_contains(e.details, "ipam.subnet");
	net_conf_free(&c);
}

static void test_resolve_node_malformed_file_is_invalid_config(void **state)
{
	struct node_fixture *f = *state;
	struct net_conf c;
	struct cni_err e;

	write_node_state(f, "{'podCIDR':'10.244.3.0/24',");
	assert_int_equal(parse_into(node_config(f, ""), &c, &e), 0);
	assert_int_equal(net_conf_resolve_node(&c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	net_conf_free(&c);

	write_node_state(f, "{'podCIDR':'10.244.3.0'}");
	assert_int_equal(parse_into(node_config(f, ""), &c, &e), 0);
	assert_int_equal(net_conf_resolve_node(&c, &e), -1);
	assert_int_equal(e.code, CNI_ERR_INVALID_CONFIG);
	assert_str_contains(e.msg, "podCIDR");
	net_conf_free(&c);
}

/* ---- cni_env_load ---- */

static const char *const cni_vars[] = {
	"CNI_COMMAND", "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_ARGS", "CNI_PATH",
};

static int env_clear(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cni_vars); i++)
		if (unsetenv(cni_vars[i]))
			return -1;
	return 0;
}

/* A complete, valid ADD environment for the tests to spoil one part of. */
static void env_set_add(void)
{
	assert_int_equal(setenv("CNI_COMMAND", "ADD", 1), 0);
	assert_int_equal(setenv("CNI_CONTAINERID", "3f2a9c1b7d", 1), 0);
	assert_int_equal(setenv("CNI_NETNS", "/var/run/netns/pod1", 1), 0);
	assert_int_equal(setenv("CNI_IFNAME", "eth0", 1), 0);
	assert_int_equal(setenv("CNI_ARGS", "IgnoreUnknown=1;K8S_POD_NAME=web-0", 1), 0);
	assert_int_equal(setenv("CNI_PATH", "/opt/cni/bin", 1), 0);
}

#define assert_env_rejected(msg_part)                           \
	do {                                                    \
		struct cni_env env_;                            \
		struct cni_err e_ = { 0 };                      \
		assert_int_equal(cni_env_load(&env_, &e_), -1); \
		assert_int_equal(e_.code, CNI_ERR_INVALID_ENV); \
		assert_str_contains(e_.msg, (msg_part));        \
	} while (0)

static void test_env_valid_add_is_loaded(void **state)
{
	struct cni_env env;
	struct cni_err e = { 0 };

	(void)state;
	env_set_add();
	assert_int_equal(cni_env_load(&env, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_ADD);
	assert_string_equal(env.command, "ADD");
	assert_string_equal(env.container_id, "3f2a9c1b7d");
	assert_string_equal(env.netns, "/var/run/netns/pod1");
	assert_string_equal(env.ifname, "eth0");
	assert_string_equal(env.args, "IgnoreUnknown=1;K8S_POD_NAME=web-0");
	assert_string_equal(env.path, "/opt/cni/bin");
}

static void test_env_missing_command_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	unsetenv("CNI_COMMAND");
	assert_env_rejected("CNI_COMMAND");
}

static void test_env_unknown_command_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	setenv("CNI_COMMAND", "FROB", 1);
	assert_env_rejected("FROB");
	setenv("CNI_COMMAND", "add", 1);
	assert_env_rejected("add");
}

static void test_env_missing_containerid_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	unsetenv("CNI_CONTAINERID");
	assert_env_rejected("CNI_CONTAINERID");
}

static void test_env_containerid_dotdot_slash_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	setenv("CNI_CONTAINERID", "../x", 1);
	assert_env_rejected("CNI_CONTAINERID");
}

static void test_env_ifname_of_16_chars_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	setenv("CNI_IFNAME", "abcdefghijklmnop", 1);
	assert_int_equal(strlen(getenv("CNI_IFNAME")), 16);
	assert_env_rejected("CNI_IFNAME");
}

static void test_env_ifname_of_15_chars_is_accepted(void **state)
{
	struct cni_env env;
	struct cni_err e = { 0 };

	(void)state;
	env_set_add();
	setenv("CNI_IFNAME", "abcdefghijklmno", 1);
	assert_int_equal(cni_env_load(&env, &e), 0);
	assert_string_equal(env.ifname, "abcdefghijklmno");
}

static void test_env_ifname_with_slash_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	setenv("CNI_IFNAME", "eth/0", 1);
	assert_env_rejected("CNI_IFNAME");
}

static void test_env_malformed_args_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	setenv("CNI_ARGS", "a;b", 1);
	assert_env_rejected("CNI_ARGS");
	setenv("CNI_ARGS", "=v", 1);
	assert_env_rejected("CNI_ARGS");
}

static void test_env_relative_netns_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	setenv("CNI_NETNS", "var/run/netns/pod1", 1);
	assert_env_rejected("CNI_NETNS");
}

static void test_env_missing_path_is_invalid_env(void **state)
{
	(void)state;
	env_set_add();
	unsetenv("CNI_PATH");
	assert_env_rejected("CNI_PATH");
}

static void test_env_del_needs_no_netns(void **state)
{
	struct cni_env env;
	struct cni_err e = { 0 };

	(void)state;
	env_set_add();
	setenv("CNI_COMMAND", "DEL", 1);
	unsetenv("CNI_NETNS");
	assert_int_equal(cni_env_load(&env, &e), 0);
	assert_int_equal(env.cmd, CNI_CMD_DEL);
	assert_null(env.netns);
}

static void test_env_version_needs_nothing_else(void **state)
{
	struct cni_env env;
	struct cni_err e = { 0 };

	(void)state;
	setenv("CNI_COMMAND", "VERSION", 1);
	assert_int_equal(cni_env_load(&env, &e), 0);
	assert_int_equal(e.code, 0);
	assert_int_equal(env.cmd, CNI_CMD_VERSION);
	assert_null(env.container_id);
	assert_null(env.path);
}

#define env_test(f) cmocka_unit_test_setup_teardown(f, env_clear, env_clear)
#define node_test(f) cmocka_unit_test_setup_teardown(f, node_setup, node_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_config_fills_every_field),
		cmocka_unit_test(test_minimal_config_gets_defaults),
		cmocka_unit_test(test_missing_cniVersion_is_invalid_config),
		cmocka_unit_test(test_unknown_cniVersion_is_incompatible_version),
		cmocka_unit_test(test_cniVersion_not_a_string_is_invalid_config),
		cmocka_unit_test(test_every_supported_cniVersion_is_accepted),
		cmocka_unit_test(test_cniVersions_picks_newest_supported),
		cmocka_unit_test(test_cniVersions_none_supported_is_incompatible_version),
		cmocka_unit_test(test_cniVersions_not_array_of_strings_is_invalid_config),
		cmocka_unit_test(test_missing_name_is_invalid_config),
		cmocka_unit_test(test_name_with_dotdot_slash_is_invalid_config),
		cmocka_unit_test(test_name_with_slash_is_invalid_config),
		cmocka_unit_test(test_name_with_dots_dashes_underscores_is_accepted),
		cmocka_unit_test(test_type_other_than_xcni_is_invalid_config),
		cmocka_unit_test(test_missing_type_is_invalid_config),
		cmocka_unit_test(test_mtu_as_string_is_invalid_config),
		cmocka_unit_test(test_mtu_not_an_integer_is_invalid_config),
		cmocka_unit_test(test_mtu_out_of_range_is_invalid_config),
		cmocka_unit_test(test_mtu_limits_68_and_65535_are_accepted),
		cmocka_unit_test(test_ipam_not_an_object_is_invalid_config),
		cmocka_unit_test(test_ipam_subnet_not_a_cidr_is_invalid_config),
		cmocka_unit_test(test_ipam_subnet_with_blank_after_slash_is_invalid_config),
		cmocka_unit_test(test_ipam_ipv6_subnet_is_unsupported_field),
		cmocka_unit_test(test_ipam_rangeStart_of_wrong_type_is_invalid_config),
		cmocka_unit_test(test_ipam_routes_malformed_is_invalid_config),
		cmocka_unit_test(test_ipam_type_host_local_is_delegated),
		cmocka_unit_test(test_ipam_type_xcni_is_builtin),
		cmocka_unit_test(test_ipam_type_with_slash_is_invalid_config),
		cmocka_unit_test(test_ipam_relative_dataDir_is_invalid_config),
		cmocka_unit_test(test_malformed_json_is_decode_error),
		cmocka_unit_test(test_truncated_json_is_decode_error),
		cmocka_unit_test(test_trailing_garbage_is_decode_error),
		cmocka_unit_test(test_json_array_instead_of_object_is_decode_error),
		cmocka_unit_test(test_empty_input_is_decode_error),
		cmocka_unit_test(test_nul_byte_inside_is_decode_error),
		cmocka_unit_test(test_prevResult_not_an_object_is_invalid_config),
		node_test(test_resolve_node_takes_subnet_gateway_and_mtu_from_node_state),
		node_test(test_resolve_node_keeps_config_mtu_and_gateway),
		node_test(test_resolve_node_without_node_mtu_uses_default_mtu),
		cmocka_unit_test(test_resolve_node_with_config_subnet_needs_no_node_state),
		node_test(test_resolve_node_missing_file_is_try_later),
		node_test(test_resolve_node_malformed_file_is_invalid_config),
		env_test(test_env_valid_add_is_loaded),
		env_test(test_env_missing_command_is_invalid_env),
		env_test(test_env_unknown_command_is_invalid_env),
		env_test(test_env_missing_containerid_is_invalid_env),
		env_test(test_env_containerid_dotdot_slash_is_invalid_env),
		env_test(test_env_ifname_of_16_chars_is_invalid_env),
		env_test(test_env_ifname_of_15_chars_is_accepted),
		env_test(test_env_ifname_with_slash_is_invalid_env),
		env_test(test_env_malformed_args_is_invalid_env),
		env_test(test_env_relative_netns_is_invalid_env),
		env_test(test_env_missing_path_is_invalid_env),
		env_test(test_env_del_needs_no_netns),
		env_test(test_env_version_needs_nothing_else),
	};

	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
