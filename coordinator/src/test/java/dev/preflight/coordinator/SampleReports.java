package dev.preflight.coordinator;

import com.google.protobuf.Timestamp;
import dev.preflight.proto.units.ByteSizes;
import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.Evidence;
import dev.preflight.proto.v1.Measurement;
import dev.preflight.proto.v1.Measurements.EnvSetting;
import dev.preflight.proto.v1.Measurements.LatencyResult;
import dev.preflight.proto.v1.Measurements.NodeGpus;
import dev.preflight.proto.v1.Measurements.PairResult;
import dev.preflight.proto.v1.Measurements.PairwiseMatrix;
import dev.preflight.proto.v1.Measurements.PortRate;
import dev.preflight.proto.v1.Measurements.StorageRead.Builder;
import dev.preflight.proto.v1.Measurements.StorageRead;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.Measurements.SweepPoint;
import dev.preflight.proto.v1.Measurements;
import dev.preflight.proto.v1.NodeInfo;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.RunPhase;
import dev.preflight.proto.v1.Scope;
import dev.preflight.reports.JsonReport;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reports for the renderer, scorer and diff tests, built from the real captures under
 * src/test/resources/captures (see the README there for which numbers are captured and which
 * follow the published anchors).
 */
public final class SampleReports {
    public static final List<String> NODES = List.of("gpu-a", "gpu-b", "gpu-c", "gpu-d", "gpu-e", "gpu-f");
    static final String A100 = "NVIDIA A100-SXM4-40GB";

    private SampleReports() {}

    /**
     * Six 8x A100 nodes on HDR InfiniBand: the intra-node sweep of the SuperBench capture on every
     * node, the all-node sweep of the 2x p4de capture, the HDR ports of the Azure ibstat capture,
     * and rail 3 of gpu-c/gpu-d, plus gpu-c's pairs, slow (a bad cable).
     */
    public static PreflightReport cluster() {
        PreflightReport.Builder report = PreflightReport.newBuilder()
                .setSchemaVersion(JsonReport.SCHEMA_VERSION)
                .setToolVersion("0.1.0")
                .setStartedAt(Timestamp.newBuilder().setSeconds(1_795_000_000L))
                .setFinishedAt(Timestamp.newBuilder().setSeconds(1_795_000_420L))
                .setCommandLine("preflight run --agents gpu-a:7744,gpu-b:7744,gpu-c:7744,gpu-d:7744,gpu-e:7744,gpu-f:7744 "
                        + "--format json,junit,md,html")
                .addPhases(RunPhase.newBuilder().setName("node checks").setOutcome(RunPhase.Outcome.COMPLETED));
        for (String node : NODES) {
            report.addNodes(node(node, false));
        }
        Measurements.Builder m = Measurements.newBuilder();
        List<SweepPoint> intra = parseNcclTests(resource("allreduce-1node-8xA100-40GB-oldformat-superbench.txt"));
        for (String node : NODES) {
            m.addSeries(Sweep.newBuilder().setOp("all_reduce").setDtype("float").setKind(Sweep.Kind.INTRA_NODE)
                    .addNodes(node).setRail(-1).setRanks(8).setGpuModel(A100).addAllPoints(intra).setTransport("P2P/IPC")
                    .setCommandLine("all_reduce_perf -b 8 -e 8G -f 2 -g 8  # on " + node));
        }
        m.addSeries(Sweep.newBuilder().setOp("all_reduce").setDtype("float").setKind(Sweep.Kind.ALL_NODES)
                .addAllNodes(NODES).setRail(-1).setRanks(48).setGpuModel(A100)
                .addAllPoints(parseNcclTests(resource("allreduce-2node-p4de-A100-efa-srun-prefixed.txt")))
                .setTransport("NET/IB/GDRDMA")
                .setCommandLine("NCCL_IB_HCA=mlx5 mpirun -np 48 -H gpu-a:8,gpu-b:8,gpu-c:8,gpu-d:8,gpu-e:8,gpu-f:8 all_reduce_perf -b 8 -e 2G -f 2 -g 1"));
        List<String> devices = ibstatDevices(resource("ibstat-a100-azure-cx6vf-hdr-ibpanic.txt"));
        for (String node : NODES) {
            for (int rail = 0; rail < devices.size(); rail++) {
                m.addPorts(PortRate.newBuilder().setNode(node).setDevice(devices.get(rail)).setPort(1)
                        .setRateBytesPerSecond(200e9 / 8).setRail(rail).setLinkLayer("InfiniBand"));
            }
        }
        for (List<String> pair : List.of(List.of("gpu-a", "gpu-b"), List.of("gpu-c", "gpu-d"), List.of("gpu-e", "gpu-f"))) {
            for (int rail = 0; rail < devices.size(); rail++) {
                // 24 GB/s per 200G NIC is what NVIDIA quotes for HDR (nccl-tests #119)
                double gbps = pair.get(0).equals("gpu-c") && rail == 3 ? 15.2 : 23.6 + rail * 0.05;
                m.addSeries(railSeries(pair, rail, gbps));
            }
        }
        PairwiseMatrix.Builder pairwise = PairwiseMatrix.newBuilder().addAllNodes(NODES);
        for (int i = 0; i < NODES.size(); i++) {
            for (int j = i + 1; j < NODES.size(); j++) {
                boolean slow = NODES.get(i).equals("gpu-c") || NODES.get(j).equals("gpu-c");
                pairwise.addPairs(PairResult.newBuilder().setA(NODES.get(i)).setB(NODES.get(j)).setBytes(ByteSizes.GIB)
                        .setBusbwBytesPerSecond((slow ? 162.0 : 187.0 + i + j) * 1e9));
            }
        }
        m.setPairwise(pairwise);
        for (String node : NODES) {
            m.addLatency(LatencyResult.newBuilder().setOp("all_reduce").addNodes(node).setBytes(16 * ByteSizes.KIB)
                    .setP50Us(node.equals("gpu-c") ? 14.1 : 11.8).setP99Us(node.equals("gpu-c") ? 31.5 : 16.2)
                    .setSamples(2000).setCudaGraphs(true).setRanks(8));
            Builder read = StorageRead.newBuilder().setNode(node).setPath("/models").setConcurrent(true)
                    .setReadBytesPerSecond(node.equals("gpu-d") ? 1.6e9 : 2.1e9);
            m.addStorage(read);
            m.addGpus(NodeGpus.newBuilder().setNode(node).setCount(8).setModel(A100).setMemoryBytes(40960L * ByteSizes.MIB));
        }
        m.addRecommendedEnv(EnvSetting.newBuilder().setName("NCCL_IB_HCA").setValue("mlx5").setSource("fabric.nccl_env"));
        m.addRecommendedEnv(EnvSetting.newBuilder().setName("NCCL_SOCKET_IFNAME").setValue("ib0").setSource("fabric.nccl_env"));
        return report.setMeasurements(m).build();
    }

    /** A node with its two host checks, as the embedded agent reports them on a VM. */
    public static NodeReport node(String name, boolean hostViews) {
        return NodeReport.newBuilder()
                .setAddress(name + ":7744")
                .setNodeName(name)
                .setHostname(name)
                .setReachability(NodeReport.Reachability.REACHABLE)
                .setInfo(NodeInfo.newBuilder().setNodeName(name).setHostname(name).setHostViews(hostViews))
                .addChecks(CheckResult.newBuilder().setId("host.memlock").setStatus(CheckResult.Status.PASS)
                        .setScope(Scope.PROCESS).setSummary("max locked memory is unlimited")
                        .setObserved("soft unlimited, hard unlimited").setExpected("unlimited")
                        .addEvidence(Evidence.newBuilder().setSource("/proc/self/limits")
                                .setValue("Max locked memory         unlimited            unlimited            bytes"))
                        .setDurationMicros(310))
                .addChecks(shm(64 * ByteSizes.GIB, 63 * ByteSizes.GIB))
                .build();
    }

    /** host.shm as ShmCheck reports a tmpfs of this size (PASS from 16 GiB, WARN from 1 GiB, FAIL below). */
    public static CheckResult shm(long size, long free) {
        CheckResult.Status status = size < ByteSizes.GIB ? CheckResult.Status.FAIL
                : size < 16 * ByteSizes.GIB ? CheckResult.Status.WARN : CheckResult.Status.PASS;
        return CheckResult.newBuilder().setId("host.shm").setStatus(status).setScope(Scope.PROCESS)
                .setSummary("/dev/shm is a " + ByteSizes.format(size) + " tmpfs")
                .setObserved(ByteSizes.format(size) + " (" + ByteSizes.format(free) + " free), tmpfs")
                .setExpected("tmpfs, at least 16 GiB")
                .setRemediation(status == CheckResult.Status.PASS ? "" : "give the workload a larger /dev/shm")
                .addMeasurements(Measurement.newBuilder().setName("shm_size_bytes").setValue(size).setUnit("bytes"))
                .addMeasurements(Measurement.newBuilder().setName("shm_free_bytes").setValue(free).setUnit("bytes"))
                .setDurationMicros(520)
                .build();
    }

    public static Sweep railSeries(List<String> nodes, int rail, double gbps) {
        Sweep.Builder series = Sweep.newBuilder().setOp("all_reduce").setDtype("float")
                .setKind(Sweep.Kind.RAIL).addAllNodes(nodes).setRail(rail).setRanks(nodes.size()).setGpuModel(A100)
                .setTransport("NET/IB/GDRDMA")
                .setCommandLine("NCCL_IB_HCA=mlx5_" + rail + " CUDA_VISIBLE_DEVICES=" + rail + " mpirun -np " + nodes.size()
                        + " -H " + String.join(",", nodes) + " all_reduce_perf -b 64M -e 4G -f 4 -g 1");
        long[] sizes = {64 * ByteSizes.MIB, 256 * ByteSizes.MIB, ByteSizes.GIB, 4 * ByteSizes.GIB};
        double[] share = {0.78, 0.93, 0.98, 1.0};
        for (int i = 0; i < sizes.length; i++) {
            double busbw = gbps * share[i] * 1e9;
            // a 2-rank all-reduce moves each byte once: bus bandwidth equals algorithm bandwidth
            series.addPoints(SweepPoint.newBuilder().setBytes(sizes[i]).setBusbwBytesPerSecond(busbw)
                    .setAlgbwBytesPerSecond(busbw).setTimeUs(sizes[i] / busbw * 1e6));
        }
        return series.build();
    }

    private static final Pattern PREFIX = Pattern.compile("^(\\[\\d+,\\d+\\]<stdout>:|\\d+:)\\s?");

    /** The rows of an nccl-tests table: out-of-place and in-place points; N/A in #wrong counts as none. */
    public static List<SweepPoint> parseNcclTests(String text) {
        List<SweepPoint> points = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = PREFIX.matcher(raw).replaceFirst("").strip();
            if (line.isEmpty() || !Character.isDigit(line.charAt(0))) {
                continue;
            }
            String[] f = line.split("\\s+");
            int n = f.length;
            if (n < 10) {
                continue;
            }
            long bytes = Long.parseLong(f[0]);
            points.add(point(bytes, f[n - 8], f[n - 7], f[n - 6], f[n - 5], false));
            points.add(point(bytes, f[n - 4], f[n - 3], f[n - 2], f[n - 1], true));
        }
        return points;
    }

    private static SweepPoint point(long bytes, String time, String algbw, String busbw, String wrong, boolean inPlace) {
        return SweepPoint.newBuilder().setBytes(bytes).setTimeUs(Double.parseDouble(time))
                .setAlgbwBytesPerSecond(Double.parseDouble(algbw) * 1e9).setBusbwBytesPerSecond(Double.parseDouble(busbw) * 1e9)
                .setWrong(wrong.equals("N/A") ? 0 : Long.parseLong(wrong)).setInPlace(inPlace).build();
    }

    private static List<String> ibstatDevices(String text) {
        List<String> devices = new ArrayList<>();
        Matcher matcher = Pattern.compile("^CA '([^']+)'", Pattern.MULTILINE).matcher(text);
        while (matcher.find()) {
            devices.add(matcher.group(1));
        }
        return devices;
    }

    public static String resource(String name) {
        try (InputStream in = SampleReports.class.getResourceAsStream("/captures/" + name)) {
            if (in == null) {
                throw new IllegalStateException("test resource captures/" + name + " missing");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
