package dev.chorus.jobs.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.runtime.EmbeddedKafkaBroker;
import dev.chorus.runtime.ExampleProducer;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.WireFormat;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.api.common.JobID;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.runtime.testutils.InMemoryReporter;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every file of the versioned bad-input corpus, sent to the train job among good examples, produces exactly one
 * dead letter with its specific reason; the good examples are all predicted, the per-field dead-letter counters
 * are exported as Flink metrics, and the job never restarts.
 */
class BadInputIT {

    static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, METRICS.addToConfiguration(JobTestSupport.failFast()));

    static final Path CORPUS = Path.of("src/test/resources/bad-input/v1");
    static final int GOOD = 40;

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @ParameterizedTest
    @ValueSource(strings = {"avro", "json"})
    void everyCorpusFileBecomesExactlyOneSpecificDeadLetter(String format, @InjectMiniCluster MiniCluster cluster)
            throws Exception {
        Map<String, String> cases = cases(format);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(5);
        WireFormat wire = WireFormat.parse(format);
        String prefix = "bad-input-" + format + ".";
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId(prefix + "train")
                .examplesTopic(new Topic<>(prefix + "examples", Example.class, wire))
                .predictionsTopic(new Topic<>(prefix + "predictions", Prediction.class, wire))
                .modelsTopic(new Topic<>(prefix + "models", ModelSnapshot.class, wire))
                .deadLetterTopic(new Topic<>(prefix + "dead-letters", DeadLetter.class, wire))
                .specs(TaskSpecs.ofDefault(BadInputCorpus.SPEC))
                .maxRecordBytes(BadInputCorpus.MAX_RECORD_BYTES)
                .checkpointIntervalMs(500)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        var codec = settings.examplesTopic().codec();
        List<String> files = List.copyOf(cases.keySet());
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            // Good and bad interleaved, each bad record keyed by its file name so its dead letter can be matched.
            for (int i = 0; i < GOOD; i++) {
                Example good = BadInputCorpus.valid().setId("good-" + i).setLabel(i % 3).build();
                producer.sendRaw(settings.examplesTopic().name(), good.getId(), codec.encode(good));
                if (i < files.size()) {
                    producer.sendRaw(settings.examplesTopic().name(), files.get(i),
                            Files.readAllBytes(CORPUS.resolve(files.get(i))));
                }
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobID job = env.execute("bad-input-" + format).getJobID();

        List<DeadLetter> deadLetters = JobTestSupport.read(KAFKA.broker(), settings.deadLetterTopic());
        Map<String, List<DeadLetter>> byFile = deadLetters.stream().collect(Collectors.groupingBy(
                d -> StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString()));
        assertThat(byFile.keySet()).containsExactlyInAnyOrderElementsOf(cases.keySet());
        cases.forEach((file, reason) -> assertThat(byFile.get(file)).as(file).singleElement().satisfies(d -> {
            assertThat(d.getReason()).contains(reason);
            // The first bytes of the record, at most the dead letters' bound, and the whole record's length.
            assertThat(d.getOriginal().remaining())
                    .isEqualTo((int) Math.min(size(file), JobSettings.DEFAULT_DEAD_LETTER_MAX_ORIGINAL_BYTES));
            assertThat(d.getOriginalLength()).isEqualTo((int) size(file));
            assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
        }));
        assertThat(JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic())).hasSize(GOOD);

        // Counters, summed over the decode stage's subtasks: the total, and per offending field (records that
        // do not decode at all count under deadLetters.decode), which add up to the same.
        assertThat(counter(job, ".deadLetters")).isEqualTo(cases.size());
        Map<String, Long> perField = deadLetters.stream().collect(Collectors.groupingBy(
                d -> d.getField() == null ? "decode" : d.getField(), Collectors.counting()));
        perField.forEach((field, n) -> assertThat(counter(job, ".deadLetters." + field)).as(field).isEqualTo(n));

        // No restarts: every task ran once.
        assertThat(cluster.getArchivedExecutionGraph(job).get().getAllExecutionVertices())
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isZero());
    }

    private static long counter(JobID job, String suffix) {
        return METRICS.findMetrics(job, "deadLetters").entrySet().stream()
                .filter(e -> e.getKey().endsWith(suffix) && e.getValue() instanceof Counter)
                .mapToLong(e -> ((Counter) e.getValue()).getCount()).sum();
    }

    private static long size(String file) {
        try {
            return Files.size(CORPUS.resolve(file));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The corpus files of one format and the part of the reason each must produce, from cases.tsv. */
    static Map<String, String> cases(String format) throws IOException {
        Map<String, String> cases = new LinkedHashMap<>();
        for (String line : Files.readAllLines(CORPUS.resolve("cases.tsv"))) {
            if (!line.startsWith("#") && line.startsWith(format + "/")) {
                String[] parts = line.split("\t", 2);
                cases.put(parts[0], parts[1]);
            }
        }
        return cases;
    }
}
