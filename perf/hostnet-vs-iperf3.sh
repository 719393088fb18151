#!/usr/bin/env bash
# Host-network throughput of preflight's hostnet phase against iperf3 on the same veth pair, in the
# same run: two test-bed nodes (testbed/netns.sh), iperf3 then preflight, same stream count and
# duration, repeated. Needs root, iproute2 and iperf3 (Debian package iperf3).
# Usage: perf/hostnet-vs-iperf3.sh [rounds] [streams] [seconds] [rate, e.g. 1gbit; default unshaped]
set -euo pipefail
rounds=${1:-3}
streams=${2:-4}
seconds=${3:-5}
rate=${4:-}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bed="$root/testbed/netns.sh"
id="ip$$"
id=${id:0:6}
"$root/preflight" --version >/dev/null
jar="$root/coordinator/target/preflight.jar"
work=$(mktemp -d)
cleanup() { "$bed" down "$id" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT

"$bed" up "$id" 2 ${rate:+1=$rate}
for node in 1 2; do
    "$bed" exec "$id" "$node" java -Xmx192m -jar "$jar" agent --listen "198.18.0.$node:7744" --node-name "node-$node" --insecure \
        >"$work/agent-$node.log" 2>&1 &
    # the test bed's teardown kills the agents: not a failure to report
    disown
done
for node in 1 2; do
    for _ in $(seq 1 300); do grep -q "serving on" "$work/agent-$node.log" && break; sleep 0.1; done
done

echo "streams: $streams, seconds: $seconds, link: ${rate:-unshaped veth}"
printf '%-6s %-18s %-18s %s\n' round "iperf3 (Gbit/s)" "preflight (Gbit/s)" ratio
for ((r = 1; r <= rounds; r++)); do
    "$bed" exec "$id" 1 iperf3 -s -1 -B 198.18.0.1 >/dev/null 2>&1 &
    server=$!
    sleep 0.5
    iperf=$("$bed" exec "$id" 2 iperf3 -c 198.18.0.1 -P "$streams" -t "$seconds" -J |
        python3 -c 'import json,sys; print(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"]/1e9)')
    wait "$server"
    "$bed" exec "$id" coord java -jar "$jar" run --quiet --agents 198.18.0.1:7744,198.18.0.2:7744 --phases hostnet \
        --hostnet-streams "$streams" --hostnet-duration "${seconds}s" --out "$work/out" >/dev/null || true
    ours=$(python3 -c 'import json,sys; l=json.load(open(sys.argv[1]))["hostNetwork"]["links"][0]; print(l["throughputBytesPerSecond"]*8/1e9)' \
        "$work/out/preflight-report.json")
    printf '%-6s %-18.2f %-18.2f %.2f\n' "$r" "$iperf" "$ours" "$(python3 -c "print($ours/$iperf)")"
done
