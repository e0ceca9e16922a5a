package dev.chorus.jobs.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.runtime.EmbeddedKafkaBroker;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restores the train-job savepoints made by earlier versions (see {@link SavepointFixture}): a later change that
 * breaks restoring one fails here. Each holds task {@code fixture} at model version 6 with an open minibatch of 4
 * examples (of 16): restored, its next 12 examples are predicted by version 6, the 16 after by version 7, then
 * 16 by version 8 (layout 1 had predicted the 4 open examples already; layout 2 predicts them with the 12). {@code train-v1} (layout 1, Chorus 0.1) has only that task; {@code train-v2} (layout 2) also holds
 * task {@code crowd}, a Dawid–Skene label model in the same position, whose annotators' label counts continue
 * from the savepoint.
 */
class SavepointCompatibilityIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(1, JobTestSupport.failFast());

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"train-v1", "train-v2"})
    void aSavepointOfAnEarlierLayoutRestoresModelOptimizerAndOpenMinibatch(String fixture) throws Exception {
        boolean crowd = !fixture.equals("train-v1");
        Path savepoint = Path.of("src/test/resources/savepoints", fixture).toAbsolutePath();
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            SavepointFixture.createTopics(kafka, settings);
            // 12 examples complete the restored minibatch, then two whole ones: every minibatch closes by count.
            SavepointFixture.produce(kafka, settings, SavepointFixture.data(), SavepointFixture.EXAMPLES,
                    SavepointFixture.EXAMPLES + 44, crowd);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            Configuration conf = new Configuration();
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint.toUri().toString());
            env.configure(conf);
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("savepoint-compatibility");

            // Layout 1 predicted each example on arrival; from layout 2 the 4 open rows are predicted when their
            // minibatch closes after the restore.
            int perTask = crowd ? 48 : 44;
            int expected = crowd ? 2 * perTask : perTask;
            List<Prediction> predictions;
            List<ModelSnapshot> snapshots;
            try {
                predictions = JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true, expected);
                snapshots = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true, crowd ? 6 : 3);
            } finally {
                job.cancel().get();
            }
            assertThat(predictions).hasSize(expected);

            for (String task : crowd ? List.of(SavepointFixture.TASK, SavepointFixture.CROWD)
                    : List.of(SavepointFixture.TASK)) {
                List<Long> versions = predictions.stream().filter(p -> p.getTask().equals(task))
                        .sorted(Comparator.comparingLong(Prediction::getEventTime))
                        .map(Prediction::getModelVersion).toList();
                int restored = perTask - 44;
                assertThat(versions.subList(0, restored + 12)).as("%s: restored model version 6, 4 examples already in "
                        + "its minibatch", task).containsOnly(6L);
                assertThat(versions.subList(restored + 12, restored + 28)).containsOnly(7L);
                assertThat(versions.subList(restored + 28, restored + 44)).containsOnly(8L);
                List<ModelSnapshot> mine = snapshots.stream().filter(m -> m.getTask().equals(task)).toList();
                assertThat(mine).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L, 9L);
                assertThat(mine).extracting(ModelSnapshot::getExamplesSeen).containsExactly(112L, 128L, 144L);
            }
            if (crowd) {
                List<AnnotatorModel> annotators = JobTestSupport.read(kafka, settings.annotatorsTopic());
                assertThat(annotators.stream().filter(a -> a.getVersion() == 9).mapToLong(AnnotatorModel::getLabelsSeen)
                        .sum()).as("label counts continue from the savepoint").isEqualTo(144);
                assertThat(annotators).extracting(AnnotatorModel::getAnnotator).containsOnly("a0", "a1", "a2");
            }
        }
    }
}
