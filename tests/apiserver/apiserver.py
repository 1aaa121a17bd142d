#!/usr/bin/env python3
"""Test Kubernetes API server: an in-memory stand-in for kube-apiserver that
serves the list/watch/CRUD surface xcni-agent and kubectl use (shared/K8S-API.md),
plus an out-of-band /_test/ control API that injects faults (README.md beside this file).

Python 3.11 standard library only; certificates come from the openssl command.
"""

import argparse
import base64
import copy
import datetime
import gzip
import ipaddress
import json
import os
import random
import re
import secrets
import signal
import socket
import ssl
import struct
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

# ---------------------------------------------------------------------------
# The kinds this server knows (what discovery advertises and routing accepts)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    name: str  # plural, the URL segment
    kind: str
    group: str  # "" for the core group
    version: str
    namespaced: bool
    short_names: tuple
    has_status: bool  # a /status subresource exists
    fields: tuple  # field selectors beyond metadata.name/namespace
    # Core kinds with a registered field label conversion answer a bad field
    # selector with "field label not supported"; the others with the generic
    # "is not a known field selector" message.
    core_field_conversion: bool = False

    @property
    def api_version(self):
        return f"{self.group}/{self.version}" if self.group else self.version


RESOURCES = {
    r.name: r
    for r in (
        Resource("services", "Service", "", "v1", True, ("svc",), True,
                 ("spec.clusterIP", "spec.type"), True),
        Resource("endpoints", "Endpoints", "", "v1", True, ("ep",), False, ()),
        Resource("pods", "Pod", "", "v1", True, ("po",), True,
                 ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                  "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
                  "status.podIP", "status.nominatedNodeName"), True),
        Resource("nodes", "Node", "", "v1", False, ("no",), True,
                 ("spec.unschedulable",), True),
        Resource("namespaces", "Namespace", "", "v1", False, ("ns",), True,
                 ("status.phase",), True),
        Resource("endpointslices", "EndpointSlice", "discovery.k8s.io", "v1",
                 True, (), False, ()),
        Resource("networkpolicies", "NetworkPolicy", "networking.k8s.io", "v1",
                 True, ("netpol",), False, ()),
        # Stored as given, with no kind-specific defaults or validation: what
        # a deployment's manifests (deploy/) create besides the kinds above.
        Resource("configmaps", "ConfigMap", "", "v1", True, ("cm",), False, ()),
        Resource("serviceaccounts", "ServiceAccount", "", "v1", True, ("sa",), False, ()),
        Resource("daemonsets", "DaemonSet", "apps", "v1", True, ("ds",), True, ()),
        Resource("clusterroles", "ClusterRole", "rbac.authorization.k8s.io", "v1",
                 False, (), False, ()),
        Resource("clusterrolebindings", "ClusterRoleBinding", "rbac.authorization.k8s.io",
                 "v1", False, (), False, ()),
    )
}

GROUP_VERSIONS = ("discovery.k8s.io/v1", "networking.k8s.io/v1", "apps/v1",
                  "rbac.authorization.k8s.io/v1")
VERBS = ["create", "delete", "deletecollection", "get", "list", "patch",
         "update", "watch"]
# /version: kubectl's dispatcher picks its client by this minor.
VERSION_INFO = {
    "major": "1", "minor": "33", "gitVersion": "v1.33.0",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean", "buildDate": "2025-04-23T00:00:00Z",
    "goVersion": "go1.24.2", "compiler": "gc", "platform": "linux/amd64",
}
# protobuf openapi_v2.Document{swagger: "2.0"}: no definitions, so kubectl's
# client-side validation passes every kind (K8S-API.md §3.2).
OPENAPI_V2_PB = b"\x0a\x03\x32\x2e\x30"
GZIP_MIN = 128 * 1024
DEFAULT_WATCH_TIMEOUT = (1800, 3600)  # kube-apiserver's random range
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")

# ---------------------------------------------------------------------------
# Errors: every failure leaves as a Status object (K8S-API.md §5.5)
# ---------------------------------------------------------------------------

REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    405: "MethodNotAllowed", 406: "NotAcceptable", 409: "Conflict",
    410: "Expired", 415: "UnsupportedMediaType", 422: "Invalid",
    429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
    504: "Timeout",
}


class ApiError(Exception):
    def __init__(self, code, message, reason=None, details=None,
                 retry_after=None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason if reason is not None else REASONS.get(code, "")
        self.details = details
        self.retry_after = retry_after

    def status(self):
        st = {"kind": "Status", "apiVersion": "v1", "metadata": {},
              "status": "Failure", "message": self.message}
        if self.reason:
            st["reason"] = self.reason
        details = dict(self.details or {})
        if self.retry_after is not None:
            details["retryAfterSeconds"] = self.retry_after
        if details:
            st["details"] = details
        st["code"] = self.code
        return st


def not_found(res, name):
    return ApiError(404, f'{res.name}{group_suffix(res)} "{name}" not found',
                    details={"name": name, "group": res.group, "kind": res.name})


def already_exists(res, name):
    return ApiError(409, f'{res.name}{group_suffix(res)} "{name}" already exists',
                    reason="AlreadyExists",
                    details={"name": name, "group": res.group, "kind": res.name})


def conflict(res, name):
    return ApiError(409, f'Operation cannot be fulfilled on {res.name}'
                    f'{group_suffix(res)} "{name}": the object has been modified; '
                    'please apply your changes to the latest version and try again',
                    details={"name": name, "group": res.group, "kind": res.name})


def too_old(rv, oldest):
    return ApiError(410, f"too old resource version: {rv} ({oldest})",
                    reason="Expired")


def too_large(rv, current):
    return ApiError(504, f"Too large resource version: {rv}, current: {current}",
                    reason="Timeout",
                    details={"causes": [{"reason": "ResourceVersionTooLarge",
                                         "message": "Too large resource version"}]},
                    retry_after=1)


class Invalid(ApiError):
    """422 with one cause per field error, as the real validation reports."""

    def __init__(self, res, name, errors):
        causes = [{"reason": reason, "message": msg, "field": field}
                  for field, reason, msg in errors]
        text = ", ".join(f"{f}: {m}" for f, _, m in errors)
        if len(errors) > 1:
            text = "[" + text + "]"
        super().__init__(422, f'{res.kind}{group_suffix(res)} "{name}" is invalid: {text}',
                         details={"name": name, "group": res.group,
                                  "kind": res.kind, "causes": causes})


def group_suffix(res):
    return "." + res.group if res.group else ""


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def dumps(obj):
    """Compact JSON, as Go's encoder writes it."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def now_rfc3339():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text):
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(
            tzinfo=datetime.timezone.utc).timestamp()
    except (TypeError, ValueError):
        return time.time()


def human_age(created):
    """kubectl's short duration (5s, 3m, 2d), as the Age column shows it."""
    s = max(0, int(time.time() - parse_rfc3339(created)))
    if s < 120:
        return f"{s}s"
    if s < 3600 * 3:
        return f"{s // 60}m"
    if s < 86400 * 2:
        return f"{s // 3600}h"
    return f"{s // 86400}d"


def meta(obj):
    m = obj.get("metadata")
    if not isinstance(m, dict):
        m = obj["metadata"] = {}
    return m


def parse_rv(text, what="resourceVersion"):
    try:
        rv = int(text)
        if rv < 0:
            raise ValueError
        return rv
    except (TypeError, ValueError):
        raise ApiError(400, f'invalid {what}: "{text}"',
                       reason="BadRequest") from None


DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_NAME = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def valid_label_key(key):
    prefix, _, name = key.rpartition("/")
    if prefix and (len(prefix) > 253 or not DNS1123_SUBDOMAIN.match(prefix)):
        return False
    return 0 < len(name) <= 63 and bool(LABEL_NAME.match(name))


def valid_label_value(value):
    return isinstance(value, str) and len(value) <= 63 and bool(LABEL_VALUE.match(value))


# ---------------------------------------------------------------------------
# Label and field selectors (list and watch filters)
# ---------------------------------------------------------------------------


def parse_label_selector(text):
    """Parses k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b) joined by
    commas into (key, op, values) requirements; 400 on a malformed selector."""
    reqs = []
    pos = 0
    text = text or ""

    def bad(why):
        return ApiError(400, f"unable to parse requirement: {why}",
                        reason="BadRequest")

    token = re.compile(r"\s*(!?)\s*([A-Za-z0-9][-A-Za-z0-9_./]*)\s*")
    while pos < len(text):
        m = token.match(text, pos)
        if not m:
            raise bad(f"found '{text[pos:pos + 1]}', expected: identifier")
        neg, key = m.group(1), m.group(2)
        pos = m.end()
        if not valid_label_key(key):
            raise bad(f'invalid label key "{key}"')
        rest = text[pos:]
        if neg:
            reqs.append((key, "!", ()))
        elif rest.startswith("!="):
            pos, value = read_value(text, pos + 2)
            reqs.append((key, "!=", (value,)))
        elif rest.startswith("=="):
            pos, value = read_value(text, pos + 2)
            reqs.append((key, "=", (value,)))
        elif rest.startswith("="):
            pos, value = read_value(text, pos + 1)
            reqs.append((key, "=", (value,)))
        elif re.match(r"(in|notin)\s*\(", rest):
            op = "in" if rest.startswith("in") else "notin"
            close = text.find(")", pos)
            if close < 0:
                raise bad("found '', expected: ')'")
            inner = text[text.index("(", pos) + 1:close]
            values = tuple(v.strip() for v in inner.split(",")) if inner.strip() else ()
            if not values:
                raise bad(f"for '{op}', 'notin' operators, values set can't be empty")
            for v in values:
                if not valid_label_value(v):
                    raise bad(f'invalid label value: "{v}"')
            reqs.append((key, op, values))
            pos = close + 1
        else:
            reqs.append((key, "exists", ()))
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos < len(text):
            if text[pos] != ",":
                raise bad(f"found '{text[pos]}', expected: ',' or 'end of string'")
            pos += 1
    return reqs


def read_value(text, pos):
    m = re.compile(r"\s*([^,\s]*)\s*").match(text, pos)
    value = m.group(1)
    if not valid_label_value(value):
        raise ApiError(400, f'unable to parse requirement: invalid label value: "{value}"',
                       reason="BadRequest")
    return m.end(), value


def labels_match(reqs, labels):
    labels = labels if isinstance(labels, dict) else {}
    for key, op, values in reqs:
        have = key in labels
        val = labels.get(key)
        if op == "=" and not (have and val == values[0]):
            return False
        if op == "!=" and have and val == values[0]:
            return False
        if op == "exists" and not have:
            return False
        if op == "!" and have:
            return False
        if op == "in" and not (have and val in values):
            return False
        if op == "notin" and have and val in values:
            return False
    return True


def label_selector_matches(selector, labels):
    """A metav1.LabelSelector (matchLabels/matchExpressions) against labels."""
    labels = labels if isinstance(labels, dict) else {}
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    ops = {"In": "in", "NotIn": "notin", "Exists": "exists", "DoesNotExist": "!"}
    for e in selector.get("matchExpressions") or []:
        req = (e.get("key"), ops.get(e.get("operator"), "in"), tuple(e.get("values") or ()))
        if not labels_match([req], labels):
            return False
    return True


def parse_field_selector(res, text):
    """Parses f=v, f==v, f!=v terms; a field the kind does not index is a
    400 with the real server's message."""
    reqs = []
    if not text:
        return reqs
    allowed = ["metadata.name"]
    if res.namespaced:
        allowed.append("metadata.namespace")
    allowed += list(res.fields)
    for term in split_unescaped(text, ","):
        m = re.match(r"^([^=!]+)(==|=|!=)(.*)$", term)
        if not m:
            raise ApiError(400, f"invalid selector: '{text}'; can't understand '{term}'",
                           reason="BadRequest")
        field, op, value = m.group(1).strip(), m.group(2), m.group(3)
        if field not in allowed:
            if res.core_field_conversion:
                msg = f"field label not supported: {field}"
            else:
                msg = (f'"{field}" is not a known field selector: only '
                       + ", ".join(f'"{f}"' for f in allowed))
            raise ApiError(400, msg, reason="BadRequest")
        reqs.append((field, "!=" if op == "!=" else "=", unescape_field(value)))
    return reqs


def split_unescaped(text, sep):
    parts, cur, esc = [], "", False
    for ch in text:
        if esc:
            cur += "\\" + ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p for p in parts if p]


def unescape_field(value):
    return re.sub(r"\\(.)", r"\1", value)


def field_value(obj, field):
    """The string a field selector compares, as the real field sets render it."""
    cur = obj
    for part in field.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    if field == "spec.unschedulable" or field == "spec.hostNetwork":
        return "true" if cur is True else "false"
    if cur is None:
        return ""
    return cur if isinstance(cur, str) else json.dumps(cur)


def fields_match(reqs, obj):
    for field, op, value in reqs:
        have = field_value(obj, field)
        if (have == value) != (op == "="):
            return False
    return True


# ---------------------------------------------------------------------------
# Patches: JSON merge (RFC 7386), JSON patch (RFC 6902), strategic merge subset
# ---------------------------------------------------------------------------


def merge_patch(target, patch):
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out


def json_pointer(path):
    if path == "":
        return []
    if not path.startswith("/"):
        raise ApiError(422, f'invalid JSON pointer "{path}"', reason="Invalid")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def pointer_parent(doc, parts, path):
    cur = doc
    for p in parts[:-1]:
        if isinstance(cur, dict) and p in cur:
            cur = cur[p]
        elif isinstance(cur, list) and p.isdigit() and int(p) < len(cur):
            cur = cur[int(p)]
        else:
            raise ApiError(422, f"doc is missing path: {path}", reason="Invalid")
    return cur


def pointer_get(doc, path):
    parts = json_pointer(path)
    if not parts:
        return doc
    parent = pointer_parent(doc, parts, path)
    key = parts[-1]
    if isinstance(parent, dict) and key in parent:
        return parent[key]
    if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        return parent[int(key)]
    raise ApiError(422, f"doc is missing path: {path}", reason="Invalid")


def pointer_remove(doc, path):
    parts = json_pointer(path)
    parent = pointer_parent(doc, parts, path)
    key = parts[-1]
    if isinstance(parent, dict) and key in parent:
        return parent.pop(key)
    if isinstance(parent, list) and key.isdigit() and int(key) < len(parent):
        return parent.pop(int(key))
    raise ApiError(422, f"doc is missing path: {path}", reason="Invalid")


def pointer_add(doc, path, value, replace=False):
    parts = json_pointer(path)
    if not parts:
        return value
    parent = pointer_parent(doc, parts, path)
    key = parts[-1]
    if isinstance(parent, dict):
        if replace and key not in parent:
            raise ApiError(422, f"doc is missing key: {path}", reason="Invalid")
        parent[key] = value
    elif isinstance(parent, list):
        if key == "-" and not replace:
            parent.append(value)
        elif key.isdigit() and int(key) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(key)] = value
            else:
                parent.insert(int(key), value)
        else:
            raise ApiError(422, f"index out of range: {path}", reason="Invalid")
    else:
        raise ApiError(422, f"doc is missing path: {path}", reason="Invalid")
    return doc


def json_patch(target, ops):
    if not isinstance(ops, list):
        raise ApiError(400, "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
                       reason="BadRequest")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise ApiError(400, "invalid JSON patch operation", reason="BadRequest")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise ApiError(422, f"missing value for {kind} operation", reason="Invalid")
        if kind == "add":
            doc = pointer_add(doc, path, copy.deepcopy(op["value"]))
        elif kind == "remove":
            pointer_remove(doc, path)
        elif kind == "replace":
            doc = pointer_add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind == "test":
            if pointer_get(doc, path) != op["value"]:
                raise ApiError(422, f"testing value {path} failed: test failed",
                               reason="Invalid")
        elif kind in ("move", "copy"):
            value = pointer_get(doc, op.get("from", ""))
            if kind == "move":
                pointer_remove(doc, op["from"])
            doc = pointer_add(doc, path, copy.deepcopy(value))
        else:
            raise ApiError(400, f"Unexpected kind: {kind}", reason="BadRequest")
    return doc


# Lists that merge element-wise under a strategic merge patch, keyed by the
# field named here (the Go types' patchMergeKey); every other list is atomic.
SMP_MERGE_KEYS = {
    "services": {("spec", "ports"): "port"},
    "pods": {("spec", "containers"): "name", ("spec", "initContainers"): "name",
             ("spec", "containers", "*", "ports"): "containerPort",
             ("spec", "containers", "*", "env"): "name",
             ("spec", "volumes"): "name", ("status", "conditions"): "type",
             ("status", "podIPs"): "ip"},
    "nodes": {("status", "addresses"): "type", ("status", "conditions"): "type"},
    "daemonsets": {("spec", "template", "spec", "containers"): "name",
                   ("spec", "template", "spec", "initContainers"): "name",
                   ("spec", "template", "spec", "volumes"): "name",
                   ("spec", "template", "spec", "*", "*", "env"): "name",
                   ("spec", "template", "spec", "*", "*", "ports"): "containerPort",
                   ("spec", "template", "spec", "*", "*", "volumeMounts"): "mountPath"},
    "*": {("metadata", "ownerReferences"): "uid"},
}


def smp_merge_key(resource, path):
    table = dict(SMP_MERGE_KEYS["*"])
    table.update(SMP_MERGE_KEYS.get(resource, {}))
    for pattern, key in table.items():
        if len(pattern) == len(path) and all(p in ("*", q) for p, q in zip(pattern, path)):
            return key
    return None


def strategic_merge(resource, target, patch, path=()):
    """The strategic-merge subset kubectl emits (K8S-API.md §5.4): maps merge,
    null deletes, merge-keyed lists merge element-wise with $setElementOrder,
    $patch: delete/replace, $deleteFromPrimitiveList and $retainKeys."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if patch.get("$patch") == "delete":
        return None
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    orders = {}
    for k, v in patch.items():
        if k.startswith("$setElementOrder/"):
            orders[k.split("/", 1)[1]] = v
        elif k.startswith("$deleteFromPrimitiveList/"):
            name = k.split("/", 1)[1]
            if isinstance(out.get(name), list):
                out[name] = [x for x in out[name] if x not in (v or [])]
        elif k == "$retainKeys":
            for key in list(out):
                if key not in (v or []) and key not in patch:
                    del out[key]
    for k, v in patch.items():
        if k.startswith("$"):
            continue
        if v is None:
            out.pop(k, None)
            continue
        key = smp_merge_key(resource, path + (k,))
        if isinstance(v, list) and key:
            out[k] = smp_merge_list(resource, out.get(k), v, key, path + (k, "*"))
        elif isinstance(v, dict):
            merged = strategic_merge(resource, out.get(k), v, path + (k,))
            if merged is None:
                out.pop(k, None)
            else:
                out[k] = merged
        else:
            out[k] = copy.deepcopy(v)
    for name, order in orders.items():
        key = smp_merge_key(resource, path + (name,))
        if key and isinstance(out.get(name), list) and isinstance(order, list):
            out[name] = smp_order(out[name], order, key)
    return out


def smp_merge_list(resource, current, patch, key, path):
    items = copy.deepcopy(current) if isinstance(current, list) else []
    if any(isinstance(p, dict) and p.get("$patch") == "replace" for p in patch):
        return [copy.deepcopy(p) for p in patch
                if not (isinstance(p, dict) and p.get("$patch") == "replace")]
    for p in patch:
        if not isinstance(p, dict):
            items.append(copy.deepcopy(p))
            continue
        idx = next((i for i, it in enumerate(items)
                    if isinstance(it, dict) and it.get(key) == p.get(key)), None)
        if p.get("$patch") == "delete":
            if idx is not None:
                items.pop(idx)
        elif idx is None:
            items.append(strategic_merge(resource, {}, p, path))
        else:
            items[idx] = strategic_merge(resource, items[idx], p, path)
    return items


def smp_order(items, order, key):
    rank = {o.get(key): i for i, o in enumerate(order) if isinstance(o, dict)}
    ordered = sorted((it for it in items if it.get(key) in rank),
                     key=lambda it: rank[it.get(key)])
    return ordered + [it for it in items if it.get(key) not in rank]


# ---------------------------------------------------------------------------
# Service address and port allocation (K8S-API.md §5.3)
# ---------------------------------------------------------------------------


class Allocator:
    """ClusterIPs from the service CIDRs (first address and .1 never handed
    out) and node ports from their range; lowest free first, so tests can
    predict them."""

    def __init__(self, cidrs, port_range):
        self.nets = [ipaddress.ip_network(c.strip(), strict=False) for c in cidrs]
        self.port_lo, self.port_hi = port_range
        self.ips = set()
        self.ports = set()

    def families(self):
        return ["IPv4" if n.version == 4 else "IPv6" for n in self.nets]

    def net_for(self, family):
        for n in self.nets:
            if ("IPv4" if n.version == 4 else "IPv6") == family:
                return n
        return None

    def take_ip(self, family, want=None):
        """Returns the address taken, or an error string."""
        net = self.net_for(family)
        if net is None:
            return None, f"not configured for {family}"
        if want:
            try:
                ip = ipaddress.ip_address(want)
            except ValueError:
                return None, "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
            if ip not in net or ip in (net.network_address, net.network_address + 1) \
                    or (net.version == 4 and ip == net.broadcast_address):
                return None, f"provided IP is not in the valid range. The range of valid IPs is {net}"
            if str(ip) in self.ips:
                return None, f"failed to allocate IP {ip}: provided IP is already allocated"
            self.ips.add(str(ip))
            return str(ip), None
        last = net.num_addresses - (1 if net.version == 4 else 0)
        for off in range(2, last):
            ip = str(net.network_address + off)
            if ip not in self.ips:
                self.ips.add(ip)
                return ip, None
        return None, "range is full"

    def take_port(self, want=None):
        if want:
            if not self.port_lo <= want <= self.port_hi:
                return None, ("provided port is not in the valid range. The range of "
                              f"valid ports is {self.port_lo}-{self.port_hi}")
            if want in self.ports:
                return None, "provided port is already allocated"
            self.ports.add(want)
            return want, None
        for p in range(self.port_lo, self.port_hi + 1):
            if p not in self.ports:
                self.ports.add(p)
                return p, None
        return None, "range is full"

    def release(self, ips=(), ports=()):
        for ip in ips:
            self.ips.discard(ip)
        for p in ports:
            self.ports.discard(p)


def service_allocations(svc):
    """(ips, node ports) a stored Service holds."""
    spec = (svc or {}).get("spec") or {}
    ips = {ip for ip in spec.get("clusterIPs") or [] if ip and ip != "None"}
    ports = {p.get("nodePort") for p in spec.get("ports") or []
             if isinstance(p, dict) and p.get("nodePort")}
    if spec.get("healthCheckNodePort"):
        ports.add(spec["healthCheckNodePort"])
    return ips, ports


# ---------------------------------------------------------------------------
# Admission: per-kind defaulting and the validation the real server does
# ---------------------------------------------------------------------------

NAME_RULES = {
    # services use DNS-1035 labels (start with a letter), namespaces DNS-1123
    # labels, the rest DNS-1123 subdomains.
    "services": (re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$"), 63,
                 "a DNS-1035 label must consist of lower case alphanumeric characters or "
                 "'-', start with an alphabetic character, and end with an alphanumeric "
                 "character (e.g. 'my-name',  or 'abc-123', regex used for validation is "
                 "'[a-z]([-a-z0-9]*[a-z0-9])?')"),
    "namespaces": (DNS1123_LABEL, 63,
                   "a lowercase RFC 1123 label must consist of lower case alphanumeric "
                   "characters or '-', and must start and end with an alphanumeric character "
                   "(e.g. 'my-name',  or '123-abc', regex used for validation is "
                   "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')"),
}
SUBDOMAIN_RULE = (DNS1123_SUBDOMAIN, 253,
                  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
                  "characters, '-' or '.', and must start and end with an alphanumeric "
                  "character (e.g. 'example.com', regex used for validation is "
                  "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")
GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
POD_MUTABLE_SPEC = ("activeDeadlineSeconds", "tolerations", "terminationGracePeriodSeconds")


class Admission:
    """Defaults and validates an object about to be stored. Service
    allocations are taken here and handed back as (taken, to_release) so the
    store can undo them if the write fails."""

    def __init__(self, alloc):
        self.alloc = alloc

    def admit(self, res, obj, old):
        errs = []
        m = meta(obj)
        self.check_meta(res, m, errs)
        taken = released = ((), ())
        if res.name == "services":
            taken, released = self.service(obj, old, errs)
        else:
            getattr(self, res.name.replace("-", "_"), lambda o, p, e: None)(obj, old, errs)
        if errs:
            self.alloc.release(*taken)
            raise Invalid(res, m.get("name", ""), errs)
        return taken, released

    def check_meta(self, res, m, errs):
        name = m.get("name", "")
        rule, maxlen, text = NAME_RULES.get(res.name, SUBDOMAIN_RULE)
        if not name:
            errs.append(("metadata.name", "FieldValueRequired",
                         "Required value: name or generateName is required"))
        elif len(name) > maxlen or not rule.match(name):
            errs.append(("metadata.name", "FieldValueInvalid",
                         f'Invalid value: "{name}": {text}'))
        for field in ("labels", "annotations"):
            if m.get(field) is None:
                m.pop(field, None)
            elif not isinstance(m[field], dict):
                errs.append((f"metadata.{field}", "FieldValueInvalid",
                             "Invalid value: must be a map of strings"))
        for k, v in (m.get("labels") or {}).items():
            if not valid_label_key(k):
                errs.append(("metadata.labels", "FieldValueInvalid",
                             f'Invalid value: "{k}": name part must consist of alphanumeric '
                             "characters, '-', '_' or '.'"))
            elif not valid_label_value(v):
                errs.append(("metadata.labels", "FieldValueInvalid",
                             f'Invalid value: "{v}": a valid label must be an empty string '
                             "or consist of alphanumeric characters, '-', '_' or '.'"))
        annotations = m.get("annotations") or {}
        size = sum(len(k) + len(v) for k, v in annotations.items() if isinstance(v, str))
        if any(not isinstance(v, str) for v in annotations.values()):
            errs.append(("metadata.annotations", "FieldValueInvalid",
                         "Invalid value: annotation values must be strings"))
        elif size > 256 * 1024:
            errs.append(("metadata.annotations", "FieldValueTooLong",
                         "Too long: must have at most 262144 bytes"))

    # -- Service ------------------------------------------------------------

    def service(self, svc, old, errs):
        spec = svc.get("spec")
        if not isinstance(spec, dict):
            spec = svc["spec"] = {}
        ospec = (old or {}).get("spec") or {}
        stype = spec.setdefault("type", "ClusterIP")
        if stype not in ("ClusterIP", "NodePort", "LoadBalancer", "ExternalName"):
            errs.append(("spec.type", "FieldValueNotSupported",
                         f'Unsupported value: "{stype}": supported values: "ClusterIP", '
                         '"ExternalName", "LoadBalancer", "NodePort"'))
            return ((), ()), ((), ())
        self.service_ports(spec, errs)
        affinity = spec.setdefault("sessionAffinity", "None")
        if affinity == "ClientIP":
            spec.setdefault("sessionAffinityConfig", {"clientIP": {"timeoutSeconds": 10800}})
        elif affinity == "None":
            spec.pop("sessionAffinityConfig", None)
        else:
            errs.append(("spec.sessionAffinity", "FieldValueNotSupported",
                         f'Unsupported value: "{affinity}": supported values: "ClientIP", "None"'))
        svc.setdefault("status", {"loadBalancer": {}})
        if errs:
            return ((), ()), ((), ())
        new_ips, new_ports = [], []
        try:
            if stype == "ExternalName":
                self.external_name(spec, errs)
            else:
                spec.setdefault("internalTrafficPolicy", "Cluster")
                self.cluster_ips(spec, ospec, old is not None, new_ips, errs)
                self.node_ports(spec, ospec, new_ports, errs)
        finally:
            taken = (tuple(new_ips), tuple(new_ports))
        old_ips, old_ports = service_allocations(old)
        ips, ports = service_allocations(svc)
        return taken, (tuple(old_ips - ips), tuple(old_ports - ports))

    def service_ports(self, spec, errs):
        ports = spec.get("ports") or []
        if not isinstance(ports, list):
            errs.append(("spec.ports", "FieldValueInvalid", "Invalid value: must be a list"))
            return
        seen, names = set(), set()
        for i, p in enumerate(ports):
            f = f"spec.ports[{i}]"
            if not isinstance(p, dict):
                errs.append((f, "FieldValueInvalid", "Invalid value: must be an object"))
                continue
            p.setdefault("protocol", "TCP")
            if p["protocol"] not in ("TCP", "UDP", "SCTP"):
                errs.append((f + ".protocol", "FieldValueNotSupported",
                             f'Unsupported value: "{p["protocol"]}": supported values: '
                             '"SCTP", "TCP", "UDP"'))
            port = p.get("port")
            if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
                errs.append((f + ".port", "FieldValueInvalid",
                             f"Invalid value: {json.dumps(port)}: must be between 1 and 65535, inclusive"))
                continue
            p.setdefault("targetPort", port)
            if (port, p["protocol"]) in seen:
                errs.append((f, "FieldValueDuplicate",
                             f'Duplicate value: core.ServicePort{{Name:"{p.get("name", "")}", '
                             f'Protocol:"{p["protocol"]}", Port:{port}}}'))
            seen.add((port, p["protocol"]))
            name = p.get("name", "")
            if len(ports) > 1 and not name:
                errs.append((f + ".name", "FieldValueRequired", "Required value"))
            elif name in names:
                errs.append((f + ".name", "FieldValueDuplicate", f'Duplicate value: "{name}"'))
            names.add(name)
        if ports:
            spec["ports"] = ports
        elif spec.get("type") != "ExternalName" and spec.get("clusterIP") != "None":
            errs.append(("spec.ports", "FieldValueRequired", "Required value"))

    def external_name(self, spec, errs):
        if not spec.get("externalName"):
            errs.append(("spec.externalName", "FieldValueRequired", "Required value"))
        for key in ("clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy",
                    "healthCheckNodePort", "internalTrafficPolicy", "externalTrafficPolicy"):
            spec.pop(key, None)
        for p in spec.get("ports") or []:
            p.pop("nodePort", None)

    def cluster_ips(self, spec, ospec, updating, new_ips, errs):
        old_ips = [ip for ip in ospec.get("clusterIPs") or [] if ip]
        want = list(spec.get("clusterIPs") or [])
        if spec.get("clusterIP") and not want:
            want = [spec["clusterIP"]]
        if not want and old_ips and ospec.get("type") != "ExternalName":
            want = list(old_ips)  # an update that omits the address keeps it
        if updating and old_ips and ospec.get("type") != "ExternalName" and want != old_ips:
            errs.append(("spec.clusterIPs[0]", "FieldValueInvalid",
                         f"Invalid value: {json.dumps(want)}: may not change once set"))
            return
        policy = spec.setdefault("ipFamilyPolicy", "SingleStack")
        if policy not in ("SingleStack", "PreferDualStack", "RequireDualStack"):
            errs.append(("spec.ipFamilyPolicy", "FieldValueNotSupported",
                         f'Unsupported value: "{policy}"'))
            return
        configured = self.alloc.families()
        families = list(spec.get("ipFamilies") or [])
        if not families:
            if want and want[0] != "None":
                families = ["IPv6" if ":" in ip else "IPv4" for ip in want]
            else:
                families = [configured[0]]
        if policy != "SingleStack" and len(families) == 1 and len(configured) == 2:
            families.append(next(f for f in configured if f != families[0]))
        if policy == "RequireDualStack" and len(families) < 2:
            errs.append(("spec.ipFamilyPolicy", "FieldValueInvalid",
                         'Invalid value: "RequireDualStack": this cluster is not configured '
                         "for dual-stack services"))
            return
        for i, fam in enumerate(families):
            if fam not in configured:
                errs.append((f"spec.ipFamilies[{i}]", "FieldValueInvalid",
                             f'Invalid value: "{fam}": not configured on this cluster'))
                return
        spec["ipFamilies"] = families
        if want[:1] == ["None"]:
            spec["clusterIP"] = "None"
            spec["clusterIPs"] = ["None"]
            return
        got = []
        for i, fam in enumerate(families):
            ip = want[i] if i < len(want) else None
            if ip and ip in old_ips:
                got.append(ip)
                continue
            ip, err = self.alloc.take_ip(fam, ip)
            if err:
                errs.append((f"spec.clusterIPs[{i}]", "FieldValueInvalid",
                             f"Invalid value: {json.dumps(want)}: {err}"))
                return
            new_ips.append(ip)
            got.append(ip)
        spec["clusterIP"] = got[0]
        spec["clusterIPs"] = got

    def node_ports(self, spec, ospec, new_ports, errs):
        stype = spec["type"]
        old_ports = {(p.get("port"), p.get("protocol")): p.get("nodePort")
                     for p in ospec.get("ports") or [] if isinstance(p, dict)}
        old_held = set(old_ports.values())
        external = stype in ("NodePort", "LoadBalancer")
        allocate = stype == "NodePort" or (
            stype == "LoadBalancer" and spec.setdefault("allocateLoadBalancerNodePorts", True))
        if stype != "LoadBalancer":
            spec.pop("allocateLoadBalancerNodePorts", None)
        for i, p in enumerate(spec.get("ports") or []):
            old_np = old_ports.get((p.get("port"), p.get("protocol")))
            np = p.get("nodePort")
            if not external:
                if np and np in old_held:
                    del p["nodePort"]  # the type changed away: drop what it had
                elif np:
                    errs.append((f"spec.ports[{i}].nodePort", "FieldValueForbidden",
                                 f"Forbidden: may not be used when `type` is '{stype}'"))
                continue
            if np and np in old_held:
                continue
            if not np and old_np:
                p["nodePort"] = old_np
                continue
            if not np and not allocate:
                continue
            got, err = self.alloc.take_port(np)
            if err:
                errs.append((f"spec.ports[{i}].nodePort", "FieldValueInvalid",
                             f"Invalid value: {np}: {err}"))
                return
            new_ports.append(got)
            p["nodePort"] = got
        if external:
            spec.setdefault("externalTrafficPolicy", "Cluster")
        else:
            spec.pop("externalTrafficPolicy", None)
        hc = spec.get("healthCheckNodePort")
        if stype == "LoadBalancer" and spec["externalTrafficPolicy"] == "Local":
            old_hc = ospec.get("healthCheckNodePort")
            if not hc and old_hc:
                spec["healthCheckNodePort"] = old_hc
            elif hc != old_hc or not hc:
                got, err = self.alloc.take_port(hc)
                if err:
                    errs.append(("spec.healthCheckNodePort", "FieldValueInvalid",
                                 f"Invalid value: {hc}: {err}"))
                    return
                new_ports.append(got)
                spec["healthCheckNodePort"] = got
        elif hc:
            if hc == ospec.get("healthCheckNodePort"):
                del spec["healthCheckNodePort"]
            else:
                errs.append(("spec.healthCheckNodePort", "FieldValueInvalid",
                             f"Invalid value: {hc}: may only be set when `type` is "
                             "'LoadBalancer' and `externalTrafficPolicy` is 'Local'"))

    # -- the other kinds ------------------------------------------------------

    def pods(self, pod, old, errs):
        spec = pod.get("spec")
        if not isinstance(spec, dict):
            spec = pod["spec"] = {}
        for k, v in (("restartPolicy", "Always"), ("dnsPolicy", "ClusterFirst"),
                     ("schedulerName", "default-scheduler"),
                     ("terminationGracePeriodSeconds", 30)):
            spec.setdefault(k, v)
        containers = spec.get("containers")
        if not isinstance(containers, list) or not containers:
            errs.append(("spec.containers", "FieldValueRequired", "Required value"))
            containers = []
        names = set()
        for i, c in enumerate(containers):
            f = f"spec.containers[{i}]"
            if not isinstance(c, dict):
                errs.append((f, "FieldValueInvalid", "Invalid value: must be an object"))
                continue
            if not c.get("name"):
                errs.append((f + ".name", "FieldValueRequired", "Required value"))
            elif c["name"] in names:
                errs.append((f + ".name", "FieldValueDuplicate", f'Duplicate value: "{c["name"]}"'))
            names.add(c.get("name"))
            if not c.get("image"):
                errs.append((f + ".image", "FieldValueRequired", "Required value"))
            for p in c.get("ports") or []:
                if isinstance(p, dict):
                    p.setdefault("protocol", "TCP")
        st = pod.get("status")
        if old is None and not st:
            pod["status"] = {"phase": "Pending"}
        if old is not None and not errs:
            ospec = old.get("spec") or {}
            a = {k: v for k, v in spec.items() if k not in POD_MUTABLE_SPEC}
            b = {k: v for k, v in ospec.items() if k not in POD_MUTABLE_SPEC}
            for s in (a, b):
                s["containers"] = [dict(c, image="") for c in s.get("containers") or []]
                s["initContainers"] = [dict(c, image="") for c in s.get("initContainers") or []]
            if a != b:
                errs.append(("spec", "FieldValueForbidden",
                             "Forbidden: pod updates may not change fields other than "
                             "`spec.containers[*].image`,`spec.initContainers[*].image`,"
                             "`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions "
                             "to existing tolerations),`spec.terminationGracePeriodSeconds` "
                             "(allow it to be set to 1 if it was previously negative)"))

    def nodes(self, node, old, errs):
        spec = node.get("spec")
        if not isinstance(spec, dict):
            spec = node["spec"] = {}
        cidrs = spec.get("podCIDRs") or ([spec["podCIDR"]] if spec.get("podCIDR") else [])
        if spec.get("podCIDR") and cidrs and cidrs[0] != spec["podCIDR"]:
            errs.append(("spec.podCIDRs", "FieldValueInvalid",
                         f"Invalid value: {json.dumps(cidrs)}: must match spec.podCIDR"))
        for i, c in enumerate(cidrs):
            try:
                ipaddress.ip_network(c, strict=True)
            except (TypeError, ValueError):
                errs.append((f"spec.podCIDRs[{i}]", "FieldValueInvalid",
                             f'Invalid value: "{c}": must be a valid CIDR value'))
        if cidrs:
            spec["podCIDR"], spec["podCIDRs"] = cidrs[0], cidrs
        ospec = (old or {}).get("spec") or {}
        if ospec.get("podCIDRs") and cidrs != ospec["podCIDRs"]:
            errs.append(("spec.podCIDRs", "FieldValueForbidden",
                         "Forbidden: node updates may not change podCIDR except from \"\" "
                         "to valid"))

    def namespaces(self, ns, old, errs):
        name = meta(ns).get("name", "")
        labels = meta(ns).get("labels") or {}
        labels["kubernetes.io/metadata.name"] = name
        meta(ns)["labels"] = labels
        ns["spec"] = (ns.get("spec") if isinstance(ns.get("spec"), dict) else {}) or {}
        ns["spec"].setdefault("finalizers", ["kubernetes"])
        st = ns.get("status") if isinstance(ns.get("status"), dict) else {}
        st.setdefault("phase", "Active")
        ns["status"] = st

    def endpointslices(self, eps, old, errs):
        at = eps.get("addressType")
        if at not in ("IPv4", "IPv6", "FQDN"):
            errs.append(("addressType", "FieldValueNotSupported" if at else "FieldValueRequired",
                         f'Unsupported value: "{at}": supported values: "FQDN", "IPv4", "IPv6"'
                         if at else "Required value"))
        elif old is not None and old.get("addressType") != at:
            errs.append(("addressType", "FieldValueInvalid",
                         f'Invalid value: "{at}": field is immutable'))
        for i, ep in enumerate(eps.get("endpoints") or []):
            addrs = ep.get("addresses") if isinstance(ep, dict) else None
            if not isinstance(addrs, list) or not 1 <= len(addrs) <= 100:
                errs.append((f"endpoints[{i}].addresses", "FieldValueRequired",
                             "Required value: must contain at least 1 address"))
                continue
            for j, a in enumerate(addrs):
                if at in ("IPv4", "IPv6") and not valid_ip(a, 4 if at == "IPv4" else 6):
                    errs.append((f"endpoints[{i}].addresses[{j}]", "FieldValueInvalid",
                                 f'Invalid value: "{a}": must be a valid {at} address'))
        for i, p in enumerate(eps.get("ports") or []):
            if isinstance(p, dict):
                p.setdefault("protocol", "TCP")
                port = p.get("port")
                if port is not None and not (isinstance(port, int) and 1 <= port <= 65535):
                    errs.append((f"ports[{i}].port", "FieldValueInvalid",
                                 f"Invalid value: {json.dumps(port)}: must be between 1 and 65535, inclusive"))
        bump_generation(eps, old, ("addressType", "endpoints", "ports"))

    def networkpolicies(self, pol, old, errs):
        spec = pol.get("spec")
        if not isinstance(spec, dict):
            spec = pol["spec"] = {}
        spec.setdefault("podSelector", {})
        if not spec.get("policyTypes"):
            spec["policyTypes"] = ["Ingress"] + (["Egress"] if "egress" in spec else [])
        for d, peers in (("ingress", "from"), ("egress", "to")):
            for i, rule in enumerate(spec.get(d) or []):
                for j, p in enumerate((rule or {}).get("ports") or []):
                    p.setdefault("protocol", "TCP")
                    f = f"spec.{d}[{i}].ports[{j}]"
                    if "endPort" in p:
                        if not isinstance(p.get("port"), int):
                            errs.append((f + ".endPort", "FieldValueRequired",
                                         "Required value: may not be specified when `port` is "
                                         "non-numeric"))
                        elif p["endPort"] < p["port"]:
                            errs.append((f + ".endPort", "FieldValueInvalid",
                                         f"Invalid value: {p['endPort']}: must be greater than "
                                         "or equal to `port`"))
        bump_generation(pol, old, ("spec",))

    def daemonsets(self, ds, old, errs):
        # Only what a rollout watcher reads: generation follows the spec.
        bump_generation(ds, old, ("spec",))


def valid_ip(text, version):
    try:
        return ipaddress.ip_address(text).version == version
    except (TypeError, ValueError):
        return False


def bump_generation(obj, old, fields):
    if old is None:
        meta(obj)["generation"] = 1
        return
    gen = meta(old).get("generation", 1)
    changed = any(obj.get(f) != old.get(f) for f in fields)
    meta(obj)["generation"] = gen + 1 if changed else gen


# ---------------------------------------------------------------------------
# The store: objects, one global resourceVersion, bounded event history
# ---------------------------------------------------------------------------


@dataclass
class Event:
    rv: int
    resource: str
    type: str  # ADDED, MODIFIED, DELETED
    obj: dict  # the new state (DELETED: last state stamped with the delete RV)
    old: dict  # the previous state, None for ADDED


def typed(res, obj):
    """obj with kind and apiVersion first, as the real server writes them."""
    rest = {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
    return dict({"kind": res.kind, "apiVersion": res.api_version}, **rest)


def obj_key(res, ns, name):
    return f"{ns}/{name}" if res.namespaced else name


class Watcher:
    """One open watch: its filter and a queue the store fills under its lock.
    Queue entries are ("event", type, obj, old) or ("action", name, params)."""

    def __init__(self, res, ns, lsel, fsel):
        self.res, self.ns, self.lsel, self.fsel = res, ns, lsel, fsel
        self.queue = deque()
        self.killed = False  # restart/stop: leave without a terminating chunk
        self.done = threading.Event()
        self.conn = None  # raw socket, for forced shutdown

    def act(self, name, params, rv):
        """Queues a scripted action; the caller holds the store lock, and `rv`
        (the store's RV now) is what a bookmark it sends may claim."""
        self.queue.append(("action", name, dict(params, rv=rv)))

    def matches(self, obj):
        m = obj.get("metadata") or {}
        if self.ns and m.get("namespace") != self.ns:
            return False
        return labels_match(self.lsel, m.get("labels")) and fields_match(self.fsel, obj)

    def translate(self, etype, obj, old):
        """A store event as this watcher sees it: an object that starts or
        stops matching the filter shows as ADDED or DELETED."""
        now = self.matches(obj)
        if etype != "MODIFIED":
            return (etype, obj) if now else None
        before = old is not None and self.matches(old)
        if now:
            return ("MODIFIED" if before else "ADDED", obj)
        if before:
            gone = copy.deepcopy(old)
            meta(gone)["resourceVersion"] = meta(obj)["resourceVersion"]
            return ("DELETED", gone)
        return None


class Store:
    def __init__(self, history, initial_rv, alloc, too_large_wait):
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.objects = {name: {} for name in RESOURCES}
        self.rv = initial_rv
        self.history_max = history
        self.history = deque()
        self.compacted = initial_rv  # events with rv <= this are gone
        self.watchers = set()
        self.alloc = alloc
        self.admission = Admission(alloc)
        self.too_large_wait = too_large_wait

    # -- writing --------------------------------------------------------------

    def commit(self, res, etype, key, obj, old):
        """Stamps the next resourceVersion and records the event; the caller
        holds the lock."""
        self.rv += 1
        meta(obj)["resourceVersion"] = str(self.rv)
        if etype == "DELETED":
            self.objects[res.name].pop(key, None)
        else:
            self.objects[res.name][key] = obj
        ev = Event(self.rv, res.name, etype, obj, old)
        self.history.append(ev)
        while len(self.history) > self.history_max:
            self.compacted = self.history.popleft().rv
        for w in self.watchers:
            if w.res is res:
                w.queue.append(("event", etype, obj, old))
        self.cond.notify_all()

    def compact(self, upto=None):
        """Forgets history up to RV `upto` (all of it when None)."""
        with self.lock:
            upto = self.rv if upto is None else min(upto, self.rv)
            while self.history and self.history[0].rv <= upto:
                self.history.popleft()
            self.compacted = max(self.compacted, upto)
            return self.compacted

    def get(self, res, ns, name):
        with self.lock:
            obj = self.objects[res.name].get(obj_key(res, ns, name))
            if obj is None:
                raise not_found(res, name)
            return obj

    def create(self, res, ns, body, dry_run=False):
        with self.lock:
            obj = copy.deepcopy(body)
            m = meta(obj)
            if m.get("resourceVersion"):
                raise ApiError(400, "resourceVersion should not be set on objects to be created")
            if not m.get("name") and m.get("generateName"):
                m["name"] = m["generateName"] + "".join(
                    random.choice(GENERATE_ALPHABET) for _ in range(5))
            if res.namespaced:
                m["namespace"] = ns
                nsobj = self.objects["namespaces"].get(ns)
                if nsobj is None:
                    raise not_found(RESOURCES["namespaces"], ns)
                if (nsobj.get("status") or {}).get("phase") == "Terminating":
                    raise ApiError(403, f'{res.name}{group_suffix(res)} "{m.get("name", "")}" is '
                                   f"forbidden: unable to create new content in namespace {ns} "
                                   "because it is being terminated", reason="Forbidden")
            else:
                m.pop("namespace", None)
            for k in ("uid", "selfLink", "deletionTimestamp", "managedFields"):
                m.pop(k, None)
            m["creationTimestamp"] = now_rfc3339()
            m["uid"] = str(uuid.uuid4())
            obj = typed(res, obj)
            m = obj["metadata"]
            taken, _ = self.admission.admit(res, obj, None)
            key = obj_key(res, ns, m["name"])
            if key in self.objects[res.name]:
                self.alloc.release(*taken)
                raise already_exists(res, m["name"])
            if dry_run:
                self.alloc.release(*taken)
                m["resourceVersion"] = ""
                return obj
            self.commit(res, "ADDED", key, obj, None)
            return obj

    def update(self, res, ns, name, body, status=False, dry_run=False, allow_create=False):
        """PUT semantics: optimistic concurrency on metadata.resourceVersion;
        the main resource keeps the stored status, /status changes only it."""
        with self.lock:
            key = obj_key(res, ns, name)
            old = self.objects[res.name].get(key)
            bm = body.get("metadata") if isinstance(body.get("metadata"), dict) else {}
            if bm.get("name") and bm["name"] != name:
                raise ApiError(400, f"the name of the object ({bm['name']}) does not match "
                               f"the name on the URL ({name})")
            if old is None:
                if allow_create and not status:
                    body = copy.deepcopy(body)
                    meta(body)["name"] = name
                    return self.create(res, ns, body, dry_run)
                raise not_found(res, name)
            om = old["metadata"]
            if bm.get("resourceVersion") and bm["resourceVersion"] != om["resourceVersion"]:
                raise conflict(res, name)
            if bm.get("uid") and bm["uid"] != om["uid"]:
                raise ApiError(409, f"Precondition failed: UID in precondition: {bm['uid']}, "
                               f"UID in object meta: {om['uid']}", reason="Conflict")
            if status:
                new = copy.deepcopy(old)
                if body.get("status") is None:
                    new.pop("status", None)
                else:
                    new["status"] = copy.deepcopy(body["status"])
            else:
                new = copy.deepcopy(body)
                nm = meta(new)
                for k in ("uid", "creationTimestamp", "generation"):
                    if k in om:
                        nm[k] = om[k]
                nm["name"] = name
                if res.namespaced:
                    nm["namespace"] = ns
                else:
                    nm.pop("namespace", None)
                for k in ("selfLink", "managedFields"):
                    nm.pop(k, None)
                if res.has_status:
                    if "status" in old:
                        new["status"] = copy.deepcopy(old["status"])
                    else:
                        new.pop("status", None)
            new = typed(res, new)
            meta(new)["resourceVersion"] = om["resourceVersion"]
            taken, released = self.admission.admit(res, new, old)
            if new == old or dry_run:
                # The real server skips a write that changes nothing: no new
                # resourceVersion and no watch event.
                self.alloc.release(*taken)
                return copy.deepcopy(new)
            self.alloc.release(*released)
            self.commit(res, "MODIFIED", key, new, old)
            return new

    def delete(self, res, ns, name, options=None, dry_run=False):
        with self.lock:
            key = obj_key(res, ns, name)
            old = self.objects[res.name].get(key)
            if old is None:
                raise not_found(res, name)
            pre = (options or {}).get("preconditions") or {}
            om = old["metadata"]
            for field, label in (("uid", "UID"), ("resourceVersion", "ResourceVersion")):
                if pre.get(field) and pre[field] != om[field]:
                    raise ApiError(409, f"Precondition failed: {label} in precondition: "
                                   f"{pre[field]}, {label} in object meta: {om[field]}",
                                   reason="Conflict")
            if res.name == "namespaces" and name in PROTECTED_NAMESPACES:
                raise ApiError(403, f'namespaces "{name}" is forbidden: this namespace may '
                               "not be deleted", reason="Forbidden",
                               details={"name": name, "kind": "namespaces"})
            if dry_run:
                return copy.deepcopy(old)
            if res.name == "namespaces":
                old = self.terminate_namespace(name, old)
            if res.name == "services":
                self.alloc.release(*service_allocations(old))
            gone = copy.deepcopy(old)
            self.commit(res, "DELETED", key, gone, old)
            return gone

    def terminate_namespace(self, name, nsobj):
        """What the namespace controller does, done at once: the namespace
        turns Terminating, its content goes, then the namespace."""
        term = copy.deepcopy(nsobj)
        meta(term)["deletionTimestamp"] = now_rfc3339()
        term.setdefault("status", {})["phase"] = "Terminating"
        self.commit(RESOURCES["namespaces"], "MODIFIED", name, term, nsobj)
        for res in RESOURCES.values():
            if not res.namespaced:
                continue
            for key, obj in sorted(self.objects[res.name].items()):
                if obj["metadata"].get("namespace") == name:
                    if res.name == "services":
                        self.alloc.release(*service_allocations(obj))
                    self.commit(res, "DELETED", key, copy.deepcopy(obj), obj)
        return term

    # -- reading --------------------------------------------------------------

    def wait_for_rv(self, rv):
        """A request for an RV the store has not reached waits a little (the
        real cache waits ~3 s for etcd) and then fails 504."""
        if rv > self.rv and not self.cond.wait_for(lambda: self.rv >= rv, self.too_large_wait):
            raise too_large(rv, self.rv)

    def state_at(self, res, rv):
        """The objects of one kind as they were at `rv`, by undoing history."""
        objs = dict(self.objects[res.name])
        for ev in reversed(self.history):
            if ev.rv <= rv:
                break
            if ev.resource != res.name:
                continue
            key = obj_key(res, ev.obj["metadata"].get("namespace"), ev.obj["metadata"]["name"])
            if ev.type == "ADDED":
                objs.pop(key, None)
            else:
                objs[key] = ev.old
        return objs

    def list(self, res, ns, lsel, fsel, rv_text, rv_match, limit, cont):
        with self.lock:
            if cont:
                if rv_text:
                    raise ApiError(400, "specifying resource version is not allowed when "
                                   "using continue")
                list_rv, start = decode_continue(cont)
                if list_rv < self.compacted or list_rv > self.rv:
                    raise ApiError(410, "The provided continue parameter is too old to display a "
                                   "consistent list result. You can start a new list without the "
                                   "continue parameter, or use the continue value from the "
                                   "response to get the next page.", reason="Expired")
                objs = self.state_at(res, list_rv)
            elif rv_match == "Exact":
                list_rv = parse_rv(rv_text)
                self.wait_for_rv(list_rv)
                if list_rv < self.compacted:
                    raise too_old(list_rv, self.compacted + 1)
                objs, start = self.state_at(res, list_rv), ""
            else:
                if rv_text and rv_text != "0":
                    self.wait_for_rv(parse_rv(rv_text))
                objs, list_rv, start = self.objects[res.name], self.rv, ""
            if rv_text == "0":
                limit = 0  # served from the watch cache: the real server ignores limit
            items = []
            for key in sorted(objs):
                if key < start:
                    continue
                obj = objs[key]
                m = obj["metadata"]
                if ns and m.get("namespace") != ns:
                    continue
                if labels_match(lsel, m.get("labels")) and fields_match(fsel, obj):
                    items.append((key, obj))
            more = ""
            remaining = None
            if limit and len(items) > limit:
                more = encode_continue(list_rv, items[limit - 1][0] + "\x00")
                if not lsel and not fsel:
                    remaining = len(items) - limit
                items = items[:limit]
            return [copy.deepcopy(o) for _, o in items], list_rv, more, remaining

    # -- watching -------------------------------------------------------------

    def open_watch(self, w, rv_text, initial, first_action=None):
        """Registers a watcher; returns None or the 410 Status to send in-stream.
        `initial`: start with the current state as synthetic ADDED events, then
        the initial-events-end bookmark; `first_action`: (name, params) to run
        after what the watch starts with."""
        with self.lock:
            if initial or rv_text in ("", "0"):
                for key in sorted(self.objects[w.res.name]):
                    w.queue.append(("event", "ADDED", self.objects[w.res.name][key], None))
                if initial:
                    w.act("initial-end", {}, self.rv)
            else:
                rv = parse_rv(rv_text)
                self.wait_for_rv(rv)
                if rv < self.compacted:
                    return too_old(rv, self.compacted + 1).status()
                for ev in self.history:
                    if ev.rv > rv and ev.resource == w.res.name:
                        w.queue.append(("event", ev.type, ev.obj, ev.old))
            if first_action:
                w.act(*first_action, self.rv)
            self.watchers.add(w)
            return None

    def close_watch(self, w):
        with self.lock:
            self.watchers.discard(w)
        w.done.set()

    # -- restart with a new resourceVersion space -----------------------------

    def reseed(self, base, new_uids=True):
        """Every object written again from RV `base` on (new UIDs unless told
        otherwise), history reset: what a client sees after the API server
        comes back on fresh storage with the same content."""
        with self.lock:
            self.rv = base
            self.history.clear()
            self.compacted = base
            now = now_rfc3339()
            for name in RESOURCES:
                for key in sorted(self.objects[name]):
                    obj = copy.deepcopy(self.objects[name][key])
                    if new_uids:
                        obj["metadata"]["uid"] = str(uuid.uuid4())
                        obj["metadata"]["creationTimestamp"] = now
                    self.commit(RESOURCES[name], "ADDED", key, obj, None)
            return self.rv


def encode_continue(rv, start):
    tok = {"v": "meta.k8s.io/v1", "rv": rv, "start": start}
    return base64.urlsafe_b64encode(dumps(tok)).decode().rstrip("=")


def decode_continue(text):
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        tok = json.loads(raw)
        if tok.get("v") != "meta.k8s.io/v1":
            raise ValueError("wrong version")
        return int(tok["rv"]), str(tok["start"])
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise ApiError(400, f"continue key is not valid: {e}") from None


# ---------------------------------------------------------------------------
# Protobuf request bodies: kubectl >= 1.2x sends `create namespace` as
# application/vnd.kubernetes.protobuf. Only the messages it sends are known.
# ---------------------------------------------------------------------------

PB_MAGIC = b"k8s\x00"
PB_TIME = {1: ("seconds", "int"), 2: ("nanos", "int")}
PB_OBJECT_META = {
    1: ("name", "str"), 2: ("generateName", "str"), 3: ("namespace", "str"),
    5: ("uid", "str"), 6: ("resourceVersion", "str"), 7: ("generation", "int"),
    8: ("creationTimestamp", PB_TIME), 11: ("labels", "map"), 12: ("annotations", "map"),
    14: ("finalizers", "strs"),
}
PB_KINDS = {
    "Namespace": {1: ("metadata", PB_OBJECT_META), 2: ("spec", {1: ("finalizers", "strs")}),
                  3: ("status", {1: ("phase", "str")})},
}
PB_UNKNOWN = {1: ("typeMeta", {1: ("apiVersion", "str"), 2: ("kind", "str")}),
              2: ("raw", "bytes")}


def pb_varint(buf, i):
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return value, i


def pb_decode(buf, schema):
    """Protobuf wire format to a dict, for the fields `schema` names."""
    out, i = {}, 0
    while i < len(buf):
        key, i = pb_varint(buf, i)
        num, wire = key >> 3, key & 7
        if wire == 0:
            value, i = pb_varint(buf, i)
        elif wire == 2:
            n, i = pb_varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            continue
        else:
            raise ValueError(f"unsupported wire type {wire}")
        if num not in schema:
            continue
        name, kind = schema[num]
        if isinstance(kind, dict):
            out[name] = pb_decode(value, kind)
        elif kind == "str":
            out[name] = value.decode()
        elif kind == "strs":
            out.setdefault(name, []).append(value.decode())
        elif kind == "map":
            entry = pb_decode(value, {1: ("k", "str"), 2: ("v", "str")})
            out.setdefault(name, {})[entry.get("k", "")] = entry.get("v", "")
        elif kind == "int":
            out[name] = value
        else:
            out[name] = value
    # gogo-protobuf writes zero values that JSON omits (omitempty).
    return {k: v for k, v in out.items() if v not in ("", 0, b"")}


def pb_to_json(body):
    """A runtime.Unknown envelope holding a known kind, as a JSON-shaped dict."""
    if not body.startswith(PB_MAGIC):
        raise ValueError("missing the k8s protobuf magic")
    env = pb_decode(body[len(PB_MAGIC):], PB_UNKNOWN)
    tm = env.get("typeMeta", {})
    schema = PB_KINDS.get(tm.get("kind"))
    if schema is None:
        raise LookupError(tm.get("kind"))
    obj = pb_decode(env.get("raw", b""), schema)
    m = obj.get("metadata", {})
    if "creationTimestamp" in m:
        ts = m.pop("creationTimestamp").get("seconds")
        if ts:
            m["creationTimestamp"] = datetime.datetime.fromtimestamp(
                ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dict(obj, kind=tm.get("kind"), apiVersion=tm.get("apiVersion"))


# ---------------------------------------------------------------------------
# Faults armed through the control API (K8S-API.md §9)
# ---------------------------------------------------------------------------

FAULT_TYPES = ("status", "delay", "trickle", "truncate", "gzip", "watch", "framing", "timeout")
WATCH_ACTIONS = ("expired", "garbage", "wrong-type", "oversize", "duplicate-added",
                 "deleted-unknown", "bookmark", "drop", "end")
FRAMINGS = ("line", "byte", "batch", "split")
VERB_GROUPS = {
    "read": ("get", "list", "watch"),
    "write": ("create", "update", "patch", "delete", "deletecollection"),
}


class Faults:
    """Armed faults, each with a count (-1: until cleared) and a match on
    verb and resource. A request takes at most one fault of each type."""

    def __init__(self):
        self.lock = threading.Lock()
        self.armed = []
        self.next_id = 1

    def arm(self, spec):
        if not isinstance(spec, dict):
            raise ApiError(400, "a fault is a JSON object")
        f = dict(spec)
        ftype = f.get("type")
        if ftype not in FAULT_TYPES:
            raise ApiError(400, f"unknown fault type {ftype!r}: one of {', '.join(FAULT_TYPES)}")
        if ftype == "status" and not (isinstance(f.get("code"), int) and 400 <= f["code"] <= 599):
            raise ApiError(400, "a status fault needs an HTTP error code (400-599)")
        if ftype == "watch" and f.get("action") not in WATCH_ACTIONS:
            raise ApiError(400, f"a watch fault needs action: one of {', '.join(WATCH_ACTIONS)}")
        if ftype == "framing" and f.get("mode") not in FRAMINGS:
            raise ApiError(400, f"a framing fault needs mode: one of {', '.join(FRAMINGS)}")
        if ftype == "truncate" and f.get("how", "json") not in ("json", "connection"):
            raise ApiError(400, 'truncate how: "json" or "connection"')
        f.setdefault("count", 1)
        verbs = f.get("verb", "any")
        f["verb"] = [verbs] if isinstance(verbs, str) else list(verbs)
        res = f.get("resource")
        if res is not None:
            f["resource"] = [res] if isinstance(res, str) else list(res)
            for r in f["resource"]:
                if r not in RESOURCES:
                    raise ApiError(400, f"unknown resource {r!r}")
        with self.lock:
            f["id"] = self.next_id
            self.next_id += 1
            self.armed.append(f)
        return f["id"]

    def take(self, verb, resource):
        taken = {}
        with self.lock:
            for f in list(self.armed):
                if f["type"] in taken or not self.matches(f, verb, resource):
                    continue
                taken[f["type"]] = dict(f)
                if f["count"] > 0:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.armed.remove(f)
        return taken

    @staticmethod
    def matches(f, verb, resource):
        if f.get("resource") and resource not in f["resource"]:
            return False
        for v in f["verb"]:
            if v == "any" or v == verb or verb in VERB_GROUPS.get(v, ()):
                return True
        return False

    def clear(self):
        with self.lock:
            n = len(self.armed)
            self.armed.clear()
            return n

    def snapshot(self):
        with self.lock:
            return copy.deepcopy(self.armed)


def fault_status(f, verb, res, ns, user):
    """The Status a `status` fault answers with, worded like the real one."""
    code = f["code"]
    msg = f.get("message")
    if not msg:
        if code == 401:
            msg = "Unauthorized"
        elif code == 403:
            scope = f'in the namespace "{ns}"' if ns else "at the cluster scope"
            msg = (f'{res.name}{group_suffix(res)} is forbidden: User "{user}" cannot {verb} '
                   f'resource "{res.name}" in API group "{res.group}" {scope}')
        elif code == 410:
            msg = "too old resource version: 1 (2)"
        elif code == 429:
            msg = "Too many requests, please try again later."
        elif code == 504:
            msg = "Timeout: request did not complete within the allowed duration"
        else:
            msg = f"Internal error occurred: injected fault {code}"
    return ApiError(code, msg, retry_after=f.get("retry_after"))


# ---------------------------------------------------------------------------
# Media types and server-side printing (Table, K8S-API.md §4.3)
# ---------------------------------------------------------------------------


def negotiate(accept):
    """'json', 'table' or 'meta' (PartialObjectMetadata) from an Accept
    header; 406 when it offers nothing this server writes."""
    if not accept or not accept.strip():
        return "json"
    for part in accept.split(","):
        fields = [x.strip() for x in part.split(";")]
        mtype = fields[0].lower()
        params = dict(x.split("=", 1) for x in fields[1:] if "=" in x)
        if mtype not in ("application/json", "*/*", "application/*"):
            continue
        want = params.get("as")
        if not want:
            return "json"
        if params.get("g") == "meta.k8s.io" and params.get("v") in ("v1", "v1beta1"):
            if want == "Table":
                return "table"
            if want in ("PartialObjectMetadata", "PartialObjectMetadataList"):
                return "meta"
    raise ApiError(406, "only the following media types are accepted: application/json, "
                   "application/json;as=Table;v=v1;g=meta.k8s.io", reason="NotAcceptable")


def partial_meta(obj):
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": copy.deepcopy(obj.get("metadata") or {})}


def column(name, description="", fmt="", priority=0):
    return {"name": name, "type": "string", "format": fmt, "description": description,
            "priority": priority}


def service_cells(svc):
    spec = svc.get("spec") or {}
    stype = spec.get("type", "ClusterIP")
    ports = ",".join(
        f"{p.get('port')}:{p['nodePort']}/{p.get('protocol', 'TCP')}" if p.get("nodePort")
        else f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in spec.get("ports") or [])
    ext = list(spec.get("externalIPs") or [])
    if stype == "ExternalName":
        external = spec.get("externalName", "<none>")
    elif stype == "LoadBalancer":
        ingress = (svc.get("status") or {}).get("loadBalancer", {}).get("ingress") or []
        ext = [i.get("ip") or i.get("hostname") for i in ingress] + ext
        external = ",".join(ext) if ext else "<pending>"
    else:
        external = ",".join(ext) if ext else "<none>"
    selector = ",".join(f"{k}={v}" for k, v in sorted((spec.get("selector") or {}).items()))
    return [stype, spec.get("clusterIP") or "<none>", external, ports or "<none>",
            human_age(meta(svc).get("creationTimestamp")), selector or "<none>"]


def to_table(res, objs, rv, cont="", include="Metadata"):
    cols = [column("Name", "Name must be unique within a namespace.", "name")]
    if res.name == "services":
        cols += [column("Type", "type determines how the Service is exposed."),
                 column("Cluster-IP", "clusterIP is the IP address of the service."),
                 column("External-IP", "externalIPs is a list of IP addresses."),
                 column("Port(s)", "The list of ports that are exposed by this service."),
                 column("Age", "CreationTimestamp is a timestamp representing the server "
                        "time when this object was created."),
                 column("Selector", "Route service traffic to pods with label keys and "
                        "values matching this selector.", priority=1)]
    else:
        cols.append(column("Age", "CreationTimestamp is a timestamp representing the "
                           "server time when this object was created."))
    rows = []
    for obj in objs:
        name = meta(obj).get("name", "")
        if res.name == "services":
            cells = [name] + service_cells(obj)
        else:
            cells = [name, human_age(meta(obj).get("creationTimestamp"))]
        row = {"cells": cells}
        if include == "Object":
            row["object"] = obj
        elif include != "None":
            row["object"] = partial_meta(obj)
        rows.append(row)
    md = {"resourceVersion": str(rv)}
    if cont:
        md["continue"] = cont
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md,
            "columnDefinitions": cols, "rows": rows}


def wrong_type(obj, path=None):
    """A copy of obj with one field of the wrong JSON type (F9): a number
    becomes a string, a string a number, an object or list a string."""
    bad = copy.deepcopy(obj)
    if path is None:
        path = "spec/ports/0/port"
        try:
            pointer_get(bad, "/" + path)
        except ApiError:
            path = "metadata/labels"
    parts = path.strip("/").split("/")
    parent = bad
    try:
        for p in parts[:-1]:
            parent = parent[int(p)] if isinstance(parent, list) else parent.setdefault(p, {})
        key = int(parts[-1]) if isinstance(parent, list) else parts[-1]
        cur = parent[key] if isinstance(parent, list) or key in parent else None
    except (LookupError, ValueError, TypeError, AttributeError):
        raise ApiError(400, f"xcni test: no field {path} to corrupt") from None
    if isinstance(cur, bool) or cur is None:
        parent[key] = "not-a-bool"
    elif isinstance(cur, (int, float)):
        parent[key] = str(cur)
    elif isinstance(cur, str):
        parent[key] = 12345
    else:
        parent[key] = "not-an-object"
    return bad


# ---------------------------------------------------------------------------
# HTTP: one thread per connection, each response in one write (K8S-API.md §1)
# ---------------------------------------------------------------------------


class Dropped(Exception):
    """The connection is being cut on purpose; no more bytes on it."""


def hard_shutdown(sock):
    """Cuts a connection from any thread: shutdown() on a duplicate of its
    descriptor wakes whatever thread is reading or writing it."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return
        dup = socket.socket(fileno=os.dup(fd))
        try:
            dup.shutdown(socket.SHUT_RDWR)
        finally:
            dup.close()
    except OSError:
        pass


def chunk(data):
    return b"%x\r\n%s\r\n" % (len(data), data)


class ChunkWriter:
    """Writes a watch stream. `line`: one event per chunk; `byte`: one byte
    per chunk (and per TLS record); `batch`: events gathered for a moment
    into one chunk; `split`: chunks cut across event boundaries."""

    LINGER = 0.1

    def __init__(self, handler, mode):
        self.h = handler
        self.mode = mode
        self.buf = b""
        self.flush_at = None

    def event(self, line):
        if self.mode == "byte":
            for i in range(len(line)):
                self.h.write(chunk(line[i:i + 1]))
        elif self.mode == "batch":
            self.buf += line
            if self.flush_at is None:
                self.flush_at = time.monotonic() + self.LINGER
            if len(self.buf) > 256 * 1024:
                self.flush()
        elif self.mode == "split":
            half = max(1, len(line) // 2)
            self.h.write(chunk(self.buf + line[:half]))
            self.buf = line[half:]
            self.flush_at = time.monotonic() + self.LINGER
        else:
            self.h.write(chunk(line))

    def flush(self):
        if self.buf:
            self.h.write(chunk(self.buf))
        self.buf = b""
        self.flush_at = None

    def end(self):
        self.flush()
        self.h.write(b"0\r\n\r\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "xcni-test-apiserver"
    sys_version = ""

    def setup(self):
        super().setup()
        self.app = self.server.app
        self.tls = self.server.tls
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if self.app.verbose:
            sys.stderr.write("apiserver: %s %s\n" % (self.address_string(), fmt % args))

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    # -- plumbing -------------------------------------------------------------

    def write(self, data):
        """Every byte goes out here, so the trickle fault can slow it."""
        trickle = self.fault.get("trickle")
        if not trickle:
            self.wfile.write(data)
            return
        step = max(1, int(trickle.get("bytes", 64)))
        for i in range(0, len(data), step):
            self.wfile.write(data[i:i + step])
            time.sleep(float(trickle.get("interval", 0.02)))

    def head(self, code, headers):
        reason = self.responses.get(code, ("",))[0]
        lines = [f"HTTP/1.1 {code} {reason}",
                 f"Date: {self.date_time_string()}",
                 "Audit-Id: " + str(uuid.uuid4()),
                 "Cache-Control: no-cache, private"]
        lines += [f"{k}: {v}" for k, v in headers]
        if self.close_connection:
            lines.append("Connection: close")
        self.code = code
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def send(self, code, body, ctype="application/json", headers=(), compressible=False):
        headers = [("Content-Type", ctype)] + list(headers)
        gz = self.fault.get("gzip")
        accepts = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if compressible and ((accepts and (len(body) > GZIP_MIN or gz)) or (gz and gz.get("always"))):
            body = gzip.compress(body, 1)
            headers.append(("Content-Encoding", "gzip"))
        cut = self.fault.get("truncate")
        if cut and compressible:
            short = body[:len(body) // 2]
            if cut.get("how") == "connection":
                # Promise the whole body, send half, hang up (F9).
                self.close_connection = True
                self.write(self.head(code, headers + [("Content-Length", len(body))]) + short)
                raise Dropped()
            body = short
        headers.append(("Content-Length", len(body)))
        out = self.head(code, headers)
        self.write(out if self.command == "HEAD" else out + body)

    def send_json(self, code, obj, compressible=False, headers=()):
        self.send(code, dumps(obj), headers=headers, compressible=compressible)

    def send_status(self, err):
        headers = []
        if err.retry_after is not None:
            headers.append(("Retry-After", err.retry_after))
        self.send_json(err.code, err.status(), headers=headers)

    def read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def dispatch(self):
        self.fault = {}
        self.code = None
        self.logged = False
        self.streaming = False  # a watch has sent its headers
        self.verb = self.target = None
        url = urllib.parse.urlsplit(self.path)
        self.q = {k: v[-1] for k, v in
                  urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
        path = url.path
        try:
            try:
                body = self.read_body()
            except ValueError:
                self.close_connection = True
                raise ApiError(400, "malformed chunked request body") from None
            if path.startswith("/_test/"):
                self.control(path, body)
            else:
                self.route(path, body)
        except ApiError as e:
            if self.streaming:
                self.close_connection = True  # no second response inside a stream
            else:
                self.send_status(e)
        except Dropped:
            self.close_connection = True
        except (OSError, ssl.SSLError):
            self.close_connection = True
        except Exception as e:  # a bug here must still answer like a server
            traceback.print_exc()
            if self.streaming:
                self.close_connection = True  # no second response inside a stream
            else:
                try:
                    self.send_status(ApiError(500, f"Internal error occurred: {e!r}"))
                except OSError:
                    self.close_connection = True
        finally:
            if not path.startswith("/_test/"):
                self.log_now()

    def log_now(self):
        if not self.logged:
            self.logged = True
            self.app.log_request(self.command, self.path, self.verb, self.target,
                                 self.code, self.headers.get("User-Agent", ""))

    def control(self, path, body):
        """The /_test/ API: loopback (or this host) only, no token needed, so
        a token change or an auth fault never locks the test out."""
        peer = self.client_address[0]
        if not (ipaddress.ip_address(peer).is_loopback
                or peer == self.connection.getsockname()[0]):
            raise ApiError(403, "the test control API is only served to this host")
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError as e:
            raise ApiError(400, f"control request body: {e}") from None
        code, out = self.app.control(self.command, path, params, self.q)
        self.send_json(code, out)

    # -- routing --------------------------------------------------------------

    def route(self, path, body):
        if path in ("/healthz", "/readyz", "/livez") or path.startswith(
                ("/healthz/", "/readyz/", "/livez/")):
            self.authenticate(public=True)
            self.send(200, b"ok", ctype="text/plain; charset=utf-8")
            return
        if path == "/version":
            self.authenticate(public=True)
            self.send_json(200, VERSION_INFO)
            return
        self.user = self.authenticate(public=False)
        doc = self.discovery(path)
        if doc is not None:
            self.app.count("discovery", path)
            self.send_json(200, doc)
            return
        if path == "/openapi/v2":
            self.app.count("openapi", path)
            accept = self.headers.get("Accept") or ""
            if "protobuf" in accept or "json" not in accept:
                self.send(200, OPENAPI_V2_PB, ctype="application/octet-stream")
            else:
                self.send_json(200, {"swagger": "2.0", "info": {"title": "Kubernetes",
                                                                 "version": "v1.33.0"},
                                     "paths": {}, "definitions": {}})
            return
        target = parse_resource_path(path)
        if target is None:
            raise ApiError(404, "the server could not find the requested resource",
                           details={})
        self.serve_resource(*target, body)

    def authenticate(self, public):
        """Bearer token or a client certificate signed by the test CA. The
        plain-http port trusts everyone (kubectl sends no token over http)."""
        if not self.tls:
            return "system:anonymous"
        cert = self.connection.getpeercert()
        if cert:
            for rdn in cert.get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        return v
        auth = self.headers.get("Authorization")
        if auth:
            scheme, _, tok = auth.partition(" ")
            if scheme.lower() == "bearer" and secrets.compare_digest(
                    tok.strip().encode(), self.app.token.encode()):
                return self.app.token_user
            raise ApiError(401, "Unauthorized")
        if public:
            return "system:anonymous"
        raise ApiError(401, "Unauthorized")

    def discovery(self, path):
        if path == "/api":
            host = self.connection.getsockname()
            return {"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                    "serverAddress": f"{host[0]}:{host[1]}"}]}
        if path == "/apis":
            return {"kind": "APIGroupList", "apiVersion": "v1",
                    "groups": [api_group(gv) for gv in GROUP_VERSIONS]}
        if path.startswith("/apis/") and path.count("/") == 2:
            gv = next((g for g in GROUP_VERSIONS if g.split("/")[0] == path[6:]), None)
            return dict(api_group(gv), kind="APIGroup", apiVersion="v1") if gv else None
        gv = "v1" if path == "/api/v1" else (path[6:] if path.startswith("/apis/") else None)
        if gv != "v1" and gv not in GROUP_VERSIONS:
            return None
        resources = []
        for r in RESOURCES.values():
            if r.api_version != gv:
                continue
            entry = {"name": r.name, "singularName": r.kind.lower(), "namespaced": r.namespaced,
                     "kind": r.kind, "verbs": VERBS}
            if r.short_names:
                entry["shortNames"] = list(r.short_names)
            resources.append(entry)
            if r.has_status:
                resources.append({"name": r.name + "/status", "singularName": "",
                                  "namespaced": r.namespaced, "kind": r.kind,
                                  "verbs": ["get", "patch", "update"]})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": resources}

    # -- resources ------------------------------------------------------------

    def serve_resource(self, res, ns, name, sub, body):
        method = self.command
        if name is None:
            verb = {"GET": "list", "POST": "create", "DELETE": "deletecollection"}.get(method)
            if verb == "list" and self.q.get("watch") in ("true", "1"):
                verb = "watch"
            if verb == "create" and res.namespaced and ns is None:
                verb = None
        else:
            verb = {"GET": "get", "PUT": "update", "PATCH": "patch",
                    "DELETE": "delete"}.get(method)
            if sub and verb not in ("get", "update", "patch"):
                verb = None
        self.verb, self.target = verb, res.name + ("/" + sub if sub else "")
        self.app.count(verb or method.lower(), self.target)
        if verb is None:
            raise ApiError(405, "the server does not allow this method on the requested resource",
                           details={})
        self.fault = self.app.faults.take(verb, res.name)
        if "delay" in self.fault:
            time.sleep(float(self.fault["delay"].get("seconds", 1)))
        if "status" in self.fault:
            raise fault_status(self.fault["status"], verb, res, ns, self.user)
        store = self.app.store
        dry = self.q.get("dryRun") == "All"
        if verb == "get":
            self.reply_objects(res, [store.get(res, ns, name)], store.rv, single=True)
        elif verb == "list":
            self.serve_list(res, ns)
        elif verb == "watch":
            self.serve_watch(res, ns)
        elif verb == "create":
            obj = self.decode(body)
            self.check_kind(res, obj)
            self.send_json(201, store.create(res, ns, obj, dry))
        elif verb == "update":
            obj = self.decode(body)
            self.check_kind(res, obj)
            allow = res.name == "endpoints"
            self.send_json(200, store.update(res, ns, name, obj, sub == "status", dry, allow))
        elif verb == "patch":
            self.serve_patch(res, ns, name, sub, body, dry)
        elif verb == "delete":
            opts = self.decode(body) if body.strip() else {}
            if not isinstance(opts, dict):
                raise ApiError(400, "delete options must be a JSON object")
            self.send_json(200, store.delete(res, ns, name, opts, dry or opts.get("dryRun") == ["All"]))
        elif verb == "deletecollection":
            lsel = parse_label_selector(self.q.get("labelSelector", ""))
            fsel = parse_field_selector(res, self.q.get("fieldSelector", ""))
            items, _, _, _ = store.list(res, ns, lsel, fsel, "", "", 0, "")
            gone = [store.delete(res, ns if ns else meta(o).get("namespace"), meta(o)["name"],
                                 None, dry) for o in items]
            self.send_json(200, {"kind": res.kind + "List", "apiVersion": res.api_version,
                                 "metadata": {"resourceVersion": str(store.rv)},
                                 "items": [strip_kind(o) for o in gone]})

    def decode(self, body):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype == "application/vnd.kubernetes.protobuf":
            try:
                return pb_to_json(body)
            except LookupError as e:
                raise ApiError(415, f"this test server decodes protobuf bodies only for "
                               f"{', '.join(PB_KINDS)}, not {e.args[0]}; send JSON",
                               details={}) from None
            except (ValueError, UnicodeDecodeError) as e:
                raise ApiError(400, f"protobuf body: {e}") from None
        if ctype not in ("", "application/json", "application/yaml", "*/*"):
            raise ApiError(415, "the body of the request was in an unknown format - accepted "
                           "media types include: application/json, application/yaml",
                           details={})
        try:
            return json.loads(body or b"null")
        except ValueError as e:
            # JSON is YAML too; a real YAML body is beyond the standard library.
            raise ApiError(400, f"couldn't get version/kind; json parse error: {e}") from None

    def check_kind(self, res, obj):
        if not isinstance(obj, dict):
            raise ApiError(400, f"the body of the request is not a {res.kind} object")
        kind, av = obj.get("kind"), obj.get("apiVersion")
        if (kind and kind != res.kind) or (av and av != res.api_version):
            raise ApiError(400, f'{kind or res.kind} in version "{av or res.api_version}" cannot '
                           f"be handled as a {res.kind}: the object's kind/apiVersion does not "
                           "match the request URL")
        m = obj.get("metadata")
        if m is not None and not isinstance(m, dict):
            raise ApiError(400, f"{res.kind}.metadata must be an object")
        ns = self.ns_of_path()
        if res.namespaced and m and m.get("namespace") and ns and m["namespace"] != ns:
            raise ApiError(400, "the namespace of the provided object does not match the "
                           "namespace sent on the request")

    def ns_of_path(self):
        t = parse_resource_path(urllib.parse.urlsplit(self.path).path)
        return t[1] if t else None

    def serve_patch(self, res, ns, name, sub, body, dry):
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        kinds = ("application/json-patch+json", "application/merge-patch+json",
                 "application/strategic-merge-patch+json", "application/apply-patch+yaml")
        if ctype not in kinds:
            raise ApiError(415, "the body of the request was in an unknown format - accepted "
                           "media types include: " + ", ".join(kinds), details={})
        try:
            patch = json.loads(body)
        except ValueError as e:
            raise ApiError(400, f"error decoding patch: {e}") from None
        store = self.app.store
        with store.lock:
            old = store.objects[res.name].get(obj_key(res, ns, name))
            if old is None:
                if ctype != "application/apply-patch+yaml" or sub:
                    raise not_found(res, name)
                # Server-side apply of an absent object creates it.
                self.check_kind(res, patch)
                obj = copy.deepcopy(patch)
                meta(obj)["name"] = name
                result = (201, store.create(res, ns, obj, dry))
            else:
                result = (200, self.patched(res, ns, name, sub, old, ctype, patch, dry))
        self.send_json(*result)

    def patched(self, res, ns, name, sub, old, ctype, patch, dry):
        if ctype == "application/json-patch+json":
            new = json_patch(old, patch)
        elif not isinstance(patch, dict):
            raise ApiError(400, "a merge patch must be a JSON object")
        elif ctype == "application/strategic-merge-patch+json":
            new = strategic_merge(res.name, old, patch)
        else:
            new = merge_patch(old, patch)
        if not isinstance(new, dict):
            raise ApiError(422, "the patched object is not a JSON object", reason="Invalid")
        self.check_kind(res, new)
        if meta(new).get("resourceVersion") is None:
            meta(new).pop("resourceVersion", None)
        return self.app.store.update(res, ns, name, new, sub == "status", dry)

    def selectors(self, res):
        return (parse_label_selector(self.q.get("labelSelector", "")),
                parse_field_selector(res, self.q.get("fieldSelector", "")))

    def serve_list(self, res, ns):
        lsel, fsel = self.selectors(res)
        rv = self.q.get("resourceVersion", "")
        match = self.q.get("resourceVersionMatch", "")
        if match and match not in ("NotOlderThan", "Exact"):
            raise ApiError(400, f'resourceVersionMatch: Unsupported value: "{match}": supported '
                           'values: "Exact", "NotOlderThan"')
        if match and not rv:
            raise ApiError(400, "resourceVersionMatch is forbidden unless resourceVersion is "
                           "provided")
        if match == "Exact" and rv == "0":
            raise ApiError(400, 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"')
        try:
            limit = int(self.q.get("limit") or 0)
        except ValueError:
            raise ApiError(400, f"invalid limit: {self.q.get('limit')}") from None
        items, list_rv, cont, remaining = self.app.store.list(
            res, ns, lsel, fsel, rv, match, max(0, limit), self.q.get("continue", ""))
        self.reply_objects(res, items, list_rv, cont=cont, remaining=remaining)

    def reply_objects(self, res, objs, rv, single=False, cont="", remaining=None):
        fmt = negotiate(self.headers.get("Accept"))
        if fmt == "table":
            include = self.q.get("includeObject", "Metadata")
            self.send_json(200, to_table(res, objs, rv, cont, include), compressible=True)
            return
        if single:
            obj = objs[0]
            self.send_json(200, partial_meta(obj) if fmt == "meta" else obj, compressible=True)
            return
        md = {"resourceVersion": str(rv)}
        if cont:
            md["continue"] = cont
        if remaining is not None:
            md["remainingItemCount"] = remaining
        if fmt == "meta":
            out = {"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1",
                   "metadata": md, "items": [strip_kind(partial_meta(o)) for o in objs]}
        else:
            out = {"kind": res.kind + "List", "apiVersion": res.api_version, "metadata": md,
                   "items": [strip_kind(o) for o in objs]}
        body = dumps(out)
        wt = self.fault.get("watch")
        if wt and wt.get("action") == "wrong-type" and objs:
            # F9 on a list: the first item carries a wrong-typed field.
            out["items"][0] = strip_kind(wrong_type(objs[0], wt.get("path")))
            body = dumps(out)
        self.send(200, body, compressible=True)

    # -- watch ----------------------------------------------------------------

    def serve_watch(self, res, ns):
        lsel, fsel = self.selectors(res)
        q = self.q
        initial = q.get("sendInitialEvents") in ("true", "1")
        bookmarks = q.get("allowWatchBookmarks") in ("true", "1")
        if q.get("resourceVersionMatch") and not initial:
            raise ApiError(400, "resourceVersionMatch is forbidden for watch unless "
                           "sendInitialEvents is provided")
        if initial and (not bookmarks or q.get("resourceVersionMatch") != "NotOlderThan"):
            raise Invalid(res, "", [("resourceVersionMatch", "FieldValueNotSupported",
                                     "sendInitialEvents requires allowWatchBookmarks=true and "
                                     'resourceVersionMatch "NotOlderThan"')])
        fmt = negotiate(self.headers.get("Accept"))
        try:
            timeout = float(q["timeoutSeconds"]) if q.get("timeoutSeconds") else \
                random.uniform(*DEFAULT_WATCH_TIMEOUT)
        except ValueError:
            raise ApiError(400, f"invalid timeoutSeconds: {q['timeoutSeconds']}") from None
        if "timeout" in self.fault:
            timeout = min(timeout, float(self.fault["timeout"].get("seconds", 1)))
        w = Watcher(res, ns, lsel, fsel)
        w.conn = self.connection
        self.wres = res
        store = self.app.store
        wf = self.fault.get("watch")
        expired = store.open_watch(w, q.get("resourceVersion", ""), initial,
                                   (wf["action"], wf) if wf else None)
        try:
            mode = self.fault.get("framing", {}).get("mode", "line")
            self.stream = ChunkWriter(self, mode)
            self.wfmt = fmt
            self.write(self.head(200, [("Content-Type", "application/json"),
                                       ("Transfer-Encoding", "chunked")]))
            self.streaming = True
            self.log_now()  # a watch is in the request log while it runs
            if expired:
                self.stream.event(self.line("ERROR", expired))
                self.stream.end()
                return
            self.watch_loop(w, timeout, bookmarks)
        finally:
            store.close_watch(w)

    def line(self, etype, obj):
        if self.wfmt == "table" and etype in ("ADDED", "MODIFIED", "DELETED"):
            obj = to_table(self.wres, [obj], meta(obj).get("resourceVersion", ""),
                           include=self.q.get("includeObject", "Metadata"))
        elif self.wfmt == "meta" and etype in ("ADDED", "MODIFIED", "DELETED"):
            obj = partial_meta(obj)
        return dumps({"type": etype, "object": obj}) + b"\n"

    def bookmark(self, rv, annotations=None):
        res = self.wres
        md = {"resourceVersion": str(rv), "creationTimestamp": None}
        if annotations:
            md["annotations"] = annotations
        return {"kind": res.kind, "apiVersion": res.api_version, "metadata": md}

    def watch_loop(self, w, timeout, bookmarks):
        store, app = self.app.store, self.app
        self.wres = w.res
        now = time.monotonic()
        deadline = now + timeout
        interval = app.bookmark_interval
        next_bm = now + interval
        while True:
            with store.cond:
                while not w.queue and not w.killed:
                    wake = min(deadline, next_bm) if bookmarks else deadline
                    if self.stream.flush_at:
                        wake = min(wake, self.stream.flush_at)
                    left = wake - time.monotonic()
                    if left <= 0:
                        break
                    store.cond.wait(left)
                items = list(w.queue)
                w.queue.clear()
                rv = store.rv
            if w.killed:
                raise Dropped()
            for item in items:
                if item[0] == "event":
                    seen = w.translate(item[1], item[2], item[3])
                    if seen:
                        self.stream.event(self.line(*seen))
                elif self.watch_action(w, item[1], item[2]):
                    return
            now = time.monotonic()
            if bookmarks and now >= next_bm:
                self.stream.event(self.line("BOOKMARK", self.bookmark(rv)))
                next_bm = now + interval
            if self.stream.flush_at and now >= self.stream.flush_at:
                self.stream.flush()
            if now >= deadline:
                self.stream.end()
                return

    def base_object(self, w, params):
        """The object a synthetic event is built on: the one named, or the
        first the watch can see."""
        store = self.app.store
        with store.lock:
            objs = store.objects[w.res.name]
            if params.get("name"):
                key = obj_key(w.res, params.get("namespace", w.ns or "default"), params["name"])
                return objs.get(key)
            return next((objs[k] for k in sorted(objs) if w.matches(objs[k])), None)

    def watch_action(self, w, action, p):
        """Runs one scripted action on this stream; True when the stream is over."""
        s = self.stream
        store = self.app.store
        if action == "expired":
            s.event(self.line("ERROR", too_old(1, store.compacted + 1).status()))
            s.end()
            return True
        if action == "end":
            s.end()
            return True
        if action == "drop":
            s.flush()
            if p.get("mid_event"):
                base = self.base_object(w, p) or self.bookmark(p["rv"])
                line = self.line("MODIFIED", base)
                self.write(chunk(line[:len(line) // 2]))
            if p.get("rst"):
                # Linger 0: the close that follows sends RST, not FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
            raise Dropped()
        if action == "garbage":
            s.event((p.get("line") or "this is not json").encode() + b"\n")
        elif action == "raw":
            s.event(p["data"])
        elif action == "event":
            ev = p["event"]
            s.event(self.line(ev.get("type", "MODIFIED"), ev.get("object")))
        elif action == "bookmark":
            s.event(self.line("BOOKMARK", self.bookmark(p["rv"])))
        elif action == "initial-end":
            s.event(self.line("BOOKMARK", self.bookmark(
                p["rv"], {"k8s.io/initial-events-end": "true"})))
        elif action == "duplicate-added":
            with store.lock:
                objs = [o for _, o in sorted(store.objects[w.res.name].items()) if w.matches(o)]
            for o in objs:
                s.event(self.line("ADDED", o))
        elif action == "deleted-unknown":
            name = p.get("name") or f"xcni-ghost-{secrets.token_hex(3)}"
            ghost = {"kind": w.res.kind, "apiVersion": w.res.api_version,
                     "metadata": {"name": name, "uid": str(uuid.uuid4()),
                                  "resourceVersion": str(p["rv"]),
                                  "creationTimestamp": now_rfc3339()}}
            if w.res.namespaced:
                ghost["metadata"]["namespace"] = w.ns or p.get("namespace", "default")
            s.event(self.line("DELETED", ghost))
        elif action in ("wrong-type", "oversize"):
            base = self.base_object(w, p)
            if base is None:
                err = ApiError(400, "xcni test: no object to base the injected event on")
                s.event(self.line("ERROR", err.status()))
                return False
            if action == "wrong-type":
                try:
                    obj = wrong_type(base, p.get("path"))
                except ApiError as e:
                    s.event(self.line("ERROR", e.status()))
                    return False
            else:
                obj = copy.deepcopy(base)
                size = int(p.get("size", 70 * 1024))
                meta(obj).setdefault("annotations", {})["xcni.test/oversize"] = "x" * size
            s.event(self.line("MODIFIED", obj))
        elif action == "framing":
            s.flush()
            s.mode = p.get("mode", "line")
        return False


def strip_kind(obj):
    """LIST items carry no kind/apiVersion on a real server (§5.2)."""
    return {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}


def api_group(gv):
    group, version = gv.split("/")
    ver = {"groupVersion": gv, "version": version}
    return {"name": group, "versions": [ver], "preferredVersion": ver}


def parse_resource_path(path):
    """(resource, namespace, name, subresource) for an API path, else None.
    /api/v1/namespaces/X is a Namespace, /api/v1/namespaces/X/pods a collection."""
    segs = [s for s in path.split("/") if s]
    if len(segs) >= 2 and segs[:2] == ["api", "v1"]:
        gv, rest = "v1", segs[2:]
    elif len(segs) >= 3 and segs[0] == "apis" and f"{segs[1]}/{segs[2]}" in GROUP_VERSIONS:
        gv, rest = f"{segs[1]}/{segs[2]}", segs[3:]
    else:
        return None
    ns = None
    if len(rest) >= 3 and rest[0] == "namespaces" and (gv != "v1" or rest[2] != "status"):
        ns, rest = rest[1], rest[2:]
    if not rest or len(rest) > 3:
        return None
    res = RESOURCES.get(rest[0])
    if res is None or res.api_version != gv or (ns is not None and not res.namespaced):
        return None
    name = rest[1] if len(rest) > 1 else None
    sub = rest[2] if len(rest) > 2 else None
    if sub and (sub != "status" or not res.has_status):
        return None
    return res, ns, name, sub


# ---------------------------------------------------------------------------
# The server process: listeners, connections, counters, the control API
# ---------------------------------------------------------------------------


class ConnInfo:
    """What a Handler needs from its 'server'."""

    def __init__(self, app, tls):
        self.app, self.tls = app, tls


class App:
    def __init__(self, args, token, ssl_ctx):
        self.args = args
        self.verbose = args.verbose
        self.bookmark_interval = args.bookmark_interval
        self.alloc = Allocator(args.service_cidr.split(","), args.node_port_range)
        self.store = Store(args.history, args.initial_rv, self.alloc, args.too_large_wait)
        self.faults = Faults()
        self.token = token
        self.token_user = "system:serviceaccount:kube-system:xcni-agent"
        self.ssl_ctx = ssl_ctx
        self.lock = threading.Lock()
        self.counts, self.codes = {}, {}
        self.requests = deque(maxlen=1000)
        self.conns = set()
        self.listeners = []
        self.ports = {"https": args.port, "http": args.plain_port}
        self.restarting = threading.Lock()
        for ns in ("default", "kube-system"):
            self.store.create(RESOURCES["namespaces"], None, {"metadata": {"name": ns}})

    # -- listening ------------------------------------------------------------

    def open_listeners(self):
        for scheme, tls in (("https", True), ("http", False)):
            port = self.ports[scheme]
            if port is None:
                continue
            host = self.args.bind
            family = socket.AF_INET6 if ":" in host else socket.AF_INET
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            for attempt in range(50):
                try:
                    s.bind((host, port))
                    break
                except OSError:
                    if attempt == 49 or port == 0:
                        raise
                    time.sleep(0.1)  # the old socket may linger for a moment
            s.listen(128)
            self.ports[scheme] = s.getsockname()[1]
            self.listeners.append(s)
            threading.Thread(target=self.accept_loop, args=(s, tls), daemon=True).start()

    def close_listeners(self):
        for s in self.listeners:
            try:
                s.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            s.close()
        self.listeners = []

    def accept_loop(self, s, tls):
        while True:
            try:
                conn, addr = s.accept()
            except OSError:
                return
            threading.Thread(target=self.serve_connection, args=(conn, addr, tls),
                             daemon=True).start()

    def serve_connection(self, conn, addr, tls):
        with self.lock:
            self.conns.add(conn)
        try:
            if tls:
                conn.settimeout(10)
                wrapped = self.ssl_ctx.wrap_socket(conn, server_side=True)
                wrapped.settimeout(None)
                with self.lock:
                    self.conns.discard(conn)
                    self.conns.add(wrapped)
                conn = wrapped
            Handler(conn, addr, ConnInfo(self, tls))
        except (OSError, ssl.SSLError, ValueError):
            pass
        finally:
            with self.lock:
                self.conns.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def drop_everything(self):
        """Every watch ends without a terminating chunk; every connection is cut."""
        with self.store.lock:
            for w in self.store.watchers:
                w.killed = True
            self.store.cond.notify_all()
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            hard_shutdown(c)

    def stop(self):
        self.close_listeners()
        self.drop_everything()

    def restart(self, down, rv_mode, new_uids):
        """F4/F5: the server goes away (connections refused for `down`
        seconds) and comes back on the same port, with the same store or a
        new resourceVersion space."""
        with self.restarting:
            self.close_listeners()
            self.drop_everything()
            if rv_mode != "same":
                with self.store.lock:
                    if rv_mode == "lower":
                        base = 1
                    elif rv_mode == "higher":
                        base = self.store.rv + 1000000
                    else:
                        base = int(rv_mode)
                    self.store.reseed(base, new_uids)
            time.sleep(down)
            self.open_listeners()

    # -- bookkeeping ----------------------------------------------------------

    def count(self, verb, target):
        with self.lock:
            per = self.counts.setdefault(verb, {})
            per[target] = per.get(target, 0) + 1

    def log_request(self, method, path, verb, target, code, agent):
        with self.lock:
            key = str(code)
            self.codes[key] = self.codes.get(key, 0) + 1
            self.requests.append({"method": method, "path": path, "verb": verb,
                                  "resource": target, "code": code, "userAgent": agent})

    def state(self):
        store = self.store
        with store.lock:
            watches = {}
            for w in store.watchers:
                watches[w.res.name] = watches.get(w.res.name, 0) + 1
            out = {"resourceVersion": store.rv, "compacted": store.compacted,
                   "history": len(store.history), "watches": watches,
                   "objects": {n: len(o) for n, o in store.objects.items()}}
        with self.lock:
            out.update(counts=copy.deepcopy(self.counts), codes=dict(self.codes),
                       connections=len(self.conns))
        out["faults"] = self.faults.snapshot()
        out["ports"] = dict(self.ports)
        return out

    # -- the control API (README.md) ------------------------------------------

    def control(self, method, path, p, query):
        if not isinstance(p, (dict, list)):
            raise ApiError(400, "control request body must be a JSON object")
        route = (method, path.rstrip("/"))
        if route == ("GET", "/_test/state"):
            return 200, self.state()
        if route == ("POST", "/_test/reset-counters"):
            with self.lock:
                self.counts.clear()
                self.codes.clear()
                self.requests.clear()
            return 200, {"reset": True}
        if route == ("GET", "/_test/requests"):
            with self.lock:
                return 200, {"requests": list(self.requests)}
        if route == ("GET", "/_test/faults"):
            return 200, {"faults": self.faults.snapshot()}
        if route == ("POST", "/_test/faults"):
            specs = p if isinstance(p, list) else [p]
            return 200, {"armed": [self.faults.arm(f) for f in specs]}
        if route in (("DELETE", "/_test/faults"), ("POST", "/_test/faults/clear")):
            return 200, {"cleared": self.faults.clear()}
        if route == ("POST", "/_test/token"):
            if not isinstance(p.get("token"), str) or not p["token"]:
                raise ApiError(400, 'token: a non-empty string is required')
            self.token = p["token"]
            if p.get("write", True):
                write_file(os.path.join(self.args.state_dir, "token"), self.token + "\n")
            return 200, {"token": self.token}
        if route == ("POST", "/_test/compact"):
            upto = p.get("resourceVersion")
            return 200, {"compacted": self.store.compact(int(upto) if upto is not None else None)}
        if route == ("POST", "/_test/restart"):
            rv_mode = p.get("rv", "same")
            if rv_mode not in ("same", "lower", "higher") and not isinstance(rv_mode, int):
                raise ApiError(400, 'rv: "same", "lower", "higher" or a number')
            down = float(p.get("down", 1))
            threading.Thread(target=self.delayed_restart,
                             args=(down, rv_mode, p.get("new_uids", True)),
                             daemon=True).start()
            return 200, {"restarting": True, "down": down, "rv": rv_mode}
        if method == "POST" and path.startswith("/_test/watches/"):
            return 200, self.control_watches(path.rsplit("/", 1)[1], p)
        raise ApiError(404, f"no such control endpoint: {method} {path}")

    def delayed_restart(self, down, rv_mode, new_uids):
        time.sleep(0.05)  # let the control response leave first
        self.restart(down, rv_mode, new_uids)

    def control_watches(self, op, p):
        """drop / end / inject / framing on the watches open now."""
        resource = p.get("resource")
        if resource is not None and resource not in RESOURCES:
            raise ApiError(400, f"unknown resource {resource!r}")
        actions = []
        if op == "drop":
            actions.append(("drop", {"mid_event": bool(p.get("mid_event")),
                                     "rst": bool(p.get("rst"))}))
        elif op == "end":
            actions.append(("end", {}))
        elif op == "framing":
            if p.get("mode") not in FRAMINGS:
                raise ApiError(400, f"mode: one of {', '.join(FRAMINGS)}")
            actions.append(("framing", {"mode": p["mode"]}))
        elif op == "inject":
            for ev in p.get("events") or []:
                if not isinstance(ev, dict):
                    raise ApiError(400, "events: a list of {type, object}")
                actions.append(("event", {"event": ev}))
            if "raw" in p:
                actions.append(("raw", {"data": str(p["raw"]).encode()}))
            if p.get("action"):
                if p["action"] not in WATCH_ACTIONS:
                    raise ApiError(400, f"action: one of {', '.join(WATCH_ACTIONS)}")
                actions.append((p["action"], p))
            if not actions:
                raise ApiError(400, "inject needs events, raw or action")
        else:
            raise ApiError(404, f"no such watch operation: {op}")
        store = self.store
        with store.lock:
            ws = [w for w in store.watchers if resource is None or w.res.name == resource]
            for w in ws:
                for name, params in actions:
                    w.act(name, params, store.rv)
            store.cond.notify_all()
        if op in ("drop", "end"):
            # Wait until those streams are gone, so the caller can count on it;
            # a stream stuck in a write is cut from here.
            for w in ws:
                if not w.done.wait(2):
                    hard_shutdown(w.conn)
                    w.done.wait(2)
        return {"watches": len(ws)}


# ---------------------------------------------------------------------------
# Test PKI and kubeconfigs (generated with openssl into the state dir)
# ---------------------------------------------------------------------------


def write_file(path, text, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


def openssl(*args):
    r = subprocess.run(["openssl", *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {r.stderr.strip()}")


def ec_key_args(keyout):
    return ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", keyout]


def issue_cert(d, name, subject, extensions):
    """A key and a certificate for it signed by the test CA."""
    key, csr, crt, ext = (os.path.join(d, f"{name}.{x}") for x in ("key", "csr", "crt", "ext"))
    openssl("req", "-new", *ec_key_args(key), "-out", csr, "-subj", subject)
    write_file(ext, extensions)
    openssl("x509", "-req", "-in", csr, "-CA", os.path.join(d, "ca.crt"),
            "-CAkey", os.path.join(d, "ca.key"), "-CAcreateserial", "-days", "3650",
            "-sha256", "-out", crt, "-extfile", ext)
    os.chmod(key, 0o600)
    for f in (csr, ext):
        os.unlink(f)


def ensure_pki(d, sans):
    """CA, server and client certificates and the token: made once per state
    dir; the server certificate again when its SANs change."""
    ca_new = False
    if not all(os.path.exists(os.path.join(d, f)) for f in ("ca.crt", "ca.key")):
        openssl("req", "-x509", *ec_key_args(os.path.join(d, "ca.key")),
                "-out", os.path.join(d, "ca.crt"), "-days", "3650", "-sha256",
                "-subj", "/CN=xcni-test-ca",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        os.chmod(os.path.join(d, "ca.key"), 0o600)
        ca_new = True
    san_text = ",".join(sans)
    san_file = os.path.join(d, "server.sans")
    old_sans = open(san_file).read().strip() if os.path.exists(san_file) else None
    if ca_new or old_sans != san_text or not os.path.exists(os.path.join(d, "server.crt")):
        issue_cert(d, "server", "/CN=xcni-test-apiserver",
                   "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   f"extendedKeyUsage=serverAuth\nsubjectAltName={san_text}\n")
        write_file(san_file, san_text + "\n")
    if ca_new or not os.path.exists(os.path.join(d, "client.crt")):
        issue_cert(d, "client", "/O=system:nodes/CN=xcni-agent",
                   "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n"
                   "extendedKeyUsage=clientAuth\n")
    token_file = os.path.join(d, "token")
    if not os.path.exists(token_file):
        write_file(token_file, secrets.token_hex(16) + "\n", 0o600)
    if not os.path.exists(os.path.join(d, "namespace")):
        write_file(os.path.join(d, "namespace"), "default")  # serviceaccount-dir layout
    with open(token_file) as f:
        return f.read().strip()


def write_kubeconfigs(d, server):
    """kubeconfig (token) and kubeconfig-cert (client certificate); JSON
    strings are valid YAML scalars, so no YAML library is needed."""
    q = json.dumps
    with open(os.path.join(d, "token")) as f:
        token = f.read().strip()
    users = {
        "kubeconfig": f"    token: {q(token)}\n",
        "kubeconfig-cert": (f"    client-certificate: {q(os.path.join(d, 'client.crt'))}\n"
                            f"    client-key: {q(os.path.join(d, 'client.key'))}\n"),
    }
    for fname, user in users.items():
        write_file(os.path.join(d, fname), (
            "apiVersion: v1\nkind: Config\nclusters:\n- name: xcni-test\n  cluster:\n"
            f"    server: {q(server)}\n"
            f"    certificate-authority: {q(os.path.join(d, 'ca.crt'))}\n"
            "users:\n- name: xcni-test\n  user:\n" + user +
            "contexts:\n- name: xcni-test\n  context:\n    cluster: xcni-test\n"
            "    user: xcni-test\n    namespace: default\ncurrent-context: xcni-test\n"), 0o600)


def server_sans(bind, extra):
    sans = ["IP:127.0.0.1", "IP:::1", "DNS:localhost", "DNS:kubernetes",
            "DNS:kubernetes.default", "DNS:kubernetes.default.svc"]
    if bind not in ("127.0.0.1", "::1", "0.0.0.0", "::", "localhost"):
        sans.append(f"IP:{bind}")
    for s in extra:
        if s not in sans:
            sans.append(s)
    return sans


def make_ssl_context(d):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(d, "server.crt"), os.path.join(d, "server.key"))
    ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    ctx.verify_mode = ssl.CERT_OPTIONAL  # a client certificate is one way to log in
    ctx.set_alpn_protocols(["http/1.1"])  # libcurl offers h2 too; answer HTTP/1.1
    return ctx


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def port_range(text):
    lo, _, hi = text.partition("-")
    lo, hi = int(lo), int(hi)
    if not 0 < lo <= hi < 65536:
        raise argparse.ArgumentTypeError("want LO-HI")
    return lo, hi


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--state-dir", required=True, help="certificates, token, kubeconfigs, port")
    ap.add_argument("--port", type=int, default=0, help="HTTPS port (0: any free one)")
    ap.add_argument("--bind", default="127.0.0.1")
    ap.add_argument("--plain-port", type=int, default=None,
                    help="also serve plain HTTP here, without authentication")
    ap.add_argument("--service-cidr", default="10.96.0.0/16",
                    help="one CIDR, or IPv4,IPv6 for dual-stack")
    ap.add_argument("--node-port-range", type=port_range, default=(30000, 32767))
    ap.add_argument("--history", type=int, default=1000, help="watch events kept for resuming")
    ap.add_argument("--bookmark-interval", type=float, default=1.0)
    ap.add_argument("--too-large-wait", type=float, default=1.0,
                    help="seconds a too-new resourceVersion waits before 504 (real: 3)")
    ap.add_argument("--initial-rv", type=int, default=1000)
    ap.add_argument("--san", action="append", default=[],
                    help="extra subjectAltName for the server certificate, e.g. IP:10.0.0.1")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args(argv)
    for c in args.service_cidr.split(","):
        ipaddress.ip_network(c.strip(), strict=False)
    if args.history < 1:
        ap.error("--history must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    d = args.state_dir = os.path.abspath(args.state_dir)
    os.makedirs(d, exist_ok=True)
    token = ensure_pki(d, server_sans(args.bind, args.san))
    app = App(args, token, make_ssl_context(d))
    app.open_listeners()
    host = "127.0.0.1" if args.bind in ("0.0.0.0", "localhost") else args.bind
    host = "[::1]" if host == "::" else (f"[{host}]" if ":" in host else host)
    write_kubeconfigs(d, f"https://{host}:{app.ports['https']}")
    write_file(os.path.join(d, "port"), f"{app.ports['https']}\n")
    if app.ports["http"] is not None:
        write_file(os.path.join(d, "plain-port"), f"{app.ports['http']}\n")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print(f"READY port={app.ports['https']}", flush=True)
    while not stop.wait(0.5):
        pass
    app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
