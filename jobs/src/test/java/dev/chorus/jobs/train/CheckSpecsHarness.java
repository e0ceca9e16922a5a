package dev.chorus.jobs.train;

import dev.chorus.jobs.kafka.KafkaRecord;
import java.util.List;
import org.apache.flink.runtime.operators.testutils.MockEnvironment;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;

/**
 * A harness of check-specs ({@link SpecControl}) whose {@link #extractOutputValues} are the changes it broadcast,
 * without the progress marker it sends after each record ({@link SpecChange#readUpTo}); {@link #sent} has both.
 */
final class CheckSpecsHarness extends OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> {

    private CheckSpecsHarness(TrainSettings settings) throws Exception {
        super(new ProcessOperator<>(new SpecControl(settings)));
    }

    private CheckSpecsHarness(TrainSettings settings, MockEnvironment environment) throws Exception {
        super(new ProcessOperator<>(new SpecControl(settings)), environment);
    }

    /** Opened, with empty state, its metrics registered in {@code environment} ({@code RegisteredMetrics}). */
    static CheckSpecsHarness open(TrainSettings settings, MockEnvironment environment) throws Exception {
        CheckSpecsHarness h = unopened(settings, environment);
        h.open();
        return h;
    }

    /** Opened, with empty state. */
    static CheckSpecsHarness open(TrainSettings settings) throws Exception {
        CheckSpecsHarness h = unopened(settings);
        h.open();
        return h;
    }

    /** Set up for {@code initializeState} (a restore) before {@code open}. */
    static CheckSpecsHarness unopened(TrainSettings settings) throws Exception {
        return new CheckSpecsHarness(settings);
    }

    /** As above, its metrics registered in {@code environment}. */
    static CheckSpecsHarness unopened(TrainSettings settings, MockEnvironment environment) throws Exception {
        return new CheckSpecsHarness(settings, environment);
    }

    @Override
    public List<SpecChange> extractOutputValues() {
        return super.extractOutputValues().stream().filter(c -> !c.marksProgress()).toList();
    }

    /** Everything sent so far, changes and progress markers, in order, as {@link SpecChange#toString} says each. */
    List<String> sent() {
        return super.extractOutputValues().stream().map(SpecChange::toString).toList();
    }
}
