/* CNI results per spec version (cni/result.h), the version list and its
 * ordering (cni/version.h), and host-side veth names and aliases
 * (cni/veth_name.h). */
#include "unit.h"

#include <ctype.h>

#include "env.h"
#include "error.h"
#include "ip4.h"
#include "result.h"
#include "version.h"
#include "veth_name.h"

static const char *const all_versions[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" };

static uint32_t ip(const char *s)
{
	uint32_t a = 0;

	assert_int_equal(ip4_parse(s, &a), 0);
	return a;
}

static struct ip4_prefix prefix(const char *s)
{
	struct ip4_prefix p = { 0 };

	assert_int_equal(ip4_prefix_parse(s, &p), 0);
	return p;
}

/* The result of an ADD: the host end (no sandbox), the pod end (sandbox,
 * MTU), one address on the pod end, a default route and DNS. */
static void sample_result(struct cni_result *r)
{
	memset(r, 0, sizeof(*r));
	r->n_ifaces = 2;
	snprintf(r->ifaces[0].name, sizeof(r->ifaces[0].name), "xc0123456789abc");
	snprintf(r->ifaces[0].mac, sizeof(r->ifaces[0].mac), "0a:58:0a:f4:01:01");
	snprintf(r->ifaces[1].name, sizeof(r->ifaces[1].name), "eth0");
	snprintf(r->ifaces[1].mac, sizeof(r->ifaces[1].mac), "0a:58:0a:f4:01:05");
	snprintf(r->ifaces[1].sandbox, sizeof(r->ifaces[1].sandbox), "/var/run/netns/pod1");
	r->ifaces[1].mtu = 1450;
	r->n_ips = 1;
	r->ips[0].addr = prefix("10.244.1.5/24");
	r->ips[0].gw = ip("10.244.1.1");
	r->ips[0].iface = 1;
	r->n_routes = 1;
	r->routes[0].dst = prefix("0.0.0.0/0");
	r->routes[0].gw = ip("10.244.1.1");
	r->dns = cJSON_Parse("{\"nameservers\":[\"10.96.0.10\"],"
			     "\"search\":[\"default.svc.cluster.local\"]}");
	assert_non_null(r->dns);
}

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static const cJSON *at(const cJSON *arr, int i)
{
	assert_true(cJSON_IsArray(arr));
	return cJSON_GetArrayItem(arr, i);
}

static const char *str(const cJSON *o, const char *key)
{
	const cJSON *v = get(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void assert_results_equal(const struct cni_result *want, const struct cni_result *got)
{
	assert_int_equal(got->n_ifaces, want->n_ifaces);
	for (int i = 0; i < want->n_ifaces; i++) {
		assert_string_equal(got->ifaces[i].name, want->ifaces[i].name);
		assert_string_equal(got->ifaces[i].mac, want->ifaces[i].mac);
		assert_string_equal(got->ifaces[i].sandbox, want->ifaces[i].sandbox);
		assert_int_equal(got->ifaces[i].mtu, want->ifaces[i].mtu);
	}
	assert_int_equal(got->n_ips, want->n_ips);
	for (int i = 0; i < want->n_ips; i++) {
		assert_int_equal(got->ips[i].addr.addr, want->ips[i].addr.addr);
		assert_int_equal(got->ips[i].addr.len, want->ips[i].addr.len);
		assert_int_equal(got->ips[i].gw, want->ips[i].gw);
		assert_int_equal(got->ips[i].iface, want->ips[i].iface);
	}
	assert_int_equal(got->n_routes, want->n_routes);
	for (int i = 0; i < want->n_routes; i++) {
		assert_int_equal(got->routes[i].dst.addr, want->routes[i].dst.addr);
		assert_int_equal(got->routes[i].dst.len, want->routes[i].dst.len);
		assert_int_equal(got->routes[i].gw, want->routes[i].gw);
	}
	if (want->dns)
		assert_true(cJSON_Compare(got->dns, want->dns, true));
	else
		assert_null(got->dns);
}

/* Decodes a JSON text; returns the decoder's status. */
static int decode_text(const char *text, struct cni_result *r, struct cni_err *e)
{
	cJSON *j = cJSON_Parse(text);
	int rc;

	assert_non_null(j);
	memset(e, 0, sizeof(*e));
	rc = cni_result_decode(j, r, e);
	cJSON_Delete(j);
	return rc;
}

/* ---- encoding ---- */

static void test_encode_cniVersion_is_the_requested_version(void **state)
{
	struct cni_result r;

	(void)state;
	sample_result(&r);
	for (size_t v = 0; v < ARRAY_SIZE(all_versions); v++) {
		cJSON *j = cni_result_encode(&r, all_versions[v]);

		assert_non_null(j);
		assert_string_equal(str(j, "cniVersion"), all_versions[v]);
		cJSON_Delete(j);
	}
	cni_result_free(&r);
}

static void test_encode_writes_interfaces_ips_routes_and_dns(void **state)
{
	struct cni_result r;
	const cJSON *ifaces, *ipj, *route;
	cJSON *j;

	(void)state;
	sample_result(&r);
	j = cni_result_encode(&r, "1.0.0");
	ifaces = get(j, "interfaces");
	assert_int_equal(cJSON_GetArraySize(ifaces), 2);
	assert_string_equal(str(at(ifaces, 0), "name"), "xc0123456789abc");
	assert_string_equal(str(at(ifaces, 0), "mac"), "0a:58:0a:f4:01:01");
	assert_null(get(at(ifaces, 0), "sandbox"));
	assert_string_equal(str(at(ifaces, 1), "name"), "eth0");
	assert_string_equal(str(at(ifaces, 1), "sandbox"), "/var/run/netns/pod1");

	assert_int_equal(cJSON_GetArraySize(get(j, "ips")), 1);
	ipj = at(get(j, "ips"), 0);
	assert_string_equal(str(ipj, "address"), "10.244.1.5/24");
	assert_string_equal(str(ipj, "gateway"), "10.244.1.1");
	assert_true(cJSON_IsNumber(get(ipj, "interface")));
	assert_int_equal(get(ipj, "interface")->valueint, 1);

	assert_int_equal(cJSON_GetArraySize(get(j, "routes")), 1);
	route = at(get(j, "routes"), 0);
	assert_string_equal(str(route, "dst"), "0.0.0.0/0");
	assert_string_equal(str(route, "gw"), "10.244.1.1");

	assert_true(cJSON_Compare(get(j, "dns"), r.dns, true));
	cJSON_Delete(j);
	cni_result_free(&r);
}

static void test_encode_tags_ips_with_version_4_only_before_1_0_0(void **state)
{
	struct cni_result r;

	(void)state;
	sample_result(&r);
	for (size_t v = 0; v < ARRAY_SIZE(all_versions); v++) {
		cJSON *j = cni_result_encode(&r, all_versions[v]);
		const cJSON *ipj = at(get(j, "ips"), 0);
		bool pre_1_0 = cni_version_cmp(all_versions[v], "1.0.0") < 0;

		if (pre_1_0)
			assert_string_equal(str(ipj, "version"), "4");
		else
			assert_null(get(ipj, "version"));
		cJSON_Delete(j);
	}
	cni_result_free(&r);
}

static void test_encode_interface_mtu_only_in_1_1_0(void **state)
{
	struct cni_result r;

	(void)state;
	sample_result(&r);
	for (size_t v = 0; v < ARRAY_SIZE(all_versions); v++) {
		cJSON *j = cni_result_encode(&r, all_versions[v]);
		const cJSON *host = at(get(j, "interfaces"), 0);
		const cJSON *pod = at(get(j, "interfaces"), 1);

		/* The host end has no MTU set, so it never carries one. */
		assert_null(get(host, "mtu"));
		if (!strcmp(all_versions[v], "1.1.0")) {
			assert_true(cJSON_IsNumber(get(pod, "mtu")));
			assert_int_equal(get(pod, "mtu")->valueint, 1450);
		} else {
			assert_null(get(pod, "mtu"));
		}
		cJSON_Delete(j);
	}
	cni_result_free(&r);
}

static void test_encode_without_dns_writes_empty_dns_object(void **state)
{
	struct cni_result r;
	cJSON *j;

	(void)state;
	sample_result(&r);
	cni_result_free(&r);
	assert_null(r.dns);
	j = cni_result_encode(&r, "1.0.0");
	assert_true(cJSON_IsObject(get(j, "dns")));
	assert_int_equal(cJSON_GetArraySize(get(j, "dns")), 0);
	cJSON_Delete(j);
}

static void test_decode_of_encode_gives_back_the_result_in_every_version(void **state)
{
	struct cni_result r, want, got;
	struct cni_err e;

	(void)state;
	sample_result(&r);
	for (size_t v = 0; v < ARRAY_SIZE(all_versions); v++) {
		cJSON *j = cni_result_encode(&r, all_versions[v]);
		char *text = cJSON_PrintUnformatted(j);

		cJSON_Delete(j);
		assert_non_null(text);
		assert_int_equal(decode_text(text, &got, &e), 0);
		free(text);
		/* Versions before 1.1.0 have no interface MTU to carry. */
		want = r;
		if (strcmp(all_versions[v], "1.1.0"))
			for (int i = 0; i < want.n_ifaces; i++)
				want.ifaces[i].mtu = 0;
		assert_results_equal(&want, &got);
		cni_result_free(&got);
	}
	cni_result_free(&r);
}

/* ---- decoding ---- */

static void test_decode_0_3_1_result_with_ip_version_4(void **state)
{
	static const char *text =
		"{\"cniVersion\":\"0.3.1\","
		"\"interfaces\":[{\"name\":\"eth0\",\"mac\":\"0a:58:0a:f4:01:05\","
		"\"sandbox\":\"/var/run/netns/pod1\"}],"
		"\"ips\":[{\"version\":\"4\",\"address\":\"10.244.1.5/24\","
		"\"gateway\":\"10.244.1.1\",\"interface\":0}],"
		"\"routes\":[{\"dst\":\"0.0.0.0/0\"}],"
		"\"dns\":{\"nameservers\":[\"10.96.0.10\"]}}";
	struct cni_result r;
	struct cni_err e;

	(void)state;
	assert_int_equal(decode_text(text, &r, &e), 0);
	assert_int_equal(r.n_ifaces, 1);
	assert_string_equal(r.ifaces[0].name, "eth0");
	assert_string_equal(r.ifaces[0].sandbox, "/var/run/netns/pod1");
	assert_int_equal(r.n_ips, 1);
	assert_int_equal(r.ips[0].addr.addr, ip("10.244.1.5"));
	assert_int_equal(r.ips[0].addr.len, 24);
	assert_int_equal(r.ips[0].gw, ip("10.244.1.1"));
	assert_int_equal(r.ips[0].iface, 0);
	assert_int_equal(r.n_routes, 1);
	assert_int_equal(r.routes[0].dst.len, 0);
	assert_int_equal(r.routes[0].gw, 0);
	assert_non_null(r.dns);
	assert_string_equal(cJSON_GetArrayItem(get(r.dns, "nameservers"), 0)->valuestring,
			    "10.96.0.10");
	cni_result_free(&r);
}

static void test_decode_ip_without_interface_has_index_minus_1(void **state)
{
	struct cni_result r;
	struct cni_err e;

	(void)state;
	assert_int_equal(decode_text("{\"ips\":[{\"address\":\"10.0.0.2/24\"}]}", &r, &e), 0);
	assert_int_equal(r.n_ips, 1);
	assert_int_equal(r.ips[0].iface, -1);
	assert_int_equal(r.ips[0].gw, 0);
	assert_null(r.dns);
	cni_result_free(&r);
}

static void test_decode_ipv6_address_is_unsupported_field(void **state)
{
	struct cni_result r;
	struct cni_err e;

	(void)state;
	assert_int_equal(decode_text("{\"cniVersion\":\"1.0.0\",\"ips\":["
				     "{\"address\":\"fd00::5/64\",\"gateway\":\"fd00::1\"}]}",
				     &r, &e),
			 -1);
	assert_int_equal(e.code, CNI_ERR_UNSUPPORTED_FIELD);
	assert_str_contains(e.msg, "IPv6");
	cni_result_free(&r);

	assert_int_equal(decode_text("{\"cniVersion\":\"0.4.0\",\"ips\":["
				     "{\"version\":\"6\",\"address\":\"10.0.0.5/24\"}]}",
				     &r, &e),
			 -1);
	assert_int_equal(e.code, CNI_ERR_UNSUPPORTED_FIELD);
	cni_result_free(&r);
}

static void test_decode_interface_index_out_of_range_is_decode_error(void **state)
{
	struct cni_result r;
	struct cni_err e;

	(void)state;
	assert_int_equal(decode_text("{\"interfaces\":[{\"name\":\"a\"},{\"name\":\"b\"}],"
				     "\"ips\":[{\"address\":\"10.0.0.5/24\",\"interface\":2}]}",
				     &r, &e),
			 -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_str_contains(e.msg, "interface");
	cni_result_free(&r);

	assert_int_equal(decode_text("{\"interfaces\":[{\"name\":\"a\"}],"
				     "\"ips\":[{\"address\":\"10.0.0.5/24\",\"interface\":-1}]}",
				     &r, &e),
			 -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	cni_result_free(&r);

	assert_int_equal(decode_text("{\"ips\":[{\"address\":\"10.0.0.5/24\",\"interface\":0}]}",
				     &r, &e),
			 -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	cni_result_free(&r);
}

static void test_decode_ips_not_an_array_is_decode_error(void **state)
{
	struct cni_result r;
	struct cni_err e;

	(void)state;
	assert_int_equal(decode_text("{\"ips\":{\"address\":\"10.0.0.5/24\"}}", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_str_contains(e.msg, "ips");
	cni_result_free(&r);
}

static void test_decode_malformed_parts_are_decode_errors(void **state)
{
	struct cni_result r;
	struct cni_err e;

	(void)state;
	/* Not an object. */
	assert_int_equal(decode_text("[]", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	/* interfaces not an array. */
	assert_int_equal(decode_text("{\"interfaces\":{}}", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	/* An interface without a name. */
	assert_int_equal(decode_text("{\"interfaces\":[{\"mac\":\"x\"}]}", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	/* An ip without an address, and one that is not a CIDR. */
	assert_int_equal(decode_text("{\"ips\":[{\"gateway\":\"10.0.0.1\"}]}", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	assert_int_equal(decode_text("{\"ips\":[{\"address\":\"10.0.0.5\"}]}", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
	/* routes not an array: a decode error here, not a config error. */
	assert_int_equal(decode_text("{\"routes\":{\"dst\":\"0.0.0.0/0\"}}", &r, &e), -1);
	assert_int_equal(e.code, CNI_ERR_DECODE);
}

/* ---- cni/version.h ---- */

static void test_version_cmp_orders_supported_versions(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(all_versions); i++) {
		assert_int_equal(cni_version_cmp(all_versions[i], all_versions[i]), 0);
		for (size_t j = i + 1; j < ARRAY_SIZE(all_versions); j++) {
			assert_int_equal(cni_version_cmp(all_versions[i], all_versions[j]), -1);
			assert_int_equal(cni_version_cmp(all_versions[j], all_versions[i]), 1);
		}
	}
}

static void test_version_cmp_compares_numerically_not_textually(void **state)
{
	(void)state;
	assert_int_equal(cni_version_cmp("0.10.0", "0.9.0"), 1);
	assert_int_equal(cni_version_cmp("1.0.10", "1.0.2"), 1);
	assert_int_equal(cni_version_cmp("2.0.0", "1.99.99"), 1);
}

static void test_version_cmp_sorts_unparseable_versions_first(void **state)
{
	(void)state;
	assert_int_equal(cni_version_cmp("1.1", "0.3.0"), -1);
	assert_int_equal(cni_version_cmp("", "0.3.0"), -1);
	assert_int_equal(cni_version_cmp(NULL, "0.3.0"), -1);
	assert_int_equal(cni_version_cmp("0.3.0", "garbage"), 1);
	assert_int_equal(cni_version_cmp("1.0.0-rc1", "0.3.0"), -1);
}

static void test_version_supported_is_exactly_the_five_versions(void **state)
{
	int n = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(all_versions); i++)
		assert_true(cni_version_supported(all_versions[i]));
	for (n = 0; cni_versions[n]; n++)
		assert_string_equal(cni_versions[n], all_versions[n]);
	assert_int_equal(n, ARRAY_SIZE(all_versions));
	assert_string_equal(CNI_VERSION_LATEST, "1.1.0");
}

static void test_version_supported_rejects_others(void **state)
{
	(void)state;
	assert_false(cni_version_supported("0.2.0"));
	assert_false(cni_version_supported("0.1.0"));
	assert_false(cni_version_supported("1.1"));
	assert_false(cni_version_supported("1.1.0 "));
	assert_false(cni_version_supported("2.0.0"));
	assert_false(cni_version_supported(""));
	assert_false(cni_version_supported(NULL));
}

/* ---- cni/veth_name.h ---- */

static void test_veth_name_is_stable(void **state)
{
	char a[IFNAMSIZ], b[IFNAMSIZ];

	(void)state;
	veth_host_name("3f2a9c1b7d", "eth0", 0, a);
	veth_host_name("3f2a9c1b7d", "eth0", 0, b);
	assert_string_equal(a, b);
}

static void test_veth_name_is_xc_and_at_most_15_chars(void **state)
{
	static const char *const ids[] = {
		"a",
		"3f2a9c1b7d",
		"0123456789012345678901234567890123456789012345678901234567890123456789"
		"0123456789012345678901234567890123456789012345678901234567",
	};
	char name[IFNAMSIZ];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		for (unsigned int salt = 0; salt < VETH_NAME_SALTS; salt++) {
			memset(name, 'Z', sizeof(name));
			veth_host_name(ids[i], "eth0", salt, name);
			assert_true(memchr(name, '\0', sizeof(name)) != NULL);
			assert_in_range(strlen(name), 3, IFNAMSIZ - 1);
			assert_int_equal(strncmp(name, "xc", 2), 0);
			for (const char *p = name; *p; p++)
				assert_true(isalnum((unsigned char)*p));
		}
	}
}

static void test_veth_name_differs_between_salts(void **state)
{
	char names[VETH_NAME_SALTS][IFNAMSIZ];

	(void)state;
	for (unsigned int s = 0; s < VETH_NAME_SALTS; s++) {
		veth_host_name("3f2a9c1b7d", "eth0", s, names[s]);
		for (unsigned int t = 0; t < s; t++)
			assert_string_not_equal(names[s], names[t]);
	}
}

static void test_veth_name_differs_between_ifnames_and_containers(void **state)
{
	char eth0[IFNAMSIZ], eth1[IFNAMSIZ], other[IFNAMSIZ];

	(void)state;
	veth_host_name("3f2a9c1b7d", "eth0", 0, eth0);
	veth_host_name("3f2a9c1b7d", "eth1", 0, eth1);
	veth_host_name("3f2a9c1b7e", "eth0", 0, other);
	assert_string_not_equal(eth0, eth1);
	assert_string_not_equal(eth0, other);
	/* The separator keeps ("ab", "c") apart from ("a", "bc"). */
	veth_host_name("ab", "c", 0, eth0);
	veth_host_name("a", "bc", 0, eth1);
	assert_string_not_equal(eth0, eth1);
}

static void test_veth_alias_round_trips(void **state)
{
	char alias[NL_ALIAS_MAX], cid[CNI_CONTAINER_ID_MAX + 1], ifname[IFNAMSIZ];

	(void)state;
	assert_int_equal(veth_alias("podnet", "3f2a9c1b7d", "eth0", alias), 0);
	assert_string_equal(alias, "xcni/podnet/3f2a9c1b7d/eth0");
	assert_int_equal(
		veth_alias_parse(alias, "podnet", cid, sizeof(cid), ifname, sizeof(ifname)), 0);
	assert_string_equal(cid, "3f2a9c1b7d");
	assert_string_equal(ifname, "eth0");
}

static void test_veth_alias_parse_rejects_another_networks_alias(void **state)
{
	char alias[NL_ALIAS_MAX], cid[CNI_CONTAINER_ID_MAX + 1], ifname[IFNAMSIZ];

	(void)state;
	assert_int_equal(veth_alias("podnet2", "3f2a9c1b7d", "eth0", alias), 0);
	assert_int_equal(veth_alias_parse(alias, "podnet", cid, sizeof(cid), ifname,
					  sizeof(ifname)),
			 -EINVAL);
	assert_int_equal(veth_alias("podnet", "3f2a9c1b7d", "eth0", alias), 0);
	assert_int_equal(veth_alias_parse(alias, "podnet2", cid, sizeof(cid), ifname,
					  sizeof(ifname)),
			 -EINVAL);
	assert_int_equal(veth_alias_parse(alias, "pod", cid, sizeof(cid), ifname, sizeof(ifname)),
			 -EINVAL);
}

static void test_veth_alias_parse_rejects_malformed_aliases(void **state)
{
	static const char *const bad[] = {
		"",
		"some admin's note",
		"podnet/3f2a9c1b7d/eth0",
		"xcni/podnet",
		"xcni/podnet/",
		"xcni/podnet/3f2a9c1b7d",
		"xcni/podnet/3f2a9c1b7d/",
		"xcni/podnet//eth0",
	};
	char cid[CNI_CONTAINER_ID_MAX + 1], ifname[IFNAMSIZ];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (veth_alias_parse(bad[i], "podnet", cid, sizeof(cid), ifname, sizeof(ifname)) !=
		    -EINVAL)
			fail_msg("alias \"%s\" was accepted", bad[i]);
}

static void test_veth_alias_parse_rejects_parts_too_long_for_buffers(void **state)
{
	char cid[4], ifname[IFNAMSIZ];

	(void)state;
	assert_int_equal(veth_alias_parse("xcni/podnet/abcd/eth0", "podnet", cid, sizeof(cid),
					  ifname, sizeof(ifname)),
			 -EINVAL);
	assert_int_equal(veth_alias_parse("xcni/podnet/abc/eth0", "podnet", cid, sizeof(cid),
					  ifname, sizeof(ifname)),
			 0);
	assert_string_equal(cid, "abc");
	assert_int_equal(veth_alias_parse("xcni/podnet/abc/abcdefghijklmnop", "podnet", cid,
					  sizeof(cid), ifname, sizeof(ifname)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_cniVersion_is_the_requested_version),
		cmocka_unit_test(test_encode_writes_interfaces_ips_routes_and_dns),
		cmocka_unit_test(test_encode_tags_ips_with_version_4_only_before_1_0_0),
		cmocka_unit_test(test_encode_interface_mtu_only_in_1_1_0),
		cmocka_unit_test(test_encode_without_dns_writes_empty_dns_object),
		cmocka_unit_test(test_decode_of_encode_gives_back_the_result_in_every_version),
		cmocka_unit_test(test_decode_0_3_1_result_with_ip_version_4),
		cmocka_unit_test(test_decode_ip_without_interface_has_index_minus_1),
		cmocka_unit_test(test_decode_ipv6_address_is_unsupported_field),
		cmocka_unit_test(test_decode_interface_index_out_of_range_is_decode_error),
		cmocka_unit_test(test_decode_ips_not_an_array_is_decode_error),
		cmocka_unit_test(test_decode_malformed_parts_are_decode_errors),
		cmocka_unit_test(test_version_cmp_orders_supported_versions),
		cmocka_unit_test(test_version_cmp_compares_numerically_not_textually),
		cmocka_unit_test(test_version_cmp_sorts_unparseable_versions_first),
		cmocka_unit_test(test_version_supported_is_exactly_the_five_versions),
		cmocka_unit_test(test_version_supported_rejects_others),
		cmocka_unit_test(test_veth_name_is_stable),
		cmocka_unit_test(test_veth_name_is_xc_and_at_most_15_chars),
		cmocka_unit_test(test_veth_name_differs_between_salts),
		cmocka_unit_test(test_veth_name_differs_between_ifnames_and_containers),
		cmocka_unit_test(test_veth_alias_round_trips),
		cmocka_unit_test(test_veth_alias_parse_rejects_another_networks_alias),
		cmocka_unit_test(test_veth_alias_parse_rejects_malformed_aliases),
		cmocka_unit_test(test_veth_alias_parse_rejects_parts_too_long_for_buffers),
	};

	return cmocka_run_group_tests_name("result", tests, NULL, NULL);
}
