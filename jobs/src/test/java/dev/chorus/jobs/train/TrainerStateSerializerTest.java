package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.annotators.ClassifierLabelModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import java.io.DataInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.jobgraph.OperatorID;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.streaming.api.graph.StreamGraphHasherV2;
import org.junit.jupiter.api.Test;

class TrainerStateSerializerTest {

    static TrainerState state() {
        ModelSpec spec = ModelSpec.parse(MinibatchSgdFunctionTest.SPEC);
        TrainerState s = TrainerState.create(spec, 50);
        float[] x = MinibatchSgdFunctionTest.DATA.features();
        int[] y = MinibatchSgdFunctionTest.DATA.labels();
        float[] w = new float[8];
        java.util.Arrays.fill(w, 1f);
        s.learner.trainMinibatch(x, y, w, 8);
        System.arraycopy(x, 0, s.batchFeatures, 0, 3 * 4);
        s.batchLabels[0] = 2;
        s.batchLabels[1] = 0;
        s.batchLabels[2] = 1;
        s.batchWeights[0] = 1f;
        s.batchWeights[1] = 0.5f;
        s.batchWeights[2] = 2f;
        s.batchFill = 3;
        for (int i = 0; i < 3; i++) {
            s.batchPartitions[i] = i % 2;
            s.batchOffsets[i] = 100 + i;
            s.batchIds[i] = "id-" + i;
            s.batchEventTimes[i] = 1000 + i;
        }
        s.batchAnnotators[1] = "ann";
        s.batchPredicted = 1;
        s.prequential.add(true);
        s.prequential.add(false);
        s.publishedVersion = 1;
        s.batchDeadline = 12345;
        s.nextSnapshotAt = 67890;
        s.predictions = 11;
        return s;
    }

    static byte[] bytes(TrainerState s) throws IOException {
        DataOutputSerializer out = new DataOutputSerializer(1024);
        new TrainerStateSerializer().serialize(s, out);
        return out.getCopyOfBuffer();
    }

    @Test
    void roundTripIsExactIncludingThePartialMinibatch() throws IOException {
        TrainerState s = state();
        byte[] first = bytes(s);
        TrainerState back = new TrainerStateSerializer().deserialize(new DataInputDeserializer(first));
        assertThat(bytes(back)).isEqualTo(first);
        assertThat(back.batchFill).isEqualTo(3);
        assertThat(back.batchLabels).startsWith(2, 0, 1);
        assertThat(back.batchWeights).startsWith(1f, 0.5f, 2f);
        assertThat(back.version()).isEqualTo(1);
        assertThat(back.prequential.count()).isEqualTo(2);
        assertThat(back.batchDeadline).isEqualTo(12345);
        assertThat(back.nextSnapshotAt).isEqualTo(67890);
        assertThat(back.predictions).isEqualTo(11);
        assertThat(back.batchPartitions).startsWith(0, 1, 0);
        assertThat(back.batchOffsets).startsWith(100, 101, 102);
        assertThat(back.labelModel).isNull();
        assertThat(back.batchIds).startsWith("id-0", "id-1", "id-2");
        assertThat(back.batchEventTimes).startsWith(1000, 1001, 1002);
        assertThat(back.batchAnnotators).startsWith(null, "ann", null);
        assertThat(back.batchPredicted).isEqualTo(1);
    }

    /** A checkpoint of a task whose spec averages carries the average: the restored task predicts exactly the same. */
    @Test
    void anAveragingTasksCheckpointCarriesItsAverage() throws IOException {
        for (String spec : List.of(MinibatchSgdFunctionTest.SPEC, MinibatchSgdFunctionTest.LABEL_MODEL_SPEC)) {
            TrainerState s = TrainerState.create(ModelSpec.parse(spec.replace("\"seed\":3", "\"seed\":3,"
                    + "\"averaging\":{\"decay\":0.9}")), 50);
            float[] x = MinibatchSgdFunctionTest.DATA.features();
            int[] y = MinibatchSgdFunctionTest.DATA.labels();
            for (int step = 0; step < 5; step++) {
                float[] rows = java.util.Arrays.copyOfRange(x, step * 8 * 4, (step + 1) * 8 * 4);
                if (s.labelModel != null) {
                    long[] items = new long[8];
                    String[] annotators = new String[8];
                    java.util.Arrays.fill(annotators, "ann");
                    for (int i = 0; i < 8; i++) {
                        items[i] = step * 8 + i;
                    }
                    s.labelModel.train(rows, items, annotators, java.util.Arrays.copyOfRange(y, step * 8, step * 8 + 8), 8);
                } else {
                    s.learner.trainMinibatch(rows, java.util.Arrays.copyOfRange(y, step * 8, step * 8 + 8), null, 8);
                }
            }
            byte[] first = bytes(s);
            TrainerState back = new TrainerStateSerializer().deserialize(new DataInputDeserializer(first));
            assertThat(bytes(back)).as(spec).isEqualTo(first);
            float[] expected = new float[3];
            float[] actual = new float[3];
            float[] live = new float[3];
            (s.labelModel != null ? s.labelModel : s.learner).predictProba(x, 40 * 4, expected);
            (back.labelModel != null ? back.labelModel : back.learner).predictProba(x, 40 * 4, actual);
            OnlineLearner restored = back.labelModel != null ? ((ClassifierLabelModel) back.labelModel).learner()
                    : back.learner;
            restored.model().predictProba(x, 40 * 4, live);
            assertThat(actual).as(spec).isEqualTo(expected).isNotEqualTo(live);
        }
    }

    @Test
    void labelModelStateRoundTripsWithItsRowsAndPublicationRecords() throws IOException {
        TrainerState s = TrainerState.create(ModelSpec.parse(MinibatchSgdFunctionTest.LABEL_MODEL_SPEC), 50);
        float[] x = MinibatchSgdFunctionTest.DATA.features();
        int[] y = MinibatchSgdFunctionTest.DATA.labels();
        s.labelModel.train(x, new long[] {1, 1, 2, 2, 3, 3, 4, 4}, new String[] {"a", "b", "a", "b", "a", "c", "a", "b"},
                y, 8);
        s.trackAnnotators();
        s.annotatorPublishedVersion[1] = 1;
        s.annotatorPublishedAt[1] = 777;
        s.annotatorPublishedLabels[1] = 3;
        System.arraycopy(x, 0, s.batchFeatures, 0, 2 * 4);
        s.batchLabels[0] = 1;
        s.batchLabels[1] = 2;
        s.batchItems[0] = -5;
        s.batchItems[1] = Long.MAX_VALUE;
        s.batchAnnotators[0] = "b";
        s.batchAnnotators[1] = "new one";
        s.batchIds[0] = "item-1";
        s.batchIds[1] = "item-2";
        s.batchFill = 2;
        byte[] first = bytes(s);
        TrainerState back = new TrainerStateSerializer().deserialize(new DataInputDeserializer(first));
        assertThat(bytes(back)).isEqualTo(first);
        assertThat(bytes(new TrainerStateSerializer().copy(s))).isEqualTo(first);
        assertThat(back.learner).isNull();
        assertThat(back.labelModel.annotatorIds()).containsExactly("a", "b", "c");
        assertThat(back.batchItems).startsWith(-5, Long.MAX_VALUE);
        assertThat(back.batchAnnotators).startsWith("b", "new one");
        assertThat(back.annotatorPublishedAt).containsExactly(0, 777, 0);
        assertThat(back.version()).isEqualTo(1);
    }

    @Test
    void layout1WrittenBeforeLabelModelsStillReadsWithUnknownCoordinates() throws IOException {
        TrainerState s = state();
        DataOutputSerializer out = new DataOutputSerializer(1024);
        out.writeInt(1);
        s.learner.writeTo(out);
        out.writeInt(s.batchFill);
        for (int i = 0; i < s.batchFill * 4; i++) {
            out.writeFloat(s.batchFeatures[i]);
        }
        for (int i = 0; i < s.batchFill; i++) {
            out.writeInt(s.batchLabels[i]);
            out.writeFloat(s.batchWeights[i]);
        }
        s.prequential.writeTo(out);
        out.writeLong(s.publishedVersion);
        out.writeLong(s.batchDeadline);
        out.writeLong(s.nextSnapshotAt);
        out.writeLong(s.predictions);
        TrainerState back = new TrainerStateSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        assertThat(back.batchFill).isEqualTo(3);
        assertThat(back.batchLabels).startsWith(2, 0, 1);
        assertThat(back.batchPartitions).startsWith(-1, -1, -1);
        assertThat(back.batchOffsets).startsWith(-1, -1, -1);
        assertThat(back.batchPredicted).as("layout 1 predicted on arrival").isEqualTo(3);
        assertThat(back.predictions).isEqualTo(11);
        assertThat(back.learner.toBytes()).isEqualTo(s.learner.toBytes());
    }

    @Test
    void copyIsDeep() throws IOException {
        TrainerState s = state();
        TrainerState copy = new TrainerStateSerializer().copy(s);
        byte[] before = bytes(copy);
        s.learner.trainMinibatch(s.batchFeatures, s.batchLabels, s.batchWeights, 3);
        s.batchFeatures[0] = 99f;
        s.prequential.add(true);
        assertThat(bytes(copy)).isEqualTo(before);
    }

    @Test
    void hashedStateRoundTripsItsSparseRowsInTheCurrentLayout() throws IOException {
        TrainerState s = TrainerState.create(ModelSpec.parse(dev.chorus.jobs.ClickExamples.SPEC), 50);
        var clicks = dev.chorus.jobs.ClickExamples.stream("clicks", 7, 5);
        for (int i = 0; i < 7; i++) {
            var x = s.hasher.hash(clicks.get(i).getFields());
            s.sparseRows.add(x.indices(), x.values());
            s.batchLabels[s.batchFill] = clicks.get(i).getLabel();
            s.batchWeights[s.batchFill] = 1f;
            s.batchIds[s.batchFill] = clicks.get(i).getId();
            s.batchFill++;
            if (s.batchFill == 4) {
                HashedRows.train(s);
                s.sparseRows.clear();
                s.batchFill = 0;
            }
        }
        byte[] first = bytes(s);
        assertThat(new DataInputDeserializer(first).readInt()).isEqualTo(TrainerStateSerializer.FORMAT_VERSION);
        assertThat(first[4]).as("kind").isEqualTo(TrainerStateSerializer.HASHED);
        TrainerState back = new TrainerStateSerializer().deserialize(new DataInputDeserializer(first));
        assertThat(bytes(back)).isEqualTo(first);
        assertThat(bytes(new TrainerStateSerializer().copy(s))).isEqualTo(first);
        assertThat(back.hashed.toBytes()).isEqualTo(s.hashed.toBytes());
        assertThat(back.batchFeatures).as("never densified").isEmpty();
        assertThat(back.sparseRows.rows()).isEqualTo(3);
        assertThat(HashedRows.row(back.sparseRows, 2).indices()).containsExactly(HashedRows.row(s.sparseRows, 2).indices());
        assertThat(back.batchIds).startsWith("click-4", "click-5", "click-6");
        assertThat(back.version()).isEqualTo(1);
    }

    /**
     * A hashed task's checkpoint holds the rows its minibatches touched, not all 2^bits: at 2^24 dimensions the model
     * is its header plus 16 bytes (index, weight, z, n) per touched row and the bias row, so checkpoints of a large,
     * sparsely trained model stay small (BENCHMARKS.md, checkpoints of hashed models).
     */
    @Test
    void aHashedCheckpointWritesTheTouchedRowsOnlyAt2To24Dimensions() throws IOException {
        String spec = dev.chorus.jobs.ClickExamples.SPEC.replace("\"bits\":12", "\"bits\":24");
        TrainerState s = TrainerState.create(ModelSpec.parse(spec), 50);
        assertThat(s.hashed.inputDim()).isEqualTo(1 << 24);
        java.util.BitSet touched = new java.util.BitSet();
        var clicks = dev.chorus.jobs.ClickExamples.stream("clicks", 40, 5);
        for (var click : clicks) {
            var x = s.hasher.hash(click.getFields());
            for (int e = 0; e < x.size(); e++) {
                touched.set(x.indices()[e], x.values()[e] != 0f);
            }
            s.sparseRows.add(x.indices(), x.values());
            s.batchLabels[s.batchFill] = click.getLabel();
            s.batchWeights[s.batchFill] = 1f;
            s.batchIds[s.batchFill] = click.getId();
            s.batchFill++;
            if (s.batchFill == 4) {
                HashedRows.train(s);
                s.sparseRows.clear();
                s.batchFill = 0;
            }
        }
        int header = 4 + 4 + 4 + s.hashed.spec().toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                + 8 + 8 + 4;
        byte[] model = s.hashed.toBytes();
        assertThat(model).as("%d touched rows and the bias row", touched.cardinality())
                .hasSize(header + 16 * (touched.cardinality() + 1));
        assertThat(bytes(s).length).as("the trainer state around it").isBetween(model.length, model.length + 512);
    }

    @Test
    void unknownLayoutVersionIsRejectedWithBothVersions() {
        DataOutputSerializer out = new DataOutputSerializer(16);
        assertThatThrownBy(() -> {
            out.writeInt(99);
            new TrainerStateSerializer().deserialize(new DataInputDeserializer(out.getCopyOfBuffer()));
        }).isInstanceOf(IOException.class).hasMessageContaining("expected layout version 1..5, got 99");
    }

    @Test
    void theLayout4SavepointFixtureHoldsAHashedFtrlTaskWithSparseOpenRows() throws Exception {
        // 100 clicks in minibatches of 16: version 6 and 4 sparse rows open, as the other tasks of the fixture.
        TrainerState clicks = fromSavepoint("train-v4", "clicks");
        assertThat(clicks.hashed).as("a sparse linear model").isNotNull();
        assertThat(clicks.hashed.spec().optimizer().type()).isEqualTo("ftrl");
        assertThat(clicks.version()).isEqualTo(6);
        assertThat(clicks.batchFill).isEqualTo(4);
        assertThat(clicks.sparseRows.rows()).isEqualTo(4);
        assertThat(clicks.batchFeatures).as("never densified").isEmpty();
        assertThat(clicks.batchIds).startsWith("click-96", "click-97", "click-98", "click-99");
        assertThat(fromSavepoint("train-v4", "fixture").learner).as("the dense task beside it").isNotNull();
    }

    @Test
    void theLayout3SavepointFixtureHoldsTheCrowdTasksConsensusLedger() throws Exception {
        // 6 minibatches of 16 crowd labels, 2 per item: items 0..47 trained and published, none owed.
        ConsensusLedger ledger = fromSavepoint("train-v3", "crowd").consensus;
        assertThat(ledger.items).as("consensus ledger of task crowd in train-v3").hasSize(48);
        assertThat(ledger.items.values()).extracting(i -> i.id).contains("item-0", "item-47");
        assertThat(ledger.pending).as("items owed").isEmpty();
        assertThat(ledger.items.values()).allSatisfy(i -> {
            assertThat(i.publishedClass).as("%s most likely class", i.id).isBetween(0, 2);
            assertThat(i.publishedVersion).as("%s published at model version", i.id).isBetween(1L, 6L);
        });
    }

    /**
     * Layout 5 keeps, per published item, the class its labels alone favoured at its last record, which a recheck
     * compares with; a layout-4 ledger's items come back without one (-1), for their first recheck to set.
     */
    @Test
    void theLayout5SavepointFixtureKeepsEachItemsClassOnItsLabelsAlone() throws Exception {
        ConsensusLedger ledger = fromSavepoint("train-v5", "crowd").consensus;
        assertThat(ledger.items).as("consensus ledger of task crowd in train-v5").hasSize(48);
        assertThat(ledger.items.values()).allSatisfy(i -> {
            assertThat(i.publishedClass).as("%s most likely class", i.id).isBetween(0, 2);
            assertThat(i.labelsClass).as("%s class on its labels alone", i.id).isBetween(0, 2);
        });
        assertThat(fromSavepoint("train-v4", "crowd").consensus.items.values()).extracting(i -> i.labelsClass)
                .as("layout 4 kept none").hasSize(48).containsOnly(-1);
    }

    @Test
    void theLayout2SavepointFixtureRestoresAnEmptyConsensusLedger() throws Exception {
        TrainerState crowd = fromSavepoint("train-v2", "crowd");
        assertThat(crowd.version()).isEqualTo(6);
        assertThat(crowd.consensus.items).as("layout 2 had no consensus ledger").isEmpty();
    }

    /**
     * Task {@code task}'s trainer state in the committed savepoint {@code savepoints/<fixture>} (one subtask),
     * restored the way a job restores it: the train operator's state, found by its uid, into a keyed state backend.
     */
    static TrainerState fromSavepoint(String fixture, String task) throws Exception {
        Path dir = Path.of("src/test/resources/savepoints", fixture).toAbsolutePath();
        OperatorState train;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(dir.resolve("_metadata")))) {
            OperatorID id = new OperatorID(StreamGraphHasherV2.generateUserSpecifiedHash(TrainJob.UID_TRAIN));
            train = Checkpoints.loadCheckpointMetadata(in, TrainerStateSerializerTest.class.getClassLoader(),
                    dir.toUri().toString()).getOperatorStates().stream().filter(o -> o.getOperatorID().equals(id))
                    .findFirst().orElseThrow(() -> new AssertionError(fixture + ": no state of operator uid "
                            + TrainJob.UID_TRAIN));
        }
        try (var h = MinibatchSgdFunctionTest.harness(MinibatchSgdFunctionTest.settings(), train.getMaxParallelism(),
                1, 0)) {
            h.initializeState(train.getState(0));
            KeyedStateBackend<String> backend = h.getOperator().getKeyedStateBackend();
            backend.setCurrentKey(task);
            // The state as MinibatchSgdFunction.open registers it.
            return backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                    new ValueStateDescriptor<>("trainer", new TrainerStateSerializer())).value();
        }
    }
}
