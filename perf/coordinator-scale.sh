#!/usr/bin/env bash
# Wall time and heap of a checks-only preflight against N agents (all in one JVM on loopback,
# perf/ManyAgents.java), for each N given. The coordinator runs with -Xmx512m, so finishing at
# all proves its heap stayed under 512 MB; the GC log gives the peak heap in use.
# Usage: perf/coordinator-scale.sh [N ...]     (default: 10 100 1000)
# AGENT_MODE=light|full (default light: see perf/ManyAgents.java); SCALE_RUN_OPTS adds run flags.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/preflight" --version >/dev/null
jar="$root/coordinator/target/preflight.jar"
work=$(mktemp -d)
agents_pid=
cleanup() { [ -n "$agents_pid" ] && kill "$agents_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

echo "agent mode: ${AGENT_MODE:-light}; run options: ${SCALE_RUN_OPTS:-(none)}"
printf '%-8s %-14s %-18s %s\n' agents "wall time (s)" "peak heap (MiB)" verdict
for n in "${@:-10 100 1000}"; do
    for count in $n; do
        java -Xmx2g -cp "$jar" "$root/perf/ManyAgents.java" "$count" "${AGENT_MODE:-light}" >"$work/agents" 2>"$work/agents.err" &
        agents_pid=$!
        for _ in $(seq 1 1200); do [ -s "$work/agents" ] && break; sleep 0.1; done
        [ -s "$work/agents" ] || { echo "agents did not start: $(cat "$work/agents.err")" >&2; exit 1; }
        start=$(date +%s%N)
        java -Xmx512m -Xlog:gc:file="$work/gc.log" -jar "$jar" run --quiet --phases checks ${SCALE_RUN_OPTS:-} \
            --agents "$(cat "$work/agents")" --out "$work/out" >/dev/null 2>"$work/run.err" || true
        end=$(date +%s%N)
        peak=$(grep -oE '[0-9]+M->[0-9]+M' "$work/gc.log" | cut -dM -f1 | sort -n | tail -1)
        verdict=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["verdict"], sum(1 for n in r["nodes"] if n["reachability"]=="REACHABLE"), "reachable")' "$work/out/preflight-report.json")
        printf '%-8s %-14.2f %-18s %s\n' "$count" "$(python3 -c "print(($end-$start)/1e9)")" "${peak:-no GC}" "$verdict"
        kill "$agents_pid"; wait "$agents_pid" 2>/dev/null || true; agents_pid=
        : >"$work/agents"
    done
done
