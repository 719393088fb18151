package dev.preflight.agent.bench;

import dev.preflight.proto.nccltests.NcclTestsNames;
import dev.preflight.proto.v1.BenchSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The nccl-tests command that measures the same thing, so a number can be reproduced with the
 * reference tool: one process per GPU (mpirun -np N ... -g 1), the same sizes, iterations and
 * settings.
 */
public final class NcclTestsCommand {
    private NcclTestsCommand() {}

    static String of(BenchSpec.Op op, BenchSpec.DataType dtype, BenchSpec spec, int nranks, Map<String, String> ncclSettings) {
        List<String> words = new ArrayList<>();
        words.add("mpirun");
        words.add("-np");
        words.add(Integer.toString(nranks));
        for (Map.Entry<String, String> setting : ncclSettings.entrySet()) {
            words.add("-x");
            words.add(setting.getKey() + "=" + setting.getValue());
        }
        words.add(NcclTestsNames.binary(op));
        words.add("-b");
        words.add(Long.toString(spec.getMinBytes()));
        words.add("-e");
        words.add(Long.toString(spec.getMaxBytes()));
        words.add("-f");
        words.add(Integer.toString(spec.getStepFactor()));
        words.add("-g");
        words.add("1");
        words.add("-d");
        words.add(dtype(dtype));
        words.add("-n");
        words.add(Integer.toString(spec.getIters()));
        words.add("-w");
        words.add(Integer.toString(spec.getWarmupIters()));
        words.add("-c");
        words.add(spec.getNoValidation() ? "0" : "1");
        if (spec.getGraphLaunches() > 0) {
            words.add("-G");
            words.add(Integer.toString(spec.getGraphLaunches()));
        }
        if (spec.getPerIteration()) {
            words.add("-I");
            words.add("1");
        }
        String command = String.join(" ", words);
        return op == BenchSpec.Op.SENDRECV && spec.getPeerPairsCount() > 0
                ? command + "  # nccl-tests pairs ranks in a ring; explicit peer pairs have no equivalent"
                : command;
    }

    /** nccl-tests' -d names, as its table's type column prints them too. */
    public static String dtype(BenchSpec.DataType dtype) {
        return NcclTestsNames.dtype(dtype);
    }
}
