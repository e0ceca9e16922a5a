package dev.chorus.jobs.evolution;

import dev.chorus.jobs.train.TrainerHarness;
import dev.chorus.jobs.train.VariantExample;
import dev.chorus.core.annotators.DawidSkeneLabelModel;
import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.output.SkipGram;
import dev.chorus.embedded.EmbeddedKafkaBroker;
import dev.chorus.embedded.LocalFlinkCluster;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.kafka.TopicReader;
import dev.chorus.jobs.train.MinibatchSgdFunction;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainJob;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.TrainerStateSerializer;
import dev.chorus.schemas.Consensus;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.JobID;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.types.Either;

/**
 * Makes the train-job savepoints that {@link SavepointCompatibilityIT} restores: 100 examples of task
 * {@code fixture} in minibatches of 16, so the savepoint holds a model at version 6 and an open minibatch of 4;
 * from {@code train-v2} on (state layout 2), also 100 label events of task {@code crowd}, which learns through a
 * Dawid–Skene label model from annotators {@code a0}, {@code a1}, {@code a2} (a2 always says the next class),
 * interleaved with the first task's examples: its label model, annotator publication records and open minibatch
 * of 4 are in the savepoint too; from {@code train-v3} on (layout 3), also its consensus ledger: the 48 items
 * labelled so far and what was last published for each; from {@code train-v4} on (layout 4), also 100 named-field
 * examples of task {@code clicks}, a hashed logistic regression with FTRL ({@link #CLICKS_SPEC}): its sparse model
 * (weights, z and n per coordinate) and its open minibatch of 4 sparse rows; {@code train-v5} (layout 5) is made as
 * {@code train-v4}, its consensus ledger keeping each item's class on its labels alone. {@code variants-v1} (the job keyed by
 * task and variant, made at layout 3, so without clicks) has task {@code fixture} train a second variant, {@link #FAST},
 * set on the control topic before the examples come ({@link #addFastVariant}), so it holds both variants' state and
 * the broadcast spec map; {@code variants-v2}, the same made again once the routers kept at every checkpoint how far
 * check-specs had read the control topic ({@code control-read-up-to}, session 23). {@code train-wide-deep-v1} (layout 4, model kind 3) holds only task {@code wide-clicks}, a
 * wide and deep model ({@link #WIDE_DEEP_SPEC}) trained on 100 clicks ({@link #wideClick}): its model and its open
 * minibatch of 4 examples taken apart. {@code train-large-output-v1} (layout 4) is {@code train-v4} plus 100 examples
 * of task {@link #LARGE}, a large-softmax model ({@link #LARGE_SPEC}, trainer-state kind 5): its embedding rows,
 * output rows and sampler, and its open minibatch of 4 sparse rows. {@code train-skip-gram-v1} (layout 4, model
 * kind 4) holds only task {@link #WORDS}, a skip-gram model ({@link #WORDS_SPEC}) after 100 token sequences
 * ({@link #sequence}), at version 100. {@code train-hashed-rows-v1} (layout 4, model kind 6, made with
 * {@code --hashed-state rows}) holds only task {@code clicks} ({@link #CLICKS_SPEC}, {@link #click}) after 100 clicks:
 * its model without rows, its rows in blocks of map state, and its open minibatch of 4. {@code train-restart-chunks-v1}
 * (layout 4) holds no example: variant {@link #W} of task {@link #RESTARTED} ({@link #RESTARTED_SPEC}, 2.4 million
 * weights) made live, retired and revived on the control topic ({@link #reviveInChunks}), so the revival's version 0
 * went out in chunks and, with no keyed state to count them in, only the union operator state
 * {@code restarted-version0-chunks} holds their count. {@code train-wide-deep-rows-v1} (layout 4, model kind 7, made with {@code --hashed-state rows}) is {@code train-wide-deep-v1}'s task with its model's
 * rows (wide part's and tables') in blocks of map state (made while a table's unseen rows went into their blocks with
 * the seed's values, which are now zeros: its restore shows both read alike); {@code train-large-output-rows-v1} (layout 4, model kinds 6
 * and 8, made with {@code --hashed-state rows}) is {@code train-large-output-v1}'s tasks with the rows of task
 * {@code clicks} and of task {@link #LARGE} (embedding table's and output layer's) in blocks. Savepoints are committed under
 * {@code src/test/resources/savepoints/train-vN}; make a new one only when the state layout changes, and keep every
 * older one restoring. Run from the repository root, after
 * {@code ./mvnw -B -ntp -q -pl cli -am package -DskipTests} (cli/target/lib then holds the jobs, the embedded
 * broker and MiniCluster, and Flink; model-core's test classes hold the synthetic data):
 * {@code java -cp 'jobs/target/test-classes:model-core/target/test-classes:cli/target/lib/*'
 * dev.chorus.jobs.evolution.SavepointFixture jobs/src/test/resources/savepoints/train-vN}.
 */
public final class SavepointFixture {
    private SavepointFixture() {}

    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":6,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":77}""";
    static final String TASK = "fixture";
    static final String CROWD = "crowd";
    static final String CROWD_SPEC = """
            {"algorithm":"softmax-regression","inputDim":6,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":77,
             "labelModel":{"method":"dawid-skene","maxAnnotators":4}}""";
    /**
     * {@link #CROWD_SPEC} as {@code train-v2} was made: the label history's default bound was then 2^20 items, and a
     * restored label model keeps the bound it was saved with.
     */
    static final String CROWD_SPEC_AS_MADE = CROWD_SPEC.replace("\"maxAnnotators\":4}",
            "\"maxAnnotators\":4,\"historyItems\":1048576}");
    static final int EXAMPLES = 100;
    /** The second variant of task {@code fixture} in {@code variants-v1}, from the control topic. */
    static final String FAST = "fast";
    static final String FAST_SPEC = SPEC.replace("0.02", "0.05");
    static final String CLICKS = "clicks";
    static final String CLICKS_SPEC = """
            {"algorithm":"logistic-regression","batchSize":16,"standardize":false,
             "hashing":{"bits":12,"fields":["user","country","words","amount"],"interactions":[["user","country"]]},
             "optimizer":{"type":"ftrl","alpha":0.1,"l1":0.01}}""";

    static final String WIDE_DEEP = "wide-clicks";
    /** {@link WideDeepClicks#SPEC} in minibatches of 16, as the other tasks of the fixtures. */
    static final String WIDE_DEEP_SPEC = WideDeepClicks.SPEC.replace("\"batchSize\":4", "\"batchSize\":16");

    /** Task {@code many} of {@code train-large-output-v1}: a large-softmax model over 10,000 classes. */
    static final String LARGE = "many";
    static final int LARGE_CLASSES = 10_000;
    static final String LARGE_SPEC = LargeOutputExamples.spec(LARGE_CLASSES);

    /** Whether savepoint {@code fixture} also holds task {@link #LARGE}: the {@code train-large-output-vN} ones. */
    static boolean largeOutput(String fixture) {
        return fixture.startsWith("train-large-output-");
    }

    static final String WORDS = "words";
    /** A small skip-gram model (16 KiB of vectors), subsampling on, so that its counts matter too. */
    static final String WORDS_SPEC = """
            {"algorithm":"skip-gram","skipGram":{"buckets":256,"dim":8,"window":3,"negatives":4,"subsample":0.001,
             "learningRate":0.05,"maxTokens":12},"seed":77}""";

    /** Task and variant of {@code train-restart-chunks-v1}: a dense model too big for one record even untrained. */
    static final String RESTARTED = "restarted";
    static final String W = "w";
    static final String RESTARTED_SPEC = """
            {"algorithm":"softmax-regression","inputDim":300000,"numClasses":8,"batchSize":8,
             "optimizer":{"type":"adam","learningRate":0.05},"seed":3}""";
    static final String RESTARTED_REVIVE = RESTARTED_SPEC.substring(0, RESTARTED_SPEC.lastIndexOf('}'))
            + ",\"revive\":true}";
    /** The control records {@link #reviveInChunks} writes: a restored job's specs source goes on after them. */
    static final int RESTART_CONTROL_RECORDS = 3;

    static TrainSettings settings(String bootstrap) {
        return new TrainSettings().bootstrapServers(bootstrap).groupId("fixture").specs(TaskSpecs.of(SPEC, Map.of(CROWD,
                CROWD_SPEC, CLICKS, CLICKS_SPEC, WIDE_DEEP, WIDE_DEEP_SPEC, LARGE, LARGE_SPEC, WORDS, WORDS_SPEC)))
                .checkpointIntervalMs(300).snapshotEveryBatches(1).snapshotIntervalMs(0).batchTimeoutMs(0)
                .parallelism(1);
    }

    static void createTopics(EmbeddedKafkaBroker kafka, TrainSettings s) {
        JobTestSupport.createTopics(kafka, s, 1);
    }

    /**
     * Rows {@code from .. to} of task {@code fixture}, each followed, from state {@code layout} 2 on, by its crowd label
     * event, and from layout 4 on by click {@code row} ({@link #click}).
     */
    static void produce(EmbeddedKafkaBroker kafka, TrainSettings s, LabeledDataset data, int from, int to,
            int layout) {
        produce(kafka, s, data, from, to, layout, false);
    }

    /** As above, each row also followed by example {@code row} of task {@link #LARGE} when {@code largeOutput}. */
    static void produce(EmbeddedKafkaBroker kafka, TrainSettings s, LabeledDataset data, int from, int to,
            int layout, boolean largeOutput) {
        var codec = s.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            for (int row = from; row < to; row++) {
                Example e = ExampleProducer.example(data, row, TASK, "fx", 0);
                producer.sendRaw(s.examplesTopic().name(), TASK, codec.encode(e));
                if (layout >= 2) {
                    Example c = JobTestSupport.crowdExample(data, row, CROWD, 3);
                    producer.sendRaw(s.examplesTopic().name(), CROWD, codec.encode(c));
                }
                if (layout >= 4) {
                    producer.sendRaw(s.examplesTopic().name(), CLICKS, codec.encode(click(row)));
                }
                if (largeOutput) {
                    producer.sendRaw(s.examplesTopic().name(), LARGE, codec.encode(
                            LargeOutputExamples.example(LARGE, row, LARGE_CLASSES, 77)));
                }
            }
            producer.flush();
        }
    }

    /** Clicks {@code from .. to} of task {@code wide-clicks} ({@link #wideClick}), alone. */
    static void produceWideDeep(EmbeddedKafkaBroker kafka, TrainSettings s, int from, int to) {
        produceAlone(kafka, s, WIDE_DEEP, SavepointFixture::wideClick, from, to);
    }

    /** Clicks {@code from .. to} of task {@code clicks} ({@link #click}), alone: {@code train-hashed-rows-vN}. */
    static void produceClicks(EmbeddedKafkaBroker kafka, TrainSettings s, int from, int to) {
        produceAlone(kafka, s, CLICKS, SavepointFixture::click, from, to);
    }

    private static void produceAlone(EmbeddedKafkaBroker kafka, TrainSettings s, String key,
            java.util.function.IntFunction<Example> example, int from, int to) {
        var codec = s.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            for (int row = from; row < to; row++) {
                producer.sendRaw(s.examplesTopic().name(), key, codec.encode(example.apply(row)));
            }
            producer.flush();
        }
    }

    /** Click {@code row} of task {@code wide-clicks}: the seeded stream {@link ClickExamples} makes, with seed 78. */
    static Example wideClick(int row) {
        return ClickExamples.example(WIDE_DEEP, row, 78);
    }

    /** Click {@code row} of task {@code clicks}: the seeded stream {@link ClickExamples} makes, with seed 77. */
    static Example click(int row) {
        return ClickExamples.example(CLICKS, row, 77);
    }

    /** Sequence {@code row} of task {@code words}: the seeded stream {@link TokenSequences} makes, with seed 77. */
    static Example sequence(int row) {
        return TokenSequences.example(WORDS, row, 77);
    }

    /** Sequences {@code from .. to} of task {@code words}. */
    static void produceSequences(EmbeddedKafkaBroker kafka, TrainSettings s, int from, int to) {
        var codec = s.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            for (int row = from; row < to; row++) {
                producer.sendRaw(s.examplesTopic().name(), WORDS, codec.encode(sequence(row)));
            }
            producer.flush();
        }
    }

    /** Element {@code v - 1}: the bytes of model-core's SkipGram of {@link #WORDS_SPEC} after sequences 0 .. v-1. */
    static List<byte[]> replaySequences(int sequences) {
        ModelSpec spec = ModelSpec.parse(WORDS_SPEC);
        SkipGram model = new SkipGram(spec.skipGram(), spec.seed());
        List<byte[]> states = new ArrayList<>();
        for (int row = 0; row < sequences; row++) {
            model.train(TokenSequences.tokens(sequence(row)));
            states.add(model.toBytes());
        }
        return states;
    }

    static LabeledDataset data() {
        return SyntheticBlobs.generate(200, 6, 3, 77);
    }

    /**
     * The task's model replayed in memory from the data savepoint {@code fixture} was made from, with no job: the
     * spec it was made with (same seed; {@link #CROWD_SPEC_AS_MADE} for {@code train-v2}'s crowd task) trained on
     * rows 0, 1, 2, ... in minibatches of 16, as the job does when every minibatch closes by count. Element
     * {@code v - 1} is the model's complete state after minibatch {@code v} (parameters, optimizer moments and step
     * count, standardiser statistics, RNG), as a model snapshot of version {@code v} carries it.
     */
    static List<byte[]> replay(String fixture, String task, int minibatches) {
        if (task.equals(LARGE)) {
            List<byte[]> states = new ArrayList<>();
            for (int v = 1; v <= minibatches; v++) {
                states.add(LargeOutputExamples.reference(LARGE_SPEC, LargeOutputExamples.stream(LARGE, v * 16,
                        LARGE_CLASSES, 77)).model().toBytes());
            }
            return states;
        }
        if (task.equals(CLICKS)) {
            List<Example> clicks = new ArrayList<>();
            for (int row = 0; row < minibatches * 16; row++) {
                clicks.add(click(row));
            }
            List<byte[]> states = new ArrayList<>();
            ModelSpec spec = ModelSpec.parse(CLICKS_SPEC);
            for (int v = 1; v <= minibatches; v++) {
                states.add(ClickExamples.reference(CLICKS_SPEC, clicks.subList(0, v * spec.batchSize()), false).model()
                        .toBytes());
            }
            return states;
        }
        return replay(ModelSpec.parse(!task.equals(CROWD) ? SPEC
                : fixture.equals("train-v2") ? CROWD_SPEC_AS_MADE : CROWD_SPEC), task, minibatches,
                MADE_BEFORE_LABEL_MODEL_FORMAT_6.contains(fixture) ? RESTORED_VERSION : 0);
    }

    /**
     * The model version every savepoint fixture holds (6 minibatches of {@link #EXAMPLES}, the rest open). Those of
     * {@link #MADE_BEFORE_LABEL_MODEL_FORMAT_6} saved their label models before label-model format 6, which saves the
     * classifier's average that Dawid–Skene's E-step reads: a restored one starts that average at the restored
     * weights, so the replay restarts it there too.
     */
    static final int RESTORED_VERSION = EXAMPLES / 16;

    /** The fixtures with a crowd task whose label model was saved before label-model format 6. */
    static final java.util.Set<String> MADE_BEFORE_LABEL_MODEL_FORMAT_6 = java.util.Set.of("train-v2", "train-v3",
            "train-v4", "train-large-output-v1", "train-large-output-rows-v1");

    /** As {@link #replay(String, String, int)}, with the given spec (JSON) for {@code task}. */
    static List<byte[]> replayWithSpec(String specJson, String task, int minibatches) {
        return replay(ModelSpec.parse(specJson), task, minibatches, 0);
    }

    /** {@code restartTeacherAfter}: the minibatch after which a Dawid–Skene classifier's average restarts; 0 for none. */
    private static List<byte[]> replay(ModelSpec spec, String task, int minibatches, int restartTeacherAfter) {
        LabeledDataset data = data();
        int batch = spec.batchSize();
        int dim = spec.inputDim();
        OnlineLearner learner = task.equals(CROWD) ? null : OnlineLearner.create(spec);
        LabelModel labelModel = task.equals(CROWD) ? LabelModels.create(spec) : null;
        float[] x = new float[batch * dim];
        int[] y = new int[batch];
        float[] w = new float[batch];
        long[] items = new long[batch];
        String[] annotators = new String[batch];
        List<byte[]> states = new ArrayList<>();
        for (int v = 0; v < minibatches; v++) {
            for (int i = 0; i < batch; i++) {
                int row = v * batch + i;
                Example e = task.equals(CROWD) ? JobTestSupport.crowdExample(data, row, CROWD, 3)
                        : ExampleProducer.example(data, row, TASK, "fx", 0);
                ExampleTensors.copyFeatures(e, x, i * dim, dim);
                y[i] = e.getLabel();
                w[i] = e.getWeight();
                items[i] = ExampleTensors.itemKey(e.getId());
                annotators[i] = e.getAnnotator();
            }
            if (learner != null) {
                learner.trainMinibatch(x, y, w, batch);
                states.add(learner.toBytes());
            } else {
                labelModel.train(x, items, annotators, y, batch);
                if (v + 1 == restartTeacherAfter && labelModel instanceof DawidSkeneLabelModel dawidSkene) {
                    restartTeacher(dawidSkene.learner());
                }
                states.add(labelModel.toSnapshotBytes());
            }
        }
        return states;
    }

    /** Puts the classifier's live weights into the average it keeps for its owner, as a restore before format 6 did. */
    private static void restartTeacher(OnlineLearner classifier) {
        try {
            classifier.readTeacher(new DataInputStream(new ByteArrayInputStream(
                    BinaryState.toBytes(classifier.network().parameters()::writeValues))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The consensus records of task {@code crowd} from model version {@code fromVersion} on, replayed with no job: the
     * train operator, in Flink's operator test harness, on crowd rows 0, 1, 2, ... in {@code minibatches} minibatches
     * without interruption; their publication time is processing time, so it is zeroed ({@link #unstamped}).
     */
    static List<Consensus> replayConsensus(TrainSettings s, int minibatches, long fromVersion) throws Exception {
        LabeledDataset data = data();
        try (var h = new TrainerHarness(s)) {
            h.open();
            for (int row = 0; row < minibatches * 16; row++) {
                h.processElement(VariantExample.ofDefault(new Sourced<>(JobTestSupport.crowdExample(data, row, CROWD, 3), 0, row)),
                        row);
            }
            return h.getSideOutput(MinibatchSgdFunction.CONSENSUS).stream().map(StreamRecord::getValue)
                    .map(Either::right).filter(c -> c.getVersion() >= fromVersion).map(SavepointFixture::unstamped)
                    .toList();
        }
    }

    /**
     * Writes variant {@link #FAST} of task fixture to the control topic, then a record whose spec does not parse, and
     * waits for that record's dead letter: committed, it proves a checkpoint completed after every router and
     * trainer took the first record from the broadcast, so the examples produced next all reach both variants.
     */
    static void addFastVariant(EmbeddedKafkaBroker kafka, TrainSettings s) throws Exception {
        var codec = s.specsTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            producer.sendRaw(s.specsTopic().name(), TASK + "/" + FAST, codec.encode(VariantSpecRecord.newBuilder()
                    .setTask(TASK).setVariant(FAST).setStatus(VariantStatus.LIVE).setSpec(FAST_SPEC).setUpdatedAt(0L)
                    .setSource("fixture").build())).get();
            producer.sendRaw(s.specsTopic().name(), TASK + "/marker", codec.encode(VariantSpecRecord.newBuilder()
                    .setTask(TASK).setVariant("marker").setStatus(VariantStatus.LIVE).setSpec("{").setUpdatedAt(0L)
                    .setSource("fixture").build())).get();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (TopicReader.readAll(kafka.bootstrapServers(), Map.of(), s.deadLetterTopic().name(), b -> b).isEmpty()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the job did not dead-letter the marker record");
            }
            Thread.sleep(100); // polling interval, bounded by the deadline above
        }
    }

    /**
     * Variant {@link #W} of task {@link #RESTARTED}: live, retired, then revived, with no example, so it never has keyed
     * state; waits until the revival's version 0 is committed in chunks (its manifest, key {@code restarted/w}).
     */
    static void reviveInChunks(EmbeddedKafkaBroker kafka, TrainSettings s) throws Exception {
        var codec = s.specsTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(kafka.bootstrapServers(), Map.of())) {
            for (String spec : new String[] {RESTARTED_SPEC, null, RESTARTED_REVIVE}) {
                producer.sendRaw(s.specsTopic().name(), RESTARTED + "/" + W, codec.encode(VariantSpecRecord.newBuilder()
                        .setTask(RESTARTED).setVariant(W).setStatus(spec == null ? VariantStatus.RETIRED
                                : VariantStatus.LIVE).setSpec(spec).setUpdatedAt(0L).setSource("fixture").build()))
                        .get();
            }
        }
        awaitModelRecords(kafka, s, 1);
    }

    /**
     * The models topic's committed records of variant {@link #W} by key (a tombstone's key with {@code tombstone }
     * before it), once the {@code manifests}-th chunked version 0's manifest is among them.
     */
    static List<String> awaitModelRecords(EmbeddedKafkaBroker kafka, TrainSettings s, int manifests)
            throws InterruptedException {
        var codec = s.modelsTopic().codec();
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            List<String> written = new ArrayList<>();
            int seen = 0;
            for (var r : TopicReader.readAllRecords(kafka.bootstrapServers(), Map.of(), s.modelsTopic().name())) {
                String key = new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
                if (!key.startsWith(RESTARTED + "/" + W)) {
                    continue;
                }
                written.add(r.value() == null ? "tombstone " + key : key);
                var m = r.value() == null ? null : codec.decode(r.value());
                seen += m != null && m.getVersion() == 0 && m.getChunk() == null && m.getChunks() != null
                        && m.getChunks() > 1 ? 1 : 0;
            }
            if (seen >= manifests) {
                return written;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no chunked version 0 of " + RESTARTED + "/" + W + " committed; "
                        + "models records: " + written);
            }
            Thread.sleep(100); // polling interval, bounded by the deadline above
        }
    }

    /** The record with its publication time (processing time, which no replay reproduces) zeroed. */
    static Consensus unstamped(Consensus c) {
        return Consensus.newBuilder(c).setUpdatedAt(0).build();
    }

    public static void main(String[] args) throws Exception {
        Path out = Path.of(args[0]).toAbsolutePath();
        // variants-vN: task fixture also trains variant fast, set on the control topic while the job runs.
        boolean variants = out.getFileName().toString().startsWith("variants-");
        // train-wide-deep-vN and train-wide-deep-rows-vN: task wide-clicks alone.
        boolean wideDeep = out.getFileName().toString().startsWith("train-wide-deep-");
        boolean largeOutput = largeOutput(out.getFileName().toString());
        // train-skip-gram-vN: task words alone, whose examples are predicted never, so its snapshots are awaited.
        boolean skipGram = out.getFileName().toString().startsWith("train-skip-gram-");
        // train-hashed-rows-vN: task clicks alone, its model's rows apart (--hashed-state rows).
        boolean hashedRows = out.getFileName().toString().startsWith("train-hashed-rows-");
        // train-restart-chunks-vN: no example; a variant revived with a chunked version 0.
        boolean restartChunks = out.getFileName().toString().startsWith("train-restart-chunks-");
        boolean rows = hashedRows || out.getFileName().toString().startsWith("train-wide-deep-rows-")
                || out.getFileName().toString().startsWith("train-large-output-rows-");
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.builder().build().start();
                LocalFlinkCluster flink = LocalFlinkCluster.start(1, 0)) {
            TrainSettings s = settings(kafka.bootstrapServers())
                    .hashedState(rows ? TrainSettings.HashedState.ROWS : TrainSettings.HashedState.VALUE);
            createTopics(kafka, s);
            // variants-v1 was made at layout 3 (no clicks), its examples produced once variant fast is live.
            int layout = variants ? 3 : TrainerStateSerializer.FORMAT_VERSION;
            if (wideDeep) {
                produceWideDeep(kafka, s, 0, EXAMPLES);
            } else if (hashedRows) {
                produceClicks(kafka, s, 0, EXAMPLES);
            } else if (skipGram) {
                produceSequences(kafka, s, 0, EXAMPLES);
            } else if (!variants && !restartChunks) {
                produce(kafka, s, data(), 0, EXAMPLES, layout, largeOutput);
            }
            StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
            TrainJob.build(env, s);
            JobID job = flink.submit(env, "savepoint-fixture");
            if (variants) {
                addFastVariant(kafka, s);
                produce(kafka, s, data(), 0, EXAMPLES, layout);
            }
            if (restartChunks) {
                reviveInChunks(kafka, s);
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            // Labeled examples are predicted when their minibatch closes: each trained variant's open minibatch of 4 waits.
            int closed = (skipGram || restartChunks ? 0 : wideDeep || hashedRows ? 1
                    : (layout >= 4 ? 3 : 2) + (variants ? 1 : 0) + (largeOutput ? 1 : 0)) * (EXAMPLES / 16 * 16);
            if (skipGram) {
                JobTestSupport.awaitCommitted(kafka, s.modelsTopic(), m -> m.getVersion() == EXAMPLES, 1);
            }
            while (TopicReader.readAll(kafka.bootstrapServers(), Map.of(), s.predictionsTopic().name(), b -> b).size()
                    < closed) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("the job did not predict the " + closed + " examples of closed "
                            + "minibatches");
                }
                Thread.sleep(100); // polling interval, bounded by the deadline above
            }
            Files.createDirectories(out.getParent());
            String savepoint = flink.stopWithSavepoint(job, out.getParent().toUri().toString());
            Path made = Path.of(java.net.URI.create(savepoint));
            if (Files.exists(out)) {
                throw new IllegalStateException(out + " exists: fixtures are never overwritten");
            }
            Files.move(made, out);
            System.out.println("savepoint written to " + out);
        }
    }
}
