package dev.chorus.cli;

import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.RecordDecodingException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Where {@code chorus leaderboard} finds each variant's spec: the control topic as the train job judged it
 * ({@link JudgedSpecs.Reader}) and the newest snapshot's spec of each task/variant on the models topic, which is read
 * only when a board asks for it (a variant the control topic has no spec for): a models topic holds every model
 * version until compaction, far more than the control topic. Each topic is read once from its beginning and then
 * only for what arrived since, so that {@code --follow} does no more work per board than the records that are new;
 * only what the board needs is kept.
 */
final class BoardSources implements AutoCloseable {

    /**
     * What the board needs of each topic now; {@code control} is empty when the control topic does not exist;
     * {@code snapshotSpecs} reads the models topic on to its end when first asked (once per board).
     */
    record Specs(Map<String, VariantSpecRecord> control, Supplier<Map<String, String>> snapshotSpecs) {}

    private final KafkaOptions kafka;
    private final String modelsTopic;
    private final String specsTopic;
    private final String task;
    private final JudgedSpecs.Reader control;
    private final NewestSpecs models;
    private TopicReader.Tail modelsTail;

    /** {@code task}: null for every task. */
    BoardSources(KafkaOptions kafka, String modelsTopic, String specsTopic, JudgedSpecs.Refusals refusals,
            String task) {
        this.kafka = kafka;
        this.modelsTopic = modelsTopic;
        this.specsTopic = specsTopic;
        this.task = task;
        this.control = new JudgedSpecs.Reader(kafka, specsTopic, refusals, false);
        this.models = new NewestSpecs(task);
    }

    /** Reads each topic on to its end; {@code err} gets the warnings, each prefixed with {@code command}. */
    Specs readToEnd(PrintWriter err, String command) {
        Supplier<Map<String, String>> snapshots = memoized(() -> snapshotSpecs(err, command));
        JudgedSpecs judged = control.readToEnd();
        if (judged == null) {
            return new Specs(Map.of(), snapshots);
        }
        judged.warnings().forEach(w -> err.println(command + ": " + w));
        if (judged.unreadable() > 0) {
            err.printf("%s: %d record(s) on %s are no VariantSpecRecord and change no variant's spec (chorus specs "
                    + "list shows them)%n", command, judged.unreadable(), specsTopic);
        }
        return new Specs(judged.taken(), snapshots);
    }

    /** Reads the models topic on to its end: each task/variant's newest snapshot's spec. */
    private Map<String, String> snapshotSpecs(PrintWriter err, String command) {
        if (modelsTail == null) {
            modelsTail = TopicReader.tail(kafka.bootstrapServers, kafka.kafkaProperties, modelsTopic);
        }
        modelsTail.readToEnd(models::accept);
        if (models.undecodable() > 0) {
            err.printf("%s: %d record(s) on %s are no ModelSnapshot and were skipped%n", command,
                    models.undecodable(), modelsTopic);
        }
        return models.specs();
    }

    private static <T> Supplier<T> memoized(Supplier<T> supplier) {
        return new Supplier<>() {
            private T value;

            @Override
            public T get() {
                if (value == null) {
                    value = supplier.get();
                }
                return value;
            }
        };
    }

    /** How many records of the control, refusals and models topics were decoded so far. */
    int decoded() {
        return control.decoded() + models.decoded;
    }

    @Override
    public void close() {
        control.close();
        if (modelsTail != null) {
            modelsTail.close();
        }
    }

    /**
     * The spec of the newest live snapshot of each task/variant (of one task, unless null), as
     * {@link ModelsCommand.Newest} and {@link LiveModels} judge a models topic: a whole snapshot or a manifest, never
     * a chunk; the highest version after the key's last tombstone. Records are taken one at a time, in offset order.
     */
    static final class NewestSpecs {
        private record Newest(long version, String spec) {}

        private final String task;
        private final RecordDecoder decoder = new RecordDecoder();
        private final Map<String, Newest> newest = new HashMap<>();
        private final Map<String, Integer> undecodable = new HashMap<>();
        private int decoded;

        NewestSpecs(String task) {
            this.task = task;
        }

        void accept(ConsumerRecord<byte[], byte[]> r) {
            String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) {
                newest.remove(key);
                undecodable.remove(key);
                return;
            }
            decoded++;
            ModelSnapshot m;
            try {
                m = (ModelSnapshot) decoder.decode(r.value(), RecordKind.MODEL).record();
            } catch (RecordDecodingException e) {
                undecodable.merge(key, 1, Integer::sum);
                return;
            }
            if (m.getChunk() == null && (task == null || task.equals(m.getTask()))) {
                newest.merge(m.getTask() + "/" + m.getVariant(), new Newest(m.getVersion(), m.getSpec()),
                        (a, b) -> b.version() >= a.version() ? b : a);
            }
        }

        /** Per task/variant, its newest snapshot's spec. */
        Map<String, String> specs() {
            Map<String, String> specs = new HashMap<>();
            newest.forEach((key, n) -> specs.put(key, n.spec()));
            return specs;
        }

        int undecodable() {
            return undecodable.values().stream().mapToInt(Integer::intValue).sum();
        }
    }
}
