#!/usr/bin/env python3
"""A scripted API server for test_kube_client: one namespaced resource
(/api/v1/widgets), paginated LIST (gzip'd when asked), chunked WATCH with
bookmarks and the faults a client must survive, all steered over /_test/*.

Standard library only. Prints "PORT <n>" when ready; exits when stdin
closes, so a crashed test leaves no server behind. This is not the project's
full test API server (tests/apiserver/), only what the client test needs.
"""
import argparse
import gzip
import json
import os
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PATH = "/api/v1/widgets"
ITEM_PREFIX = "/api/v1/namespaces/default/widgets/"


class Store:
    def __init__(self, token):
        self.cond = threading.Condition()
        self.rv = 100
        self.objs = {}  # name -> object
        self.history = []  # (rv, type, object)
        self.oldest = 0  # watches from an RV below this get 410
        self.token = token
        self.faults = []  # {"on": "list"|"watch"|"get"|"continue", "status", "retry_after", "count"}
        self.log = []
        self.watch_cmd = (0, None)  # (generation, "end"|"drop"|"expire")
        self.watchers = 0
        self.chunking = "split"

    def bump(self):
        self.rv += 1
        return str(self.rv)

    def record(self, typ, obj, silent):
        if not silent:
            self.history.append((self.rv, typ, json.loads(json.dumps(obj))))
        self.cond.notify_all()

    def put(self, name, value, silent=False, new_uid=False):
        old = self.objs.get(name)
        obj = {
            "kind": "Widget",
            "apiVersion": "v1",
            "metadata": {
                "name": name,
                "namespace": "default",
                "uid": old["metadata"]["uid"] if old and not new_uid else str(uuid.uuid4()),
                "resourceVersion": self.bump(),
            },
            "spec": {"value": value},
        }
        self.objs[name] = obj
        self.record("MODIFIED" if old and not new_uid else "ADDED", obj, silent)

    def delete(self, name, silent=False):
        obj = self.objs.pop(name, None)
        if obj:
            obj["metadata"]["resourceVersion"] = self.bump()
            self.record("DELETED", obj, silent)

    def take_fault(self, on):
        for f in self.faults:
            if f["on"] == on and f["count"] > 0:
                f["count"] -= 1
                return f
        return None


def status_body(code, reason, message):
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    store = None

    def log_message(self, fmt, *args):
        pass

    def setup(self):
        super().setup()
        # Whole responses in one write and no Nagle: no 40 ms stalls.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def send(self, code, body, headers=(), allow_gzip=False):
        data = json.dumps(body).encode()
        hdrs = [("Content-Type", "application/json")] + list(headers)
        if allow_gzip and "gzip" in (self.headers.get("Accept-Encoding") or ""):
            data = gzip.compress(data)
            hdrs.append(("Content-Encoding", "gzip"))
        head = "HTTP/1.1 %d X\r\n" % code
        for k, v in hdrs + [("Content-Length", str(len(data)))]:
            head += "%s: %s\r\n" % (k, v)
        self.wfile.write(head.encode() + b"\r\n" + data)
        self.wfile.flush()

    def do_GET(self):
        st = self.store
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path.startswith("/_test/"):
            return self.control_get(url.path[7:])
        auth = self.headers.get("Authorization")
        with st.cond:
            entry = {"path": url.path, "query": q, "auth_ok": auth == "Bearer %s" % st.token,
                     "has_auth": auth is not None, "accept": self.headers.get("Accept"),
                     "accept_encoding": self.headers.get("Accept-Encoding")}
            st.log.append(entry)
            if st.token and not entry["auth_ok"]:
                return self.send(401, status_body(401, "Unauthorized", "Unauthorized"))
        if url.path.startswith(ITEM_PREFIX):
            return self.get_one(url.path[len(ITEM_PREFIX):])
        if url.path != PATH:
            return self.send(404, status_body(404, "NotFound", "no such path"))
        kind = "watch" if q.get("watch") in ("true", "1") else "list"
        with st.cond:
            fault = st.take_fault(kind) or (q.get("continue") and st.take_fault("continue"))
        if fault:
            hdrs = [("Retry-After", str(fault["retry_after"]))] if fault.get("retry_after") else []
            return self.send(fault["status"], status_body(fault["status"], "Fault", "injected"), hdrs)
        if kind == "watch":
            return self.watch(q)
        return self.list(q, entry)

    def get_one(self, name):
        with self.store.cond:
            obj = self.store.objs.get(name)
            if obj:
                return self.send(200, obj)
        self.send(404, status_body(404, "NotFound", 'widgets "%s" not found' % name))

    def list(self, q, entry):
        st = self.store
        limit = int(q.get("limit", "0")) or 1 << 30
        with st.cond:
            if q.get("continue"):
                offset, rv = q["continue"].split(":")
                offset = int(offset)
            else:
                offset, rv = 0, str(st.rv)
            names = sorted(st.objs)[offset:offset + limit]
            items = []
            for n in names:
                o = dict(st.objs[n])
                del o["kind"], o["apiVersion"]
                items.append(o)
            more = offset + limit < len(st.objs)
        md = {"resourceVersion": rv}
        if more:
            md["continue"] = "%d:%s" % (offset + limit, rv)
        entry["gzipped"] = "gzip" in (self.headers.get("Accept-Encoding") or "")
        self.send(200, {"kind": "WidgetList", "apiVersion": "v1", "metadata": md, "items": items},
                  allow_gzip=True)

    def chunk(self, data):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def write_events(self, lines):
        mode = self.store.chunking
        if mode == "batch":
            self.chunk(b"".join(lines))
        for line in lines if mode != "batch" else ():
            if mode == "bytes":
                for i in range(len(line)):
                    self.chunk(line[i:i + 1])
            else:  # split: every event cut in two chunks
                self.chunk(line[:len(line) // 2])
                self.chunk(line[len(line) // 2:])

    def watch(self, q):
        st = self.store
        start = int(q.get("resourceVersion") or 0)
        deadline = time.monotonic() + int(q.get("timeoutSeconds", "300"))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
        with st.cond:
            if start < st.oldest:
                line = json.dumps({"type": "ERROR", "object": status_body(
                    410, "Expired", "too old resource version: %d (%d)" % (start, st.oldest))})
                self.chunk(line.encode() + b"\n")
                self.chunk(b"")
                return
            gen = st.watch_cmd[0]
            st.watchers += 1
            st.cond.notify_all()
        sent = start
        try:
            while True:
                with st.cond:
                    events = [e for e in st.history if e[0] > sent]
                    if not events and st.watch_cmd[0] == gen:
                        st.cond.wait(0.2)
                        events = [e for e in st.history if e[0] > sent]
                    cmd = st.watch_cmd[1] if st.watch_cmd[0] != gen else None
                if events:
                    self.write_events([(o if t == "RAW" else json.dumps(
                        {"type": t, "object": o})).encode() + b"\n" for _, t, o in events])
                    sent = events[-1][0]
                if cmd == "drop":  # half an event, then the connection dies
                    ghost = json.dumps({"type": "ADDED", "object": {"metadata": {
                        "name": "ghost", "namespace": "default", "resourceVersion": "999999"}}})
                    self.chunk(ghost.encode()[:40])
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                    return
                if cmd == "expire":
                    self.chunk(json.dumps({"type": "ERROR", "object": status_body(
                        410, "Expired", "too old resource version")}).encode() + b"\n")
                if cmd or time.monotonic() >= deadline:
                    if q.get("allowWatchBookmarks") == "true" and cmd == "end":
                        self.chunk(json.dumps({"type": "BOOKMARK", "object": {
                            "kind": "Widget", "metadata": {"resourceVersion": str(st.rv)}}}).encode()
                            + b"\n")
                    self.chunk(b"")
                    return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            with st.cond:
                st.watchers -= 1

    def control_get(self, cmd):
        st = self.store
        with st.cond:
            if cmd == "log":
                return self.send(200, st.log)
            if cmd == "state":
                return self.send(200, {"rv": st.rv, "watchers": st.watchers})
        self.send(404, {})

    def do_POST(self):
        st = self.store
        cmd = urlsplit(self.path).path[len("/_test/"):]
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))) or b"{}")
        with st.cond:
            if cmd == "put":
                st.put(body["name"], body.get("value", 0), body.get("silent", False),
                       body.get("new_uid", False))
            elif cmd == "delete":
                st.delete(body["name"], body.get("silent", False))
            elif cmd == "inject":  # a raw line into the watch streams
                st.bump()
                st.history.append((st.rv, "RAW", body["line"]))
                st.cond.notify_all()
            elif cmd == "compact":  # watching from now on is fine, from before is 410
                st.oldest = st.rv
                st.history = []
            elif cmd == "watches":
                st.watch_cmd = (st.watch_cmd[0] + 1, body["do"])
                st.cond.notify_all()
            elif cmd == "fault":
                st.faults.append(dict(body, count=body.get("count", 1)))
            elif cmd == "token":
                st.token = body["token"]
            elif cmd == "chunking":
                st.chunking = body["mode"]
            else:
                return self.send(404, {})
            rv = st.rv
        self.send(200, {"rv": rv})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--token")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    args = ap.parse_args()
    Handler.store = Store(args.token)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    if args.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.cert, args.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("PORT %d" % srv.server_address[1], flush=True)
    sys.stdin.read()  # until the test closes our stdin (or dies)
    os._exit(0)


if __name__ == "__main__":
    main()
