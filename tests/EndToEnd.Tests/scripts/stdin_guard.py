#!/usr/bin/python3
"""Runs a command and ends it when our stdin closes, so a crashed test never leaks it.

Usage: stdin_guard.py COMMAND [ARGS...]
The command inherits stdout and stderr and gets no stdin. When our stdin reaches EOF (the test
closed it, or the test process died) or we get SIGTERM/SIGINT, the command gets SIGTERM, then
SIGKILL 5 s later if it is still running. We exit with the command's exit code.
"""
import signal
import subprocess
import sys
import threading

GRACE_SECONDS = 5.0


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    child = subprocess.Popen(sys.argv[1:], stdin=subprocess.DEVNULL)
    stopping = threading.Event()

    def stop(reason):
        if stopping.is_set() or child.poll() is not None:
            return
        stopping.set()
        print(f"stdin_guard: {reason}; sending SIGTERM to pid {child.pid}", file=sys.stderr, flush=True)
        child.terminate()
        try:
            child.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            print(f"stdin_guard: pid {child.pid} still running after {GRACE_SECONDS:.0f} s; SIGKILL", file=sys.stderr, flush=True)
            child.kill()

    def watch_stdin():
        while sys.stdin.readline():
            pass
        stop("stdin closed")

    signal.signal(signal.SIGTERM, lambda signum, _: threading.Thread(target=stop, args=(f"signal {signum}",)).start())
    signal.signal(signal.SIGINT, lambda signum, _: threading.Thread(target=stop, args=(f"signal {signum}",)).start())
    threading.Thread(target=watch_stdin, daemon=True).start()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
