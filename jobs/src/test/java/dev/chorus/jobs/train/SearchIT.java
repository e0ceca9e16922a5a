package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.DrawnVariant;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A 4-variant successive-halving search put on the control topic of a running train job (parallelism 2): its
 * variants appear and train beside {@code default}; after the first rung's 64 examples the two variants of the lower
 * learning rates are retired, with the rung's evidence on the control topic and in the champion record's standings;
 * they then stop predicting. A search that would exceed the bound is one dead letter.
 *
 * <p>The labelled examples go to one of the topic's two partitions ({@link #sendInOrder}; the probes to both), so every
 * variant meets them in the same order and its minibatches, and so the rung's losses, do not depend on how the
 * router's two instances interleave: spread over both, a fast variant's mean loss over the first 64 examples (four
 * minibatches, the first predicted by the initial weights, then a standardiser that has seen 16 to 48 examples)
 * exceeded a slow one's now and then (CI runs retired hp-s2 beside hp-s1, with learning rates 0.2 and 0.3 and again
 * with 0.03 and 0.05). Other ITs cover interleaved partitions.
 */
class SearchIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String TASK = "blobs/a";
    static final String BASE = """
            {"algorithm":"softmax-regression","inputDim":8,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.05},"standardize":true,"seed":7""";
    /**
     * 4 variants and 192 examples: rungs of 64 and 128. Each drawn point takes one of the 4 learning rates. The fast
     * ones are moderate: at 0.2 and 0.3 Adam's first steps could overshoot on an early minibatch.
     */
    static final String SEARCH = BASE + """
            ,"search":{"method":"successive-halving","variants":4,"budgetExamples":192,
             "space":{"optimizer.learningRate":[0.00001,0.00002,0.03,0.05]}}}""";
    static final LabeledDataset DATA = SyntheticBlobs.generate(1000, 8, 3, 5);

    @Test
    void aSearchRetiresTheWorseHalfAtItsFirstRungWithItsEvidence() throws Exception {
        TrainSettings settings = settings(KAFKA, "search-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        List<String> slow = drawn(true);
        List<String> fast = drawn(false);
        assertThat(slow).hasSize(2);
        JobClient job = start(settings, "search-it");
        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker())) {
            control(producer, settings, TASK + "/hp", spec(TASK, "hp", VariantStatus.LIVE, SEARCH));
            for (String v : List.of("hp-s0", "hp-s1", "hp-s2", "hp-s3")) {
                VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "add-" + v + "-", v, true);
            }

            sendInOrder(producer, settings, "rung-", 0, 64);
            List<Prediction> rung = await(settings, "rung-", 5 * 64);
            assertThat(rung.stream().collect(Collectors.groupingBy(Prediction::getVariant, Collectors.counting())))
                    .as("every example of the rung, predicted once by each variant")
                    .isEqualTo(Map.of("default", 64L, "hp-s0", 64L, "hp-s1", 64L, "hp-s2", 64L, "hp-s3", 64L));

            List<VariantSpecRecord> decided = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                    r -> r.getSource().equals("search"), 2);
            assertThat(decided).extracting(VariantSpecRecord::getVariant).containsExactlyInAnyOrderElementsOf(slow);
            String reason = decided.get(0).getReason();
            assertThat(decided).allSatisfy(r -> {
                assertThat(r.getTask()).isEqualTo(TASK);
                assertThat(r.getStatus()).isEqualTo(VariantStatus.RETIRED);
                assertThat(r.getReason()).isEqualTo(reason);
            });
            assertThat(reason).startsWith("search hp rung 0 of 2 over 64 examples: mean prequential loss ")
                    .contains(fast.get(0) + " ").contains(slow.get(1) + " ").endsWith("(retired)");
            List<Champion> explained = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.championsTopic(),
                    c -> c.getStandings().stream().filter(s -> s.getStatus() == StandingStatus.RETIRED).count() == 2,
                    1);
            assertThat(explained.get(0).getStandings()).filteredOn(s -> s.getStatus() == StandingStatus.RETIRED)
                    .extracting(VariantStanding::getVariant, VariantStanding::getRetiredReason)
                    .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple(slow.get(0), reason),
                            org.assertj.core.groups.Tuple.tuple(slow.get(1), reason));

            for (String v : slow) {
                VariantProbes.await(KAFKA.broker(), producer, settings, TASK, "retire-" + v + "-", v, false);
            }
            sendInOrder(producer, settings, "after-", 64, 64);
            List<Prediction> after = await(settings, "after-", 3 * 64);
            assertThat(after.stream().collect(Collectors.groupingBy(Prediction::getVariant, Collectors.counting())))
                    .as("the retired variants predict no more")
                    .isEqualTo(Map.of("default", 64L, fast.get(0), 64L, fast.get(1), 64L));

            control(producer, settings, TASK + "/big", spec(TASK, "big", VariantStatus.LIVE,
                    SEARCH.replace("\"variants\":4", "\"variants\":16")));
            List<DeadLetter> dead = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                    d -> d.getTopic().equals(settings.specsTopic().name()), 1);
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("spec");
                assertThat(d.getReason()).isEqualTo("field 'spec': expected at most maxVariantsPerTask=16 live "
                        + "variants of task \"blobs/a\", got a search of 16 variants (16 new) beside 3");
            });
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.specsTopic()))
                    .filteredOn(r -> r.getSource().equals("search")).as("no other decision").hasSize(2);
            assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic()))
                    .filteredOn(p -> p.getVariant().startsWith("big")).isEmpty();
        } finally {
            JobTestSupport.cancel(job);
        }
    }

    /** The search's drawn variants of the two lower learning rates ({@code slow}), or of the two higher, by name. */
    static List<String> drawn(boolean slow) {
        List<DrawnVariant> drawn = VariantSpec.parse(SEARCH, 16).variants();
        return drawn.stream().filter(d -> d.spec().optimizer().learningRate() < 0.01 == slow)
                .map(d -> "hp-" + d.name()).sorted().toList();
    }

    static JobClient start(TrainSettings settings, String name) throws Exception {
        return JobTestSupport.startTrain(settings, null, name);
    }

    /** A job at parallelism 2 training {@link #BASE} as variant default, checkpointing every 300 ms. */
    static TrainSettings settings(EmbeddedKafkaExtension kafka, String group) {
        return new TrainSettings()
                .bootstrapServers(kafka.broker().bootstrapServers())
                .groupId(group)
                .specs(TaskSpecs.ofDefault(BASE + "}"))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(10)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0)
                .parallelism(2);
    }

    static void send(ExampleProducer examples, TrainSettings settings, String prefix, int from, int count) {
        for (int row = from; row < from + count; row++) {
            examples.send(settings.examplesTopic(), ExampleProducer.example(DATA, row, TASK, prefix, 0));
        }
        examples.flush();
    }

    /**
     * Labelled examples {@code from} to {@code from + count} of {@link #DATA}, all to partition 0, in order: every
     * variant meets them in that order.
     */
    static void sendInOrder(KafkaProducer<byte[], byte[]> producer, TrainSettings settings, String prefix, int from,
            int count) throws Exception {
        var codec = settings.examplesTopic().codec();
        for (int row = from; row < from + count; row++) {
            Example example = ExampleProducer.example(DATA, row, TASK, prefix, 0);
            producer.send(new ProducerRecord<>(settings.examplesTopic().name(), 0,
                    example.getId().getBytes(StandardCharsets.UTF_8), codec.encode(example)));
        }
        producer.flush();
    }

    static List<Prediction> await(TrainSettings settings, String prefix, int n) throws Exception {
        return JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                p -> p.getId().startsWith(prefix), n);
    }
}
