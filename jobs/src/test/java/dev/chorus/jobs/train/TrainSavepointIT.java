package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.jobs.EmbeddedKafkaExtension;
import dev.chorus.jobs.JobTestSupport;
import dev.chorus.jobs.SyntheticBlobs;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.LabeledDataset;
import dev.chorus.schemas.AnnotatorModel;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import dev.chorus.schemas.codec.RecordCodec;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stop with a savepoint and restart from it at another parallelism, 1 → 2 → 1, with partial minibatches in
 * flight at each savepoint: every example is predicted exactly once, model versions keep increasing, and each
 * task's final model and optimizer state are bit-identical to training its examples without interruption. A
 * third task learns through a label model: its classifier, confusion estimates and item history, and the
 * annotator models on the annotators topic, come through the rescaling savepoints exactly too.
 */
class TrainSavepointIT {

    @RegisterExtension
    static final MiniClusterExtension FLINK = JobTestSupport.miniCluster(2, JobTestSupport.failFast());

    static final List<String> TASKS = List.of("left", "right");
    /** Per task and phase; 1500 and 3110 leave 12 and 6 examples in an open minibatch of 16 at the savepoints. */
    static final int[] PHASES = {1500, 1610, 1690};
    static final int PER_TASK = 4800;
    static final String SPEC = """
            {"algorithm":"softmax-regression","inputDim":6,"numClasses":3,"batchSize":16,
             "optimizer":{"type":"adam","learningRate":0.02},"standardize":true,"seed":5}""";

    /** A third task learns through a Dawid–Skene label model from annotators a0..a3 (a3 shifts every label). */
    static final String CROWD = "crowd";
    static final String CROWD_SPEC = SPEC.substring(0, SPEC.lastIndexOf('}'))
            + ",\"labelModel\":{\"method\":\"dawid-skene\",\"maxAnnotators\":4}}";

    @RegisterExtension
    static final EmbeddedKafkaExtension KAFKA = new EmbeddedKafkaExtension();

    @Test
    void restoresEverythingAcrossRescalingSavepoints(@TempDir Path savepoints) throws Exception {
        TrainSettings settings = new TrainSettings()
                .bootstrapServers(KAFKA.broker().bootstrapServers())
                .groupId("savepoint-it")
                .specs(TaskSpecs.of(SPEC, Map.of(CROWD, CROWD_SPEC)))
                .checkpointIntervalMs(300)
                .snapshotEveryBatches(25)
                .snapshotIntervalMs(0)
                .batchTimeoutMs(0);
        JobTestSupport.createTopics(KAFKA.broker(), settings, 2);
        Map<String, LabeledDataset> data = Map.of("left", SyntheticBlobs.generate(PER_TASK, 6, 3, 31),
                "right", SyntheticBlobs.generate(PER_TASK, 6, 3, 32));

        int[] parallelism = {1, 2, 1};
        String savepoint = null;
        int sent = 0;
        for (int phase = 0; phase < PHASES.length; phase++) {
            JobClient job = JobTestSupport.startTrain(settings.parallelism(parallelism[phase]), savepoint,
                    "savepoint-it");
            produce(settings, data, sent, sent + PHASES[phase]);
            sent += PHASES[phase];
            // Labeled examples are predicted when their minibatch (of 16) closes: the open ones wait for the next phase.
            JobTestSupport.awaitCommitted(KAFKA.broker(), settings.predictionsTopic(), p -> true,
                    sent / 16 * 16 * (TASKS.size() + 1));
            savepoint = job.stopWithSavepoint(false, savepoints.resolve("sp" + phase).toUri().toString(),
                    SavepointFormatType.CANONICAL).get();
        }

        List<Prediction> predictions = JobTestSupport.read(KAFKA.broker(), settings.predictionsTopic());
        assertThat(predictions).hasSize(PER_TASK * (TASKS.size() + 1));
        assertThat(predictions.stream().map(p -> p.getTask() + "/" + p.getId() + "/" + p.getAnnotator())
                .collect(Collectors.toSet())).hasSize(PER_TASK * (TASKS.size() + 1));

        List<ModelSnapshot> snapshots = JobTestSupport.read(KAFKA.broker(), settings.modelsTopic());
        for (String task : TASKS) {
            List<ModelSnapshot> mine = snapshots.stream().filter(s -> s.getTask().equals(task)).toList();
            for (int i = 1; i < mine.size(); i++) {
                assertThat(mine.get(i).getVersion()).as("versions of %s keep increasing across restarts", task)
                        .isGreaterThan(mine.get(i - 1).getVersion());
            }
            ModelSnapshot last = mine.get(mine.size() - 1);
            assertThat(last.getExamplesSeen()).isEqualTo(PER_TASK);
            assertThat(bytes(last.getParameters())).as("%s bit-identical to an uninterrupted run", task)
                    .isEqualTo(uninterrupted(data.get(task)).toBytes());
        }

        LabelModel crowd = uninterruptedCrowd(data.get("left"));
        ModelSnapshot lastCrowd = snapshots.stream().filter(s -> s.getTask().equals(CROWD))
                .max(java.util.Comparator.comparingLong(ModelSnapshot::getVersion)).orElseThrow();
        assertThat(lastCrowd.getExamplesSeen()).isEqualTo(PER_TASK);
        assertThat(bytes(lastCrowd.getParameters())).as("the label model, bit-identical to an uninterrupted run")
                .isEqualTo(crowd.toSnapshotBytes());
        Map<String, AnnotatorModel> latest = new java.util.HashMap<>();
        for (AnnotatorModel a : JobTestSupport.read(KAFKA.broker(), settings.annotatorsTopic())) {
            AnnotatorModel before = latest.put(a.getAnnotator(), a);
            if (before != null) {
                assertThat(a.getVersion()).as("versions of %s keep increasing across restarts", a.getAnnotator())
                        .isGreaterThan(before.getVersion());
            }
        }
        assertThat(latest).hasSize(4);
        assertThat(latest.values()).as("annotator models restored across 1 → 2 → 1")
                .allSatisfy(a -> assertThat(a.getLabelsSeen()).isEqualTo(crowd.labelsSeen(a.getAnnotator()))
                        .isEqualTo(PER_TASK / 4));
    }

    private static Example crowdExample(LabeledDataset data, int row) {
        return JobTestSupport.crowdExample(data, row, CROWD, 4);
    }

    private static LabelModel uninterruptedCrowd(LabeledDataset data) {
        LabelModel model = LabelModels.create(ModelSpec.parse(CROWD_SPEC));
        float[] x = new float[16 * 6];
        long[] items = new long[16];
        String[] annotators = new String[16];
        int[] y = new int[16];
        for (int start = 0; start < PER_TASK; start += 16) {
            for (int i = 0; i < 16; i++) {
                Example e = crowdExample(data, start + i);
                dev.chorus.jobs.ExampleTensors.copyFeatures(e, x, i * 6, 6);
                items[i] = dev.chorus.jobs.ExampleTensors.itemKey(e.getId());
                annotators[i] = e.getAnnotator();
                y[i] = e.getLabel();
            }
            model.train(x, items, annotators, y, 16);
        }
        return model;
    }


    /** Rows [from, to) of each task, keyed by task so that a task's examples share one partition, in order. */
    private static void produce(TrainSettings settings, Map<String, LabeledDataset> data, int from, int to) {
        RecordCodec<Example> codec = settings.examplesTopic().codec();
        try (ExampleProducer producer = new ExampleProducer(KAFKA.broker().bootstrapServers(), Map.of())) {
            for (int row = from; row < to; row++) {
                for (String task : TASKS) {
                    Example e = ExampleProducer.example(data.get(task), row, task, task, 0);
                    producer.sendRaw(settings.examplesTopic().name(), task, codec.encode(e));
                }
                producer.sendRaw(settings.examplesTopic().name(), CROWD,
                        codec.encode(crowdExample(data.get("left"), row)));
            }
            producer.flush();
        }
    }

    private static OnlineLearner uninterrupted(LabeledDataset data) {
        OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(SPEC));
        float[] w = new float[16];
        java.util.Arrays.fill(w, 1f);
        for (int start = 0; start < data.size(); start += 16) {
            learner.trainMinibatch(java.util.Arrays.copyOfRange(data.features(), start * 6, (start + 16) * 6),
                    java.util.Arrays.copyOfRange(data.labels(), start, start + 16), w, 16);
        }
        return learner;
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
