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
 * version 8. {@code train-v1} (layout 1, Chorus 0.1) has only that task; {@code train-v2} (layout 2) also holds
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
            SavepointFixture.produce(kafka, settings, SavepointFixture.data(), SavepointFixture.EXAMPLES,
                    SavepointFixture.EXAMPLES + 40, crowd);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            Configuration conf = new Configuration();
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, savepoint.toUri().toString());
            env.configure(conf);
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("savepoint-compatibility");

            int expected = crowd ? 80 : 40;
            List<Prediction> predictions = JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true,
                    expected);
            List<ModelSnapshot> snapshots = JobTestSupport.awaitCommitted(kafka, settings.modelsTopic(), m -> true,
                    crowd ? 4 : 2);
            job.cancel().get();
            assertThat(predictions).hasSize(expected);

            for (String task : crowd ? List.of(SavepointFixture.TASK, SavepointFixture.CROWD)
                    : List.of(SavepointFixture.TASK)) {
                List<Long> versions = predictions.stream().filter(p -> p.getTask().equals(task))
                        .sorted(Comparator.comparingLong(Prediction::getEventTime))
                        .map(Prediction::getModelVersion).toList();
                assertThat(versions.subList(0, 12)).as("%s: restored model version 6, 4 examples already in its "
                        + "minibatch", task).containsOnly(6L);
                assertThat(versions.subList(12, 28)).containsOnly(7L);
                assertThat(versions.subList(28, 40)).containsOnly(8L);
                List<ModelSnapshot> mine = snapshots.stream().filter(m -> m.getTask().equals(task)).toList();
                assertThat(mine).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L);
                assertThat(mine).extracting(ModelSnapshot::getExamplesSeen).containsExactly(112L, 128L);
            }
            if (crowd) {
                List<AnnotatorModel> annotators = JobTestSupport.read(kafka, settings.annotatorsTopic());
                assertThat(annotators.stream().filter(a -> a.getVersion() == 8).mapToLong(AnnotatorModel::getLabelsSeen)
                        .sum()).as("label counts continue from the savepoint").isEqualTo(128);
                assertThat(annotators).extracting(AnnotatorModel::getAnnotator).containsOnly("a0", "a1", "a2");
            }
        }
    }
}
