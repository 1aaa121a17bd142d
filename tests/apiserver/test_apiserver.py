#!/usr/bin/env python3
"""Tests of the test API server (apiserver.py): the protocol with http.client
and ssl, every fault mode of the control API, then real kubectl against it.

Run: python3 tests/apiserver/test_apiserver.py [--tap] [-v] [TestClass.test_name ...]
"""

import atexit
import ctypes
import errno
import gzip
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
APISERVER = os.path.join(HERE, "apiserver.py")
KUBECTL_DIR = "/usr/lib/google-cloud-sdk/bin"
KUBECTL = os.path.join(KUBECTL_DIR, "kubectl.1.33")
TABLE_ACCEPT = ("application/json;as=Table;v=v1;g=meta.k8s.io,"
                "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")

# ---------------------------------------------------------------------------
# Fixtures: a server process and clients for it
# ---------------------------------------------------------------------------

LIVE_SERVERS = set()


def die_with_parent():
    """In the child: SIGTERM when this test process dies, however it dies."""
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@atexit.register
def stop_leftover_servers():
    for server in list(LIVE_SERVERS):
        server.stop()


class Server:
    """apiserver.py as a subprocess on port 0 in its own state dir."""

    def __init__(self, *args, state_dir=None):
        self.dir = state_dir or tempfile.mkdtemp(prefix="xcni-apiserver-test-")
        self.log = open(os.path.join(self.dir, "stderr.log"), "w+")
        self.proc = subprocess.Popen(
            [sys.executable, APISERVER, "--state-dir", self.dir, "--port", "0", *args],
            stdout=subprocess.PIPE, stderr=self.log, text=True, preexec_fn=die_with_parent)
        LIVE_SERVERS.add(self)
        self.ready = self.proc.stdout.readline().strip()
        if not self.ready.startswith("READY port="):
            self.stop()
            raise RuntimeError(f"server did not start: {self.ready!r} {self.stderr()}")
        self.port = int(self.ready.split("=", 1)[1])
        self.ca = os.path.join(self.dir, "ca.crt")

    @property
    def token(self):
        with open(os.path.join(self.dir, "token")) as f:
            return f.read().strip()

    def stderr(self):
        self.log.flush()
        with open(self.log.name) as f:
            return f.read()

    def stop(self, keep_dir=False):
        """SIGTERM; returns the exit code."""
        LIVE_SERVERS.discard(self)
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        if not keep_dir:
            shutil.rmtree(self.dir, ignore_errors=True)
        return self.proc.returncode


class Client:
    def __init__(self, server, token=None, cert=False, alpn=None):
        self.server = server
        self.ctx = ssl.create_default_context(cafile=server.ca)
        if cert:
            self.ctx.load_cert_chain(os.path.join(server.dir, "client.crt"),
                                     os.path.join(server.dir, "client.key"))
        if alpn:
            self.ctx.set_alpn_protocols(alpn)
        self.token = token

    def conn(self, timeout=10):
        return http.client.HTTPSConnection("127.0.0.1", self.server.port, context=self.ctx,
                                           timeout=timeout)

    def headers(self, extra=None, auth=True):
        h = {"Accept": "application/json"}
        tok = self.token if self.token is not None else self.server.token
        if auth and tok:
            h["Authorization"] = "Bearer " + tok
        h.update(extra or {})
        return h

    def raw(self, method, path, body=None, headers=None, auth=True):
        """(status, headers, body bytes)."""
        c = self.conn()
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body)
                headers = dict({"Content-Type": "application/json"}, **(headers or {}))
            c.request(method, path, body=body, headers=self.headers(headers, auth))
            r = c.getresponse()
            return r.status, r.headers, r.read()
        finally:
            c.close()

    def req(self, method, path, body=None, headers=None, auth=True):
        """(status, decoded JSON body)."""
        status, _, data = self.raw(method, path, body, headers, auth)
        return status, json.loads(data) if data else None

    def ok(self, method, path, body=None, headers=None, want=(200, 201)):
        status, obj = self.req(method, path, body, headers)
        if status not in want:
            raise AssertionError(f"{method} {path}: {status} {obj}")
        return obj

    def control(self, method, path, body=None):
        c = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=self.ctx,
                                        timeout=10)
        try:
            c.request(method, "/_test/" + path, body=json.dumps(body) if body is not None else None)
            r = c.getresponse()
            out = json.loads(r.read())
            if r.status != 200:
                raise AssertionError(f"control {path}: {r.status} {out}")
            return out
        finally:
            c.close()

    def watch(self, path, headers=None, timeout=10):
        return WatchStream(self, path, headers, timeout)

    def rv(self):
        """The store's resourceVersion, read out of band (no fault applies)."""
        return self.control("GET", "state")["resourceVersion"]


class RawStream:
    """A streamed GET read chunk by chunk, to see the transfer framing itself
    and to tell a clean end (terminating chunk) from a cut connection."""

    def __init__(self, client, path, headers=None, timeout=10):
        raw = socket.create_connection(("127.0.0.1", client.server.port), timeout=timeout)
        self.sock = client.ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        h = dict({"Host": "127.0.0.1"}, **client.headers(headers))
        req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in h.items())
        self.sock.sendall((req + "\r\n").encode())
        self.f = self.sock.makefile("rb")
        self.status = int(self.f.readline().split()[1])
        self.headers = {}
        while True:
            line = self.f.readline()
            if line in (b"\r\n", b""):
                break
            k, _, v = line.decode().partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def chunk(self):
        """A chunk's payload; b"" for the terminating chunk; EOFError when the
        connection ends without one."""
        size_line = self.f.readline()
        if not size_line:
            raise EOFError("connection closed")
        size = int(size_line.strip(), 16)
        data = self.f.read(size)
        if len(data) < size:
            raise EOFError(f"connection closed mid-chunk after {data!r}")
        self.f.readline()
        return data

    def close(self):
        self.f.close()
        self.sock.close()


class WatchStream(RawStream):
    """A watch read line by line, however it is chunked."""

    def __init__(self, client, path, headers=None, timeout=10):
        super().__init__(client, path, headers, timeout)
        self.buf = b""

    def line(self):
        """The next line; b"" at a clean end; EOFError if the connection is cut."""
        while b"\n" not in self.buf:
            data = self.chunk()
            if not data:
                rest, self.buf = self.buf, b""
                return rest
            self.buf += data
        line, self.buf = self.buf.split(b"\n", 1)
        return line + b"\n"

    def next(self):
        """The next event, or None at a clean end of the stream."""
        line = self.line()
        return json.loads(line) if line else None

    def take(self, n, skip_bookmarks=True):
        out = []
        while len(out) < n:
            ev = self.next()
            if ev is None:
                raise AssertionError(f"stream ended after {out}")
            if skip_bookmarks and ev["type"] == "BOOKMARK":
                continue
            out.append(ev)
        return out


SERVER = None
CLIENT = None
_ns_counter = [0]


def setUpModule():
    global SERVER, CLIENT
    SERVER = Server("--bookmark-interval", "0.2", "--too-large-wait", "0.3",
                    "--history", "100000")
    CLIENT = Client(SERVER)


def tearDownModule():
    if SERVER:
        SERVER.stop()


def svc(name, **spec):
    spec.setdefault("ports", [{"port": 80}])
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec}


def pod(name, node="node-a", labels=None, phase=None, ip=None):
    p = {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": name, "labels": labels or {}},
         "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]}}
    if phase:
        p["status"] = {"phase": phase, "podIP": ip or ""}
    return p


class Base(unittest.TestCase):
    server = property(lambda self: SERVER)
    c = property(lambda self: CLIENT)

    def setUp(self):
        _ns_counter[0] += 1
        self.ns = f"t{_ns_counter[0]}"
        self.c.ok("POST", "/api/v1/namespaces", {"metadata": {"name": self.ns}})
        self.p = f"/api/v1/namespaces/{self.ns}"

    def tearDown(self):
        self.c.control("DELETE", "faults")

    def mk(self, path, obj):
        return self.c.ok("POST", path, obj)

    def assertStatus(self, status, obj, code, reason):
        self.assertEqual(status, code, obj)
        self.assertEqual(obj["kind"], "Status")
        self.assertEqual(obj["code"], code)
        self.assertEqual(obj["reason"], reason, obj)
        self.assertEqual(obj["status"], "Failure")

    def rv(self):
        return self.c.rv()


# ---------------------------------------------------------------------------
# Transport, authentication, discovery
# ---------------------------------------------------------------------------


class TransportTests(Base):
    def test_ready_line_port_file_and_kubeconfigs(self):
        with open(os.path.join(self.server.dir, "port")) as f:
            self.assertEqual(int(f.read()), self.server.port)
        for name, needle in (("kubeconfig", "token: "), ("kubeconfig-cert", "client-certificate")):
            with open(os.path.join(self.server.dir, name)) as f:
                text = f.read()
            self.assertIn(f'server: "https://127.0.0.1:{self.server.port}"', text)
            self.assertIn("certificate-authority:", text)
            self.assertIn("current-context: xcni-test", text)
            self.assertIn("namespace: default", text)
            self.assertIn(needle, text)
        for f in ("ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key",
                  "token"):
            self.assertTrue(os.path.exists(os.path.join(self.server.dir, f)), f)

    def test_certificate_verifies_for_127_0_0_1_and_localhost(self):
        for host in ("127.0.0.1", "localhost"):
            with socket.create_connection(("127.0.0.1", self.server.port)) as s:
                with self.c.ctx.wrap_socket(s, server_hostname=host) as t:
                    self.assertTrue(t.getpeercert())

    def test_alpn_offering_h2_gets_http11(self):
        ctx = ssl.create_default_context(cafile=self.server.ca)
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", self.server.port)) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                self.assertEqual(t.selected_alpn_protocol(), "http/1.1")

    def test_missing_or_wrong_token_is_401(self):
        st, obj = self.c.req("GET", "/api/v1/namespaces", auth=False)
        self.assertStatus(st, obj, 401, "Unauthorized")
        st, obj = Client(self.server, token="wrong").req("GET", "/api/v1/namespaces")
        self.assertStatus(st, obj, 401, "Unauthorized")

    def test_client_certificate_authenticates(self):
        st, obj = Client(self.server, token="", cert=True).req("GET", "/api/v1/namespaces/default")
        self.assertEqual(st, 200, obj)
        self.assertEqual(obj["metadata"]["name"], "default")

    def test_health_and_version_need_no_token(self):
        for path in ("/healthz", "/readyz", "/livez"):
            st, _, body = self.c.raw("GET", path, auth=False)
            self.assertEqual((st, body), (200, b"ok"))
        st, v = self.c.req("GET", "/version", auth=False)
        self.assertEqual((st, v["major"], v["minor"]), (200, "1", "33"))

    def test_token_change_through_control(self):
        old = self.server.token
        try:
            self.c.control("POST", "token", {"token": "rotated-token"})
            self.assertEqual(self.server.token, "rotated-token")  # the file follows
            st, obj = Client(self.server, token=old).req("GET", "/api/v1/nodes")
            self.assertStatus(st, obj, 401, "Unauthorized")
            self.assertEqual(Client(self.server, token="rotated-token").req(
                "GET", "/api/v1/nodes")[0], 200)
        finally:
            self.c.control("POST", "token", {"token": old})
        self.assertEqual(self.c.req("GET", "/api/v1/nodes")[0], 200)

    def test_keepalive_serves_many_requests_on_one_connection(self):
        conn = self.c.conn()
        try:
            for _ in range(5):
                conn.request("GET", "/api/v1/namespaces/default", headers=self.c.headers())
                r = conn.getresponse()
                self.assertEqual(r.status, 200)
                self.assertEqual(json.loads(r.read())["kind"], "Namespace")
        finally:
            conn.close()

    def test_control_api_is_not_an_api_path_and_unknown_is_404(self):
        with self.assertRaises(AssertionError):
            self.c.control("GET", "nonsense")


class DiscoveryTests(Base):
    def test_core_and_groups(self):
        api = self.c.ok("GET", "/api")
        self.assertEqual((api["kind"], api["versions"]), ("APIVersions", ["v1"]))
        groups = self.c.ok("GET", "/apis")
        self.assertEqual(groups["kind"], "APIGroupList")
        self.assertEqual(sorted(g["name"] for g in groups["groups"]),
                         ["apps", "discovery.k8s.io", "networking.k8s.io",
                          "rbac.authorization.k8s.io"])
        core = {r["name"]: r for r in self.c.ok("GET", "/api/v1")["resources"]}
        for name in ("services", "services/status", "endpoints", "nodes", "nodes/status",
                     "pods", "pods/status", "namespaces", "namespaces/status"):
            self.assertIn(name, core)
        self.assertEqual(core["services"]["shortNames"], ["svc"])
        self.assertFalse(core["nodes"]["namespaced"])
        self.assertIn("watch", core["pods"]["verbs"])
        eps = self.c.ok("GET", "/apis/discovery.k8s.io/v1")["resources"]
        self.assertEqual([(r["name"], r["kind"]) for r in eps],
                         [("endpointslices", "EndpointSlice")])
        net = self.c.ok("GET", "/apis/networking.k8s.io/v1")["resources"]
        self.assertEqual(net[0]["shortNames"], ["netpol"])
        self.assertEqual(self.c.ok("GET", "/apis/networking.k8s.io")["kind"], "APIGroup")

    def test_deployment_kinds_are_advertised_with_their_scope(self):
        core = {r["name"]: r for r in self.c.ok("GET", "/api/v1")["resources"]}
        self.assertEqual((core["configmaps"]["kind"], core["configmaps"]["namespaced"]),
                         ("ConfigMap", True))
        self.assertEqual(core["serviceaccounts"]["shortNames"], ["sa"])
        apps = {r["name"]: r for r in self.c.ok("GET", "/apis/apps/v1")["resources"]}
        self.assertEqual(sorted(apps), ["daemonsets", "daemonsets/status"])
        self.assertTrue(apps["daemonsets"]["namespaced"])
        rbac = self.c.ok("GET", "/apis/rbac.authorization.k8s.io/v1")["resources"]
        self.assertEqual(sorted((r["name"], r["kind"], r["namespaced"]) for r in rbac),
                         [("clusterrolebindings", "ClusterRoleBinding", False),
                          ("clusterroles", "ClusterRole", False)])
        self.assertEqual(self.c.ok("GET", "/apis/apps")["preferredVersion"]["groupVersion"],
                         "apps/v1")

    def test_openapi_v2_is_the_five_byte_protobuf_and_v3_is_404(self):
        st, h, body = self.c.raw("GET", "/openapi/v2", headers={
            "Accept": "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"})
        self.assertEqual((st, h["Content-Type"], body),
                         (200, "application/octet-stream", b"\x0a\x03\x32\x2e\x30"))
        st, obj = self.c.req("GET", "/openapi/v3")
        self.assertStatus(st, obj, 404, "NotFound")

    def test_unknown_paths_are_404_and_wrong_methods_405(self):
        st, obj = self.c.req("GET", "/api/v1/widgets")
        self.assertStatus(st, obj, 404, "NotFound")
        st, obj = self.c.req("GET", "/apis/discovery.k8s.io/v1/services")
        self.assertStatus(st, obj, 404, "NotFound")
        st, obj = self.c.req("POST", "/api/v1/services", svc("x"))
        self.assertStatus(st, obj, 405, "MethodNotAllowed")

    def test_protobuf_only_accept_is_406(self):
        st, obj = self.c.req("GET", "/api/v1/nodes",
                             headers={"Accept": "application/vnd.kubernetes.protobuf"})
        self.assertStatus(st, obj, 406, "NotAcceptable")


# ---------------------------------------------------------------------------
# Objects: bookkeeping, errors, defaulting, allocation, status, patches
# ---------------------------------------------------------------------------


class ObjectTests(Base):
    def test_create_sets_bookkeeping_and_bumps_one_global_rv(self):
        before = self.rv()
        a = self.mk(self.p + "/services", svc("a"))
        m = a["metadata"]
        self.assertEqual(len(m["uid"]), 36)
        self.assertRegex(m["creationTimestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertEqual(m["namespace"], self.ns)
        self.assertEqual(int(m["resourceVersion"]), before + 1)
        b = self.mk(f"/apis/networking.k8s.io/v1/namespaces/{self.ns}/networkpolicies",
                    {"metadata": {"name": "np"}, "spec": {"podSelector": {}}})
        self.assertEqual(int(b["metadata"]["resourceVersion"]), before + 2)
        self.assertEqual(b["metadata"]["generation"], 1)
        got = self.c.ok("GET", self.p + "/services/a")
        self.assertEqual((got["kind"], got["apiVersion"]), ("Service", "v1"))
        lst = self.c.ok("GET", self.p + "/services")
        self.assertEqual((lst["kind"], lst["apiVersion"]), ("ServiceList", "v1"))
        self.assertNotIn("kind", lst["items"][0])
        self.assertNotIn("apiVersion", lst["items"][0])
        self.assertEqual(lst["metadata"]["resourceVersion"], str(before + 2))

    def test_generic_kinds_round_trip_in_their_scope(self):
        cm = self.mk(self.p + "/configmaps", {"metadata": {"name": "cfg"},
                                              "data": {"agent.json": "{}"}})
        self.assertEqual((cm["metadata"]["namespace"], cm["data"]), (self.ns, {"agent.json": "{}"}))
        got = self.c.ok("GET", self.p + "/configmaps/cfg")
        self.assertEqual((got["kind"], got["apiVersion"]), ("ConfigMap", "v1"))
        role = {"metadata": {"name": f"{self.ns}-reader"},
                "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
        self.mk("/apis/rbac.authorization.k8s.io/v1/clusterroles", role)
        got = self.c.ok("GET", f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{self.ns}-reader")
        self.assertEqual((got["kind"], got["rules"]), ("ClusterRole", role["rules"]))
        self.assertNotIn("namespace", got["metadata"])
        st, err = self.c.req("POST", self.p.replace("/api/v1", "/apis/rbac.authorization.k8s.io/v1")
                             + "/clusterroles", role)
        self.assertStatus(st, err, 404, "NotFound")
        ds = {"metadata": {"name": "agent"}, "spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "x"}]}}}}
        url = f"/apis/apps/v1/namespaces/{self.ns}/daemonsets"
        self.assertEqual(self.mk(url, ds)["metadata"]["generation"], 1)
        ds["spec"]["template"]["spec"]["containers"][0]["image"] = "y"
        self.assertEqual(self.c.ok("PUT", url + "/agent", ds)["metadata"]["generation"], 2)
        out = self.c.ok("PATCH", url + "/agent", {"spec": {"template": {"spec": {"containers": [
            {"name": "b", "image": "z"}]}}}},
            headers={"Content-Type": "application/strategic-merge-patch+json"})
        self.assertEqual([c["name"] for c in out["spec"]["template"]["spec"]["containers"]],
                         ["a", "b"])  # merged by name, as the Go type's patchMergeKey
        self.c.ok("DELETE", f"/api/v1/namespaces/{self.ns}")
        st, _ = self.c.req("GET", url + "/agent")
        self.assertEqual(st, 404)
        self.c.ok("GET", f"/apis/rbac.authorization.k8s.io/v1/clusterroles/{self.ns}-reader")

    def test_generate_name_and_dry_run(self):
        obj = self.mk(self.p + "/services", {"metadata": {"generateName": "gen-"},
                                             "spec": {"ports": [{"port": 1}]}})
        self.assertRegex(obj["metadata"]["name"], r"^gen-[a-z0-9]{5}$")
        before = self.rv()
        dry = self.mk(self.p + "/services?dryRun=All", svc("dry"))
        self.assertEqual(dry["metadata"]["name"], "dry")
        self.assertEqual(self.rv(), before)
        st, obj = self.c.req("GET", self.p + "/services/dry")
        self.assertEqual(st, 404)

    def test_empty_list_has_items_array(self):
        lst = self.c.ok("GET", self.p + "/pods")
        self.assertEqual(lst["items"], [])

    def test_already_exists_not_found_and_stale_rv_conflict(self):
        obj = self.mk(self.p + "/services", svc("web"))
        st, err = self.c.req("POST", self.p + "/services", svc("web"))
        self.assertStatus(st, err, 409, "AlreadyExists")
        self.assertEqual(err["message"], 'services "web" already exists')
        self.assertEqual(err["details"], {"name": "web", "group": "", "kind": "services"})
        st, err = self.c.req("GET", self.p + "/services/nope")
        self.assertStatus(st, err, 404, "NotFound")
        self.assertEqual(err["message"], 'services "nope" not found')
        obj["metadata"]["labels"] = {"v": "1"}
        fresh = self.c.ok("PUT", self.p + "/services/web", obj)
        self.assertGreater(int(fresh["metadata"]["resourceVersion"]),
                           int(obj["metadata"]["resourceVersion"]))
        obj["metadata"]["labels"] = {"v": "2"}  # still the old resourceVersion
        st, err = self.c.req("PUT", self.p + "/services/web", obj)
        self.assertStatus(st, err, 409, "Conflict")
        self.assertIn("the object has been modified", err["message"])
        del obj["metadata"]["resourceVersion"]  # unconditional update
        self.assertEqual(self.c.ok("PUT", self.p + "/services/web", obj)["metadata"]["labels"],
                         {"v": "2"})
        st, err = self.c.req("PUT", self.p + "/services/nope", svc("nope"))
        self.assertStatus(st, err, 404, "NotFound")

    def test_noop_update_writes_nothing(self):
        obj = self.mk(self.p + "/services", svc("same"))
        again = self.c.ok("PUT", self.p + "/services/same", obj)
        self.assertEqual(again["metadata"]["resourceVersion"], obj["metadata"]["resourceVersion"])

    def test_bad_requests(self):
        st, err = self.c.req("PUT", self.p + "/services/a", svc("b"))
        self.assertStatus(st, err, 400, "BadRequest")
        self.assertIn("does not match the name on the URL", err["message"])
        st, err = self.c.req("POST", self.p + "/services",
                             dict(svc("x"), metadata={"name": "x", "namespace": "other"}))
        self.assertStatus(st, err, 400, "BadRequest")
        st, err = self.c.req("POST", self.p + "/services", dict(svc("x"), kind="Pod"))
        self.assertStatus(st, err, 400, "BadRequest")
        st, _, body = self.c.raw("POST", self.p + "/services", "{not json",
                                 headers={"Content-Type": "application/json"})
        self.assertStatus(st, json.loads(body), 400, "BadRequest")
        st, err = self.c.req("POST", self.p + "/services",
                             dict(svc("x"), metadata={"name": "x", "resourceVersion": "5"}))
        self.assertStatus(st, err, 400, "BadRequest")

    def test_unsupported_media_types_are_415(self):
        st, _, body = self.c.raw("POST", self.p + "/services", b"\x00\x01",
                                 headers={"Content-Type": "application/cbor"})
        self.assertStatus(st, json.loads(body), 415, "UnsupportedMediaType")
        self.mk(self.p + "/services", svc("web"))
        st, _, body = self.c.raw("PATCH", self.p + "/services/web", "{}",
                                 headers={"Content-Type": "application/json"})
        err = json.loads(body)
        self.assertStatus(st, err, 415, "UnsupportedMediaType")
        self.assertIn("application/strategic-merge-patch+json", err["message"])

    def test_missing_content_type_and_chunked_body(self):
        body = json.dumps(svc("plain")).encode()
        c = self.c.conn()
        try:
            c.putrequest("POST", self.p + "/services")
            for k, v in self.c.headers().items():
                c.putheader(k, v)
            c.putheader("Transfer-Encoding", "chunked")
            c.endheaders()
            for i in range(0, len(body), 7):  # many small chunks, no Content-Type
                part = body[i:i + 7]
                c.send(b"%x\r\n%s\r\n" % (len(part), part))
            c.send(b"0\r\n\r\n")
            r = c.getresponse()
            self.assertEqual(r.status, 201, r.read())
        finally:
            c.close()
        self.assertEqual(self.c.ok("GET", self.p + "/services/plain")["metadata"]["name"], "plain")

    def test_protobuf_namespace_body_as_kubectl_create_ns_sends_it(self):
        def field(num, data):
            return bytes([num << 3 | 2, len(data)]) + data
        name = f"{self.ns}-pb".encode()
        meta = field(1, name) + field(11, field(1, b"team") + field(2, b"a"))
        raw = field(1, meta) + field(2, b"") + field(3, b"")
        env = b"k8s\x00" + field(1, field(1, b"v1") + field(2, b"Namespace")) + field(2, raw)
        st, _, body = self.c.raw("POST", "/api/v1/namespaces", env,
                                 headers={"Content-Type": "application/vnd.kubernetes.protobuf"})
        self.assertEqual(st, 201, body)
        ns = json.loads(body)
        self.assertEqual(ns["metadata"]["labels"], {"team": "a",
                                                    "kubernetes.io/metadata.name": name.decode()})
        self.assertEqual(ns["status"], {"phase": "Active"})

    def test_validation_errors_are_422_with_causes(self):
        st, err = self.c.req("POST", self.p + "/services", svc("web", ports=[{"port": 0}]))
        self.assertStatus(st, err, 422, "Invalid")
        self.assertEqual(err["details"]["causes"][0]["field"], "spec.ports[0].port")
        st, err = self.c.req("POST", self.p + "/services",
                             svc("web", ports=[{"port": 1}, {"port": 2}]))
        self.assertStatus(st, err, 422, "Invalid")  # names required with two ports
        st, err = self.c.req("POST", "/api/v1/namespaces", {"metadata": {"name": "Bad_Name"}})
        self.assertStatus(st, err, 422, "Invalid")
        st, err = self.c.req("POST", self.p + "/pods", {"metadata": {"name": "p"}, "spec": {}})
        self.assertStatus(st, err, 422, "Invalid")
        self.assertEqual(err["details"]["causes"][0]["field"], "spec.containers")
        st, err = self.c.req("POST", f"/apis/discovery.k8s.io/v1/namespaces/{self.ns}/endpointslices",
                             {"metadata": {"name": "s"}, "endpoints": []})
        self.assertStatus(st, err, 422, "Invalid")
        st, err = self.c.req("POST", self.p + "/services",
                             dict(svc("web"), metadata={"name": "web", "labels": {"a": "b c"}}))
        self.assertStatus(st, err, 422, "Invalid")

    def test_namespaced_create_needs_the_namespace(self):
        st, err = self.c.req("POST", "/api/v1/namespaces/nowhere/services", svc("x"))
        self.assertStatus(st, err, 404, "NotFound")
        self.assertEqual(err["message"], 'namespaces "nowhere" not found')

    def test_namespaces_are_seeded_labelled_and_protected(self):
        names = [n["metadata"]["name"] for n in self.c.ok("GET", "/api/v1/namespaces")["items"]]
        self.assertIn("default", names)
        self.assertIn("kube-system", names)
        ns = self.c.ok("GET", f"/api/v1/namespaces/{self.ns}")
        self.assertEqual(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], self.ns)
        self.assertEqual(ns["status"]["phase"], "Active")
        st, err = self.c.req("DELETE", "/api/v1/namespaces/default")
        self.assertStatus(st, err, 403, "Forbidden")

    def test_namespace_delete_removes_its_content(self):
        self.mk(self.p + "/services", svc("web"))
        self.mk(self.p + "/pods", pod("p1"))
        w = self.c.watch(self.p + "/services?watch=1&resourceVersion=" + str(self.rv()))
        gone = self.c.ok("DELETE", self.p)
        self.assertEqual(gone["status"]["phase"], "Terminating")
        ev = w.take(1)[0]
        self.assertEqual((ev["type"], ev["object"]["metadata"]["name"]), ("DELETED", "web"))
        w.close()
        self.assertEqual(self.c.req("GET", self.p + "/pods/p1")[0], 404)
        self.assertEqual(self.c.req("GET", self.p)[0], 404)

    def test_delete_returns_object_and_checks_preconditions(self):
        obj = self.mk(self.p + "/services", svc("web"))
        st, err = self.c.req("DELETE", self.p + "/services/web",
                             {"preconditions": {"uid": "not-the-uid"}})
        self.assertStatus(st, err, 409, "Conflict")
        gone = self.c.ok("DELETE", self.p + "/services/web", {"propagationPolicy": "Background"})
        self.assertEqual(gone["metadata"]["uid"], obj["metadata"]["uid"])
        self.assertGreater(int(gone["metadata"]["resourceVersion"]),
                           int(obj["metadata"]["resourceVersion"]))
        st, err = self.c.req("DELETE", self.p + "/services/web")
        self.assertStatus(st, err, 404, "NotFound")

    def test_deletecollection_with_selector(self):
        for i, app in enumerate(("a", "a", "b")):
            self.mk(self.p + "/pods", pod(f"p{i}", labels={"app": app}))
        out = self.c.ok("DELETE", self.p + "/pods?labelSelector=app%3Da")
        self.assertEqual(sorted(o["metadata"]["name"] for o in out["items"]), ["p0", "p1"])
        left = self.c.ok("GET", self.p + "/pods")["items"]
        self.assertEqual([o["metadata"]["name"] for o in left], ["p2"])

    def test_endpoints_are_storable(self):
        ep = {"metadata": {"name": "web"},
              "subsets": [{"addresses": [{"ip": "10.0.0.1"}], "ports": [{"port": 80}]}]}
        self.mk(self.p + "/endpoints", ep)
        self.assertEqual(self.c.ok("GET", self.p + "/endpoints/web")["subsets"], ep["subsets"])

    def test_network_policy_defaults(self):
        base = f"/apis/networking.k8s.io/v1/namespaces/{self.ns}/networkpolicies"
        a = self.mk(base, {"metadata": {"name": "in"}, "spec": {
            "podSelector": {}, "ingress": [{"ports": [{"port": 80}]}]}})
        self.assertEqual(a["spec"]["policyTypes"], ["Ingress"])
        self.assertEqual(a["spec"]["ingress"][0]["ports"][0]["protocol"], "TCP")
        b = self.mk(base, {"metadata": {"name": "both"}, "spec": {"podSelector": {}, "egress": []}})
        self.assertEqual(b["spec"]["policyTypes"], ["Ingress", "Egress"])
        b["spec"]["egress"] = [{"ports": [{"port": 53, "protocol": "UDP"}]}]
        b2 = self.c.ok("PUT", base + "/both", b)
        self.assertEqual(b2["metadata"]["generation"], 2)
        st, err = self.c.req("POST", base, {"metadata": {"name": "bad"}, "spec": {
            "podSelector": {}, "ingress": [{"ports": [{"port": 90, "endPort": 80}]}]}})
        self.assertStatus(st, err, 422, "Invalid")


class ServiceAllocationTests(Base):
    def test_cluster_ip_node_ports_and_preservation(self):
        a = self.mk(self.p + "/services", svc("a", type="NodePort", ports=[
            {"name": "http", "port": 80, "targetPort": 8080},
            {"name": "dns", "port": 53, "protocol": "UDP"}]))
        s = a["spec"]
        self.assertNotIn(s["clusterIP"].split(".")[-1], ("0", "1"))
        self.assertTrue(s["clusterIP"].startswith("10.96."))
        self.assertEqual(s["clusterIPs"], [s["clusterIP"]])
        self.assertEqual((s["ipFamilies"], s["ipFamilyPolicy"]), (["IPv4"], "SingleStack"))
        self.assertEqual((s["sessionAffinity"], s["internalTrafficPolicy"],
                          s["externalTrafficPolicy"]), ("None", "Cluster", "Cluster"))
        self.assertEqual(s["ports"][1]["targetPort"], 53)
        self.assertEqual(s["ports"][0]["protocol"], "TCP")
        nps = [p["nodePort"] for p in s["ports"]]
        self.assertTrue(all(30000 <= n <= 32767 for n in nps))
        self.assertEqual(len(set(nps)), 2)
        # A replace without the allocated values keeps them (kubectl replace -f).
        body = svc("a", type="NodePort", ports=[
            {"name": "http", "port": 80, "targetPort": 9090},
            {"name": "dns", "port": 53, "protocol": "UDP"}])
        r = self.c.ok("PUT", self.p + "/services/a", body)["spec"]
        self.assertEqual(r["clusterIP"], s["clusterIP"])
        self.assertEqual([p["nodePort"] for p in r["ports"]], nps)
        body["spec"]["clusterIP"] = "10.96.200.200"
        st, err = self.c.req("PUT", self.p + "/services/a", body)
        self.assertStatus(st, err, 422, "Invalid")
        # Back to ClusterIP: the node ports go.
        back = self.c.ok("PUT", self.p + "/services/a", svc("a", type="ClusterIP", ports=r["ports"]))
        self.assertTrue(all("nodePort" not in p for p in back["spec"]["ports"]))
        self.assertNotIn("externalTrafficPolicy", back["spec"])

    def test_explicit_values_and_conflicts(self):
        a = self.mk(self.p + "/services", svc("a", clusterIP="10.96.123.45", type="NodePort",
                                              ports=[{"port": 80, "nodePort": 31234}]))
        self.assertEqual(a["spec"]["clusterIP"], "10.96.123.45")
        self.assertEqual(a["spec"]["ports"][0]["nodePort"], 31234)
        st, err = self.c.req("POST", self.p + "/services", svc("b", clusterIP="10.96.123.45"))
        self.assertStatus(st, err, 422, "Invalid")
        self.assertIn("already allocated", err["message"])
        st, err = self.c.req("POST", self.p + "/services", svc("c", type="NodePort", ports=[
            {"port": 80, "nodePort": 31234}]))
        self.assertStatus(st, err, 422, "Invalid")
        st, err = self.c.req("POST", self.p + "/services", svc("d", type="NodePort", ports=[
            {"port": 80, "nodePort": 80}]))
        self.assertStatus(st, err, 422, "Invalid")
        self.assertIn("30000-32767", err["message"])
        st, err = self.c.req("POST", self.p + "/services", svc("e", clusterIP="10.97.0.5"))
        self.assertStatus(st, err, 422, "Invalid")
        self.c.ok("DELETE", self.p + "/services/a")  # releases both
        again = self.mk(self.p + "/services", svc("a2", clusterIP="10.96.123.45", type="NodePort",
                                                  ports=[{"port": 80, "nodePort": 31234}]))
        self.assertEqual(again["spec"]["ports"][0]["nodePort"], 31234)

    def test_load_balancer_local_gets_health_check_node_port(self):
        lb = self.mk(self.p + "/services", svc("lb", type="LoadBalancer",
                                               externalTrafficPolicy="Local"))["spec"]
        hc = lb["healthCheckNodePort"]
        self.assertTrue(30000 <= hc <= 32767)
        self.assertNotEqual(hc, lb["ports"][0]["nodePort"])
        self.assertTrue(lb["allocateLoadBalancerNodePorts"])
        kept = self.c.ok("PUT", self.p + "/services/lb", svc(
            "lb", type="LoadBalancer", externalTrafficPolicy="Local"))["spec"]
        self.assertEqual(kept["healthCheckNodePort"], hc)
        cl = self.c.ok("PUT", self.p + "/services/lb", dict(svc(
            "lb", type="LoadBalancer", externalTrafficPolicy="Cluster")))["spec"]
        self.assertNotIn("healthCheckNodePort", cl)

    def test_headless_and_external_name(self):
        h = self.mk(self.p + "/services", svc("h", clusterIP="None"))["spec"]
        self.assertEqual((h["clusterIP"], h["clusterIPs"]), ("None", ["None"]))
        e = self.mk(self.p + "/services", svc("e", type="ExternalName",
                                              externalName="example.com"))["spec"]
        self.assertNotIn("clusterIP", e)
        self.assertEqual(e["externalName"], "example.com")
        st, err = self.c.req("POST", self.p + "/services", svc("e2", type="ExternalName"))
        self.assertStatus(st, err, 422, "Invalid")

    def test_session_affinity_client_ip_defaults_its_timeout(self):
        s = self.mk(self.p + "/services", svc("s", sessionAffinity="ClientIP"))["spec"]
        self.assertEqual(s["sessionAffinityConfig"], {"clientIP": {"timeoutSeconds": 10800}})


class StatusTests(Base):
    def test_status_only_through_the_subresource(self):
        created = self.mk(self.p + "/services", dict(svc("lb", type="LoadBalancer"), status={
            "loadBalancer": {"ingress": [{"ip": "203.0.113.1"}]}}))
        # Accepted on create as a documented test convenience.
        self.assertEqual(created["status"]["loadBalancer"]["ingress"][0]["ip"], "203.0.113.1")
        body = self.c.ok("GET", self.p + "/services/lb")
        body["status"] = {"loadBalancer": {"ingress": [{"ip": "203.0.113.9"}]}}
        body["spec"]["sessionAffinity"] = "ClientIP"
        main = self.c.ok("PUT", self.p + "/services/lb", body)
        self.assertEqual(main["status"]["loadBalancer"]["ingress"][0]["ip"], "203.0.113.1")
        self.assertEqual(main["spec"]["sessionAffinity"], "ClientIP")
        body = dict(main, status={"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}})
        body["spec"] = dict(body["spec"], sessionAffinity="None")
        st = self.c.ok("PUT", self.p + "/services/lb/status", body)
        self.assertEqual(st["status"]["loadBalancer"]["ingress"][0]["ip"], "203.0.113.10")
        self.assertEqual(st["spec"]["sessionAffinity"], "ClientIP")  # spec ignored on /status
        patched = self.c.ok("PATCH", self.p + "/services/lb/status",
                            {"status": {"loadBalancer": {"ingress": [{"hostname": "lb.example"}]}}},
                            headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(patched["status"]["loadBalancer"]["ingress"], [{"hostname": "lb.example"}])
        again = self.c.ok("PATCH", self.p + "/services/lb", {"status": {"loadBalancer": {}}},
                          headers={"Content-Type": "application/merge-patch+json"})
        self.assertEqual(again["status"], patched["status"])  # main PATCH keeps status

    def test_pod_and_node_status(self):
        p = self.mk(self.p + "/pods", pod("p", phase="Running", ip="10.244.1.5"))
        self.assertEqual(p["status"]["podIP"], "10.244.1.5")
        q = self.mk(self.p + "/pods", pod("q"))
        self.assertEqual(q["status"], {"phase": "Pending"})
        self.assertEqual(q["spec"]["restartPolicy"], "Always")
        q["spec"]["nodeName"] = "elsewhere"
        st, err = self.c.req("PUT", self.p + "/pods/q", q)
        self.assertStatus(st, err, 422, "Invalid")
        name = f"{self.ns}-node"
        self.mk("/api/v1/nodes", {"metadata": {"name": name},
                                  "spec": {"podCIDR": "10.244.9.0/24"}})
        n = self.c.ok("PATCH", f"/api/v1/nodes/{name}/status", {"status": {"addresses": [
            {"type": "InternalIP", "address": "192.0.2.11"}]}},
            headers={"Content-Type": "application/strategic-merge-patch+json"})
        self.assertEqual(n["spec"]["podCIDRs"], ["10.244.9.0/24"])
        n = self.c.ok("PATCH", f"/api/v1/nodes/{name}/status", {"status": {"addresses": [
            {"type": "Hostname", "address": name}]}},
            headers={"Content-Type": "application/strategic-merge-patch+json"})
        self.assertEqual([a["type"] for a in n["status"]["addresses"]], ["InternalIP", "Hostname"])
        st, err = self.c.req("PATCH", f"/api/v1/nodes/{name}", {"spec": {"podCIDR": "10.1.0.0/24"}},
                             headers={"Content-Type": "application/merge-patch+json"})
        self.assertStatus(st, err, 422, "Invalid")


class PatchTests(Base):
    MERGE = {"Content-Type": "application/merge-patch+json"}
    JSONP = {"Content-Type": "application/json-patch+json"}
    SMP = {"Content-Type": "application/strategic-merge-patch+json"}

    def setUp(self):
        super().setUp()
        self.mk(self.p + "/services", svc("web", type="NodePort", selector={"app": "web"}, ports=[
            {"name": "http", "port": 80}, {"name": "dns", "port": 53, "protocol": "UDP"}]))
        self.url = self.p + "/services/web"

    def test_merge_patch(self):
        out = self.c.ok("PATCH", self.url, {"metadata": {"labels": {"a": "1", "b": "2"}}},
                        headers=self.MERGE)
        self.assertEqual(out["metadata"]["labels"], {"a": "1", "b": "2"})
        out = self.c.ok("PATCH", self.url, {"metadata": {"labels": {"a": None}},
                                            "spec": {"ports": [{"port": 81}]}}, headers=self.MERGE)
        self.assertEqual(out["metadata"]["labels"], {"b": "2"})
        self.assertEqual([p["port"] for p in out["spec"]["ports"]], [81])  # lists replaced

    def test_json_patch(self):
        out = self.c.ok("PATCH", self.url, [
            {"op": "replace", "path": "/spec/type", "value": "LoadBalancer"},
            {"op": "add", "path": "/metadata/labels", "value": {"x": "y"}},
            {"op": "add", "path": "/metadata/labels/k~1v", "value": "z"},
            {"op": "test", "path": "/spec/selector/app", "value": "web"},
            {"op": "remove", "path": "/spec/selector"}], headers=self.JSONP)
        self.assertEqual(out["spec"]["type"], "LoadBalancer")
        self.assertEqual(out["metadata"]["labels"], {"x": "y", "k/v": "z"})
        self.assertNotIn("selector", out["spec"])
        st, err = self.c.req("PATCH", self.url, [{"op": "test", "path": "/spec/type",
                                                  "value": "NodePort"}], headers=self.JSONP)
        self.assertStatus(st, err, 422, "Invalid")
        st, err = self.c.req("PATCH", self.url, [{"op": "remove", "path": "/nope/x"}],
                             headers=self.JSONP)
        self.assertEqual(st, 422)

    def test_strategic_merge_patch_ports_by_key(self):
        before = self.c.ok("GET", self.url)
        nps = {p["port"]: p["nodePort"] for p in before["spec"]["ports"]}
        out = self.c.ok("PATCH", self.url, {"spec": {
            "$setElementOrder/ports": [{"port": 53}, {"port": 80}, {"port": 443}],
            "ports": [{"port": 80, "targetPort": 9090}, {"name": "https", "port": 443}],
            "externalTrafficPolicy": None}}, headers=self.SMP)
        ports = out["spec"]["ports"]
        self.assertEqual([p["port"] for p in ports], [53, 80, 443])
        self.assertEqual(ports[1]["targetPort"], 9090)
        self.assertEqual(ports[1]["name"], "http")  # merged, not replaced
        self.assertEqual(ports[1]["nodePort"], nps[80])
        self.assertEqual(out["spec"]["externalTrafficPolicy"], "Cluster")  # null then defaulted
        out = self.c.ok("PATCH", self.url, {"spec": {"ports": [
            {"port": 443, "$patch": "delete"}]}}, headers=self.SMP)
        self.assertEqual([p["port"] for p in out["spec"]["ports"]], [53, 80])

    def test_strategic_merge_patch_atomic_lists(self):
        url = f"/apis/discovery.k8s.io/v1/namespaces/{self.ns}/endpointslices"
        self.mk(url, {"metadata": {"name": "s"}, "addressType": "IPv4", "endpoints": [
            {"addresses": ["10.0.0.1"]}, {"addresses": ["10.0.0.2"]}], "ports": [{"port": 80}]})
        out = self.c.ok("PATCH", url + "/s", {"endpoints": [{"addresses": ["10.0.0.3"]}]},
                        headers=self.SMP)
        self.assertEqual(out["endpoints"], [{"addresses": ["10.0.0.3"]}])
        self.assertEqual(out["metadata"]["generation"], 2)

    def test_patch_with_stale_resource_version_conflicts(self):
        st, err = self.c.req("PATCH", self.url, {"metadata": {"resourceVersion": "1"}},
                             headers=self.MERGE)
        self.assertStatus(st, err, 409, "Conflict")
        st, err = self.c.req("PATCH", self.p + "/services/none", {}, headers=self.MERGE)
        self.assertStatus(st, err, 404, "NotFound")

    def test_server_side_apply_creates_then_updates(self):
        apply = {"Content-Type": "application/apply-patch+yaml"}
        url = self.p + "/services/ssa?fieldManager=kubectl&force=false"
        st, obj = self.c.req("PATCH", url, svc("ssa", ports=[{"port": 8080}]), headers=apply)
        self.assertEqual(st, 201, obj)
        body = svc("ssa", ports=[{"port": 8080}])
        body["metadata"]["labels"] = {"applied": "yes"}
        st, obj = self.c.req("PATCH", url, body, headers=apply)
        self.assertEqual(st, 200, obj)
        self.assertEqual(obj["metadata"]["labels"], {"applied": "yes"})


# ---------------------------------------------------------------------------
# LIST: selectors, pagination, resourceVersion semantics, tables, gzip
# ---------------------------------------------------------------------------


def names(lst):
    return sorted(o["metadata"]["name"] for o in lst["items"])


class ListTests(Base):
    def setUp(self):
        super().setUp()
        for name, labels, node, phase, ip in (
                ("a", {"app": "web", "tier": "front"}, "node-a", "Running", "10.244.1.5"),
                ("b", {"app": "web"}, "node-b", "Running", "10.244.2.5"),
                ("c", {"app": "db"}, "node-a", "Pending", ""),
                ("d", {}, "node-b", "Succeeded", "")):
            self.mk(self.p + "/pods", pod(name, node, labels, phase, ip))

    def sel(self, query):
        return names(self.c.ok("GET", self.p + "/pods?" + query))

    def test_label_selectors(self):
        q = urllib_quote
        self.assertEqual(self.sel("labelSelector=" + q("app=web")), ["a", "b"])
        self.assertEqual(self.sel("labelSelector=" + q("app==web,tier")), ["a"])
        self.assertEqual(self.sel("labelSelector=" + q("app!=web")), ["c", "d"])
        self.assertEqual(self.sel("labelSelector=" + q("!app")), ["d"])
        self.assertEqual(self.sel("labelSelector=" + q("app in (db, web)")), ["a", "b", "c"])
        self.assertEqual(self.sel("labelSelector=" + q("app notin (web),tier!=x")), ["c", "d"])
        st, err = self.c.req("GET", self.p + "/pods?labelSelector=" + q("app in (web"))
        self.assertStatus(st, err, 400, "BadRequest")

    def test_field_selectors(self):
        q = urllib_quote
        self.assertEqual(self.sel("fieldSelector=" + q("spec.nodeName=node-a")), ["a", "c"])
        self.assertEqual(self.sel("fieldSelector=" + q("status.phase!=Running")), ["c", "d"])
        self.assertEqual(self.sel("fieldSelector=" + q("status.podIP=10.244.2.5")), ["b"])
        self.assertEqual(self.sel("fieldSelector=" + q("metadata.name=c,spec.nodeName==node-a")),
                         ["c"])
        everywhere = self.c.ok("GET", "/api/v1/pods?fieldSelector=" + q(
            f"metadata.namespace={self.ns},spec.nodeName=node-b") + "&labelSelector=app")
        self.assertEqual(names(everywhere), ["b"])
        st, err = self.c.req("GET", self.p + "/pods?fieldSelector=spec.foo%3Dx")
        self.assertStatus(st, err, 400, "BadRequest")
        self.assertEqual(err["message"], "field label not supported: spec.foo")
        st, err = self.c.req("GET", "/apis/networking.k8s.io/v1/networkpolicies?fieldSelector=foo.bar%3Dbaz")
        self.assertStatus(st, err, 400, "BadRequest")
        self.assertEqual(err["message"], '"foo.bar" is not a known field selector: only '
                                         '"metadata.name", "metadata.namespace"')

    def test_node_unschedulable_field(self):
        base = f"{self.ns}-n"
        self.mk("/api/v1/nodes", {"metadata": {"name": base + "1"}, "spec": {"unschedulable": True}})
        self.mk("/api/v1/nodes", {"metadata": {"name": base + "2"}})
        lst = self.c.ok("GET", "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue")
        self.assertIn(base + "1", names(lst))
        self.assertNotIn(base + "2", names(lst))

    def test_pagination_is_consistent_at_the_list_rv(self):
        first = self.c.ok("GET", self.p + "/pods?limit=2")
        self.assertEqual(names(first), ["a", "b"])
        cont = first["metadata"]["continue"]
        self.assertEqual(first["metadata"]["remainingItemCount"], 2)
        self.c.ok("DELETE", self.p + "/pods/d")  # after the snapshot: still on page 2
        self.mk(self.p + "/pods", pod("e"))  # after the snapshot: not listed
        second = self.c.ok("GET", self.p + "/pods?limit=2&continue=" + cont)
        self.assertEqual(names(second), ["c", "d"])
        self.assertEqual(second["metadata"]["resourceVersion"], first["metadata"]["resourceVersion"])
        self.assertNotIn("continue", second["metadata"])
        # resourceVersion=0 is served from the "cache": limit ignored.
        self.assertEqual(len(self.c.ok("GET", self.p + "/pods?limit=1&resourceVersion=0")["items"]), 4)
        st, err = self.c.req("GET", self.p + "/pods?continue=" + cont + "&resourceVersion=5")
        self.assertStatus(st, err, 400, "BadRequest")
        st, err = self.c.req("GET", self.p + "/pods?continue=garbage!")
        self.assertStatus(st, err, 400, "BadRequest")

    def test_expired_continue_is_410(self):
        first = self.c.ok("GET", self.p + "/pods?limit=1")
        self.mk(self.p + "/pods", pod("z"))
        self.c.control("POST", "compact", {})
        st, err = self.c.req("GET", self.p + "/pods?limit=1&continue=" + first["metadata"]["continue"])
        self.assertStatus(st, err, 410, "Expired")
        self.assertIn("continue parameter is too old", err["message"])

    def test_resource_version_semantics(self):
        rv = int(self.c.ok("GET", self.p + "/pods")["metadata"]["resourceVersion"])
        self.c.ok("DELETE", self.p + "/pods/a")
        old = self.c.ok("GET", f"{self.p}/pods?resourceVersion={rv}&resourceVersionMatch=Exact")
        self.assertEqual(names(old), ["a", "b", "c", "d"])
        self.assertEqual(old["metadata"]["resourceVersion"], str(rv))
        now = self.c.ok("GET", f"{self.p}/pods?resourceVersion={rv}")  # not older than rv
        self.assertEqual(names(now), ["b", "c", "d"])
        st, err = self.c.req("GET", f"{self.p}/pods?resourceVersion={rv + 10 ** 6}")
        self.assertStatus(st, err, 504, "Timeout")
        self.assertEqual(err["details"]["causes"][0]["reason"], "ResourceVersionTooLarge")
        self.assertIn("Too large resource version", err["message"])
        st, err = self.c.req("GET", f"{self.p}/pods?resourceVersionMatch=Exact")
        self.assertStatus(st, err, 400, "BadRequest")
        self.c.control("POST", "compact", {})
        st, err = self.c.req("GET", f"{self.p}/pods?resourceVersion={rv}&resourceVersionMatch=Exact")
        self.assertStatus(st, err, 410, "Expired")

    def test_table_output(self):
        self.mk(self.p + "/services", svc("web", type="NodePort", selector={"app": "web"}, ports=[
            {"name": "http", "port": 80, "nodePort": 30080},
            {"name": "dns", "port": 53, "protocol": "UDP", "nodePort": 30053}]))
        t = self.c.ok("GET", self.p + "/services", headers={"Accept": TABLE_ACCEPT})
        self.assertEqual((t["kind"], t["apiVersion"]), ("Table", "meta.k8s.io/v1"))
        self.assertEqual([c["name"] for c in t["columnDefinitions"]],
                         ["Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector"])
        cells = t["rows"][0]["cells"]
        self.assertEqual(cells[:2], ["web", "NodePort"])
        self.assertEqual(cells[3:5], ["<none>", "80:30080/TCP,53:30053/UDP"])
        self.assertEqual(cells[6], "app=web")
        self.assertEqual(t["rows"][0]["object"]["kind"], "PartialObjectMetadata")
        self.assertEqual(t["rows"][0]["object"]["metadata"]["namespace"], self.ns)
        self.assertTrue(t["metadata"]["resourceVersion"])
        one = self.c.ok("GET", self.p + "/pods/a", headers={"Accept": TABLE_ACCEPT})
        self.assertEqual([c["name"] for c in one["columnDefinitions"]], ["Name", "Age"])
        self.assertEqual(one["rows"][0]["cells"][0], "a")

    def test_gzip_for_big_lists_only_when_accepted(self):
        big = "x" * 60000
        for i in range(3):
            obj = pod(f"big{i}")
            obj["metadata"]["annotations"] = {"filler": big}
            self.mk(self.p + "/pods", obj)
        st, h, body = self.c.raw("GET", self.p + "/pods", headers={"Accept-Encoding": "gzip"})
        self.assertEqual((st, h["Content-Encoding"]), (200, "gzip"))
        self.assertEqual(len(json.loads(gzip.decompress(body))["items"]), 7)
        st, h, body = self.c.raw("GET", self.p + "/pods")
        self.assertIsNone(h["Content-Encoding"])
        self.assertEqual(len(json.loads(body)["items"]), 7)
        st, h, body = self.c.raw("GET", self.p + "/pods/a", headers={"Accept-Encoding": "gzip"})
        self.assertIsNone(h["Content-Encoding"])  # small: plain


def urllib_quote(s):
    import urllib.parse
    return urllib.parse.quote(s, safe="")


# ---------------------------------------------------------------------------
# WATCH
# ---------------------------------------------------------------------------


class WatchTests(Base):
    def test_unset_and_zero_rv_start_with_synthetic_added(self):
        self.mk(self.p + "/services", svc("a"))
        self.mk(self.p + "/services", svc("b"))
        for rv in ("", "&resourceVersion=0"):
            w = self.c.watch(self.p + "/services?watch=true" + rv)
            self.assertEqual(w.status, 200)
            self.assertEqual(w.headers["transfer-encoding"], "chunked")
            evs = w.take(2)
            self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                             [("ADDED", "a"), ("ADDED", "b")])
            self.assertEqual(evs[0]["object"]["kind"], "Service")
            w.close()

    def test_events_after_rv_and_delete_carries_new_rv(self):
        obj = self.mk(self.p + "/services", svc("a"))
        start = obj["metadata"]["resourceVersion"]
        w = self.c.watch(f"{self.p}/services?watch=1&resourceVersion={start}")
        self.c.ok("PATCH", self.p + "/services/a", {"metadata": {"labels": {"x": "1"}}},
                  headers={"Content-Type": "application/merge-patch+json"})
        self.mk(self.p + "/services", svc("b"))
        gone = self.c.ok("DELETE", self.p + "/services/a")
        evs = w.take(3)
        self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                         [("MODIFIED", "a"), ("ADDED", "b"), ("DELETED", "a")])
        self.assertEqual(evs[0]["object"]["metadata"]["labels"], {"x": "1"})
        self.assertEqual(evs[2]["object"]["metadata"]["resourceVersion"],
                         gone["metadata"]["resourceVersion"])
        rvs = [int(e["object"]["metadata"]["resourceVersion"]) for e in evs]
        self.assertEqual(rvs, sorted(rvs))
        w.close()

    def test_replay_from_history_after_reconnect(self):
        start = self.rv()
        self.mk(self.p + "/services", svc("a"))
        self.mk(self.p + "/services", svc("b"))
        w = self.c.watch(f"{self.p}/services?watch=1&resourceVersion={start}")
        self.assertEqual([e["object"]["metadata"]["name"] for e in w.take(2)], ["a", "b"])
        w.close()

    def test_too_old_rv_gets_410_error_event(self):
        start = self.rv()
        self.mk(self.p + "/services", svc("a"))
        self.c.control("POST", "compact", {})
        w = self.c.watch(f"{self.p}/services?watch=1&resourceVersion={start}")
        self.assertEqual(w.status, 200)
        ev = w.next()
        self.assertEqual(ev["type"], "ERROR")
        st = ev["object"]
        self.assertEqual((st["kind"], st["code"], st["reason"]), ("Status", 410, "Expired"))
        self.assertRegex(st["message"], r"^too old resource version: \d+ \(\d+\)$")
        self.assertIsNone(w.next())  # then the stream ends cleanly
        w.close()

    def test_too_large_rv_is_504(self):
        st, err = self.c.req("GET", f"{self.p}/services?watch=1&resourceVersion={self.rv() + 999}")
        self.assertStatus(st, err, 504, "Timeout")
        self.assertEqual(err["details"]["causes"][0]["reason"], "ResourceVersionTooLarge")

    def test_timeout_seconds_ends_cleanly(self):
        w = self.c.watch(f"{self.p}/services?watch=1&resourceVersion={self.rv()}&timeoutSeconds=1")
        self.assertIsNone(w.next())  # b"" after the terminating chunk, no IncompleteRead
        w.close()

    def test_bookmarks_only_when_asked(self):
        rv = self.rv()
        w = self.c.watch(f"{self.p}/pods?watch=1&resourceVersion={rv}&allowWatchBookmarks=true")
        ev = w.next()
        self.assertEqual(ev["type"], "BOOKMARK")
        self.assertEqual((ev["object"]["kind"], ev["object"]["apiVersion"]), ("Pod", "v1"))
        self.assertGreaterEqual(int(ev["object"]["metadata"]["resourceVersion"]), rv)
        self.mk(self.p + "/pods", pod("p"))
        evs = [w.next() for _ in range(3)]
        types = [e["type"] for e in evs]
        self.assertIn("ADDED", types)
        added = types.index("ADDED")
        later = [e for e in evs[added + 1:] if e["type"] == "BOOKMARK"]
        for b in later:  # a bookmark never goes behind an event already sent
            self.assertGreaterEqual(int(b["object"]["metadata"]["resourceVersion"]),
                                    int(evs[added]["object"]["metadata"]["resourceVersion"]))
        w.close()
        w = self.c.watch(f"{self.p}/pods?watch=1&resourceVersion={self.rv()}&timeoutSeconds=1")
        self.assertIsNone(w.next())  # no bookmark in a second of silence
        w.close()

    def test_selector_transitions_are_deleted_and_added(self):
        self.mk(self.p + "/pods", pod("p", labels={"app": "a"}))
        w = self.c.watch(f"{self.p}/pods?watch=1&labelSelector=app%3Da")
        self.assertEqual(w.take(1)[0]["type"], "ADDED")
        merge = {"Content-Type": "application/merge-patch+json"}
        self.c.ok("PATCH", self.p + "/pods/p", {"metadata": {"labels": {"app": "b"}}}, headers=merge)
        self.c.ok("PATCH", self.p + "/pods/p", {"metadata": {"labels": {"x": "y"}}}, headers=merge)
        self.c.ok("PATCH", self.p + "/pods/p", {"metadata": {"labels": {"app": "a"}}}, headers=merge)
        evs = w.take(2)
        self.assertEqual([e["type"] for e in evs], ["DELETED", "ADDED"])
        self.assertEqual(evs[0]["object"]["metadata"]["labels"], {"app": "a"})  # last matching state
        self.assertEqual(evs[1]["object"]["metadata"]["labels"], {"app": "a", "x": "y"})
        w.close()
        w = self.c.watch(f"/api/v1/pods?watch=1&resourceVersion={self.rv()}&fieldSelector="
                         + urllib_quote(f"metadata.namespace={self.ns},status.phase=Running"))
        self.c.ok("PUT", self.p + "/pods/p/status", {"status": {"phase": "Running"}})
        ev = w.take(1)[0]
        self.assertEqual((ev["type"], ev["object"]["status"]["phase"]), ("ADDED", "Running"))
        w.close()

    def test_namespace_scoped_watch(self):
        other = f"{self.ns}-o"
        self.mk("/api/v1/namespaces", {"metadata": {"name": other}})
        w = self.c.watch(f"{self.p}/services?watch=1&resourceVersion={self.rv()}")
        self.mk(f"/api/v1/namespaces/{other}/services", svc("elsewhere"))
        self.mk(self.p + "/services", svc("here"))
        self.assertEqual(w.take(1)[0]["object"]["metadata"]["name"], "here")
        w.close()

    def test_table_watch(self):
        self.mk(self.p + "/services", svc("web"))
        w = self.c.watch(f"{self.p}/services?watch=1&resourceVersion=0",
                         headers={"Accept": TABLE_ACCEPT})
        ev = w.take(1)[0]
        self.assertEqual((ev["type"], ev["object"]["kind"]), ("ADDED", "Table"))
        self.assertEqual(ev["object"]["rows"][0]["cells"][0], "web")
        w.close()

    def test_send_initial_events_ends_with_annotated_bookmark(self):
        self.mk(self.p + "/services", svc("web"))
        w = self.c.watch(f"{self.p}/services?watch=1&sendInitialEvents=true&allowWatchBookmarks=1"
                         "&resourceVersionMatch=NotOlderThan")
        self.assertEqual(w.next()["type"], "ADDED")
        bm = w.next()
        self.assertEqual(bm["type"], "BOOKMARK")
        self.assertEqual(bm["object"]["metadata"]["annotations"],
                         {"k8s.io/initial-events-end": "true"})
        w.close()
        st, err = self.c.req("GET", f"{self.p}/services?watch=1&sendInitialEvents=true")
        self.assertStatus(st, err, 422, "Invalid")

    def test_watch_counts_in_state(self):
        self.c.control("POST", "reset-counters")
        self.c.ok("GET", "/api/v1/services")
        self.c.ok("GET", "/api/v1/services")
        w = self.c.watch(f"/api/v1/services?watch=1&resourceVersion={self.rv()}")
        st = self.c.control("GET", "state")
        self.assertEqual(st["counts"]["list"]["services"], 2)
        self.assertEqual(st["counts"]["watch"]["services"], 1)
        self.assertNotIn("namespaces", st["counts"]["list"])  # the control API is not counted
        self.assertGreaterEqual(st["watches"]["services"], 1)
        self.assertEqual(st["codes"]["200"], 3)  # a watch is logged when it starts
        w.close()
        reqs = self.c.control("GET", "requests")["requests"]
        self.assertEqual([r["verb"] for r in reqs], ["list", "list", "watch"])
        self.assertIn("watch=1", reqs[2]["path"])


class HistoryBoundTests(unittest.TestCase):
    """--history N: a watch from before the last N events is told 410."""

    def test_bounded_history(self):
        s = Server("--history", "3")
        try:
            c = Client(s)
            start = c.rv()
            for i in range(5):
                c.ok("POST", "/api/v1/nodes", {"metadata": {"name": f"n{i}"}})
            w = c.watch(f"/api/v1/nodes?watch=1&resourceVersion={start}")
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 410))
            w.close()
            w = c.watch(f"/api/v1/nodes?watch=1&resourceVersion={start + 2}")
            self.assertEqual([e["object"]["metadata"]["name"] for e in w.take(3)],
                             ["n2", "n3", "n4"])
            w.close()
        finally:
            self.assertEqual(s.stop(), 0)


class ConfigTests(unittest.TestCase):
    """Service CIDRs (single and dual stack) and the node port range."""

    def test_configured_ranges(self):
        s = Server("--service-cidr", "10.100.0.0/29,fd00:100::/120",
                   "--node-port-range", "31000-31001")
        try:
            c = Client(s)
            p = "/api/v1/namespaces/default/services"
            a = c.ok("POST", p, svc("a", type="NodePort"))["spec"]
            self.assertEqual(a["clusterIP"], "10.100.0.2")
            self.assertEqual(a["ports"][0]["nodePort"], 31000)
            b = c.ok("POST", p, svc("b", type="NodePort", ipFamilyPolicy="PreferDualStack"))["spec"]
            self.assertEqual(b["clusterIPs"], ["10.100.0.3", "fd00:100::2"])
            self.assertEqual(b["ipFamilies"], ["IPv4", "IPv6"])
            st, err = c.req("POST", p, svc("c", type="NodePort"))
            self.assertEqual(st, 422, err)  # node ports exhausted
            six = c.ok("POST", p, svc("d", ipFamilies=["IPv6"]))["spec"]
            self.assertEqual(six["clusterIP"], "fd00:100::3")
            for i in range(4, 7):
                c.ok("POST", p, svc(f"e{i}"))
            st, err = c.req("POST", p, svc("full"))  # .0/.1 and broadcast never handed out
            self.assertEqual(st, 422, err)
        finally:
            self.assertEqual(s.stop(), 0)

    def test_plain_port_serves_without_auth(self):
        s = Server("--plain-port", "0")
        try:
            with open(os.path.join(s.dir, "plain-port")) as f:
                port = int(f.read())
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            c.request("GET", "/api/v1/namespaces/default")
            r = c.getresponse()
            self.assertEqual((r.status, json.loads(r.read())["kind"]), (200, "Namespace"))
            c.close()
        finally:
            self.assertEqual(s.stop(), 0)


# ---------------------------------------------------------------------------
# Faults (K8S-API.md §9, F1-F12)
# ---------------------------------------------------------------------------


class FaultTests(Base):
    def arm(self, **spec):
        return self.c.control("POST", "faults", spec)["armed"][0]

    def watch_path(self, res="services", extra=""):
        return f"{self.p}/{res}?watch=1&resourceVersion={self.rv()}{extra}"

    def test_f1_drop_active_watches(self):
        w = self.c.watch(self.watch_path())
        self.mk(self.p + "/services", svc("a"))
        self.assertEqual(w.take(1)[0]["type"], "ADDED")
        out = self.c.control("POST", "watches/drop", {"resource": "services"})
        self.assertGreaterEqual(out["watches"], 1)
        with self.assertRaises(EOFError):
            w.next()  # no terminating chunk
        w.close()

    def test_f1_drop_mid_event(self):
        self.mk(self.p + "/services", svc("a"))
        r = RawStream(self.c, self.watch_path())
        self.c.control("POST", "watches/drop", {"resource": "services", "mid_event": True})
        half = r.chunk()
        self.assertTrue(half.startswith(b'{"type":"MODIFIED"'))
        self.assertFalse(half.endswith(b"\n"))
        with self.assertRaises(json.JSONDecodeError):
            json.loads(half)
        with self.assertRaises(EOFError):
            r.chunk()
        r.close()

    def test_f1_drop_with_reset(self):
        w = self.c.watch(self.watch_path())
        self.c.control("POST", "watches/drop", {"resource": "services", "rst": True})
        # Python's ssl reports a reset as EOF; the kernel keeps the truth.
        for _ in range(100):
            err = w.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if err:
                break
            time.sleep(0.02)
        self.assertEqual(err, errno.ECONNRESET)
        w.close()

    def test_f1_armed_drop_after_initial_events(self):
        self.mk(self.p + "/services", svc("a"))
        self.arm(type="watch", action="drop", verb="watch", resource="services")
        w = self.c.watch(f"{self.p}/services?watch=1")
        self.assertEqual(w.next()["type"], "ADDED")
        with self.assertRaises(EOFError):
            w.next()
        w.close()

    def test_f2_clean_end_and_short_timeout(self):
        w = self.c.watch(self.watch_path())
        self.c.control("POST", "watches/end", {"resource": "services"})
        self.assertIsNone(w.next())
        w.close()
        self.arm(type="timeout", seconds=0.3, verb="watch", count=-1)
        w = self.c.watch(self.watch_path(extra="&timeoutSeconds=600"))
        self.assertIsNone(w.next())
        w.close()

    def test_f3_forced_410_error_event_for_next_n_watches(self):
        self.arm(type="watch", action="expired", count=2, resource="pods")
        for _ in range(2):
            w = self.c.watch(self.watch_path("pods"))
            ev = w.next()
            self.assertEqual((ev["type"], ev["object"]["code"], ev["object"]["reason"]),
                             ("ERROR", 410, "Expired"))
            self.assertIsNone(w.next())
            w.close()
        w = self.c.watch(self.watch_path("pods", "&timeoutSeconds=1"))
        self.assertIsNone(w.next())  # the third is normal
        w.close()

    def test_f3_http_410_on_list_and_watch(self):
        self.arm(type="status", code=410, verb=["list", "watch"], count=2)
        st, err = self.c.req("GET", self.p + "/pods")
        self.assertStatus(st, err, 410, "Expired")
        st, err = self.c.req("GET", self.watch_path("pods"))
        self.assertStatus(st, err, 410, "Expired")
        self.assertEqual(self.c.req("GET", self.p + "/pods")[0], 200)

    def test_f7_429_with_retry_after_only_for_lists(self):
        self.arm(type="status", code=429, retry_after=2, verb="list", count=2)
        w = self.c.watch(self.watch_path(extra="&timeoutSeconds=1"))
        self.assertEqual(w.status, 200)  # watches unaffected
        w.close()
        for _ in range(2):
            st, h, body = self.c.raw("GET", self.p + "/services")
            err = json.loads(body)
            self.assertStatus(st, err, 429, "TooManyRequests")
            self.assertEqual(h["Retry-After"], "2")
            self.assertEqual(err["details"]["retryAfterSeconds"], 2)
        self.assertEqual(self.c.req("GET", self.p + "/services")[0], 200)

    def test_f8_5xx_for_next_n(self):
        for code, reason in ((500, "InternalError"), (503, "ServiceUnavailable"), (504, "Timeout")):
            self.arm(type="status", code=code)
            st, err = self.c.req("GET", self.p + "/services")
            self.assertStatus(st, err, code, reason)
        self.assertEqual(self.c.req("GET", self.p + "/services")[0], 200)

    def test_f6_delay_and_trickle(self):
        self.arm(type="delay", seconds=0.4, verb="get")
        t0 = time.monotonic()
        self.c.ok("GET", self.p)
        self.assertGreaterEqual(time.monotonic() - t0, 0.4)  # injected, so a floor
        self.arm(type="trickle", bytes=16, interval=0.01, verb="list")
        st, _, body = self.c.raw("GET", self.p + "/services")
        self.assertEqual((st, json.loads(body)["kind"]), (200, "ServiceList"))
        self.mk(self.p + "/services", svc("a"))
        self.arm(type="trickle", bytes=1, interval=0.001, verb="watch")
        w = self.c.watch(f"{self.p}/services?watch=1")
        self.assertEqual(w.next()["object"]["metadata"]["name"], "a")
        w.close()

    def test_f9_truncated_list_bodies(self):
        self.mk(self.p + "/services", svc("a"))
        self.arm(type="truncate", verb="list")
        st, _, body = self.c.raw("GET", self.p + "/services")
        self.assertEqual(st, 200)
        with self.assertRaises(json.JSONDecodeError):
            json.loads(body)
        self.arm(type="truncate", how="connection", verb="list")
        with self.assertRaises(http.client.IncompleteRead):
            self.c.raw("GET", self.p + "/services")
        self.assertEqual(self.c.req("GET", self.p + "/services")[0], 200)

    def test_f9_garbage_line_and_wrong_type(self):
        self.mk(self.p + "/services", svc("a"))
        self.arm(type="watch", action="garbage", verb="watch")
        w = self.c.watch(f"{self.p}/services?watch=1")
        self.assertEqual(json.loads(w.line())["type"], "ADDED")
        self.assertEqual(w.line(), b"this is not json\n")
        self.c.control("POST", "watches/inject", {"resource": "services", "action": "wrong-type"})
        ev = w.next()
        self.assertEqual(ev["type"], "MODIFIED")
        self.assertEqual(ev["object"]["spec"]["ports"][0]["port"], "80")
        self.c.control("POST", "watches/inject", {"resource": "services", "action": "garbage",
                                                  "line": "[1,2,3]"})
        self.assertEqual(w.next(), [1, 2, 3])
        self.c.control("POST", "watches/inject", {"resource": "services", "action": "wrong-type",
                                                  "path": "spec/ports/7/port"})
        err = w.next()  # a path the object lacks: told in-stream, the stream goes on
        self.assertEqual((err["type"], err["object"]["code"]), ("ERROR", 400))
        self.mk(self.p + "/services", svc("b"))
        self.assertEqual(w.next()["object"]["metadata"]["name"], "b")
        w.close()
        self.arm(type="watch", action="wrong-type", verb="list", path="metadata/name")
        lst = self.c.ok("GET", self.p + "/services")
        self.assertEqual(lst["items"][0]["metadata"]["name"], 12345)

    def test_f10_one_byte_per_chunk(self):
        self.mk(self.p + "/services", svc("a"))
        self.arm(type="framing", mode="byte", verb="watch")
        r = RawStream(self.c, f"{self.p}/services?watch=1")
        data = b""
        while not data.endswith(b"\n"):
            piece = r.chunk()
            self.assertEqual(len(piece), 1)
            data += piece
        self.assertEqual(json.loads(data)["object"]["metadata"]["name"], "a")
        r.close()

    def test_f10_many_events_per_chunk_and_split_chunks(self):
        for n in "abc":
            self.mk(self.p + "/services", svc(n))
        self.arm(type="framing", mode="batch", verb="watch")
        r = RawStream(self.c, f"{self.p}/services?watch=1")
        first = r.chunk()
        self.assertEqual(first.count(b"\n"), 3)
        r.close()
        self.arm(type="framing", mode="split", verb="watch")
        r = RawStream(self.c, f"{self.p}/services?watch=1")
        chunks = [r.chunk() for _ in range(3)]
        self.assertFalse(chunks[0].endswith(b"\n"))
        self.assertIn(b"\n{", chunks[1])  # the end of one event and the start of the next
        data = b"".join(chunks) + r.chunk()
        self.assertEqual([json.loads(x)["object"]["metadata"]["name"]
                          for x in data.splitlines()], ["a", "b", "c"])
        r.close()

    def test_f10_framing_switch_on_active_watch(self):
        r = RawStream(self.c, self.watch_path())
        self.c.control("POST", "watches/framing", {"resource": "services", "mode": "byte"})
        self.mk(self.p + "/services", svc("a"))
        self.assertEqual(r.chunk(), b"{")
        r.close()

    def test_f10_oversized_event(self):
        self.mk(self.p + "/services", svc("a"))
        w = self.c.watch(self.watch_path())
        self.c.control("POST", "watches/inject", {"resource": "services", "action": "oversize",
                                                  "size": 100000})
        line = w.line()
        self.assertGreater(len(line), 64 * 1024)
        self.assertEqual(len(json.loads(line)["object"]["metadata"]["annotations"]
                             ["xcni.test/oversize"]), 100000)
        w.close()

    def test_f10_forced_gzip(self):
        self.arm(type="gzip", verb="list")
        st, h, body = self.c.raw("GET", self.p + "/services", headers={"Accept-Encoding": "gzip"})
        self.assertEqual(h["Content-Encoding"], "gzip")
        self.assertEqual(json.loads(gzip.decompress(body))["kind"], "ServiceList")

    def test_f11_401_and_403_on_one_resource(self):
        self.arm(type="status", code=401)
        st, err = self.c.req("GET", self.p + "/services")
        self.assertStatus(st, err, 401, "Unauthorized")
        self.arm(type="status", code=403, resource="networkpolicies", count=-1)
        st, err = self.c.req("GET", "/apis/networking.k8s.io/v1/networkpolicies")
        self.assertStatus(st, err, 403, "Forbidden")
        self.assertIn('cannot list resource "networkpolicies" in API group "networking.k8s.io" '
                      "at the cluster scope", err["message"])
        st, err = self.c.req("GET", "/apis/networking.k8s.io/v1/networkpolicies")
        self.assertEqual(st, 403)  # until cleared
        self.assertEqual(self.c.req("GET", self.p + "/services")[0], 200)
        self.c.control("DELETE", "faults")
        self.assertEqual(self.c.req("GET", "/apis/networking.k8s.io/v1/networkpolicies")[0], 200)

    def test_f12_scripted_events(self):
        self.mk(self.p + "/services", svc("a"))
        w = self.c.watch(f"{self.p}/services?watch=1")
        self.assertEqual(w.next()["type"], "ADDED")
        self.c.control("POST", "watches/inject", {"resource": "services",
                                                  "action": "duplicate-added"})
        dup = w.next()
        self.assertEqual((dup["type"], dup["object"]["metadata"]["name"]), ("ADDED", "a"))
        self.c.control("POST", "watches/inject", {"resource": "services",
                                                  "action": "deleted-unknown", "name": "ghost"})
        ghost = w.next()
        self.assertEqual((ghost["type"], ghost["object"]["metadata"]["name"]), ("DELETED", "ghost"))
        self.c.control("POST", "watches/inject", {"resource": "services", "action": "bookmark"})
        bm = w.next()
        self.assertEqual(bm["type"], "BOOKMARK")
        self.assertEqual(set(bm["object"]["metadata"]), {"resourceVersion", "creationTimestamp"})
        self.c.control("POST", "watches/inject", {"resource": "services", "events": [
            {"type": "MODIFIED", "object": {"kind": "Service", "metadata": {"name": "z"}}}],
            "raw": "raw line\n"})
        self.assertEqual(w.next()["object"]["metadata"]["name"], "z")
        self.assertEqual(w.line(), b"raw line\n")
        w.close()
        self.assertEqual(self.c.req("GET", self.p + "/services/ghost")[0], 404)  # not stored

    def test_bad_fault_specs_are_rejected(self):
        for spec in ({"type": "nope"}, {"type": "status", "code": 200},
                     {"type": "watch", "action": "dance"}, {"type": "framing", "mode": "x"},
                     {"type": "status", "code": 500, "resource": "widgets"}):
            with self.assertRaises(AssertionError):
                self.c.control("POST", "faults", spec)
        self.assertEqual(self.c.control("GET", "faults")["faults"], [])


class RestartTests(unittest.TestCase):
    """F4/F5 on a server of their own: restarts cut every connection."""

    @classmethod
    def setUpClass(cls):
        cls.s = Server("--too-large-wait", "0.3")
        cls.c = Client(cls.s)

    @classmethod
    def tearDownClass(cls):
        assert cls.s.stop() == 0

    def restart(self, **body):
        self.c.control("POST", "restart", dict({"down": 0.5}, **body))
        time.sleep(0.2)
        with self.assertRaises(ConnectionRefusedError):  # down for a while
            socket.create_connection(("127.0.0.1", self.s.port), timeout=2).close()
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.s.port), timeout=2).close()
                return
            except ConnectionRefusedError:
                time.sleep(0.05)
        self.fail("server did not come back")

    def test_f4_restart_same_storage(self):
        p = "/api/v1/namespaces/default/services"
        a = self.c.ok("POST", p, svc("same-a"))
        rv = a["metadata"]["resourceVersion"]
        w = self.c.watch(f"{p}?watch=1&resourceVersion={rv}")
        self.restart()
        with self.assertRaises((EOFError, ConnectionError, ssl.SSLError)):
            w.next()
        w.close()
        got = self.c.ok("GET", p + "/same-a")
        self.assertEqual(got["metadata"]["uid"], a["metadata"]["uid"])
        self.c.ok("POST", p, svc("same-b"))
        w = self.c.watch(f"{p}?watch=1&resourceVersion={rv}")  # resumes from the old RV
        self.assertEqual(w.take(1)[0]["object"]["metadata"]["name"], "same-b")
        w.close()

    def test_f5_restart_lower_and_higher_rv_space(self):
        p = "/api/v1/namespaces/default/services"
        a = self.c.ok("POST", p, svc("space-a"))
        rv = int(a["metadata"]["resourceVersion"])
        self.restart(rv="lower")
        b = self.c.ok("GET", p + "/space-a")
        self.assertNotEqual(b["metadata"]["uid"], a["metadata"]["uid"])
        self.assertLess(int(b["metadata"]["resourceVersion"]), rv)
        st, err = self.c.req("GET", f"{p}?watch=1&resourceVersion={rv}")
        self.assertEqual((st, err["reason"]), (504, "Timeout"))
        lst = self.c.ok("GET", p)  # a relist with RV unset works
        self.assertIn("space-a", names(lst))
        low = int(lst["metadata"]["resourceVersion"])
        self.restart(rv="higher", down=0.3)
        w = self.c.watch(f"{p}?watch=1&resourceVersion={low}")
        ev = w.next()
        self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 410))
        w.close()
        c = self.c.ok("GET", p + "/space-a")
        self.assertGreater(int(c["metadata"]["resourceVersion"]), low)


class LifecycleTests(unittest.TestCase):
    def test_sigterm_stops_cleanly_with_open_watch(self):
        s = Server()
        c = Client(s)
        w = c.watch("/api/v1/nodes?watch=1")
        self.assertEqual(w.status, 200)
        self.assertEqual(s.stop(), 0)
        w.close()

    def test_state_dir_is_reused(self):
        """Certificates and token survive a restart on the same state dir; the
        kubeconfig follows the new port."""
        s = Server()
        with open(os.path.join(s.dir, "ca.crt")) as f:
            ca = f.read()
        token = s.token
        self.assertEqual(s.stop(keep_dir=True), 0)
        again = Server(state_dir=s.dir)
        try:
            with open(os.path.join(s.dir, "ca.crt")) as f:
                self.assertEqual(f.read(), ca)
            self.assertEqual(again.token, token)
            with open(os.path.join(s.dir, "kubeconfig")) as f:
                self.assertIn(f":{again.port}\"", f.read())
            self.assertEqual(Client(again).req("GET", "/api/v1/namespaces/default")[0], 200)
        finally:
            self.assertEqual(again.stop(), 0)


# ---------------------------------------------------------------------------
# Real kubectl against the server
# ---------------------------------------------------------------------------

SVC_YAML = """apiVersion: v1
kind: Service
metadata:
  name: web
  labels: {app: web}
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
  - {name: dns, port: 53, protocol: UDP}
"""
EPS_YAML = """apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc12
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
endpoints:
- addresses: ["%s"]
  conditions: {ready: true}
  nodeName: node-a
ports:
- {name: http, port: 8080, protocol: TCP}
"""


DS_YAML = """apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: kubectl-reader}
rules:
- {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers:
      - name: agent
        image: %s
        env: [{name: A, value: "1"}]
        volumeMounts: [{name: run, mountPath: /run/x}]
      volumes: [{name: run, hostPath: {path: /run/x}}]
"""


@unittest.skipUnless(os.access(KUBECTL, os.X_OK), f"{KUBECTL} not installed")
class KubectlTests(unittest.TestCase):
    """kubectl 1.33 (and a quick pass of older clients) against the server,
    each with its own discovery cache."""

    @classmethod
    def setUpClass(cls):
        cls.s = SERVER
        cls.c = CLIENT
        cls.tmp = tempfile.mkdtemp(prefix="xcni-kubectl-")
        cls.c.ok("POST", "/api/v1/namespaces", {"metadata": {"name": "kubectl"}})

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def kubectl(self, *args, binary=KUBECTL, kubeconfig="kubeconfig", check=True, stdin=None):
        cmd = [binary, "--kubeconfig", os.path.join(self.s.dir, kubeconfig),
               "--cache-dir", os.path.join(self.tmp, os.path.basename(binary) + kubeconfig),
               "-n", "kubectl", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=30, input=stdin,
                           env=dict(os.environ, HOME=self.tmp))
        if not check:
            return r
        if r.returncode != 0:
            raise AssertionError(f"{' '.join(args)}: exit {r.returncode}: {r.stderr}")
        return r.stdout

    def file(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def get(self, path):
        return self.c.ok("GET", "/api/v1/namespaces/kubectl" + path)

    def test_1_apply_service_and_endpointslice_twice(self):
        f = self.file("svc.yaml", SVC_YAML)
        self.assertIn("service/web created", self.kubectl("apply", "-f", f))
        first = self.get("/services/web")
        self.assertIn("kubectl.kubernetes.io/last-applied-configuration",
                      first["metadata"]["annotations"])
        self.assertIn("unchanged", self.kubectl("apply", "-f", f))
        f = self.file("svc.yaml", SVC_YAML.replace("8080", "9090"))
        self.assertIn("configured", self.kubectl("apply", "-f", f))
        second = self.get("/services/web")
        self.assertEqual(second["spec"]["ports"][0]["targetPort"], 9090)
        self.assertEqual([p["nodePort"] for p in second["spec"]["ports"]],
                         [p["nodePort"] for p in first["spec"]["ports"]])
        self.assertEqual(second["spec"]["ports"][1]["protocol"], "UDP")
        e = self.file("eps.yaml", EPS_YAML % "10.244.1.5")
        self.assertIn("created", self.kubectl("apply", "-f", e))
        e = self.file("eps.yaml", EPS_YAML % "10.244.1.6")
        self.assertIn("configured", self.kubectl("apply", "-f", e))
        eps = self.c.ok("GET", "/apis/discovery.k8s.io/v1/namespaces/kubectl/endpointslices/web-abc12")
        self.assertEqual(eps["endpoints"][0]["addresses"], ["10.244.1.6"])

    def test_2_get_table_and_json(self):
        out = self.kubectl("get", "svc")
        header = out.splitlines()[0].split()
        self.assertEqual(header, ["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"])
        spec = self.get("/services/web")["spec"]
        row = out.splitlines()[1].split()
        self.assertEqual(row[:3], ["web", "NodePort", spec["clusterIP"]])
        self.assertEqual(row[4], "80:%d/TCP,53:%d/UDP" % tuple(p["nodePort"] for p in spec["ports"]))
        obj = json.loads(self.kubectl("get", "svc", "web", "-o", "json"))
        self.assertEqual((obj["kind"], obj["metadata"]["name"]), ("Service", "web"))
        lst = json.loads(self.kubectl("get", "endpointslices", "-o", "json"))
        self.assertEqual([i["metadata"]["name"] for i in lst["items"]], ["web-abc12"])
        wide = self.kubectl("get", "svc", "-o", "wide", "-A")
        self.assertIn("app=web", wide)

    def test_3_label_and_patches(self):
        self.kubectl("label", "svc", "web", "tier=front")
        self.assertEqual(self.get("/services/web")["metadata"]["labels"],
                         {"app": "web", "tier": "front"})
        self.kubectl("patch", "svc", "web", "-p", '{"spec":{"ports":[{"port":80,"targetPort":7070}]}}')
        ports = self.get("/services/web")["spec"]["ports"]
        self.assertEqual([(p["port"], p["targetPort"]) for p in ports], [(80, 7070), (53, 53)])
        self.kubectl("patch", "svc", "web", "--type=merge", "-p",
                     '{"spec":{"sessionAffinity":"ClientIP"}}')
        self.kubectl("patch", "svc", "web", "--type=json", "-p",
                     '[{"op":"replace","path":"/spec/type","value":"LoadBalancer"}]')
        spec = self.get("/services/web")["spec"]
        self.assertEqual((spec["type"], spec["sessionAffinity"]), ("LoadBalancer", "ClientIP"))
        self.kubectl("patch", "endpointslice", "web-abc12", "-p",
                     '{"endpoints":[{"addresses":["10.244.1.7"]}]}')
        eps = self.c.ok("GET", "/apis/discovery.k8s.io/v1/namespaces/kubectl/endpointslices/web-abc12")
        self.assertEqual(eps["endpoints"], [{"addresses": ["10.244.1.7"]}])

    def test_4_replace_and_status(self):
        obj = json.loads(self.kubectl("get", "svc", "web", "-o", "json"))
        obj["spec"]["externalTrafficPolicy"] = "Local"
        self.kubectl("replace", "-f", self.file("web.json", json.dumps(obj)))
        spec = self.get("/services/web")["spec"]
        self.assertEqual(spec["externalTrafficPolicy"], "Local")
        self.assertIn("healthCheckNodePort", spec)
        # The same file again carries a resourceVersion that is now stale.
        r = self.kubectl("replace", "-f", self.file("web.json", json.dumps(obj)), check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("Conflict", r.stderr)
        self.assertIn("the object has been modified", r.stderr)
        st = {"apiVersion": "v1", "kind": "Service",
              "metadata": {"name": "web", "namespace": "kubectl"},
              "status": {"loadBalancer": {"ingress": [{"ip": "203.0.113.10"}]}}}
        self.kubectl("replace", "--raw", "/api/v1/namespaces/kubectl/services/web/status",
                     "-f", self.file("st.json", json.dumps(st)))
        self.assertIn("203.0.113.10", self.kubectl("get", "svc", "web"))

    def test_5_watch_for_a_bounded_time(self):
        cmd = [KUBECTL, "--kubeconfig", os.path.join(self.s.dir, "kubeconfig"),
               "--cache-dir", os.path.join(self.tmp, "watchcache"), "-n", "kubectl",
               "get", "svc", "--watch", "--output-watch-events"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ, HOME=self.tmp))
        lines = []
        try:
            lines.append(proc.stdout.readline())  # header
            lines.append(proc.stdout.readline())  # ADDED web
            self.c.ok("PATCH", "/api/v1/namespaces/kubectl/services/web",
                      {"metadata": {"labels": {"watched": "yes"}}},
                      headers={"Content-Type": "application/merge-patch+json"})
            lines.append(proc.stdout.readline())
        finally:
            proc.terminate()
            proc.wait(10)
            proc.stdout.close()
            proc.stderr.close()
        self.assertEqual(lines[0].split()[:2], ["EVENT", "NAME"])
        self.assertEqual(lines[1].split()[:2], ["ADDED", "web"])
        self.assertEqual(lines[2].split()[:2], ["MODIFIED", "web"])

    def test_5b_apply_daemonset_and_rbac_twice(self):
        f = self.file("ds.yaml", DS_YAML % "agent:1")
        out = self.kubectl("apply", "-f", f)
        for what in ("clusterrole.rbac.authorization.k8s.io/kubectl-reader created",
                     "daemonset.apps/agent created"):
            self.assertIn(what, out)
        self.assertEqual(self.kubectl("apply", "-f", f).count("unchanged"), 2)
        out = self.kubectl("apply", "-f", self.file("ds.yaml", DS_YAML % "agent:2"))
        self.assertIn("daemonset.apps/agent configured", out)
        ds = json.loads(self.kubectl("get", "ds", "agent", "-o", "json"))
        self.assertEqual([c["image"] for c in ds["spec"]["template"]["spec"]["containers"]],
                         ["agent:2"])
        self.assertEqual(ds["metadata"]["generation"], 2)
        self.kubectl("delete", "-f", f)
        st, _ = self.c.req("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/kubectl-reader")
        self.assertEqual(st, 404)

    def test_6_create_ns_and_delete(self):
        self.assertIn("namespace/kubectl-made created", self.kubectl("create", "ns", "kubectl-made"))
        ns = self.c.ok("GET", "/api/v1/namespaces/kubectl-made")
        self.assertEqual(ns["metadata"]["labels"]["kubernetes.io/metadata.name"], "kubectl-made")
        self.assertIn("deleted", self.kubectl("delete", "ns", "kubectl-made"))
        self.assertIn('service "web" deleted', self.kubectl("delete", "svc", "web"))
        self.assertEqual(self.c.req("GET", "/api/v1/namespaces/kubectl/services/web")[0], 404)
        r = self.kubectl("get", "svc", check=False)
        self.assertEqual(r.returncode, 0)
        self.assertIn("No resources found", r.stderr)

    def test_7_client_certificate_kubeconfig(self):
        out = self.kubectl("get", "ns", "default", kubeconfig="kubeconfig-cert")
        self.assertIn("default", out)

    def test_8_retries_on_429_with_retry_after(self):
        before = self.c.control("GET", "state")["counts"].get("list", {}).get("pods", 0)
        self.c.control("POST", "faults", {"type": "status", "code": 429, "retry_after": 1,
                                          "verb": "list", "resource": "pods"})
        r = self.kubectl("get", "pods", check=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("No resources found", r.stderr)
        after = self.c.control("GET", "state")["counts"]["list"]["pods"]
        self.assertEqual(after - before, 2)  # the 429, then the retry

    def test_9_older_clients(self):
        for version in ("1.30", "1.27"):
            binary = os.path.join(KUBECTL_DIR, f"kubectl.{version}")
            if not os.access(binary, os.X_OK):
                continue
            with self.subTest(version=version):
                f = self.file("old.yaml", SVC_YAML.replace("name: web", "name: old"))
                self.assertIn("created", self.kubectl("apply", "-f", f, binary=binary))
                self.kubectl("label", "svc", "old", "v=" + version.replace(".", "-"), binary=binary)
                self.assertIn("old", self.kubectl("get", "svc", binary=binary))
                self.assertIn("deleted", self.kubectl("delete", "-f", f, binary=binary))


# ---------------------------------------------------------------------------
# TAP runner (tests/run-all.sh runs this file with --tap)
# ---------------------------------------------------------------------------


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0
        self.failed_parents = set()

    def name(self, test):
        if isinstance(test, unittest.TestCase):
            return f"apiserver: {type(test).__name__}.{test._testMethodName}"
        return f"apiserver: {test}"  # a module or class fixture

    def emit(self, ok, test, directive="", diag=""):
        self.n += 1
        print(f"{'ok' if ok else 'not ok'} {self.n} - {self.name(test)}{directive}", flush=True)
        for line in diag.splitlines():
            print("# " + line, flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self.emit(True, test)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.emit(False, test, diag=self._exc_info_to_string(err, test))

    def addError(self, test, err):
        super().addError(test, err)
        self.emit(False, test, diag=self._exc_info_to_string(err, test))

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self.emit(True, test, f" # SKIP {reason}")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            return
        diag = f"{subtest}\n" + self._exc_info_to_string(err, test)
        if id(test) in self.failed_parents:
            for line in diag.splitlines():
                print("# " + line, flush=True)
        else:
            self.failed_parents.add(id(test))
            self.emit(False, test, diag=diag)  # the parent gets no other line

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self.emit(True, test, " # TODO expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self.emit(False, test, diag="unexpected success")


def run_tap(names):
    loader = unittest.TestLoader()
    module = sys.modules[__name__]
    suite = (loader.loadTestsFromNames(names, module) if names
             else loader.loadTestsFromModule(module))
    print(f"1..{suite.countTestCases()}", flush=True)
    result = TapResult()
    suite(result)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so atexit still runs
    args = sys.argv[1:]
    if "--tap" in args:
        sys.exit(run_tap([a for a in args if a != "--tap"]))
    unittest.main()
