#!/usr/bin/env python3
"""One-service changes with every service loaded: COUNT merge PATCHes of
service INDEX's EndpointSlice (as bench/scale_load.py made it), each
replacing its first endpoint with a new address, one at a time. For each,
the agent's own event-to-map time (the growth of
xcni_event_to_map_seconds_sum across the change, read from /metrics) and the
wall time from sending the PATCH to /metrics counting the change.

Usage: scale_changes.py --state-dir DIR --port P --metrics-port Q
                        --index I --endpoints EPS --count N
Prints one line per change: "change K event_to_map_us U wall_us W".
"""
import argparse
import http.client
import json
import sys
import time

from scale_load import Client, endpoint_ip


def histogram(conn):
    conn.request("GET", "/metrics")
    resp = conn.getresponse()
    text = resp.read().decode()
    total = count = None
    for line in text.splitlines():
        if line.startswith("xcni_event_to_map_seconds_sum "):
            total = float(line.split()[1])
        elif line.startswith("xcni_event_to_map_seconds_count "):
            count = int(line.split()[1])
    if total is None or count is None:
        sys.exit("scale_changes: no xcni_event_to_map_seconds in /metrics")
    return total, count


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--state-dir", required=True)
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--metrics-port", type=int, required=True)
    ap.add_argument("--index", type=int, required=True)
    ap.add_argument("--endpoints", type=int, required=True)
    ap.add_argument("--count", type=int, required=True)
    a = ap.parse_args()
    api = Client(a.state_dir, a.port)
    api.headers["Content-Type"] = "application/merge-patch+json"
    metrics = http.client.HTTPConnection("127.0.0.1", a.metrics_port)
    path = (f"/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/"
            f"svc-{a.index:05d}-1")
    rest = [endpoint_ip(a.index, j, a.endpoints) for j in range(1, a.endpoints)]
    for k in range(a.count):
        # 10.200.0.0/16: outside every loaded address.
        addrs = [f"10.200.{k // 250}.{k % 250 + 1}"] + rest
        patch = {"endpoints": [{"addresses": [ip], "conditions": {"ready": True}}
                               for ip in addrs]}
        s0, c0 = histogram(metrics)
        t0 = time.monotonic()
        api.request("PATCH", path, patch, 200)
        deadline = t0 + 10
        while True:
            s1, c1 = histogram(metrics)
            if c1 > c0:
                break
            if time.monotonic() > deadline:
                sys.exit(f"scale_changes: change {k} not applied within 10 s")
        wall = time.monotonic() - t0
        if c1 != c0 + 1:
            sys.exit(f"scale_changes: change {k}: {c1 - c0} observations, expected 1")
        print(f"change {k} event_to_map_us {(s1 - s0) * 1e6:.1f} wall_us {wall * 1e6:.0f}",
              flush=True)


if __name__ == "__main__":
    main()
