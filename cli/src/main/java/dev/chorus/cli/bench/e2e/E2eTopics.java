package dev.chorus.cli.bench.e2e;

import dev.chorus.cli.bench.LatencyBenchmark;
import dev.chorus.cli.data.ExampleLabeling;
import dev.chorus.core.annotators.AnnotatorPool;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.jobs.JobSettings;
import dev.chorus.jobs.kafka.ChorusTopic;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.RecordCodec;
import dev.chorus.schemas.codec.WireFormat;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The benchmark's topics: the examples topics every line reads from the beginning, filled once, and each run's own
 * output topics.
 */
final class E2eTopics {

    /** Partitions of the examples and predictions topics: parallelism 2 can read them in parallel. */
    static final int PARTITIONS = 2;
    static final String TASK = "fashion-mnist";

    private E2eTopics() {}

    /** The examples topic whose examples belong to {@code tasks} tasks, each trained by its own subtask at p2. */
    static Topic<Example> examplesTopic(int tasks) {
        return new Topic<>(tasks == 1 ? "e2e-examples" : "e2e-examples-" + tasks + "tasks", Example.class,
                WireFormat.AVRO);
    }

    /**
     * The task names of a topic with {@code tasks} tasks: {@value #TASK} alone, or names whose keys Flink assigns to
     * different subtasks at parallelism {@code tasks}, so that each task trains in its own subtask.
     */
    static List<String> taskNames(int tasks) {
        if (tasks == 1) {
            return List.of(TASK);
        }
        int maxParallelism = KeyGroupRangeAssignment.computeDefaultMaxParallelism(tasks);
        String[] names = new String[tasks];
        for (int i = 0; Arrays.stream(names).anyMatch(Objects::isNull); i++) {
            String name = TASK + "-" + i;
            int subtask = KeyGroupRangeAssignment.assignKeyToParallelOperator(name, maxParallelism, tasks);
            if (names[subtask] == null) {
                names[subtask] = name;
            }
        }
        return List.of(names);
    }

    /**
     * Creates {@code topic} and writes {@code n} examples to it: the dataset's rows in the annotator simulator's
     * order, each labeling its own example with the annotator's id and label, repeated until N are sent.
     */
    static void fill(EmbeddedKafkaBroker kafka, Topic<Example> topic, LabeledDataset data, int tasks, int n,
            boolean progress, Consumer<String> log) {
        kafka.createTopics(List.of(ChorusTopic.EXAMPLES.newTopic(topic.name(), PARTITIONS)));
        String bootstrap = kafka.bootstrapServers();
        List<String> taskNames = taskNames(tasks);
        AnnotatorPool pool = AnnotatorPool.fashionMnist(0);
        ExampleLabeling labeling = ExampleLabeling.simulatedAnnotators(pool,
                pool.label(data.labels(), AnnotatorPool.DEFAULT_LABELS_PER_ITEM, 0));
        int plan = labeling.size(data.size());
        RecordCodec<Example> codec = topic.codec();
        long startTime = System.currentTimeMillis();
        log.accept(String.format(Locale.ROOT, "Filling %s with %,d examples of %s (%,d labelings by %d simulated "
                + "annotators, repeated), task%s %s", topic.name(), n, data.name(), plan, pool.size(),
                tasks == 1 ? "" : "s in turn", String.join(", ", taskNames)));
        try (ExampleProducer producer = new ExampleProducer(bootstrap, Map.of());
                ProgressBar bar = progress ? new ProgressBarBuilder().setTaskName("Filling")
                        .setInitialMax(n).setStyle(ProgressBarStyle.ASCII).setUnit(" ex", 1).showSpeed()
                        .setMaxRenderedLength(110).build() : null) {
            for (int sent = 0; sent < n; sent++) {
                int position = sent % plan;
                int row = labeling.row(position);
                Example unlabeled = ExampleProducer.example(data, row, taskNames.get(sent % tasks), "e2e", startTime);
                unlabeled.setEventTime(startTime + sent);
                labeling.label(position, unlabeled, data.labels()[row],
                        e -> producer.sendRaw(topic.name(), e.getId(), codec.encode(e)));
                if (bar != null && (sent & 1023) == 0) {
                    bar.stepTo(sent);
                }
            }
            producer.flush();
            if (bar != null) {
                bar.stepTo(n);
            }
        }
        requireHolds(bootstrap, topic, n);
    }

    /** Creates {@code topic} and writes {@code examples} to it as they are, in the topic's wire format. */
    static void fill(EmbeddedKafkaBroker kafka, Topic<Example> topic, List<Example> examples, Consumer<String> log) {
        kafka.createTopics(List.of(ChorusTopic.EXAMPLES.newTopic(topic.name(), PARTITIONS)));
        log.accept(String.format(Locale.ROOT, "Filling %s with %,d examples (%s)", topic.name(), examples.size(),
                topic.format()));
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            examples.forEach(e -> producer.send(topic, e));
            producer.flush();
        }
        requireHolds(kafka.bootstrapServers(), topic, examples.size());
    }

    private static void requireHolds(String bootstrap, Topic<Example> topic, long n) {
        long written = total(endOffsets(bootstrap, topic.name()));
        if (written != n) {
            throw new IllegalStateException("filled " + topic.name() + " with " + n + " examples but it holds "
                    + written);
        }
    }

    /**
     * Creates a run's output topics, the predictions topic stamped with {@code LogAppendTime}; {@link #fill} has
     * created the examples topic already.
     */
    static void createOutputTopics(EmbeddedKafkaBroker kafka, JobSettings<?> settings) {
        List<NewTopic> topics = ChorusTopic.newTopics(settings, role -> role.isData() ? PARTITIONS : 1,
                role -> role == ChorusTopic.PREDICTIONS ? LatencyBenchmark.LOG_APPEND_TIME : Map.of());
        topics.removeIf(t -> t.name().equals(settings.examplesTopic().name()));
        kafka.createTopics(topics);
    }

    static Map<TopicPartition, Long> endOffsets(String bootstrap, String topic) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(
                TopicReader.committedReader(bootstrap, Map.of()), new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            return consumer.endOffsets(partitions);
        }
    }

    static long total(Map<TopicPartition, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }
}
