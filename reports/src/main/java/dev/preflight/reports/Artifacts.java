package dev.preflight.reports;

import dev.preflight.proto.files.AtomicFiles;
import dev.preflight.proto.v1.BenchWorker;
import dev.preflight.proto.v1.CollectiveResults;
import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.NodeReport;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.ReportArtifact;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The artifacts folder beside a report ({@value #DIRECTORY}/): NCCL debug logs, topology dumps
 * and the nccl-tests command lines that reproduce every bench by hand. Each file is listed in the
 * report's artifacts.
 */
public final class Artifacts {
    public static final String DIRECTORY = "artifacts";
    public static final String COMMAND_LINES = "nccl-tests-commands.sh";
    /** Where each communicator's nccl-tests JSON goes, relative to the report's directory. */
    public static final String NCCL_TESTS_DIRECTORY = DIRECTORY + "/nccl-tests";

    private Artifacts() {}

    /** Writes a file under artifacts/ atomically and returns its entry (path relative to the report's directory). */
    public static ReportArtifact write(Path reportDirectory, String name, String content, ReportArtifact.Kind kind, String node,
            String description) throws IOException {
        return write(reportDirectory, DIRECTORY, name, content, kind, node, description);
    }

    /** As {@link #write}, into a folder (relative to the report's directory) under artifacts/. */
    private static ReportArtifact write(Path reportDirectory, String folder, String name, String content,
            ReportArtifact.Kind kind, String node, String description) throws IOException {
        if (name.contains("/") || name.contains("\\") || name.startsWith(".") || name.isBlank()) {
            throw new IllegalArgumentException("artifact name '" + name + "' must be a plain file name");
        }
        AtomicFiles.write(reportDirectory.resolve(folder).resolve(name), content);
        return ReportArtifact.newBuilder().setPath(folder + "/" + name).setKind(kind).setNode(node)
                .setDescription(description).build();
    }

    /**
     * Every benched communicator (a run's collectives, a node's own bench) as the JSON nccl-tests
     * writes with -J, one file each under artifacts/nccl-tests/, listed in place of earlier entries
     * of that kind.
     */
    static PreflightReport writeNcclTestsJson(PreflightReport report, Path reportDirectory) throws IOException {
        PreflightReport.Builder builder = without(report, ReportArtifact.Kind.NCCL_TESTS_JSON);
        Set<String> names = new HashSet<>();
        for (CollectiveResults collective : report.getCollectivesList()) {
            if (collective.getResultsList().stream().allMatch(r -> r.getRowsCount() == 0)) {
                continue;
            }
            String base = collective.getPhase() + "-" + collective.getCommunicator()
                    + (collective.getAttempt() > 1 ? "-attempt" + collective.getAttempt() : "");
            builder.addArtifacts(write(reportDirectory, NCCL_TESTS_DIRECTORY, unique(names, slug(base).replaceAll("-+$", ""), ".json"),
                    NcclTestsJson.render(report, collective, ""), ReportArtifact.Kind.NCCL_TESTS_JSON, "",
                    "nccl-tests JSON (-J) of " + collective.getPhase() + " " + collective.getCommunicator()));
        }
        for (NodeReport node : report.getNodesList()) {
            if (node.getBench().getResultsList().stream().allMatch(r -> r.getRowsCount() == 0)) {
                continue;
            }
            builder.addArtifacts(write(reportDirectory, NCCL_TESTS_DIRECTORY, unique(names, slug("bench-" + Names.node(node)), ".json"),
                    NcclTestsJson.render(report, node.getBench(), node.getHostname().isEmpty() ? Names.node(node)
                            : node.getHostname()), ReportArtifact.Kind.NCCL_TESTS_JSON, Names.node(node),
                    "nccl-tests JSON (-J) of the bench on " + Names.node(node)));
        }
        return builder.build();
    }

    /**
     * Every NCCL debug log and topology dump the report's collectives keep, each in its own file
     * named after the phase, communicator, attempt, node and rank, listed in the report in place of
     * earlier entries of those kinds (a re-render writes the same files again).
     */
    static PreflightReport writeNcclFiles(PreflightReport report, Path reportDirectory) throws IOException {
        PreflightReport.Builder builder = without(report, ReportArtifact.Kind.NCCL_DEBUG_LOG, ReportArtifact.Kind.NCCL_TOPOLOGY);
        Set<String> names = new HashSet<>();
        for (CollectiveResults collective : report.getCollectivesList()) {
            String base = collective.getPhase() + "-" + collective.getCommunicator()
                    + (collective.getAttempt() > 1 ? "-attempt" + collective.getAttempt() : "");
            for (BenchWorker worker : collective.getWorkersList()) {
                String which = base + "-" + worker.getNode() + "-rank" + worker.getRank();
                String where = collective.getPhase() + " " + collective.getCommunicator() + ", rank " + worker.getRank()
                        + " (GPU " + worker.getGpu() + ")";
                if (!worker.getNcclLog().isEmpty()) {
                    builder.addArtifacts(write(reportDirectory, unique(names, "nccl-" + slug(which), ".log"),
                            worker.getNcclLog(), ReportArtifact.Kind.NCCL_DEBUG_LOG, worker.getNode(),
                            "NCCL_DEBUG=INFO log of " + where));
                }
                if (!worker.getNcclTopology().isEmpty()) {
                    builder.addArtifacts(write(reportDirectory, unique(names, "nccl-topo-" + slug(which), ".xml"),
                            worker.getNcclTopology(), ReportArtifact.Kind.NCCL_TOPOLOGY, worker.getNode(),
                            "the topology NCCL detected (NCCL_TOPO_DUMP_FILE) in " + where));
                }
            }
        }
        return builder.build();
    }

    /** The report with its artifacts of these kinds unlisted, for a writer about to list them afresh. */
    private static PreflightReport.Builder without(PreflightReport report, ReportArtifact.Kind... kinds) {
        Set<ReportArtifact.Kind> dropped = Set.of(kinds);
        PreflightReport.Builder builder = report.toBuilder().clearArtifacts();
        for (ReportArtifact artifact : report.getArtifactsList()) {
            if (!dropped.contains(artifact.getKind())) {
                builder.addArtifacts(artifact);
            }
        }
        return builder;
    }

    /** Letters, digits, '.', '_' and '-' only (node names and labels come from the agents), at most 150 of them. */
    private static String slug(String text) {
        String slug = text.replaceAll("[^A-Za-z0-9._-]+", "-").replaceAll("^[-.]+", "");
        return slug.length() > 150 ? slug.substring(0, 150) : slug;
    }

    private static String unique(Set<String> names, String stem, String extension) {
        String name = stem + extension;
        for (int i = 2; !names.add(name); i++) {
            name = stem + "-" + i + extension;
        }
        return name;
    }

    /**
     * One shell file with the nccl-tests command line of every bench series that has one, each
     * under a comment naming the series, so any number in the report can be reproduced by hand.
     */
    static PreflightReport writeCommandLines(PreflightReport report, Path reportDirectory) throws IOException {
        StringBuilder script = new StringBuilder("#!/bin/sh\n# nccl-tests command lines equivalent to the benches of this report\n");
        int count = 0;
        for (Sweep series : report.getMeasurements().getSeriesList()) {
            if (!series.getCommandLine().isEmpty()) {
                script.append("\n# ").append(Series.label(series)).append('\n').append(series.getCommandLine()).append('\n');
                count++;
            }
        }
        PreflightReport.Builder builder = without(report, ReportArtifact.Kind.COMMAND_LINE);
        if (count > 0) {
            builder.addArtifacts(write(reportDirectory, COMMAND_LINES, script.toString(), ReportArtifact.Kind.COMMAND_LINE, "",
                    count + " nccl-tests command lines, one per bench series"));
        }
        return builder.build();
    }
}
