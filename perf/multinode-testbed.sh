#!/usr/bin/env bash
# A full-profile `preflight run` on the network-namespace test bed: K nodes (testbed/netns.sh), an
# agent in each with G fake GPUs (the build's fake CUDA runtime and NCCL, ranks talking TCP across
# the bridge), one node's link optionally shaped. Prints the predicted and the measured wall time
# of the run and where its report is. The agents read captured /proc and /sys trees (the build's
# test fixtures), each with its own hostname and boot id; of the node checks only host.shm runs,
# as the trees hold no GPU. Needs root and iproute2.
# Usage: perf/multinode-testbed.sh [nodes] [gpus] [max-bytes] [iters] [node=rate, e.g. 3=200mbit]
set -euo pipefail
nodes=${1:-4}
gpus=${2:-2}
max_bytes=${3:-1M}
iters=${4:-20}
shape=${5:-}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bed="$root/testbed/netns.sh"
id="mn$$"
id=${id:0:6}
"$root/preflight" --version >/dev/null
jar="$root/coordinator/target/preflight.jar"
fake="$root/native/target/fake"
[ -f "$fake/libfakenccl.so" ] || { echo "build first: mvn -B -DskipTests package" >&2; exit 2; }
work=$(mktemp -d)
cleanup() { "$bed" down "$id" >/dev/null 2>&1 || true; }
trap cleanup EXIT

"$bed" up "$id" "$nodes" ${shape:+$shape}
agents=()
fixture="$root/agent/src/test/fixtures/memlock-unlimited"
for ((node = 1; node <= nodes; node++)); do
    # each node its own copy of a captured tree with its own hostname and boot id, as distinct machines have
    tree="$work/node-$node"
    cp -r "$fixture" "$tree"
    echo "node-$node" >"$tree/proc/sys/kernel/hostname"
    cat /proc/sys/kernel/random/uuid >"$tree/proc/sys/kernel/random/boot_id"
    FAKE_CUDA_DEVICE_COUNT=$gpus FAKE_NCCL_HOST="node-$node" \
        "$bed" exec "$id" "$node" java -Xmx192m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -jar "$jar" agent \
        --listen "198.18.0.$node:7744" --node-name "node-$node" --insecure \
        --procfs "$tree/proc" --sysfs "$tree/sys" --devfs "$tree/dev" --rootfs "$tree" \
        --cudart-lib "$fake/libfakecudart.so" --nccl-lib "$fake/libfakenccl.so" \
        --bench-lock-dir "$work/lock-$node" --bench-dir "$work/bench-$node" >"$work/agent-$node.log" 2>&1 &
    disown
    agents+=("198.18.0.$node:7744")
done
for ((node = 1; node <= nodes; node++)); do
    for _ in $(seq 1 600); do grep -q "serving on" "$work/agent-$node.log" && break; sleep 0.1; done
done
list=$(IFS=,; echo "${agents[*]}")
echo "nodes: $nodes x $gpus fake GPUs, max bytes $max_bytes, iters $iters, ${shape:-no link shaped}"
start=$(date +%s.%N)
"$bed" exec "$id" coord java -jar "$jar" run --agents "$list" --profile full --max-bytes "$max_bytes" \
    --iters "$iters" --checks host.shm --out "$work/out" 2>"$work/progress.log" >/dev/null || true
end=$(date +%s.%N)
python3 - "$work/out/preflight-report.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall = float(sys.argv[3]) - float(sys.argv[2])
phases = ", ".join(p["name"] + " " + p["outcome"].lower() for p in r["phases"])
print(f"wall {wall:.1f} s, predicted {r.get('predictedSeconds', 0):.0f} s before the GPU counts were known")
print(f"verdict {r['verdict']}; communicators {len(r['collectives'])}; phases: {phases}")
PY
grep "remaining bench phases predicted" "$work/progress.log" || true
echo "report: $work/out/preflight-report.json"
