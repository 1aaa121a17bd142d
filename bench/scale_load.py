#!/usr/bin/env python3
"""Loads N Services and their EndpointSlices into the test API server through
its real API (one POST per object), over one kept-alive TLS connection: a
connection per request would cost a TLS handshake (~13 ms) each.

Service i (0-based) is default/svc-NNNNN, ClusterIP 10.96.0.0 + 2 + i (given
in the request, as a client may: the server's lowest-free search is O(n) per
create), port 80 -> 8080 TCP; its slice holds EPS ready endpoints with
distinct addresses from 10.128.0.0/9. The last service's slice is left out
(--no-last-slice) or holds one endpoint, --last-endpoint (a real backend for
the connect test); --only-last creates just that slice.

Usage: scale_load.py --state-dir DIR --port P --services N --endpoints EPS
                     [--last-endpoint IP] [--no-last-slice | --only-last]
Prints one line: "loaded services=N slices=N endpoints=E seconds=S".
"""
import argparse
import http.client
import ipaddress
import json
import ssl
import sys
import time

SVC_NET = ipaddress.ip_address("10.96.0.0")
EP_NET = ipaddress.ip_address("10.128.0.0")


def cluster_ip(i):
    return str(SVC_NET + 2 + i)


def endpoint_ip(i, j, eps):
    return str(EP_NET + 1 + i * eps + j)


def service(i):
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": f"svc-{i:05d}", "namespace": "default"},
            "spec": {"clusterIP": cluster_ip(i),
                     "ports": [{"name": "http", "port": 80, "targetPort": 8080,
                                "protocol": "TCP"}]}}


def slice_of(i, addrs):
    return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
            "metadata": {"name": f"svc-{i:05d}-1", "namespace": "default",
                         "labels": {"kubernetes.io/service-name": f"svc-{i:05d}"}},
            "addressType": "IPv4",
            "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            "endpoints": [{"addresses": [a], "conditions": {"ready": True}}
                          for a in addrs]}


class Client:
    def __init__(self, state_dir, port):
        ctx = ssl.create_default_context(cafile=f"{state_dir}/ca.crt")
        self.conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx)
        with open(f"{state_dir}/token") as f:
            self.headers = {"Authorization": "Bearer " + f.read().strip(),
                            "Content-Type": "application/json"}

    def request(self, method, path, obj, want):
        self.conn.request(method, path, body=json.dumps(obj), headers=self.headers)
        resp = self.conn.getresponse()
        body = resp.read()
        if resp.status != want:
            sys.exit(f"scale_load: {method} {path} -> {resp.status}: {body[:300]!r}")

    def post(self, path, obj):
        self.request("POST", path, obj, 201)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--services", type=int, required=True)
    ap.add_argument("--endpoints", type=int, required=True)
    ap.add_argument("--last-endpoint")
    ap.add_argument("--no-last-slice", action="store_true")
    ap.add_argument("--only-last", action="store_true")
    a = ap.parse_args()
    if not 1 <= a.services <= 65000 or not 1 <= a.endpoints or \
            a.services * a.endpoints >= 1 << 23:
        sys.exit("scale_load: services in 1..65000, endpoints >= 1, "
                 "services * endpoints < 2^23")
    c = Client(a.state_dir, a.port)
    t0 = time.monotonic()
    n_eps = n_svc = n_slices = 0
    for i in range(0 if a.only_last else a.services):
        c.post("/api/v1/namespaces/default/services", service(i))
        n_svc += 1
    for i in range(a.services - 1 if a.only_last else 0, a.services):
        if i == a.services - 1 and a.no_last_slice:
            break
        if i == a.services - 1 and a.last_endpoint:
            addrs = [a.last_endpoint]
        else:
            addrs = [endpoint_ip(i, j, a.endpoints) for j in range(a.endpoints)]
        n_eps += len(addrs)
        n_slices += 1
        c.post("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices",
               slice_of(i, addrs))
    print(f"loaded services={n_svc} slices={n_slices} endpoints={n_eps} "
          f"seconds={time.monotonic() - t0:.2f}")


if __name__ == "__main__":
    main()
