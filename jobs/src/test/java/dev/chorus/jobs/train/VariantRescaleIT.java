package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.VariantControlIT.control;
import static dev.chorus.jobs.train.VariantControlIT.spec;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.select.DrawnVariant;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.minicluster.MiniCluster;
import org.apache.flink.test.junit5.InjectMiniCluster;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rescaling a train job that runs variants and a search, as Flink's autoscaler or an operator does it: stop with a
 * savepoint and restore at another parallelism, 1 → 2 → 1, with open minibatches at both savepoints and a search rung
 * decided in each of the later phases. Everything the control topic made lives in operator state that must be
 * redistributed (check-specs' judgements, the router's broadcast specs and its waits, the admitted tasks) or in keyed
 * state that moves between subtasks (each variant's model and optimizer, the search's rungs, the champion race).
 *
 * <p>Two tasks, each on its own partition (so its examples reach each variant in one order, and at parallelism 2 each
 * router instance routes one task): {@code blobs/a} trains {@code default}, {@code fast} and a 4-variant
 * successive-halving search ({@link SearchIT#SEARCH}: rungs end after 64 and 192 examples), {@code blobs/b} trains
 * {@code default} and {@code fast}. Afterwards every variant predicted each example at most once, every variant that
 * was never retired predicted each exactly once, its last model is bit-identical to its spec trained on the task's
 * examples without interruption, the search retired the two slow variants at its first rung and one more at its
 * second, each once, and the task's last champion record says so.
 */
class VariantRescaleIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    static final String A = SearchIT.TASK;
    static final String B = "blobs/b";
    static final String FAST = (SearchIT.BASE + "}").replace("0.05", "0.2");
    static final Map<String, LabeledDataset> DATA = Map.of(A, SearchIT.DATA, B, SyntheticBlobs.generate(1000, 8, 3, 6));
    /** Rows of each task per phase: 40 and 120 leave 8 examples in each open minibatch of 16 at the savepoints. */
    static final int[] ENDS = {40, 120, 320};
    static final int[] PARALLELISM = {1, 2, 1};

    @Test
    void variantsAndASearchComeThroughRescalingSavepointsExactly(@InjectMiniCluster MiniCluster cluster,
            @TempDir Path savepoints) throws Exception {
        TrainSettings settings = SearchIT.settings(KAFKA, "variant-rescale-it");
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        List<String> slow = SearchIT.drawn(true);
        List<String> quick = SearchIT.drawn(false);
        Map<String, ModelSpec> drawn = VariantSpec.parse(SearchIT.SEARCH, 16).variants().stream()
                .collect(Collectors.toMap(d -> "hp-" + d.name(), DrawnVariant::spec));

        try (KafkaProducer<byte[], byte[]> producer = VariantProbes.producer(KAFKA.broker())) {
            // On the topic before the job starts: its router holds the examples until it has read them.
            control(producer, settings, A + "/fast", spec(A, "fast", VariantStatus.LIVE, FAST));
            control(producer, settings, B + "/fast", spec(B, "fast", VariantStatus.LIVE, FAST));
            control(producer, settings, A + "/hp", spec(A, "hp", VariantStatus.LIVE, SearchIT.SEARCH));

            String savepoint = null;
            int sent = 0;
            for (int phase = 0; phase < ENDS.length; phase++) {
                int current = phase;
                JobClient job = JobTestSupport.startTrain(settings.parallelism(PARALLELISM[phase]), savepoint,
                        "variant-rescale-it-" + phase);
                try {
                    send(producer, settings, sent, ENDS[phase]);
                    sent = ENDS[phase];
                    int closed = sent / 16 * 16;
                    // Variants never retired predict every example of a closed minibatch of 16.
                    JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                            p -> p.getVariant().equals("default") || p.getVariant().equals("fast"), 4 * closed);
                    assertThat(cluster.getExecutionGraph(job.getJobID()).get().getAllVertices().values())
                            .filteredOn(v -> v.getName().contains("minibatch-sgd")).singleElement()
                            .satisfies(v -> assertThat(v.getParallelism()).as("the trainers' parallelism in phase %s",
                                    current).isEqualTo(PARALLELISM[current]));
                    if (phase > 0) {
                        JobTestSupport.awaitCommitted(KAFKA.broker(), settings.specsTopic(),
                                r -> "search".equals(r.getSource()), phase == 1 ? 2 : 3);
                    }
                    if (phase < ENDS.length - 1) {
                        // The search's survivors have predicted theirs too (rung 0 ends at 64, inside phase 1).
                        JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(),
                                p -> quick.contains(p.getVariant()), 2 * closed);
                        savepoint = job.stopWithSavepoint(false, savepoints.resolve("sp" + phase).toUri().toString(),
                                SavepointFormatType.CANONICAL).get();
                        job = null;
                    } else {
                        JobTestSupport.awaitCommitted(KAFKA.broker(), settings.modelsTopic(),
                                m -> m.getVariant().startsWith("hp-") && m.getExamplesSeen() == ENDS[current], 1);
                    }
                } finally {
                    if (job != null) {
                        JobTestSupport.cancel(job);
                    }
                }
            }
        }

        List<VariantSpecRecord> decisions = JobTestSupport.read(KAFKA.broker(), settings.specsTopic()).stream()
                .filter(r -> "search".equals(r.getSource())).toList();
        assertThat(decisions).as("each decision once").extracting(VariantSpecRecord::getVariant).doesNotHaveDuplicates()
                .hasSize(3).containsAll(slow);
        assertThat(decisions).allSatisfy(r -> assertThat(r.getStatus()).isEqualTo(VariantStatus.RETIRED));
        assertThat(decisions).filteredOn(r -> slow.contains(r.getVariant())).extracting(VariantSpecRecord::getReason)
                .allSatisfy(reason -> assertThat(reason).startsWith("search hp rung 0 of 2 over 64 examples"));
        VariantSpecRecord second = decisions.stream().filter(r -> !slow.contains(r.getVariant())).findFirst()
                .orElseThrow();
        assertThat(second.getReason()).startsWith("search hp rung 1 of 2 over 128 examples");
        assertThat(quick).contains(second.getVariant());
        String champion = quick.stream().filter(v -> !v.equals(second.getVariant())).findFirst().orElseThrow();

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        assertThat(predictions).as("no example predicted twice by a variant")
                .extracting(p -> p.getTask() + "/" + p.getVariant() + "/" + p.getId()).doesNotHaveDuplicates();
        Map<String, Long> counts = predictions.stream().collect(Collectors.groupingBy(
                p -> p.getTask() + "/" + p.getVariant(), Collectors.counting()));
        int all = ENDS[ENDS.length - 1];
        Map<String, ModelSpec> survivors = new HashMap<>();
        for (String task : List.of(A, B)) {
            survivors.put(task + "/default", ModelSpec.parse(SearchIT.BASE + "}"));
            survivors.put(task + "/fast", ModelSpec.parse(FAST));
        }
        survivors.put(A + "/" + champion, drawn.get(champion));
        for (String key : survivors.keySet()) {
            assertThat(counts.get(key)).as("predictions of %s", key).isEqualTo((long) all);
        }
        for (VariantSpecRecord retired : decisions) {
            assertThat(counts.get(A + "/" + retired.getVariant())).as("predictions of retired %s", retired.getVariant())
                    .isBetween(slow.contains(retired.getVariant()) ? 64L : 192L, (long) all);
        }

        Map<String, ModelSnapshot> last = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic()).stream()
                .filter(m -> m.getChunk() == null).collect(Collectors.toMap(m -> m.getTask() + "/" + m.getVariant(),
                        Function.identity(), (x, y) -> y.getVersion() > x.getVersion() ? y : x));
        survivors.forEach((key, spec) -> {
            ModelSnapshot model = last.get(key);
            assertThat(model.getExamplesSeen()).as("examples trained by %s", key).isEqualTo(all);
            assertThat(model.getVersion()).isEqualTo(all / 16);
            assertThat(bytes(model.getParameters())).as("%s bit-identical to an uninterrupted run", key)
                    .isEqualTo(uninterrupted(spec, DATA.get(key.substring(0, key.lastIndexOf('/'))), all));
        });

        List<Champion> boards = JobTestSupport.read(KAFKA.broker(), settings.championsTopic()).stream()
                .filter(c -> c.getTask().equals(A)).toList();
        Champion board = boards.get(boards.size() - 1); // the topic has one partition: the last is the newest
        Map<String, VariantStanding> standings = board.getStandings().stream()
                .collect(Collectors.toMap(VariantStanding::getVariant, Function.identity()));
        assertThat(standings.keySet()).as("the race restored across both rescalings")
                .containsAll(Set.of("default", "fast", "hp-s0", "hp-s1", "hp-s2", "hp-s3"));
        for (VariantSpecRecord retired : decisions) {
            assertThat(standings.get(retired.getVariant()).getStatus()).isEqualTo(StandingStatus.RETIRED);
            assertThat(standings.get(retired.getVariant()).getRetiredReason()).isEqualTo(retired.getReason());
        }
        assertThat(standings.get(champion).getStatus()).isNotEqualTo(StandingStatus.RETIRED);
    }

    /** Rows [from, to) of each task, task {@code a} to partition 0 and {@code b} to partition 1, in order. */
    private static void send(KafkaProducer<byte[], byte[]> producer, TrainSettings settings, int from, int to)
            throws Exception {
        var codec = settings.examplesTopic().codec();
        for (int row = from; row < to; row++) {
            int partition = 0;
            for (String task : List.of(A, B)) {
                Example e = ExampleProducer.example(DATA.get(task), row, task, task.substring(task.length() - 1), 0);
                producer.send(new ProducerRecord<>(settings.examplesTopic().name(), partition++,
                        e.getId().getBytes(StandardCharsets.UTF_8), codec.encode(e)));
            }
        }
        producer.flush();
    }

    private static byte[] uninterrupted(ModelSpec spec, LabeledDataset data, int rows) {
        OnlineLearner learner = OnlineLearner.create(spec);
        float[] w = new float[16];
        Arrays.fill(w, 1f);
        for (int start = 0; start < rows; start += 16) {
            learner.trainMinibatch(Arrays.copyOfRange(data.features(), start * 8, (start + 16) * 8),
                    Arrays.copyOfRange(data.labels(), start, start + 16), w, 16);
        }
        return learner.toBytes();
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
