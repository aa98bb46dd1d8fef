#!/usr/bin/env bash
# Builds Mesh.sln and runs every test project, then prints "N passed, N failed".
# Installs only what the tests need and is missing: redis-server, and python3-grpcio for
# /usr/bin/python3 (the real gRPC xDS client of tests/EndToEnd.Tests).
# Extra arguments go to `dotnet test`, e.g. scripts/test.sh --filter Category=BVT
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
/usr/bin/python3 -c "import grpc" >/dev/null 2>&1 || missing+=(python3-grpcio)
if ((${#missing[@]})); then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
      sudo=(sudo)
    else
      echo "error: missing ${missing[*]}; not root and no sudo. Install them: apt-get install -y ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "Installing missing test dependencies: ${missing[*]}"
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y "${missing[@]}"
fi

for tool in dotnet node npm; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "error: $tool not found on PATH; the build needs it (src/Envoy fetches Envoy's protos with npm and node)." >&2
    exit 1
  fi
done

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
dotnet test Mesh.sln -c Release --logger "console;verbosity=normal" "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One summary per test assembly: "Passed!  - Failed: 0, Passed: 12, ..." / "Failed!  - Failed: 1, ..."
# (minimal verbosity), or the block "Total tests: N / Passed: N / Failed: N" (normal verbosity).
read -r passed failed < <(awk '
  /^(Passed|Failed)!  *- *Failed: *[0-9]+, *Passed: *[0-9]+/ {
    line = $0; gsub(/,/, " ", line); n = split(line, w, /[ \t]+/)
    for (i = 1; i < n; i++) { if (w[i] == "Failed:") sf += w[i+1]; if (w[i] == "Passed:") sp += w[i+1] }
    short = 1; next
  }
  /^[ \t]*Total tests: *[0-9]+[ \t]*$/ { inblock = 1; next }
  inblock && /^[ \t]*Passed: *[0-9]+[ \t]*$/ { bp += $2; next }
  inblock && /^[ \t]*Failed: *[0-9]+[ \t]*$/ { bf += $2; next }
  inblock && /^[ \t]*Total time:/ { inblock = 0 }
  END { if (short) print sp + 0, sf + 0; else print bp + 0, bf + 0 }
' "$log")

# The log is long and CI keeps only its tail: repeat each failed test with the start of its
# error, so the reason is on the last screen.
if [ "$failed" -ne 0 ]; then
  echo "Failed tests:"
  awk '
    /^[ \t]*Failed [^ ]+.*\[[0-9.]+ *[a-z]+\][ \t]*$/ { print; grab = 12; next }
    grab > 0 { print "    " $0; grab--; }
  ' "$log" | cut -c1-300
fi
echo "${passed} passed, ${failed} failed"
if [ "$status" -ne 0 ] || [ "$failed" -ne 0 ]; then
  exit "$(( status != 0 ? status : 1 ))"
fi
if [ "$passed" -eq 0 ]; then
  echo "error: no test ran" >&2
  exit 1
fi
