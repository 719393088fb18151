#!/bin/bash
# Validates preflight on one NVIDIA machine, one command: the GPU inventory through each source
# (NVML, nvidia-smi, the PCI bus) against `nvidia-smi -q`, and `preflight bench` against nccl-tests
# built on the spot (same GPU, sizes and iterations; out-of-place and in-place; with and without
# CUDA graphs). Writes every output to DIR and the comparison as Markdown (DIR/tables.md) for
# docs/hardware-validation.md.
#
#   perf/gpu-validation.sh [--jar PATH] [--java PATH] [--out DIR] [--nccl-tests DIR]
#                           [--nccl-lib PATH] [--cudart-lib PATH] [--gpu INDEX] [--max-bytes SIZE]
#   perf/gpu-validation.sh --tables DIR      # only the tables, from a results directory
#
# Needs: the NVIDIA driver, the fat jar (coordinator/target/preflight.jar) and a Java 17 runtime.
# nccl-tests is built when --nccl-tests names its source (NVIDIA/nccl-tests) and nvcc and nccl.h
# are found (CUDA_HOME, else nvcc on PATH; NCCL_HOME, else /usr/include); otherwise the bench runs
# without a reference and the tables say so. nccl-tests runs with the NCCL preflight bench loaded
# (its directory first on LD_LIBRARY_PATH), so both measure the same library. Sizes: 8 B to
# --max-bytes (default 8G; CUDA graphs up to 1G at most). The results directory holds, by name (the names the
# shared GPU kit's gpu-validate.sh uses too): nvidia-smi-q.txt, run-nvml/ run-smi/ run-pci/ (and
# run-default/) with preflight-report.json, bench.txt and bench-graph.txt (preflight bench output),
# nt-all_reduce.txt, nt-sendrecv.txt and their -graph.txt twins (nccl-tests output).
set -euo pipefail

usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "gpu-validation.sh: $*" >&2; exit 2; }

# --- the tables -------------------------------------------------------------------------------

# Facts of `nvidia-smi -q` as "FACT<TAB>VALUE" lines, named as the report's facts below.
smi_facts() {
  awk '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
    /^Driver Version/ { split($0, kv, " : "); print "driver\t" trim(kv[2]) }
    /^GPU [0-9A-Fa-f]+:/ { gpu++; delete path }
    gpu && /^    / {
      match($0, /^ */); level = RLENGTH / 4
      line = trim($0); key = line; value = ""
      if (index(line, " : ") > 0) { key = trim(substr(line, 1, index(line, " : ") - 1)); value = trim(substr(line, index(line, " : ") + 3)) }
      path[level] = key; for (l = level + 1; l <= 8; l++) delete path[l]
      p = path[1]; for (l = 2; l <= level; l++) p = p "/" path[l]
      g = "GPU" (gpu - 1) " "
      if (value == "") next
      if (p == "Product Name") print g "name\t" value
      else if (p == "GPU UUID") print g "UUID\t" value
      else if (p == "PCI/Bus Id") { b = tolower(value); if (b ~ /^0000[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:/) b = substr(b, 5); print g "bus id\t" b }
      else if (p == "FB Memory Usage/Total") { sub(/ MiB$/, "", value); print g "memory (MiB)\t" value }
      else if (p == "ECC Mode/Current" || p == "Ecc Mode/Current") print g "ECC\t" (value == "Enabled" ? "on" : "off")
      else if (p == "PCI/GPU Link Info/PCIe Generation/Max") print g "PCIe max generation\t" value
      else if (p == "PCI/GPU Link Info/Link Width/Max") { sub(/x$/, "", value); print g "PCIe max width\t" value }
      else if (p == "Persistence Mode") print g "persistence\t" (value == "Enabled" ? "on" : "off")
      else if (p == "MIG Mode/Current") print g "MIG\t" (value == "Enabled" ? "on" : "off")
      else if (p == "Temperature/GPU Current Temp") { sub(/ C$/, "", value); print g "temperature (C)\t" value }
      else if (p == "GPU Power Readings/Power Draw" || p == "GPU Power Readings/Instantaneous Power Draw") { sub(/ W$/, "", value); print g "power draw (W)\t" value }
    }' "$1"
}

# The first node's GPU inventory in a preflight JSON report (protobuf JSON, one field a line).
report_facts() {
  awk '
    function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t,]+$/, "", s); return s }
    function unquote(s) { s = trim(s); gsub(/^"|"$/, "", s); return s }
    {
      line = trim($0); key = ""; rest = line
      if (line ~ /^"[^"]+": /) { key = substr(line, 2, index(line, "\":") - 2); rest = trim(substr(line, index(line, "\":") + 2)) }
      here = ""; for (i = 1; i <= depth; i++) here = here "/" stack[i]
      inv = here ~ /^\/root\/nodes\/e\/info\/gpuInventory/ && node == 1
      sub(/^\/root\/nodes\/e\/info\/gpuInventory/, "", here)
      if (inv && key != "") {
        if (here == "" && key == "source") print "source used\t" unquote(rest)
        else if (here == "" && key == "driverVersion") print "driver\t" unquote(rest)
        else if (here == "/attempts/e" && key == "source") attempt = unquote(rest)
        else if (here == "/attempts/e" && key == "outcome") attempt = attempt " " unquote(rest)
        else if (here == "/attempts/e" && key == "detail") { d = unquote(rest); print "attempt " ++attempts "\t" attempt (d == "" ? "" : ": " substr(d, 1, 70)) }
        else if (here == "/gpus/e") {
          v = unquote(rest)
          # the PCI source knows no CUDA index (-1): its GPUs are numbered in bus order
          if (key == "index") { g = "GPU" (v < 0 ? unindexed++ : v) " "; links[g] = 0; total[g] = 0; print g "NVLinks active\t@" g }
          else if (key == "name") print g "name\t" v
          else if (key == "uuid") print g "UUID\t" v
          else if (key == "pciBusId") print g "bus id\t" tolower(v)
          else if (key == "memoryTotalBytes") print g "memory (MiB)\t" int(v / 1048576)
          else if (key == "temperatureC") print g "temperature (C)\t" v
          else if (key == "powerDrawWatts") print g "power draw (W)\t" v
          else if (key == "persistenceMode") print g "persistence\t" (v == "true" ? "on" : "off")
          else if (key == "migEnabled") print g "MIG\t" (v == "true" ? "on" : "off")
        }
        else if (here == "/gpus/e/ecc" && key == "enabled") print g "ECC\t" (unquote(rest) == "true" ? "on" : "off")
        else if (here == "/gpus/e/pcie" && key == "maxGeneration") print g "PCIe max generation\t" unquote(rest)
        else if (here == "/gpus/e/pcie" && key == "maxWidth") print g "PCIe max width\t" unquote(rest)
        else if (here == "/gpus/e/nvlinks/e" && key == "active") { total[g]++; if (unquote(rest) == "true") links[g]++ }
      }
      # protobuf JSON: an array of objects opens as "key": [{, goes on with }, { and ends with }]
      if (rest == "{") {
        stack[++depth] = key != "" ? key : "root"
      } else if (rest == "[{") {
        stack[++depth] = key; stack[++depth] = "e"
        if (key == "nodes") node = 1
      } else if (line ~ /^}, {/) {
        if (stack[depth - 1] == "nodes") node++
      } else if (line ~ /^}]/) {
        depth -= 2
      } else if (line ~ /^[]}]/) {
        depth--
      }
    }
    END { for (g in links) print "@" g "\t" (total[g] == 0 ? "none listed" : links[g] " of " total[g]) }' "$1"
}

inventory_table() {
  local dir=$1 ref facts runs=() run
  ref=$(smi_facts "$dir/nvidia-smi-q.txt")
  for run in run-nvml run-default run-smi run-pci; do
    [ -f "$dir/$run/preflight-report.json" ] && runs+=("$run")
  done
  {
    for run in "${runs[@]}"; do
      facts=$(report_facts "$dir/$run/preflight-report.json")
      # the NVLink count is known only at the end of the report: substitute it into its row
      printf '%s\n' "$facts" | awk -F'\t' -v run="$run" '
        /^@/ { count[substr($1, 2)] = $2; next } { rows[++n] = $0 }
        END { for (i = 1; i <= n; i++) { split(rows[i], f, "\t"); v = f[2]; if (v ~ /^@/) v = count[substr(v, 2)]; print run "\t" f[1] "\t" v } }'
    done
    printf '%s\n' "$ref" | sed 's/^/ref\t/'
  } | awk -F'\t' -v runs="${runs[*]}" '
    BEGIN { n = split(runs, run, " ") }
    # readings that change from one moment to the next are shown, not compared
    function live(fact) { return fact ~ /temperature|power draw/ }
    {
      if (!(($2) in seen)) { seen[$2] = 1; order[++facts] = $2 }
      value[$1, $2] = $3
    }
    END {
      printf "| fact | nvidia-smi -q |"; for (i = 1; i <= n; i++) printf " %s |", run[i]; print ""
      printf "|---|---|"; for (i = 1; i <= n; i++) printf "---|"; print ""
      for (f = 1; f <= facts; f++) {
        fact = order[f]; ref = (("ref", fact) in value) ? value["ref", fact] : ""
        printf "| %s | %s |", fact, ref == "" ? "-" : ref
        for (i = 1; i <= n; i++) {
          v = ((run[i], fact) in value) ? value[run[i], fact] : ""
          mark = (v != "" && ref != "" && v != ref && !live(fact)) ? " (differs)" : ""
          printf " %s%s |", v == "" ? "-" : v, mark
        }
        print ""
      }
    }'
}

# The data rows of one collective from nccl-tests-shaped output: SIZE OOP_TIME OOP_ALGBW IP_TIME IP_ALGBW.
# preflight bench prints several collectives, each after "# OP DTYPE on N rank(s)"; nccl-tests one.
rows() {
  awk -v op="$2" '
    /^# [a-z_]+ [a-z0-9]+ on [0-9]+ rank/ { section = $2; next }
    /^#/ { next }
    NF >= 13 && $1 ~ /^[0-9]+$/ && (section == "" || section == op) { print $1, $6, $7, $10, $11 }' "$1"
}

bench_table() {
  local dir=$1 op=$2 graph=$3 suffix="" ours theirs
  [ "$graph" = yes ] && suffix=-graph
  ours=$dir/bench$suffix.txt theirs=$dir/nt-$op$suffix.txt
  echo
  echo "#### $op, $([ "$graph" = yes ] && echo "CUDA graphs (preflight --graph 10, nccl-tests -G 10)" || echo "no CUDA graphs")"
  echo
  if [ ! -f "$ours" ]; then echo "No preflight bench output ($(basename "$ours"))."; return; fi
  if [ ! -f "$theirs" ]; then echo "No nccl-tests output ($(basename "$theirs")): nothing to compare with."; return; fi
  join <(rows "$ours" "$op" | sort -k1,1) <(rows "$theirs" "$op" | sort -k1,1) | sort -n -k1,1 | awk '
    function size(b) { return b >= 1073741824 ? b / 1073741824 " GiB" : b >= 1048576 ? b / 1048576 " MiB" : b >= 1024 ? b / 1024 " KiB" : b " B" }
    function ratio(a, b) { return b > 0 ? sprintf("%.3f", a / b) : "-" }
    BEGIN {
      print "| size | time, preflight (us) | time, nccl-tests (us) | ratio | algbw, preflight (GB/s) | algbw, nccl-tests (GB/s) | in-place time, preflight (us) | in-place time, nccl-tests (us) | in-place ratio |"
      print "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    }
    {
      printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", size($1), $2, $6, ratio($2, $6), $3, $7, $4, $8, ratio($4, $8)
      if ($1 >= 1048576 && $6 > 0) { big++; d = $2 / $6 - 1; if (d < 0) d = -d; if (d <= 0.03) within++; if (d > worst) { worst = d; at = size($1) } }
    }
    END {
      if (big) printf "\nOut-of-place, 1 MiB and up: %d of %d sizes within 3%% of nccl-tests; largest difference %.1f%% (at %s).\n", within, big, worst * 100, at
    }'
}

tables() {
  local dir=$1 op graph
  [ -d "$dir" ] || die "--tables $dir: not a directory"
  [ -f "$dir/nvidia-smi-q.txt" ] || die "--tables $dir: no nvidia-smi-q.txt (expected the results of a validation run)"
  echo "### GPU inventory: each source against nvidia-smi -q"
  echo
  inventory_table "$dir"
  echo
  echo "(differs): not the value nvidia-smi -q shows. Temperature and power are live readings, taken at"
  echo "different moments, and are shown but not compared."
  echo
  echo "### preflight bench against nccl-tests"
  local header
  header=$(grep -m1 '^# nccl-tests version' "$dir/nt-all_reduce.txt" 2>/dev/null || true)
  [ -n "$header" ] && { echo; echo "Reference: \`${header#\# }\`."; }
  for op in all_reduce sendrecv; do
    for graph in no yes; do
      bench_table "$dir" "$op" "$graph"
    done
  done
}

# --- the run ----------------------------------------------------------------------------------

run_all() {
  local jar=$1 java=$2 out=$3 src=$4 gpu=$5 max=$6 libs=("${@:7}") graph_max
  graph_max=$max
  [[ $max =~ ^[0-9]+G$ ]] && graph_max=1G
  command -v nvidia-smi > /dev/null || die "nvidia-smi not found: this needs an NVIDIA machine with the driver"
  [ -f "$jar" ] || die "--jar $jar: no such file (build it: mvn -B -DskipTests package)"
  "$java" -version > /dev/null 2>&1 || die "--java $java: not a working Java runtime"
  mkdir -p "$out"
  echo "gpu-validation: results in $out"
  nvidia-smi -q > "$out/nvidia-smi-q.txt"
  nvidia-smi -q -x > "$out/nvidia-smi-q.xml"
  nvidia-smi topo -m > "$out/topo-m.txt" 2>&1 || true
  nvidia-smi nvlink -s > "$out/nvlink-s.txt" 2>&1 || true

  local checks=gpu.present,gpu.count,gpu.ecc,gpu.row_remap,gpu.nvlink,gpu.p2p,gpu.pcie,gpu.mode,gpu.fabric,gpu.busy,gpu.thermal
  echo "gpu-validation: inventory through NVML, nvidia-smi and the PCI bus"
  # rc 1 (a FAIL or WARN somewhere) is a verdict, not a failure of this script
  "$java" -jar "$jar" run --checks "$checks" --out "$out/run-nvml" > "$out/run-nvml.txt" 2> "$out/run-nvml.err" || true
  # a platform the binding has no natives for makes NVML unavailable, so nvidia-smi answers
  "$java" -Dorg.bytedeco.javacpp.platform=linux-ppc64le -jar "$jar" run --checks "$checks" \
    --out "$out/run-smi" > "$out/run-smi.txt" 2> "$out/run-smi.err" || true
  "$java" -Dorg.bytedeco.javacpp.platform=linux-ppc64le -jar "$jar" run --checks "$checks" --nvidia-smi /nonexistent \
    --out "$out/run-pci" > "$out/run-pci.txt" 2> "$out/run-pci.err" || true

  local nt=""
  if [ -n "$src" ]; then
    local cuda=${CUDA_HOME:-} nccl=${NCCL_HOME:-}
    [ -z "$cuda" ] && command -v nvcc > /dev/null && cuda=$(dirname "$(dirname "$(command -v nvcc)")")
    [ -z "$nccl" ] && [ -f /usr/include/nccl.h ] && nccl=/usr
    if [ -n "$cuda" ] && [ -x "$cuda/bin/nvcc" ] && [ -n "$nccl" ] && [ -f "$nccl/include/nccl.h" ]; then
      # only for this GPU's architecture: the default list takes minutes to compile
      local cap
      cap=$(nvidia-smi -i "$gpu" --query-gpu=compute_cap --format=csv,noheader | tr -d ' .')
      echo "gpu-validation: building nccl-tests ($src) for sm_$cap with $cuda and $nccl"
      if make -j"$(nproc)" -C "$src/src" MPI=0 BUILDDIR="$out/nccl-tests" CUDA_HOME="$cuda" NCCL_HOME="$nccl" \
          NVCC_GENCODE="-gencode=arch=compute_$cap,code=sm_$cap" \
          "$out/nccl-tests/all_reduce_perf" "$out/nccl-tests/sendrecv_perf" > "$out/nccl-tests-build.txt" 2>&1; then
        nt=$out/nccl-tests
      else
        echo "gpu-validation: nccl-tests did not build (see $out/nccl-tests-build.txt)"
      fi
    else
      echo "gpu-validation: no nvcc or no nccl.h (CUDA_HOME, NCCL_HOME): nccl-tests not built"
    fi
  fi

  echo "gpu-validation: preflight bench on GPU $gpu"
  local b=("$java" -jar "$jar" bench --gpus "$gpu" --op all_reduce,sendrecv --min-bytes 8 --iters 20 --warmup-iters 5 "${libs[@]}")
  "${b[@]}" --max-bytes "$max" --out "$out/bench" > "$out/bench.txt" 2> "$out/bench.err" || true
  "${b[@]}" --max-bytes "$graph_max" --graph 10 --out "$out/bench-graph" > "$out/bench-graph.txt" 2> "$out/bench-graph.err" || true
  if [ -n "$nt" ]; then
    # the NCCL preflight benched, as its progress line names it: "..., NCCL 2.28.9 from /path/libnccl.so.2"
    local nccl_dir="" t
    nccl_dir=$(sed -n 's/.*, NCCL [0-9.]* from \(\/.*\)\/libnccl[^/]*$/\1/p' "$out/bench.err" | head -1)
    echo "gpu-validation: nccl-tests on GPU $gpu${nccl_dir:+, with the NCCL in $nccl_dir}"
    for t in all_reduce sendrecv; do
      LD_LIBRARY_PATH=${nccl_dir:+$nccl_dir:}${LD_LIBRARY_PATH:-} CUDA_VISIBLE_DEVICES=$gpu \
        "$nt/${t}_perf" -b 8 -e "$max" -f 2 -g 1 -n 20 -w 5 > "$out/nt-$t.txt" 2>&1 || true
      LD_LIBRARY_PATH=${nccl_dir:+$nccl_dir:}${LD_LIBRARY_PATH:-} CUDA_VISIBLE_DEVICES=$gpu \
        "$nt/${t}_perf" -b 8 -e "$graph_max" -f 2 -g 1 -n 20 -w 5 -G 10 > "$out/nt-$t-graph.txt" 2>&1 || true
    done
  fi
  tables "$out" > "$out/tables.md"
  echo "gpu-validation: tables in $out/tables.md"
}

main() {
  local jar=coordinator/target/preflight.jar java=${JAVA:-java} out=./gpu-validation-results src="" gpu=0 max=8G libs=()
  while [ $# -gt 0 ]; do
    case $1 in
      --tables) [ $# -ge 2 ] || die "--tables needs a results directory"; tables "$2"; return ;;
      --jar) jar=${2:?--jar needs a path}; shift ;;
      --java) java=${2:?--java needs a path}; shift ;;
      --out) out=${2:?--out needs a directory}; shift ;;
      --nccl-tests) src=${2:?--nccl-tests needs the nccl-tests source directory}; shift
        [ -d "$src/src" ] || die "--nccl-tests $src: not an nccl-tests source tree (no src/)" ;;
      --gpu) gpu=${2:?--gpu needs an index}; shift
        [[ $gpu =~ ^[0-9]+$ ]] || die "--gpu $gpu: expected a GPU index (0, 1, ...)" ;;
      --max-bytes) max=${2:?--max-bytes needs a size}; shift
        [[ $max =~ ^[0-9]+[KMG]?$ ]] || die "--max-bytes $max: expected a size such as 256M or 8G" ;;
      --nccl-lib|--cudart-lib) [ -f "${2:-}" ] || die "$1 ${2:-}: no such file"; libs+=("$1" "$2"); shift ;;
      -h|--help) usage; return ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
  done
  run_all "$jar" "$java" "$out" "$src" "$gpu" "$max" "${libs[@]}"
}

main "$@"
