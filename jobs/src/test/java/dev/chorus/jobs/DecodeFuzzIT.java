package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.badinput.BadInputCorpus;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seeded random and mutated records (bit flips, truncations, splices of valid records, random bytes) interleaved
 * with valid ones, through the real train job on a real broker: every record becomes exactly one prediction or one
 * dead letter, and no task restarts (the cluster allows none, so a failure would fail the job).
 */
class DecodeFuzzIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(0));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    /** Per format; about two thirds are mutated, so over 10,000 mutated records across both formats. */
    static final int RECORDS = 8_000;

    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void everyFuzzedRecordBecomesOnePredictionOrOneDeadLetter(WireFormat format, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String prefix = "fuzz-" + format + ".";
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId(prefix + "train")
                .examplesTopic(new Topic<>(prefix + "examples", Example.class, format))
                .predictionsTopic(new Topic<>(prefix + "predictions", Prediction.class, format))
                .modelsTopic(new Topic<>(prefix + "models", ModelSnapshot.class, format))
                .deadLetterTopic(new Topic<>(prefix + "dead-letters", DeadLetter.class, format))
                .specs(TaskSpecs.ofDefault(BadInputCorpus.SPEC))
                .checkpointIntervalMs(500)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        List<DecodeFuzz.Input> inputs = DecodeFuzz.inputs(settings.examplesTopic().codec(),
                new Random(20_240_000 + format.ordinal()), RECORDS);
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int i = 0; i < inputs.size(); i++) {
                sent.add(producer.sendRaw(settings.examplesTopic().name(), "k" + i, inputs.get(i).bytes()));
            }
            producer.flush();
        }
        Set<String> allCoordinates = new HashSet<>();
        Set<String> validCoordinates = new HashSet<>();
        Set<String> validIds = new HashSet<>();
        for (int i = 0; i < inputs.size(); i++) {
            RecordMetadata m = sent.get(i).get();
            String coordinates = m.partition() + "@" + m.offset();
            allCoordinates.add(coordinates);
            if (inputs.get(i).validId() != null) {
                validCoordinates.add(coordinates);
                validIds.add(inputs.get(i).validId());
            }
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobID job = env.execute("decode-fuzz-" + format).getJobID();

        List<DeadLetter> deadLetters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());
        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        List<String> deadCoordinates = deadLetters.stream().map(d -> d.getPartition() + "@" + d.getOffset()).toList();
        assertThat(deadCoordinates).doesNotHaveDuplicates();
        assertThat(allCoordinates).containsAll(deadCoordinates);
        assertThat(deadCoordinates).doesNotContainAnyElementsOf(validCoordinates);
        assertThat(predictions.size() + deadLetters.size()).isEqualTo(inputs.size());
        Map<String, Long> predictedValid = predictions.stream().filter(p -> validIds.contains(p.getId()))
                .collect(Collectors.groupingBy(Prediction::getId, Collectors.counting()));
        assertThat(predictedValid.keySet()).isEqualTo(validIds);
        assertThat(predictedValid.values()).allMatch(n -> n == 1);
        assertThat(deadLetters).allSatisfy(d -> assertThat(d.getReason()).isNotBlank());
        // Mutations of every kind reached the dead-letter topic, not only headers that do not parse.
        assertThat(deadLetters.size()).isGreaterThan(RECORDS / 3);

        assertThat(cluster.getArchivedExecutionGraph(job).get().getAllExecutionVertices())
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isZero());
    }
}
