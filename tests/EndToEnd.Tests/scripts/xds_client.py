#!/usr/bin/python3
"""A real proxyless gRPC xDS client driven over stdin, for the end-to-end tests.

It writes (or uses) an xDS bootstrap, points GRPC_XDS_BOOTSTRAP at it *before* importing grpc,
opens ONE channel to the xds:/// target and keeps it for its whole life, so every command
observes what the same xDS client learned over the same ADS stream.

Commands, one per line on stdin; each answer is one JSON line on stdout:
  count N [B] [NAME=VALUE ...]
               N unary calls to /mesh.test.Echo/Who (2 s timeout each); with B, start no new
               call after B seconds and answer with "incomplete": true; each NAME=VALUE is
               sent as request metadata (a header) on every call, NAME in lowercase
               -> {"counts": {backend: n}, "errors": {status_code: n},
                   "error_details": {status_code: last detail}, "incomplete": bool}
  concurrent N [NAME=VALUE ...]
               N unary calls started all at once (all in flight together, 2 s timeout each),
               answered when every one has finished; metadata as for count
               -> the same shape as count, "incomplete" always false
  ready SECS   wait up to SECS for the channel to be READY
               -> {"ready": bool, "state": "READY"|...}
  quit         exit
Exits when stdin closes. Diagnostics go to stderr.

Run with Debian's /usr/bin/python3 (python3-grpcio, whose C-core has the xds resolver).
"""
import argparse
import json
import os
import sys
import tempfile
import time

METHOD = "/mesh.test.Echo/Who"
RPC_TIMEOUT_SECONDS = 2.0


def log(message):
    print(f"xds_client: {message}", file=sys.stderr, flush=True)


def write_bootstrap(args):
    bootstrap = {
        "xds_servers": [{
            "server_uri": f"127.0.0.1:{args.xds_port}",
            "channel_creds": [{"type": "insecure"}],
            "server_features": ["xds_v3"],
        }],
        "node": {
            "id": args.node_id,
            "metadata": {"GENERATOR": "grpc", "NAMESPACE": args.namespace},
        },
    }
    if args.label:
        bootstrap["node"]["metadata"]["LABELS"] = dict(label.split("=", 1) for label in args.label)
    if args.locality:
        parts = args.locality.split("/")
        bootstrap["node"]["locality"] = {k: v for k, v in zip(("region", "zone", "sub_zone"), parts) if v}
    if args.bootstrap:
        path = args.bootstrap
        with open(path, "w", encoding="utf-8") as f:
            json.dump(bootstrap, f, indent=2)
    else:
        fd, path = tempfile.mkstemp(prefix="xds-bootstrap-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(bootstrap, f, indent=2)
    return path


def parse_metadata(options):
    """NAME=VALUE pairs, NAME non-empty and lowercase."""
    metadata = []
    for option in options:
        name, sep, value = option.partition("=")
        if not sep or not name or name != name.lower():
            raise ValueError(f"expected NAME=VALUE with a lowercase NAME, got {option!r}")
        metadata.append((name, value))
    return tuple(metadata)


def parse_count_options(options):
    """The optional budget B (first, no '=') and the NAME=VALUE metadata pairs of a count command."""
    budget = None
    if options and "=" not in options[0]:
        budget = float(options[0])
        options = options[1:]
    return budget, parse_metadata(options)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", required=True, help="e.g. xds:///echo.e2e.svc.cluster.local:7070")
    parser.add_argument("--xds-port", type=int, help="ADS server port on 127.0.0.1 (writes a bootstrap)")
    parser.add_argument("--bootstrap", help="bootstrap path: written when --xds-port is given, else used as is")
    parser.add_argument("--node-id", default="sidecar~127.0.0.1~client-1.default~default.svc.cluster.local")
    parser.add_argument("--namespace", default="default")
    parser.add_argument("--label", action="append", default=[], help="KEY=VALUE node label (metadata LABELS), repeatable")
    parser.add_argument("--locality", help="REGION[/ZONE[/SUBZONE]]: the node's locality")
    args = parser.parse_args()
    if args.xds_port is None and not args.bootstrap:
        parser.error("give --xds-port (and optionally --bootstrap PATH to write), or --bootstrap PATH to use")
    return args


def main():
    args = parse_args()
    if args.xds_port is not None:
        path = write_bootstrap(args)
    else:
        path = args.bootstrap
    os.environ["GRPC_XDS_BOOTSTRAP"] = path
    log(f"bootstrap {path}, target {args.target}")

    import grpc  # noqa: E402  (the bootstrap env var must be set first)

    channel = grpc.insecure_channel(args.target)
    def on_state(state):
        log(f"channel state {state.name}")

    channel.subscribe(on_state, try_to_connect=True)
    who = channel.unary_unary(METHOD, request_serializer=lambda b: b, response_deserializer=lambda b: b)

    def count(n, budget=None, metadata=()):
        counts, errors, details = {}, {}, {}
        deadline = None if budget is None else time.monotonic() + budget
        incomplete = False
        for _ in range(n):
            if deadline is not None and time.monotonic() >= deadline:
                incomplete = True
                break
            try:
                name = who(b"", timeout=RPC_TIMEOUT_SECONDS, metadata=metadata).decode("utf-8")
                counts[name] = counts.get(name, 0) + 1
            except grpc.RpcError as e:
                code = e.code().name if e.code() is not None else "UNKNOWN"
                errors[code] = errors.get(code, 0) + 1
                details[code] = e.details()
        if errors:
            log(f"errors {errors}: {details}")
        return {"counts": counts, "errors": errors, "error_details": details, "incomplete": incomplete}

    def concurrent(n, metadata=()):
        # Every call is started before the first result is awaited, so all n are in flight together.
        calls = [who.future(b"", timeout=RPC_TIMEOUT_SECONDS, metadata=metadata) for _ in range(n)]
        counts, errors, details = {}, {}, {}
        for call in calls:
            try:
                name = call.result().decode("utf-8")
                counts[name] = counts.get(name, 0) + 1
            except grpc.RpcError as e:
                code = e.code().name if e.code() is not None else "UNKNOWN"
                errors[code] = errors.get(code, 0) + 1
                details[code] = e.details()
        if errors:
            log(f"errors {errors}: {details}")
        return {"counts": counts, "errors": errors, "error_details": details, "incomplete": False}

    def ready(seconds):
        try:
            grpc.channel_ready_future(channel).result(timeout=seconds)
            return {"ready": True, "state": "READY"}
        except grpc.FutureTimeoutError:
            return {"ready": False, "state": "NOT_READY"}

    print(json.dumps({"started": True}), flush=True)
    for line in sys.stdin:
        parts = line.split()
        if not parts:
            continue
        command = parts[0]
        try:
            if command == "count" and len(parts) >= 2:
                answer = count(int(parts[1]), *parse_count_options(parts[2:]))
            elif command == "concurrent" and len(parts) >= 2:
                answer = concurrent(int(parts[1]), parse_metadata(parts[2:]))
            elif command == "ready" and len(parts) == 2:
                answer = ready(float(parts[1]))
            elif command == "quit":
                break
            else:
                answer = {"error": f"unknown command {line.strip()!r}"}
        except ValueError as e:
            answer = {"error": f"bad argument in {line.strip()!r}: {e}"}
        print(json.dumps(answer, sort_keys=True), flush=True)

    channel.unsubscribe(on_state)
    channel.close()
    log("exiting")
    return 0


if __name__ == "__main__":
    sys.exit(main())
