package dev.preflight.reports;

import dev.preflight.proto.nccltests.NcclTestsNames;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Gpu;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.Placement;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RankIterations;
import dev.preflight.proto.v1.SizeRow;
import com.google.protobuf.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One communicator's bench as nccl-tests 2.19 writes it with {@code -J FILE} (JSON file version
 * 3, the keys of its src/util.cu in the same order), so the scripts and notebooks built on that
 * file, nccl-tests' own tools/analyze_perf_json.py first, read preflight's measurements unchanged.
 *
 * <p>Each rank is one process driving one GPU (nccl-tests run as {@code mpirun -np N ... -g 1}):
 * with per-iteration timing, {@code per_process_max_times_us} holds every rank's own time of every
 * iteration and {@code times_us} the slowest rank's per iteration, with the statistics over those,
 * as nccl-tests computes them. Where nccl-tests would print one binary's results, a communicator
 * that ran several ops lists them one after the other, each entry's {@code experiment_name} naming
 * its binary ({@code all_reduce_perf}).
 */
public final class NcclTestsJson {
    /** nccl-tests' JSON_FILE_VERSION. */
    static final int FILE_VERSION = 3;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT)
            .withZone(ZoneOffset.UTC);
    private static final Pattern NCCL_VERSION = Pattern.compile("(\\d+)\\.(\\d+)\\.(\\d+).*");

    private NcclTestsJson() {}

    /**
     * The file for one communicator of the report: a run's {@code collectives} entry, or a node's
     * {@code bench} (whose workers name no node: {@code host} is the node they ran on).
     */
    public static String render(PreflightReport report, CollectiveResults comm, String host) {
        Json json = new Json();
        json.startObject();
        json.key("version").number(FILE_VERSION);
        json.key("start_time").string(time(report.getStartedAt()));
        json.key("args").startList();
        for (String word : report.getCommandLine().split(" ")) {
            if (!word.isEmpty()) {
                json.string(word);
            }
        }
        json.endList();
        json.key("env").startList();
        for (Map.Entry<String, String> setting : new TreeMap<>(report.getWorkloadEnvMap()).entrySet()) {
            json.string(setting.getKey() + "=" + setting.getValue());
        }
        json.endList();
        json.key("nccl_version").number(ncclVersionCode(comm));
        config(json, report, comm, host);
        json.key("results").startList();
        long wrong = 0;
        double busbwSum = 0;
        int lines = 0;
        List<String> errors = new ArrayList<>();
        for (CollectiveResult result : comm.getResultsList()) {
            for (SizeRow row : result.getRowsList()) {
                json.startObject();
                json.key("size").number(row.getSizeBytes());
                json.key("count").number(row.getCount());
                json.key("type").string(NcclTestsNames.dtype(result.getDtype()));
                json.key("redop").string(redop(result.getOp()));
                json.key("root").string(String.format(Locale.ROOT, "%6d", -1));
                placement(json, "out_of_place", row.getOutOfPlace());
                placement(json, "in_place", row.getInPlace());
                json.key("actual_iterations").number(iterations(comm, row));
                json.key("experiment_name").string(NcclTestsNames.binary(result.getOp()));
                json.endObject();
                for (Placement p : List.of(row.getOutOfPlace(), row.getInPlace())) {
                    wrong += Math.max(0, p.getWrong());
                    busbwSum += p.getBusbwGbps();
                    lines++;
                }
            }
            if (!result.getError().isEmpty()) {
                errors.add(NcclTestsNames.binary(result.getOp()) + " " + result.getOutcome() + ": " + result.getError());
            }
        }
        json.endList();
        json.key("out_of_bounds").startObject();
        json.key("count").number(wrong);
        json.key("okay").string(Boolean.toString(wrong == 0));
        json.endObject();
        json.key("average_bus_bandwidth").startObject();
        json.key("bandwidth").decimal(lines == 0 ? 0 : busbwSum / lines);
        json.key("okay").string("unchecked");
        json.endObject();
        json.key("errors").startList();
        for (String error : errors) {
            json.string(error);
        }
        json.endList();
        json.key("end_time").string(time(report.getFinishedAt()));
        json.endObject();
        return json.text() + "\n";
    }

    private static void config(Json json, PreflightReport report, CollectiveResults comm, String host) {
        BenchSpec spec = comm.getSpec();
        List<SizeRow> rows = comm.getResultsCount() == 0 ? List.of() : comm.getResults(0).getRowsList();
        json.key("config").startObject();
        json.key("nthreads").number(1);
        json.key("ngpus").number(1);
        json.key("minimum_bytes").number(comm.hasSpec() ? spec.getMinBytes() : rows.isEmpty() ? 0 : rows.get(0).getSizeBytes());
        json.key("maximum_bytes").number(comm.hasSpec() ? spec.getMaxBytes()
                : rows.isEmpty() ? 0 : rows.get(rows.size() - 1).getSizeBytes());
        json.key("step_factor").number(comm.hasSpec() ? spec.getStepFactor()
                : rows.size() < 2 ? 1 : rows.get(1).getSizeBytes() / Math.max(1, rows.get(0).getSizeBytes()));
        json.key("warmup_iters").number(spec.getWarmupIters());
        json.key("iterations").number(rows.isEmpty() ? spec.getIters() : iterations(comm, rows.get(0)));
        json.key("aggregated_iterations").number(1);
        json.key("validation").number(comm.hasSpec() && !spec.getNoValidation() ? 1 : 0);
        json.key("graph").number(spec.getGraphLaunches());
        json.key("blocking_collectives").string("false");
        json.key("per_iter_timing").string(Boolean.toString(spec.getPerIteration() || hasIterations(comm)));
        json.key("per_iter_skip").number(0);
        json.key("parallel_init").string("false");
        json.key("devices").startList();
        List<BenchWorker> workers = new ArrayList<>(comm.getWorkersList());
        workers.sort((a, b) -> Integer.compare(a.getRank(), b.getRank()));
        for (BenchWorker worker : workers) {
            String node = worker.getNode().isEmpty() ? host : worker.getNode();
            json.startObject();
            json.key("rank").number(worker.getRank());
            json.key("group").number(0);
            json.key("pid").number(worker.getPid());
            json.key("hostname").string(node);
            json.key("device").number(worker.getGpu());
            json.key("device_hex").string(deviceHex(worker.getPciBusId()));
            json.key("device_info").string(gpuName(report, node, worker.getPciBusId()));
            json.endObject();
        }
        json.endList();
        json.endObject();
    }

    /** Iterations each rank timed: the spec's, or where a saved report lacks it, as many as were recorded. */
    private static int iterations(CollectiveResults comm, SizeRow row) {
        if (comm.hasSpec()) {
            return comm.getSpec().getIters();
        }
        List<RankIterations> ranks = row.getOutOfPlace().getRankIterationsList();
        return ranks.isEmpty() ? 0 : ranks.get(0).getIterationUsCount();
    }

    private static boolean hasIterations(CollectiveResults comm) {
        return comm.getResultsList().stream().flatMap(r -> r.getRowsList().stream())
                .anyMatch(row -> row.getOutOfPlace().getRankIterationsCount() > 0);
    }

    private static void placement(Json json, String key, Placement p) {
        json.key(key).startObject();
        json.key("time").decimal(p.getTimeUs());
        json.key("alg_bw").decimal(p.getAlgbwGbps());
        json.key("bus_bw").decimal(p.getBusbwGbps());
        json.key("nwrong");
        if (p.getWrong() < 0) {
            json.nullValue();
        } else {
            json.decimal(p.getWrong());
        }
        json.endObject();
        if (p.getRankIterationsCount() > 0) {
            perIteration(json, key + "_per_iter", p.getRankIterationsList());
        }
    }

    /** nccl-tests' writePerIterReport over the slowest rank of each iteration. */
    private static void perIteration(Json json, String key, List<RankIterations> ranks) {
        int n = ranks.stream().mapToInt(RankIterations::getIterationUsCount).min().orElse(0);
        double[] slowest = new double[n];
        for (int i = 0; i < n; i++) {
            double max = 0;
            for (RankIterations rank : ranks) {
                max = Math.max(max, rank.getIterationUs(i));
            }
            slowest[i] = max;
        }
        Stats stats = Stats.of(slowest);
        json.key(key).startObject();
        json.key("skipped_iterations").number(0);
        json.key("min_us").decimal(stats.min);
        json.key("max_us").decimal(stats.max);
        json.key("avg_us").decimal(stats.avg);
        json.key("p50_us").decimal(stats.p50);
        json.key("p95_us").decimal(stats.p95);
        json.key("p99_us").decimal(stats.p99);
        json.key("stdev_us").decimal(stats.stdev);
        json.key("cv_pct").decimal(stats.avg > 0 ? stats.stdev / stats.avg * 100 : 0);
        json.key("times_us").startList();
        for (double t : slowest) {
            json.decimal(t);
        }
        json.endList();
        // nccl-tests writes the rows only when there is more than one process
        if (ranks.size() > 1) {
            json.key("per_process_max_times_us").startList();
            for (RankIterations rank : ranks) {
                json.startList();
                for (int i = 0; i < n; i++) {
                    json.decimal(rank.getIterationUs(i));
                }
                json.endList();
            }
            json.endList();
        }
        json.endObject();
    }

    /** nccl-tests' computeIterStats: p50 is sorted[n/2], p95/p99 nearest rank, stdev over the population. */
    record Stats(double min, double max, double avg, double p50, double p95, double p99, double stdev) {
        static Stats of(double[] times) {
            int n = times.length;
            if (n == 0) {
                return new Stats(0, 0, 0, 0, 0, 0, 0);
            }
            double[] sorted = times.clone();
            Arrays.sort(sorted);
            double sum = 0;
            for (double t : sorted) {
                sum += t;
            }
            double avg = sum / n;
            double var = 0;
            for (double t : sorted) {
                var += (t - avg) * (t - avg);
            }
            return new Stats(sorted[0], sorted[n - 1], avg, sorted[n / 2], sorted[percentileIndex(n, 95)],
                    sorted[percentileIndex(n, 99)], Math.sqrt(var / n));
        }

        private static int percentileIndex(int n, int percentile) {
            return Math.min(n - 1, (n * percentile + 99) / 100 - 1);
        }
    }

    /** NCCL_VERSION_CODE of "2.27.3": 22703. */
    static int ncclVersionCode(CollectiveResults comm) {
        String version = comm.getTransport().getNcclVersion();
        if (version.isEmpty() && comm.getWorkersCount() > 0) {
            version = comm.getWorkers(0).getNcclVersion();
        }
        Matcher m = NCCL_VERSION.matcher(version);
        if (!m.matches()) {
            return 0;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        int patch = Integer.parseInt(m.group(3));
        return major <= 2 && minor <= 8 ? major * 1000 + minor * 100 + patch : major * 10000 + minor * 100 + patch;
    }

    /** "0000:19:00.0" as nccl-tests prints a device: domain, bus, device ("0000:19:00"). */
    static String deviceHex(String pciBusId) {
        int dot = pciBusId.lastIndexOf('.');
        return (dot > 0 ? pciBusId.substring(0, dot) : pciBusId).toLowerCase(Locale.ROOT);
    }

    private static String gpuName(PreflightReport report, String node, String pciBusId) {
        for (NodeReport n : report.getNodesList()) {
            if (!node.equals(Names.node(n)) && !node.equals(n.getHostname())) {
                continue;
            }
            for (Gpu gpu : n.getInfo().getGpuInventory().getGpusList()) {
                if (gpu.getPciBusId().equalsIgnoreCase(pciBusId)) {
                    return gpu.getName();
                }
            }
        }
        return "";
    }

    private static String time(Timestamp t) {
        return TIME.format(Instant.ofEpochSecond(t.getSeconds(), t.getNanos()));
    }

    /** The reduction nccl-tests names: all_gather and alltoall run none, the others its default sum. */
    private static String redop(BenchSpec.Op op) {
        return op == BenchSpec.Op.ALL_GATHER || op == BenchSpec.Op.ALLTOALL ? "none" : "sum";
    }

    /**
     * A JSON writer as small as nccl-tests' own: numbers as it prints them (integers whole,
     * doubles with %lf's six decimals).
     */
    private static final class Json {
        private final StringBuilder out = new StringBuilder();
        private boolean needComma;

        Json key(String name) {
            comma();
            quoted(name);
            out.append(':');
            needComma = false;
            return this;
        }

        Json startObject() {
            comma();
            out.append('{');
            needComma = false;
            return this;
        }

        void endObject() {
            out.append('}');
            needComma = true;
        }

        Json startList() {
            comma();
            out.append('[');
            needComma = false;
            return this;
        }

        void endList() {
            out.append(']');
            needComma = true;
        }

        void number(long value) {
            comma();
            out.append(value);
            needComma = true;
        }

        void decimal(double value) {
            // nccl-tests writes NaN as "nan"; an infinity (a zero time) gets the same, as JSON has no number for it
            if (!Double.isFinite(value)) {
                string("nan");
                return;
            }
            comma();
            out.append(String.format(Locale.ROOT, "%f", value));
            needComma = true;
        }

        void string(String value) {
            comma();
            quoted(value);
            needComma = true;
        }

        void nullValue() {
            comma();
            out.append("null");
            needComma = true;
        }

        private void comma() {
            if (needComma) {
                out.append(',');
            }
        }

        private void quoted(String value) {
            out.append('"');
            for (int i = 0; i < value.length(); i++) {
                char c = value.charAt(i);
                if (c == '"' || c == '\\') {
                    out.append('\\').append(c);
                } else if (c < 0x20) {
                    out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
                } else {
                    out.append(c);
                }
            }
            out.append('"');
        }

        String text() {
            return out.toString();
        }
    }
}
