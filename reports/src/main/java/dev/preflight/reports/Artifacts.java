package dev.preflight.reports;

import dev.preflight.proto.v1.Measurements.Sweep;
import dev.preflight.proto.v1.PreflightReport;
import dev.preflight.proto.v1.ReportArtifact;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The artifacts folder beside a report ({@value #DIRECTORY}/): NCCL debug logs, topology dumps
 * and the nccl-tests command lines that reproduce every bench by hand. Each file is listed in the
 * report's artifacts.
 */
public final class Artifacts {
    public static final String DIRECTORY = "artifacts";
    public static final String COMMAND_LINES = "nccl-tests-commands.sh";

    private Artifacts() {}

    /** Writes a file under artifacts/ atomically and returns its entry (path relative to the report's directory). */
    public static ReportArtifact write(Path reportDirectory, String name, String content, ReportArtifact.Kind kind, String node,
            String description) throws IOException {
        if (name.contains("/") || name.contains("\\") || name.startsWith(".") || name.isBlank()) {
            throw new IllegalArgumentException("artifact name '" + name + "' must be a plain file name");
        }
        AtomicFiles.write(reportDirectory.resolve(DIRECTORY).resolve(name), content);
        return ReportArtifact.newBuilder().setPath(DIRECTORY + "/" + name).setKind(kind).setNode(node)
                .setDescription(description).build();
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
        String path = DIRECTORY + "/" + COMMAND_LINES;
        PreflightReport.Builder builder = report.toBuilder().clearArtifacts();
        for (ReportArtifact artifact : report.getArtifactsList()) {
            if (!artifact.getPath().equals(path)) {
                builder.addArtifacts(artifact);
            }
        }
        if (count > 0) {
            builder.addArtifacts(write(reportDirectory, COMMAND_LINES, script.toString(), ReportArtifact.Kind.COMMAND_LINE, "",
                    count + " nccl-tests command lines, one per bench series"));
        }
        return builder.build();
    }
}
