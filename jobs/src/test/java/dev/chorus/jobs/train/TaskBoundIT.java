package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A producer that invents 5,000 task names, interleaved with a configured task's examples, against a train job
 * that allows only the configured task: every invented example is exactly one dead letter, the configured task
 * trains to the very model it trains without the flood, and the checkpointed state holds one task, not 5,001.
 */
class TaskBoundIT {

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = "blobs";
    static final int EXAMPLES = 2000;
    static final int INVENTED = 5000;
    static final int BATCH = 16;
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":7}""";

    @Test
    void inventedTasksAreDeadLettersWhileTheConfiguredTaskTrainsAsWithoutThem() throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("task-bound-it")
                .specs(TaskSpecs.ofDefault(SPEC))
                .taskBound(new TaskBound(0, List.of(TASK)))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(EXAMPLES / BATCH)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 1);

        LabeledDataset data = SyntheticBlobs.generate(EXAMPLES, 8, 3, 5);
        RecordCodec<Example> codec = settings.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            int invented = 0;
            for (int row = 0; row < EXAMPLES; row++) {
                producer.sendRaw(settings.examplesTopic().name(), TASK,
                        codec.encode(ExampleProducer.example(data, row, TASK, "x", 0)));
                // Two or three invented tasks between two configured examples: 5,000 in all.
                for (int k = 0; k < (row % 2 == 0 ? 2 : 3) && invented < INVENTED; k++, invented++) {
                    Example e = ExampleProducer.example(data, row, "invented-" + invented, "flood-" + invented, 0);
                    producer.sendRaw(settings.examplesTopic().name(), e.getTask(), codec.encode(e));
                }
            }
            producer.flush();
        }

        try (LocalFlinkCluster flink = LocalFlinkCluster.start(2, 0)) {
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, settings);
            JobID job = flink.submit(env, "task-bound-it");

            List<DeadLetter> deadLetters = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> true, INVENTED);
            List<ModelSnapshot> models = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                    m -> true, 1);
            List<Prediction> predictions = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                    p -> true, EXAMPLES);
            JsonNode latest = awaitCheckpointAfter(flink, job, Instant.now().toEpochMilli());
            flink.cancel(job);

            assertThat(deadLetters).hasSize(INVENTED);
            assertThat(deadLetters).allSatisfy(d -> {
                assertThat(d.getField()).isEqualTo("task");
                assertThat(d.getReason()).startsWith("field 'task': expected one of the allowed tasks [blobs] or one "
                        + "of at most maxTasks=0 other tasks").contains("got \"invented-");
            });
            assertThat(deadLetters.stream().map(d -> codec.decode(d.getOriginal().array()).getTask())
                    .collect(Collectors.toSet())).as("one dead letter per invented task").hasSize(INVENTED);
            assertThat(predictions).hasSize(EXAMPLES).allSatisfy(p -> assertThat(p.getTask()).isEqualTo(TASK));

            // The same model as an uninterrupted run on the configured examples alone, bit for bit.
            OnlineLearner alone = OnlineLearner.create(ModelSpec.parse(SPEC));
            float[] weights = new float[BATCH];
            Arrays.fill(weights, 1f);
            for (int from = 0; from < EXAMPLES; from += BATCH) {
                alone.trainMinibatch(Arrays.copyOfRange(data.features(), from * 8, (from + BATCH) * 8),
                        Arrays.copyOfRange(data.labels(), from, from + BATCH), weights, BATCH);
            }
            assertThat(models).hasSize(1);
            assertThat(models.get(0).getExamplesSeen()).isEqualTo(EXAMPLES);
            assertThat(models.get(0).getParameters().array()).isEqualTo(alone.toBytes());

            // The checkpoint holds the configured task's state and the Kafka connectors' small state; 5,001 tasks'
            // states would be 5,001 times the first.
            long perTask = serializedSize(TrainerState.create(ModelSpec.parse(SPEC), settings.prequentialWindow()));
            long stateSize = latest.path("state_size").asLong();
            System.out.printf("task-bound-it: checkpointed state %,d bytes; one task's state %,d bytes%n", stateSize,
                    perTask);
            assertThat(stateSize).as("checkpointed state size").isPositive().isLessThan(100 * perTask);
        }
    }

    /** The latest completed checkpoint triggered after {@code afterMs}. */
    static JsonNode awaitCheckpointAfter(LocalFlinkCluster flink, JobID job, long afterMs) throws Exception {
        Instant deadline = Instant.now().plus(JobTestSupport.PATIENCE);
        JsonNode completed = null;
        while (Instant.now().isBefore(deadline)) {
            completed = flink.checkpointStatistics(job).path("latest").path("completed");
            if (completed.path("trigger_timestamp").asLong() > afterMs) {
                return completed;
            }
            Thread.sleep(100); // polling interval while the job completes its next checkpoint
        }
        throw new AssertionError("no checkpoint completed within " + JobTestSupport.PATIENCE + ": " + completed);
    }

    static long serializedSize(TrainerState state) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(4096);
        new TrainerStateSerializer().serialize(state, out);
        return out.length();
    }
}
