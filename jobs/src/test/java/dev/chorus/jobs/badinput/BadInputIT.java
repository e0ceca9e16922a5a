package dev.chorus.jobs.badinput;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.JobTestSupport;
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
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every file of each version of the bad-input corpus (v1, and v2 beside it), sent to the train job among good examples, produces exactly one
 * dead letter with its specific reason; the good examples are all predicted, the per-field dead-letter counters
 * are exported as Flink metrics, and the job never restarts.
 */
class BadInputIT {

    static final InMemoryReporter METRICS = InMemoryReporter.createWithRetainedMetrics();

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, METRICS.addToConfiguration(JobTestSupport.failFast()));

    static final Path CORPORA = Path.of("src/test/resources/bad-input");
    static final int GOOD = 40;

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"v1, avro", "v1, json", "v2, avro", "v2, json"})
    void everyCorpusFileBecomesExactlyOneSpecificDeadLetter(String version, String format,
            @InjectMiniCluster MiniCluster cluster) throws Exception {
        Path corpus = CORPORA.resolve(version);
        Map<String, String> cases = cases(corpus, format);
        assertThat(cases).hasSizeGreaterThanOrEqualTo(5);
        WireFormat wire = WireFormat.parse(format);
        boolean v1 = version.equals("v1");
        String prefix = "bad-input-" + version + "-" + format + ".";
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId(prefix + "train")
                .examplesTopic(new Topic<>(prefix + "examples", Example.class, wire))
                .predictionsTopic(new Topic<>(prefix + "predictions", Prediction.class, wire))
                .modelsTopic(new Topic<>(prefix + "models", ModelSnapshot.class, wire))
                .deadLetterTopic(new Topic<>(prefix + "dead-letters", DeadLetter.class, wire))
                .specs(v1 ? TaskSpecs.ofDefault(BadInputCorpus.SPEC) : TaskSpecs.of(BadInputCorpus.SPEC,
                        Map.of(BadInputCorpus.REGRESSION_TASK, BadInputCorpus.REGRESSION_SPEC)))
                .maxRecordBytes(v1 ? BadInputCorpus.MAX_RECORD_BYTES : BadInputCorpus.MAX_RECORD_BYTES_V2)
                .checkpointIntervalMs(500)
                .bounded(true)
                .parallelism(2);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);

        var codec = settings.examplesTopic().codec();
        List<String> files = List.copyOf(cases.keySet());
        // v2's 1 MiB id and task pass the examples topic's 1 MiB limit as compressed batches.
        Map<String, String> compressed = Map.of("compression.type", "gzip", "max.request.size",
                String.valueOf(16 << 20));
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), compressed)) {
            // Good and bad interleaved, each bad record keyed by its file name so its dead letter can be matched.
            for (int i = 0; i < GOOD; i++) {
                Example good = BadInputCorpus.valid().setId("good-" + i).setLabel(i % 3).build();
                producer.sendRaw(settings.examplesTopic().name(), good.getId(), codec.encode(good));
                if (i < files.size()) {
                    // A .tombstone file stands for a record with a null value.
                    producer.sendRaw(settings.examplesTopic().name(), files.get(i), files.get(i).endsWith(".tombstone")
                            ? null : Files.readAllBytes(corpus.resolve(files.get(i))));
                }
            }
            producer.flush();
        }

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        TrainJob.build(env, settings);
        JobID job = env.execute("bad-input-" + version + "-" + format).getJobID();

        // A finished job's last transactions are committed, but their markers reach the partitions a moment later
        // (the coordinator writes them after answering the commit), and a committed reader sees nothing past them
        // until then: wait for the records the input must give, then check them exactly.
        List<DeadLetter> deadLetters = JobTestSupport.awaitCommitted(KAFKA.broker(), settings.deadLetterTopic(),
                d -> true, cases.size());
        Map<String, List<DeadLetter>> byFile = deadLetters.stream().collect(Collectors.groupingBy(
                d -> StandardCharsets.UTF_8.decode(d.getKey().duplicate()).toString()));
        assertThat(byFile.keySet()).containsExactlyInAnyOrderElementsOf(cases.keySet());
        cases.forEach((file, reason) -> assertThat(byFile.get(file)).as(file).singleElement().satisfies(d -> {
            assertThat(d.getReason()).contains(reason);
            // The first bytes of the record, at most the dead letters' bound, and the whole record's length.
            assertThat(d.getOriginal().remaining())
                    .isEqualTo((int) Math.min(size(corpus, file), JobSettings.DEFAULT_DEAD_LETTER_MAX_ORIGINAL_BYTES));
            assertThat(d.getOriginalLength()).isEqualTo((int) size(corpus, file));
            assertThat(d.getOffset()).isGreaterThanOrEqualTo(0);
        }));
        assertThat(JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), p -> true, GOOD))
                .hasSize(GOOD);

        // Counters, summed over the decode stage's subtasks: the total, and per offending field (records that
        // do not decode at all count under field decode), which add up to the same.
        assertThat(counter(job, id -> id.endsWith(".deadLetters") && !id.contains(".field."))).isEqualTo(cases.size());
        Map<String, Long> perField = deadLetters.stream().collect(Collectors.groupingBy(
                d -> d.getField() == null ? "decode" : d.getField(), Collectors.counting()));
        perField.forEach((field, n) -> assertThat(counter(job, id -> id.endsWith(".field." + field + ".deadLetters")))
                .as(field).isEqualTo(n));

        // No restarts: every task ran once.
        assertThat(cluster.getArchivedExecutionGraph(job).get().getAllExecutionVertices())
                .allSatisfy(v -> assertThat(v.getCurrentExecutionAttempt().getAttemptNumber()).isZero());
    }

    /** The sum of the job's dead-letter counters whose metric identifier {@code which} accepts. */
    private static long counter(JobID job, java.util.function.Predicate<String> which) {
        return METRICS.findMetrics(job, "deadLetters").entrySet().stream()
                .filter(e -> which.test(e.getKey()) && e.getValue() instanceof Counter)
                .mapToLong(e -> ((Counter) e.getValue()).getCount()).sum();
    }

    private static long size(Path corpus, String file) {
        try {
            return Files.size(corpus.resolve(file));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /** The corpus files of one format and the part of the reason each must produce, from cases.tsv. */
    static Map<String, String> cases(Path corpus, String format) throws IOException {
        Map<String, String> cases = new LinkedHashMap<>();
        for (String line : Files.readAllLines(corpus.resolve("cases.tsv"))) {
            if (!line.startsWith("#") && line.startsWith(format + "/")) {
                String[] parts = line.split("\t", 2);
                cases.put(parts[0], parts[1]);
            }
        }
        return cases;
    }
}
