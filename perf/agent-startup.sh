#!/usr/bin/env bash
# Measures `preflight agent`: time from exec to SERVING (the agent prints "serving on" right after
# its health service turns SERVING) and its resident memory after sitting idle.
# Usage: perf/agent-startup.sh [runs] [idle-seconds]      (builds the jar first if needed)
set -euo pipefail
runs=${1:-10}
idle=${2:-5}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/preflight" --version >/dev/null
jar="$root/coordinator/target/preflight.jar"

startups=()
rss=()
for ((i = 1; i <= runs; i++)); do
    log=$(mktemp)
    start=$(date +%s%N)
    java ${PREFLIGHT_JAVA_OPTS:-} -jar "$jar" agent --listen 127.0.0.1:0 2>"$log" &
    pid=$!
    trap 'kill $pid 2>/dev/null || true; rm -f "$log"' EXIT
    for ((w = 0; w < 3000; w++)); do
        grep -q "serving on" "$log" && break
        sleep 0.001
    done
    ready=$(date +%s%N)
    grep -q "serving on" "$log" || { echo "agent did not start: $(cat "$log")" >&2; exit 1; }
    startups+=($(( (ready - start) / 1000000 )))
    sleep "$idle"
    rss+=($(awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$pid/status"))
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -f "$log"
    trap - EXIT
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %d, min %d, max %d", a[int((NR+1)/2)], a[1], a[NR]}'; }
echo "runs: $runs; idle before the RSS reading: ${idle}s; JVM options: ${PREFLIGHT_JAVA_OPTS:-(none)}"
echo "start to SERVING (ms): $(stats "${startups[@]}")"
echo "idle resident memory (MiB): $(stats "${rss[@]}")"
