#!/usr/bin/python3
"""Echo backends for the end-to-end tests.

One process hosts one gRPC server per `--listen NAME=PORT`. Each answers the unary method
/mesh.test.Echo/Who with its NAME as raw bytes (generic handler: no protoc, no generated code).
Request metadata changes the answer, for the traffic-policy tests:
  x-echo-sleep-ms: N     answer after N milliseconds
  x-echo-fail-first: K   the first call carrying key K fails with UNAVAILABLE; later calls with K
                         succeed and answer NAME#A, A being how many calls with K this server saw
  x-echo-fail-on: NAME   the server named NAME fails every such call with UNAVAILABLE
Prints "READY" once every server listens. Exits when stdin closes (so a crashed test never
leaks it) or on SIGTERM/SIGINT.

Run with Debian's /usr/bin/python3 (python3-grpcio).
"""
import argparse
import signal
import sys
import threading
import time
from concurrent import futures

import grpc

SERVICE = "mesh.test.Echo"
METHOD = "Who"


def _identity(data):
    return data


class _WhoHandler(grpc.GenericRpcHandler):
    def __init__(self, name):
        self._name = name
        self._seen = {}
        self._lock = threading.Lock()
        self._handler = grpc.unary_unary_rpc_method_handler(
            self._who,
            request_deserializer=_identity,
            response_serializer=_identity,
        )

    def _who(self, request, context):
        metadata = dict(context.invocation_metadata())
        sleep_ms = metadata.get("x-echo-sleep-ms")
        if sleep_ms:
            time.sleep(int(sleep_ms) / 1000.0)
        if metadata.get("x-echo-fail-on") == self._name:
            context.abort(grpc.StatusCode.UNAVAILABLE, f"{self._name}: fails every call asking it to")
        key = metadata.get("x-echo-fail-first")
        if key:
            with self._lock:
                attempt = self._seen.get(key, 0) + 1
                self._seen[key] = attempt
            if attempt == 1:
                context.abort(grpc.StatusCode.UNAVAILABLE, f"{self._name}: first call with key {key} fails")
            return f"{self._name}#{attempt}".encode("utf-8")
        return self._name.encode("utf-8")

    def service(self, handler_call_details):
        if handler_call_details.method == f"/{SERVICE}/{METHOD}":
            return self._handler
        return None


def _parse_listen(value):
    name, sep, port = value.partition("=")
    if not sep or not name or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected NAME=PORT, got {value!r}")
    return name, int(port)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", action="append", type=_parse_listen, required=True,
                        metavar="NAME=PORT", help="start a server named NAME on 127.0.0.1:PORT")
    args = parser.parse_args()

    stop = threading.Event()
    servers = []
    for name, port in args.listen:
        server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        server.add_generic_rpc_handlers((_WhoHandler(name),))
        bound = server.add_insecure_port(f"127.0.0.1:{port}")
        if bound != port:
            print(f"backend {name}: could not bind 127.0.0.1:{port} (got {bound})", file=sys.stderr, flush=True)
            for s in servers:
                s.stop(None)
            return 2
        server.start()
        servers.append(server)
        print(f"backend {name} listening on 127.0.0.1:{port}", file=sys.stderr, flush=True)

    def on_signal(signum, _frame):
        print(f"backend: signal {signum}, stopping", file=sys.stderr, flush=True)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    def watch_stdin():
        # Blocks until the parent closes our stdin or dies; either way we must go.
        try:
            while sys.stdin.readline():
                pass
        finally:
            stop.set()

    threading.Thread(target=watch_stdin, daemon=True).start()

    print("READY", flush=True)
    while not stop.wait(0.5):
        pass
    for server in servers:
        server.stop(grace=0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
