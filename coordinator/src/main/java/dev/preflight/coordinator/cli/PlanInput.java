package dev.preflight.coordinator.cli;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import dev.preflight.proto.v1.ModelArchitecture;
import dev.preflight.proto.v1.ModelPlan;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;

/** Reads a plan written by preflight plan -o json; a missing, malformed or incoherent one is a usage error. */
final class PlanInput {
    private PlanInput() {}

    static ModelPlan read(CommandLine commandLine, Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ParameterException(commandLine, "--plan " + file + ": no such file");
        }
        ModelPlan.Builder plan = ModelPlan.newBuilder();
        try {
            JsonFormat.parser().merge(Files.readString(file), plan);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw new ParameterException(commandLine, "--plan " + file + ": not a plan from preflight plan -o json: "
                    + String.valueOf(e.getMessage()).replaceAll("\\s*\\R\\s*", " "));
        } catch (IOException e) {
            throw new ParameterException(commandLine, "--plan " + file + ": cannot read: " + e.getMessage());
        }
        String problem = problem(plan.build());
        if (problem != null) {
            throw new ParameterException(commandLine, "--plan " + file + ": " + problem);
        }
        return plan.build();
    }

    /** What makes the plan unusable to measure, or null. */
    static String problem(ModelPlan plan) {
        if (plan.getModel().isEmpty()) {
            return "no model named";
        }
        if (plan.getTensorParallel() < 1 || plan.getTensorParallel() > 65_536) {
            return "tensorParallel " + plan.getTensorParallel() + ": expected 1-65536";
        }
        if (plan.getPipelineParallel() < 1 || plan.getPipelineParallel() > 65_536) {
            return "pipelineParallel " + plan.getPipelineParallel() + ": expected 1-65536";
        }
        if (plan.getNodesNeeded() < 1) {
            return "nodesNeeded " + plan.getNodesNeeded() + ": expected at least 1";
        }
        if (plan.hasArchitecture()) {
            ModelArchitecture a = plan.getArchitecture();
            if (a.getLayers() < 1 || a.getHiddenSize() < 1 || a.getLayers() > 100_000 || a.getHiddenSize() > 1_000_000) {
                return "architecture layers " + a.getLayers() + ", hiddenSize " + a.getHiddenSize()
                        + ": expected 1-100000 layers and a hidden size of 1-1000000";
            }
            if (plan.getConcurrency() < 1 || plan.getConcurrency() > 65_536) {
                return "concurrency " + plan.getConcurrency() + ": expected 1-65536";
            }
            if (a.getMoeLayers() < 0 || a.getMoeLayers() > a.getLayers() || a.getExpertsPerToken() < 0
                    || a.getExpertsPerToken() > Math.max(a.getExperts(), 0)) {
                return "architecture moeLayers " + a.getMoeLayers() + ", expertsPerToken " + a.getExpertsPerToken()
                        + ": expected at most the layers and the experts";
            }
        }
        return null;
    }
}
