package dev.preflight.coordinator.collective;

import static dev.preflight.coordinator.collective.BenchContext.COLLECTIVE_ID;

import dev.preflight.proto.v1.CheckResult;
import dev.preflight.proto.v1.CollectiveResult;
import dev.preflight.proto.v1.Scope;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.function.BiFunction;
import java.util.function.BinaryOperator;
import java.util.function.Consumer;

/**
 * A measurement that fails, or measures low, is repeated once before it is called; the report
 * keeps both attempts.
 */
final class Retries {
    private final BenchRecorder recorder;
    private final BiFunction<String, List<List<Communicator>>, List<CommRun>> run;
    private final Consumer<String> lines;

    /**
     * @param run runs a phase's rounds of communicators, as {@link BenchContext#run} does
     * @param lines progress lines that stay (what is repeated)
     */
    Retries(BenchRecorder recorder, BiFunction<String, List<List<Communicator>>, List<CommRun>> run,
            Consumer<String> lines) {
        this.recorder = recorder;
        this.run = run;
        this.lines = lines;
    }

    /**
     * Repeats once every communicator that failed among live nodes (a hang, an error, wrong data).
     * Nothing hides behind the repeat: wrong data on the first attempt is a FAIL whatever the
     * repeat shows; a hang or error that passes when repeated is a WARN that says "flaky" and quotes
     * both outcomes, unless the repeat took longer than the first attempt's deadline (then the WARN
     * says "slow, not flaky": the deadline came from rates the link does not reach). The report
     * keeps both attempts (their results, and their series where the phase records series). A
     * deterministic refusal ({@link CommRun#deterministic}) is not repeated: it would be refused
     * again.
     */
    List<CommRun> repeatFailures(String phase, List<CommRun> outcomes) {
        List<Communicator> again = new ArrayList<>();
        for (CommRun outcome : outcomes) {
            if (!outcome.ok() && outcome.comm().attempt() == 1 && !outcome.deterministic()
                    && outcome.comm().nodeNames().stream().noneMatch(recorder.results()::isLost)) {
                again.add(outcome.comm().repeat());
            }
        }
        if (again.isEmpty()) {
            return outcomes;
        }
        return withRepeats(phase, outcomes, again, "failed communicator(s)", this::judgeRepeatedFailure);
    }

    /** Judges a failed first attempt beside its repeat; the repeat is what the phase keeps. */
    private CommRun judgeRepeatedFailure(CommRun outcome, CommRun repeat) {
        recorder.keepOtherAttempt(outcome);
        CollectiveResult first = outcome.firstFailure();
        boolean corrupted = first != null && first.getOutcome() == CollectiveResult.Outcome.WRONG_RESULTS;
        if (corrupted) {
            recorder.addCheck(repeat.comm(), check(repeat, CheckResult.Status.FAIL)
                    .setSummary(repeat.comm().label() + " returned wrong data on its first attempt (" + outcome.problem()
                            + "); its repeat " + (repeat.ok() ? "passed" : "also failed (" + repeat.problem() + ")")
                            + ": data corrupted once is corrupted")
                    .setObserved("attempt 1: " + first.getOutcome().name().toLowerCase(Locale.ROOT) + "; attempt 2: "
                            + (repeat.ok() ? "ok" : repeat.firstFailure().getOutcome().name().toLowerCase(Locale.ROOT)))
                    .setExpected("0 wrong elements on every attempt")
                    .setRemediation("run GPU memory and NVLink diagnostics (dcgmi diag -r 3) on these nodes and check "
                            + "their NICs' error counters; corrupt collectives must not serve a model")
                    .build());
        } else if (repeat.ok() && slowNotFlaky(outcome, repeat)) {
            Duration deadline = deadline(outcome);
            recorder.addCheck(repeat.comm(), check(repeat, CheckResult.Status.WARN)
                    .setSummary("slow, not flaky: " + repeat.comm().label() + " ran past its deadline of "
                            + Estimate.format(deadline) + " on its first attempt (" + outcome.problem()
                            + ") and took " + Estimate.format(repeat.wall()) + " when repeated with a deadline of "
                            + Estimate.format(deadline(repeat)) + " from the slowest rate measured: it is slow "
                            + "every time, and this phase's bandwidth findings judge how slow")
                    .setObserved("attempt 1: timeout at " + Estimate.format(deadline) + "; attempt 2: ok in "
                            + Estimate.format(repeat.wall()))
                    .setExpected("every collective completes within the deadline its nominal rates give")
                    .setRemediation("a node or link slower than the nominal rates: this phase's bandwidth findings "
                            + "and fault isolation name which")
                    .build());
        } else if (repeat.ok()) {
            recorder.addCheck(repeat.comm(), check(repeat, CheckResult.Status.WARN)
                    .setSummary("flaky: " + repeat.comm().label() + " failed on its first attempt (" + outcome.problem()
                            + ") and passed when repeated")
                    .setObserved("attempt 1: " + (first == null ? "failed" : first.getOutcome().name().toLowerCase(Locale.ROOT))
                            + "; attempt 2: ok")
                    .setExpected("every collective completes the first time")
                    .setRemediation("an intermittent failure: rerun the phase and watch the nodes' NCCL logs and "
                            + "port counters")
                    .build());
        }
        // a corrupted first attempt is judged above; reportFailures judges a repeat that failed again
        return repeat;
    }

    private static CheckResult.Builder check(CommRun repeat, CheckResult.Status status) {
        return CheckResult.newBuilder().setId(COLLECTIVE_ID).setScope(Scope.HOST).setStatus(status)
                .setSubject(repeat.comm().phase() + " " + repeat.comm().label());
    }

    /**
     * Repeats the low measurements once. Both attempts stay in the report and the worse of the two
     * is judged: a link that is slow once is slow under load too.
     */
    List<CommRun> repeatLow(String phase, List<CommRun> outcomes, List<CommRun> low) {
        if (low.isEmpty()) {
            return outcomes;
        }
        List<Communicator> again = new ArrayList<>();
        for (CommRun outcome : low) {
            again.add(outcome.comm().repeat());
        }
        return withRepeats(phase, outcomes, again, "low measurement(s)", (outcome, repeat) -> {
            OptionalDouble before = outcome.busbw();
            OptionalDouble after = repeat.busbw();
            boolean repeatWorse = after.isEmpty() || (before.isPresent() && after.getAsDouble() < before.getAsDouble());
            CommRun worse = repeatWorse ? repeat : outcome;
            recorder.keepOtherAttempt(worse == repeat ? outcome : repeat);
            return worse;
        });
    }

    /**
     * A first attempt that hung past its deadline, and a repeat that completed only in more time
     * than that deadline (its own derived from a slow link measured since): the same collective
     * would have timed out again, so the first attempt showed slowness, not an intermittent hang.
     */
    private static boolean slowNotFlaky(CommRun first, CommRun repeat) {
        CollectiveResult failure = first.firstFailure();
        return failure != null && failure.getOutcome() == CollectiveResult.Outcome.TIMEOUT
                && repeat.wall().compareTo(deadline(first)) > 0;
    }

    private static Duration deadline(CommRun run) {
        com.google.protobuf.Duration timeout = run.comm().spec().getTimeout();
        return Duration.ofSeconds(timeout.getSeconds(), timeout.getNanos());
    }

    /**
     * Runs the repeats, saying so, and returns the phase's outcomes with each repeated one replaced
     * by what {@code keep} makes of it and its repeat.
     */
    private List<CommRun> withRepeats(String phase, List<CommRun> outcomes, List<Communicator> again, String what,
            BinaryOperator<CommRun> keep) {
        lines.accept(phase + ": repeating " + again.size() + " " + what + " once");
        Map<String, CommRun> repeated = byLabel(run.apply(phase, Rounds.disjoint(again)));
        List<CommRun> kept = new ArrayList<>();
        for (CommRun outcome : outcomes) {
            CommRun repeat = repeated.get(outcome.comm().label());
            kept.add(repeat == null ? outcome : keep.apply(outcome, repeat));
        }
        return kept;
    }

    private static Map<String, CommRun> byLabel(List<CommRun> outcomes) {
        Map<String, CommRun> map = new LinkedHashMap<>();
        for (CommRun outcome : outcomes) {
            map.put(outcome.comm().label(), outcome);
        }
        return map;
    }
}
