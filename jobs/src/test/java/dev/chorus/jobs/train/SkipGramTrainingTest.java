package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.HashedTrainingTest.bytes;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.predictions;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/** A skip-gram task in the minibatch operator: each sequence trains the task's SkipGram, snapshots carry its bytes. */
class SkipGramTrainingTest {

    static TrainSettings settings() {
        return new TrainSettings().specs(TaskSpecs.of(null, Map.of("words", TokenSequences.SPEC)))
                .snapshotEveryBatches(10).snapshotIntervalMs(0).batchTimeoutMs(0);
    }

    @Test
    void eachSequenceTrainsTheTasksSkipGramBitForBitAsModelCoreAndSnapshotsCarryItsBytes() throws Exception {
        List<Example> sequences = TokenSequences.stream("words", 25, 3);
        SkipGram reference = TokenSequences.reference(TokenSequences.SPEC, sequences);
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings(), metrics.environment())) {
            h.open();
            for (int i = 0; i < sequences.size(); i++) {
                h.processElement(sourced(sequences.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(predictions(h)).as("a skip-gram task predicts nothing").isEmpty();
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(10L, 20L, 25L);
            ModelSnapshot last = snapshots.get(2);
            assertThat(last.getAlgorithm()).isEqualTo("skip-gram");
            assertThat(last.getParametersFormat()).isEqualTo(SkipGram.FORMAT_VERSION);
            assertThat(bytes(last.getParameters())).isEqualTo(reference.toBytes());
            assertThat(last.getExamplesSeen()).isEqualTo(25);
            assertThat(last.getMetrics()).containsEntry("pairs", (double) reference.pairs());
            assertThat(metrics.find("flink_taskmanager_job_task_operator_skipGramSequences", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(25));
            assertThat(metrics.find("flink_taskmanager_job_task_operator_skipGramPairs", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(reference.pairs()));
        }
    }

    @Test
    void aSkipGramTaskSurvivesASnapshotAndRestoreExactly() throws Exception {
        List<Example> sequences = TokenSequences.stream("words", 23, 8);
        SkipGram reference = TokenSequences.reference(TokenSequences.SPEC, sequences);
        OperatorSubtaskState saved;
        try (var h = new TrainerHarness(settings())) {
            h.open();
            for (int i = 0; i < 14; i++) {
                h.processElement(sourced(sequences.get(i), i), i);
            }
            saved = h.snapshot(1, 14);
        }
        try (var h = new TrainerHarness(settings())) {
            h.initializeState(saved);
            h.open();
            for (int i = 14; i < sequences.size(); i++) {
                h.processElement(sourced(sequences.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(20L, 23L);
            assertThat(bytes(snapshots.get(1).getParameters())).isEqualTo(reference.toBytes());
        }
    }

    /**
     * A sequence that would make the skip-gram's vectors non-finite (a learning rate far too large for the stream) is
     * rolled back by model-core's guard; the operator counts it as it counts a minibatch the numeric guard refused
     * ({@code minibatchesRejected}) and goes on: versions count the sequences trained, and the snapshot is
     * model-core's skip-gram after the same sequences, the rolled-back ones left out.
     */
    @Test
    void aSequenceTheNumericGuardRollsBackIsCountedAndTheTaskGoesOn() throws Exception {
        String spec = TokenSequences.SPEC.replace("\"learningRate\":0.05", "\"learningRate\":10");
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.of(null, Map.of("words", spec)))
                .snapshotEveryBatches(1_000).snapshotIntervalMs(0).batchTimeoutMs(0);
        List<Example> sequences = TokenSequences.stream("words", 80, 3);
        TokenSequences.Trained expected = TokenSequences.referenceRollingBack(spec, sequences);
        SkipGram reference = expected.model();
        int rolledBack = expected.rolledBack();
        assertThat(rolledBack).as("sequences model-core rolls back").isBetween(1, sequences.size() - 1);
        int refused = rolledBack;
        long trained = sequences.size() - refused;
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var h = new TrainerHarness(settings, metrics.environment())) {
            h.open();
            for (int i = 0; i < sequences.size(); i++) {
                h.processElement(sourced(sequences.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            List<ModelSnapshot> snapshots = snapshots(h);
            assertThat(snapshots).extracting(ModelSnapshot::getVersion)
                    .containsExactly(trained);
            assertThat(bytes(snapshots.get(0).getParameters())).isEqualTo(reference.toBytes());
            assertThat(TrainMetricsTest.value(metrics, "minibatchesRejected", "words")).isEqualTo(refused);
            assertThat(metrics.find("flink_taskmanager_job_task_operator_minibatchesRejected", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(refused));
            assertThat(metrics.find("flink_taskmanager_job_task_operator_skipGramSequences", Map.of()))
                    .singleElement().satisfies(r -> assertThat(r.value()).isEqualTo(trained));
        }
        // Snapshotting after every sequence, a rolled-back one publishes no second snapshot of the same version.
        try (var h = new TrainerHarness(settings.snapshotEveryBatches(1), new RegisteredMetrics().environment())) {
            h.open();
            for (int i = 0; i < sequences.size(); i++) {
                h.processElement(sourced(sequences.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(snapshots(h)).extracting(ModelSnapshot::getVersion).doesNotHaveDuplicates()
                    .contains(trained);
        }
    }
}
