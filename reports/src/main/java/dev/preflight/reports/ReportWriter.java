package dev.preflight.reports;

import dev.preflight.proto.files.AtomicFiles;
import dev.preflight.proto.v1.PreflightReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Writes a report in every requested format into one directory, each file atomically. */
public final class ReportWriter {
    private ReportWriter() {}

    /**
     * Writes the artifacts first (the report lists them), then each format.
     *
     * @return the paths of the files written
     */
    public static List<Path> write(PreflightReport report, Path directory, Set<ReportFormat> formats) throws IOException {
        PreflightReport withArtifacts = Artifacts.writeNcclTestsJson(
                Artifacts.writeCommandLines(Artifacts.writeNcclFiles(report, directory), directory), directory);
        List<Path> files = new ArrayList<>();
        for (ReportFormat format : formats) {
            Path target = directory.resolve(format.fileName());
            AtomicFiles.write(target, format.render(withArtifacts));
            files.add(target);
        }
        return files;
    }
}
