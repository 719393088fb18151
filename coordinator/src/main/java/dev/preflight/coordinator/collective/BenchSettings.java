package dev.preflight.coordinator.collective;

import dev.preflight.coordinator.outliers.Outliers;
import dev.preflight.proto.v1.BenchSpec;
import dev.preflight.proto.v1.NcclSetting;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The knobs of the bench phases: the profile and what the command line overrides of it.
 *
 * @param maxBytes caps every sweep's largest size; 0 keeps the profile's
 * @param iters timed iterations per size; 0 keeps the profile's
 * @param collectiveTimeout every collective's deadline; empty derives it from the sweep ({@link Estimate#timeout})
 * @param budget wall time for every bench phase together; phases that would start past it are skipped
 * @param tp tensor-parallel size of the inference phase; 0 follows the planner (every GPU of a node)
 * @param pp pipeline-parallel size; 0 follows the planner (every node a stage)
 * @param ncclSettings the workload's NCCL settings, which every bench runs with
 * @param outliers when a measurement counts as low, to repeat it once; empty when the policy turns outliers off
 * @param planSizes the message sizes a model plan decodes with; {@link PlanSizes#NONE} sweeps the profile's decode sizes
 */
public record BenchSettings(BenchProfile profile, long maxBytes, int iters, Optional<Duration> collectiveTimeout,
        Duration budget, int tp, int pp, List<NcclSetting> ncclSettings, Optional<Outliers.Settings> outliers,
        Duration connectTimeout, PlanSizes planSizes) {
    public BenchSettings {
        ncclSettings = List.copyOf(ncclSettings);
    }

    public BenchSettings(BenchProfile profile, long maxBytes, int iters, Optional<Duration> collectiveTimeout,
            Duration budget, int tp, int pp, List<NcclSetting> ncclSettings, Optional<Outliers.Settings> outliers,
            Duration connectTimeout) {
        this(profile, maxBytes, iters, collectiveTimeout, budget, tp, pp, ncclSettings, outliers, connectTimeout,
                PlanSizes.NONE);
    }

    /**
     * The sizes a model plan's decode step moves, which the inference phase measures instead of its sweep.
     *
     * @param decodeBytes the TP all-reduce and PP send/recv message: hidden size x sequences x 2 bytes
     * @param dispatchBytes each rank's MoE all-to-all buffer over the whole instance; 0 for no expert-parallel layout
     */
    public record PlanSizes(long decodeBytes, long dispatchBytes) {
        public static final PlanSizes NONE = new PlanSizes(0, 0);
    }

    /** These settings measuring a plan's layout at its sizes. */
    public BenchSettings forPlan(int planTp, int planPp, PlanSizes sizes) {
        return new BenchSettings(profile, maxBytes, iters, collectiveTimeout, budget, planTp, planPp, ncclSettings, outliers,
                connectTimeout, sizes);
    }

    public BenchProfile.Shape shape(BenchProfile.Shape base) {
        return base.capped(maxBytes).withIters(iters);
    }

    /**
     * A spec with its deadline: the override, else derived from the sweep at the nominal rates and
     * capped by the profile (the run derives it again from the rates it measured, before it starts).
     */
    public BenchSpec spec(BenchProfile.Shape shape, List<BenchSpec.Op> ops, BenchSpec.DataType dtype, int nranks,
            boolean acrossNodes, BenchSpec.Builder extra) {
        BenchProfile.Shape s = shape(shape);
        BenchSpec.Builder spec = extra.clone()
                .addAllOps(ops)
                .addDtypes(dtype)
                .setMinBytes(s.minBytes())
                .setMaxBytes(s.maxBytes())
                .setStepFactor(s.stepFactor())
                .setIters(s.iters())
                .setWarmupIters(s.warmupIters());
        Duration timeout = collectiveTimeout.orElseGet(() -> Estimate.timeout(spec.build(), nranks, acrossNodes,
                Estimate.nominalRate(acrossNodes), profile.maxCollectiveTimeout()));
        return spec.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(Math.max(1, timeout.toSeconds())))
                .build();
    }
}
