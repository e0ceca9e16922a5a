package dev.chorus.jobs.deadletters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.badinput.BadInputCorpus;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A broker at Kafka's default limits (1 MiB per record batch, topics created without max.message.bytes) takes a
 * compressed producer batch whose one record is far over 1 MiB. The train job dead-letters it with its first bytes
 * only, the whole length and SHA-256, and finishes: the dead-letter sink never meets a record its topic refuses,
 * and since the cluster allows no restart, any failure would fail the job and this test. So does a control record
 * whose refusal would quote its 1.5 MB spec: the dead letter keeps the reason's first
 * {@link DeadLetters#MAX_REASON_CHARS} characters.
 */
class OversizedDeadLetterIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.restarts(0));

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final int GOOD = 20;

    @Test
    void recordsFarOverTheTopicLimitBecomeBoundedDeadLettersWithoutARestart(@InjectMiniCluster MiniCluster cluster)
            throws Exception {
        String prefix = "oversized.";
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId(prefix + "train")
                .examplesTopic(new Topic<>(prefix + "examples", Example.class, WireFormat.AVRO))
                .predictionsTopic(new Topic<>(prefix + "predictions", Prediction.class, WireFormat.AVRO))
                .modelsTopic(new Topic<>(prefix + "models", ModelSnapshot.class, WireFormat.AVRO))
                .deadLetterTopic(new Topic<>(prefix + "dead-letters", DeadLetter.class, WireFormat.AVRO))
                .specs(TaskSpecs.ofDefault(BadInputCorpus.SPEC))
                .maxRecordBytes(4 << 20)
                .checkpointIntervalMs(500)
                .bounded(true)
                .parallelism(2);
        // Every topic at the broker's defaults: the point is that the job needs nothing larger for dead letters.
        KAFKA.broker().createTopics(List.of(
                new NewTopic(settings.examplesTopic().name(), 2, (short) 1),
                new NewTopic(settings.predictionsTopic().name(), 2, (short) 1),
                new NewTopic(settings.modelsTopic().name(), 1, (short) 1),
                new NewTopic(settings.annotatorsTopic().name(), 1, (short) 1),
                new NewTopic(settings.championsTopic().name(), 1, (short) 1),
                new NewTopic(settings.specsTopic().name(), 1, (short) 1),
                new NewTopic(settings.specRefusalsTopic().name(), 1, (short) 1),
                new NewTopic(settings.deadLetterTopic().name(), 1, (short) 1)));

        var codec = settings.examplesTopic().codec();
        // Zeros compress to almost nothing: the broker checks the compressed batch, not the record inside.
        byte[] overLimit = codec.encode(BadInputCorpus.valid().setId("over-limit")
                .setFeatures(Float32.pack(new float[2_000_000])).build());
        byte[] wrongDimension = codec.encode(BadInputCorpus.valid().setId("wrong-dimension")
                .setFeatures(Float32.pack(new float[500_000])).build());
        assertThat(overLimit.length).isGreaterThan(4 << 20);
        assertThat(wrongDimension.length).isBetween(1 << 20, 4 << 20);
        Map<String, String> compressed = Map.of("compression.type", "gzip", "max.request.size",
                String.valueOf(16 << 20));
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), compressed)) {
            for (int i = 0; i < GOOD; i++) {
                Example good = BadInputCorpus.valid().setId("good-" + i).setLabel(i % 3).build();
                producer.sendRaw(settings.examplesTopic().name(), good.getId(), codec.encode(good));
                if (i == GOOD / 2) {
                    producer.sendRaw(settings.examplesTopic().name(), "over-limit", overLimit).get();
                    producer.sendRaw(settings.examplesTopic().name(), "wrong-dimension", wrongDimension).get();
                }
            }
            // Variant w of the corpus task, retired, then put again without "revive": refused, quoting the spec.
            String padded = BadInputCorpus.SPEC.replaceFirst("\\{", "{" + " ".repeat(1_500_000));
            var control = settings.specsTopic().codec();
            for (VariantSpecRecord record : List.of(control(VariantStatus.LIVE, BadInputCorpus.SPEC),
                    control(VariantStatus.RETIRED, null), control(VariantStatus.LIVE, padded))) {
                producer.sendRaw(settings.specsTopic().name(), "corpus/w", control.encode(record)).get();
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobID job = env.execute("oversized-dead-letters").getJobID();

        int kept = JobSettings.DEFAULT_DEAD_LETTER_MAX_ORIGINAL_BYTES;
        Map<String, DeadLetter> byKey = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic()).stream()
                .collect(Collectors.toMap(d -> StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString(),
                        Function.identity()));
        assertThat(byKey.keySet()).containsExactlyInAnyOrder("over-limit", "wrong-dimension", "corpus/w");
        assertThat(byKey.get("corpus/w").getReason()).startsWith("field 'spec': expected \"revive\":true")
                .hasSizeLessThan(DeadLetters.MAX_REASON_CHARS + 100).endsWith(" characters)");
        assertThat(JobTestSupport.read(KAFKA.broker(), settings.specRefusalsTopic())).singleElement()
                .satisfies(d -> assertThat(d.getReason()).isEqualTo(byKey.get("corpus/w").getReason()));
        assertThat(byKey.get("over-limit").getReason())
                .contains("record value: expected at most " + (4 << 20) + " bytes, got " + overLimit.length);
        assertThat(byKey.get("wrong-dimension").getReason())
                .contains("field 'features': expected 4 float32 values, got 500000");
        Map<String, byte[]> sent = Map.of("over-limit", overLimit, "wrong-dimension", wrongDimension);
        sent.forEach((key, bytes) -> assertThat(byKey.get(key)).as(key).satisfies(d -> {
            assertThat(d.getOriginal()).isEqualTo(ByteBuffer.wrap(Arrays.copyOf(bytes, kept)));
            assertThat(d.getOriginalLength()).isEqualTo(bytes.length);
            assertThat(d.getOriginalSha256()).isEqualTo(ByteBuffer.wrap(sha256(bytes)));
        }));
        assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic())).hasSize(GOOD);
        assertThat(cluster.getArchivedExecutionGraph(job).get().getAllExecutionVertices())
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isZero());
    }

    private static VariantSpecRecord control(VariantStatus status, String spec) {
        return VariantSpecRecord.newBuilder().setTask("corpus").setVariant("w").setStatus(status).setSpec(spec)
                .setUpdatedAt(1L).setSource("test").build();
    }

    private static byte[] sha256(byte[] bytes) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(bytes);
    }
}
