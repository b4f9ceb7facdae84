#!/usr/bin/env python3
"""Current ClickHouse (the chdb-core engine, in-process) behind ClickHouse's HTTP interface.

No current ClickHouse server runs on the development machines, but chdb-core is the same
engine. This serves the subset of the HTTP protocol that Earshot's client uses (SQL in
the body or the `query` parameter, INSERT data in the body, settings as URL parameters,
errors as a non-200 status with ClickHouse's message), so the very same Rust code that
talks to the 18.16 server can be run against the current engine in the tests.

Usage: server.py --port PORT --path DIR   (prints "ready PORT" once it listens)
Not a production server: one engine, one statement at a time, uncompressed only.
"""
import argparse
import os
import re
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from chdb import session

# Parameters that are part of the protocol, not settings.
PROTOCOL_PARAMS = {"query", "database", "user", "password", "query_id", "session_id",
                   "default_format", "compress", "decompress"}
INSERT_WITH_DATA = re.compile(r"^(\s*INSERT\s+INTO\s+.+?)\s+FORMAT\s+(\w+)\s*;?\s*$",
                              re.IGNORECASE | re.DOTALL)
SETTING_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

ENGINE_LOCK = threading.Lock()
ENGINE = None
LOG = None


def setting_value(value):
    if re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # quiet: the tests read the statements' results
        pass

    def reply(self, status, body, content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-ClickHouse-Server-Display-Name", "chdb")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.handle_request(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = self.read_chunked()
        self.handle_request(body)

    def read_chunked(self):
        out = bytearray()
        while True:
            size = int(self.rfile.readline().strip().split(b";")[0], 16)
            if size == 0:
                self.rfile.readline()
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline()

    def handle_request(self, body):
        url = urlsplit(self.path)
        if url.path == "/ping":
            return self.reply(200, b"Ok.\n", "text/plain")
        params = dict(parse_qsl(url.query, keep_blank_values=True))
        if params.get("compress") == "1" or params.get("decompress") == "1":
            return self.reply(400, b"Code: 1. DB::Exception: this test server speaks no compression", "text/plain")
        data = None
        if "query" in params:
            sql, data = params["query"], body
        else:
            sql = body.decode("utf-8")
        settings = [(k, v) for k, v in params.items() if k not in PROTOCOL_PARAMS]
        if LOG:
            LOG.write(f"{params!r} {sql[:300]!r} data={len(data or b'')}\n")
            LOG.flush()
        try:
            with ENGINE_LOCK:
                for name, value in settings:
                    if not SETTING_NAME.match(name):
                        raise ValueError(f"Code: 115. DB::Exception: Unknown setting {name}")
                    ENGINE.query(f"SET {name} = {setting_value(value)}")
                if "database" in params:
                    ENGINE.query(f"USE `{params['database']}`")
                result = self.run(sql, data, params.get("default_format", "TabSeparated"))
        except Exception as e:  # the engine's own message, as the server would send it
            return self.reply(500, (str(e).strip() + "\n").encode(), "text/plain")
        self.reply(200, result)

    def run(self, sql, data, output_format):
        insert = INSERT_WITH_DATA.match(sql)
        if insert and data:
            with tempfile.NamedTemporaryFile(dir=TMP, delete=False) as f:
                f.write(data)
            try:
                ENGINE.query(f"{insert.group(1)} FROM INFILE '{f.name}' FORMAT {insert.group(2)}")
            finally:
                os.unlink(f.name)
            return b""
        return ENGINE.query(sql, output_format).bytes()


def main():
    global ENGINE, TMP
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--exit-with-stdin", action="store_true",
                        help="exit when standard input closes (the parent test process died)")
    parser.add_argument("--log", help="append every request's parameters and SQL to this file")
    args = parser.parse_args()
    global LOG
    if args.log:
        LOG = open(args.log, "a")
    if args.exit_with_stdin:
        def watch():
            sys.stdin.buffer.read()
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    os.makedirs(args.path, exist_ok=True)
    TMP = tempfile.mkdtemp(prefix="chdb-http-")
    ENGINE = session.Session(args.path)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"ready {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
