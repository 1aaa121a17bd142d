#!/usr/bin/env python3
"""kube-proxy's iptables-mode nat rules (as kube-proxy 1.28+ writes them) for
the services bench/scale_load.py loads, in iptables-restore format.

  kube_proxy_rules.py full N EPS [--last-endpoint IP] [--cluster-cidr CIDR]
      the whole nat table: every service's KUBE-SERVICES jump, its KUBE-SVC
      chain (masquerade mark for clients outside the cluster CIDR, then one
      statistic --probability jump per endpoint) and one KUBE-SEP chain per
      endpoint (hairpin mark, DNAT): 2 + 3 * EPS rules per service.
  kube_proxy_rules.py partial N EPS INDEX NEW_IP [...]
      a partial sync (restore --noflush) after service INDEX's first
      endpoint became NEW_IP: kube-proxy >= 1.28 rewrites only the chains
      that changed (that service's KUBE-SVC and the new KUBE-SEP, deletes the
      old one) plus the chains it always writes (KUBE-SERVICES whole,
      KUBE-NODEPORTS, KUBE-POSTROUTING, KUBE-MARK-MASQ).
"""
import argparse
import base64
import hashlib
import sys

from scale_load import cluster_ip, endpoint_ip

MARK = "0x4000/0x4000"


def chain(prefix, text):
    """kube-proxy's chain names: base32 of the SHA-256 of the identity."""
    h = hashlib.sha256(text.encode()).digest()
    return prefix + base64.b32encode(h).decode()[:16]


def svc_name(i):
    return f"default/svc-{i:05d}:http"


def svc_chain(i):
    return chain("KUBE-SVC-", svc_name(i) + "tcp")


def sep_chain(i, ep):
    return chain("KUBE-SEP-", svc_name(i) + "tcp" + ep + ":8080")


def endpoints(i, n, eps, last):
    if i == n - 1 and last:
        return [last]
    return [endpoint_ip(i, j, eps) for j in range(eps)]


def services_rules(n):
    out = []
    for i in range(n):
        out.append(f'-A KUBE-SERVICES -d {cluster_ip(i)}/32 -p tcp -m comment --comment '
                   f'"{svc_name(i)} cluster IP" -m tcp --dport 80 -j {svc_chain(i)}')
    out.append('-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this '
               'must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS')
    return out


def service_chains(i, eps_list, cidr):
    """Declarations and rules of service i's KUBE-SVC and KUBE-SEP chains."""
    decl = [f":{svc_chain(i)} - [0:0]"] + [f":{sep_chain(i, ep)} - [0:0]" for ep in eps_list]
    rules = [f'-A {svc_chain(i)} ! -s {cidr} -d {cluster_ip(i)}/32 -p tcp -m comment --comment '
             f'"{svc_name(i)} cluster IP" -m tcp --dport 80 -j KUBE-MARK-MASQ']
    k = len(eps_list)
    for j, ep in enumerate(eps_list):
        stat = ""
        if j < k - 1:
            stat = f" -m statistic --mode random --probability {1.0 / (k - j):.11f}"
        rules.append(f'-A {svc_chain(i)} -m comment --comment "{svc_name(i)} -> {ep}:8080"'
                     f'{stat} -j {sep_chain(i, ep)}')
    for ep in eps_list:
        rules.append(f'-A {sep_chain(i, ep)} -s {ep}/32 -m comment --comment "{svc_name(i)}" '
                     f'-j KUBE-MARK-MASQ')
        rules.append(f'-A {sep_chain(i, ep)} -p tcp -m comment --comment "{svc_name(i)}" -m tcp '
                     f'-j DNAT --to-destination {ep}:8080')
    return decl, rules


FIXED_DECL = [":KUBE-SERVICES - [0:0]", ":KUBE-NODEPORTS - [0:0]",
              ":KUBE-POSTROUTING - [0:0]", ":KUBE-MARK-MASQ - [0:0]"]
FIXED_RULES = [
    f"-A KUBE-MARK-MASQ -j MARK --set-xmark {MARK}",
    f"-A KUBE-POSTROUTING -m mark ! --mark {MARK} -j RETURN",
    "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" '
    "-j MASQUERADE --random-fully",
]


def full(a):
    decl, rules = list(FIXED_DECL), list(FIXED_RULES)
    for i in range(a.n):
        d, r = service_chains(i, endpoints(i, a.n, a.eps, a.last_endpoint), a.cluster_cidr)
        decl += d
        rules += r
    rules += services_rules(a.n)
    head = ["*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
            ":POSTROUTING ACCEPT [0:0]"]
    hooks = ['-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
             '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
             '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" '
             '-j KUBE-POSTROUTING']
    return head + decl + hooks + rules + ["COMMIT"]


def partial(a):
    old = endpoints(a.index, a.n, a.eps, a.last_endpoint)
    new = [a.new_ip] + old[1:]
    d, r = service_chains(a.index, new, a.cluster_cidr)
    # The stale chain is declared (which flushes it) before it is deleted.
    d.append(f":{sep_chain(a.index, old[0])} - [0:0]")
    return (["*nat"] + FIXED_DECL + d + FIXED_RULES + r + services_rules(a.n) +
            [f"-X {sep_chain(a.index, old[0])}", "COMMIT"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("full", "partial"))
    ap.add_argument("n", type=int)
    ap.add_argument("eps", type=int)
    ap.add_argument("index", type=int, nargs="?")
    ap.add_argument("new_ip", nargs="?")
    ap.add_argument("--last-endpoint")
    ap.add_argument("--cluster-cidr", default="10.244.0.0/16")
    a = ap.parse_args()
    if a.mode == "partial" and (a.index is None or not a.new_ip):
        sys.exit("kube_proxy_rules: partial needs INDEX and NEW_IP")
    lines = full(a) if a.mode == "full" else partial(a)
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
