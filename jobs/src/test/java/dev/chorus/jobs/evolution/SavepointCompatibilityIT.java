package dev.chorus.jobs.evolution;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.runtime.EmbeddedKafkaBroker;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Restores the train-job savepoint made by Chorus 0.1 ({@code savepoints/train-v1}, see {@link SavepointFixture}):
 * a later change that breaks restoring it fails here. The fixture holds model version 6 and an open minibatch of
 * 4 examples (of 16): restored, the next 12 examples are predicted by version 6, the 16 after by version 7, then
 * version 8.
 */
class SavepointCompatibilityIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(1, JobTestSupport.failFast());

    static final Path FIXTURE = Path.of("src/test/resources/savepoints/train-v1").toAbsolutePath();

    @Test
    void theVersionOneSavepointRestoresModelOptimizerAndOpenMinibatch() throws Exception {
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start()) {
            TrainSettings settings = SavepointFixture.settings(kafka.bootstrapServers());
            SavepointFixture.createTopics(kafka, settings);
            SavepointFixture.produce(kafka, settings, SavepointFixture.data(), SavepointFixture.EXAMPLES,
                    SavepointFixture.EXAMPLES + 40);

            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            Configuration conf = new Configuration();
            conf.set(StateRecoveryOptions.SAVEPOINT_PATH, FIXTURE.toUri().toString());
            env.configure(conf);
            TrainJob.build(env, settings);
            JobClient job = env.executeAsync("savepoint-compatibility");

            List<Prediction> predictions = JobTestSupport.awaitCommitted(kafka, settings.predictionsTopic(), p -> true, 40);
            assertThat(predictions).hasSize(40);
            job.cancel().get();

            List<Long> versions = predictions.stream().sorted(Comparator.comparingLong(Prediction::getEventTime))
                    .map(Prediction::getModelVersion).toList();
            assertThat(versions.subList(0, 12)).as("restored model version 6, 4 examples already in its minibatch")
                    .containsOnly(6L);
            assertThat(versions.subList(12, 28)).containsOnly(7L);
            assertThat(versions.subList(28, 40)).containsOnly(8L);

            List<ModelSnapshot> snapshots = JobTestSupport.read(kafka, settings.modelsTopic());
            assertThat(snapshots).extracting(ModelSnapshot::getVersion).containsExactly(7L, 8L);
            assertThat(snapshots).extracting(ModelSnapshot::getExamplesSeen).containsExactly(112L, 128L);
        }
    }
}
