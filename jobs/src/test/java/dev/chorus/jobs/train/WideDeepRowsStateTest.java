package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.HashedRowsStateTest.blocksWritten;
import static dev.chorus.jobs.train.HashedTrainingTest.bytes;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.models;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.predictions;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.snapshots;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.WideDeepBatch;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.train.TrainSettings.HashedState;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HashedRowsStateTest} for a wide and deep task ({@code --hashed-state rows}): the wide part's rows and the
 * embedding tables' rows apart in blocks, only the blocks a minibatch changed written back, and a restore (of either
 * layout, into either, heap and RocksDB) and a reset or retire giving what one value gives, bit for bit.
 */
class WideDeepRowsStateTest {

    static TrainerHarness harness(HashedState layout, boolean rocksDb, RegisteredMetrics metrics) throws Exception {
        TrainerHarness h = new TrainerHarness(WideDeepTrainingTest.settings().hashedState(layout), metrics.environment());
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        return h;
    }

    @Test
    void eachMinibatchWritesBackOnlyTheBlocksOfTheWideAndTableRowsItChanged() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 28, 7);
        ModelSpec spec = ModelSpec.parse(WideDeepClicks.SPEC);
        // The wide part's 2^10 + 1 rows, then the user table's 64, then the words table's 64.
        int wideRows = (1 << 10) + 1;
        long expected = 0;
        for (int batch = 0; batch < clicks.size() / 4; batch++) {
            WideDeepBatch rows = new WideDeepBatch(spec);
            clicks.subList(batch * 4, batch * 4 + 4).forEach(c -> rows.add(c.getFields()));
            Set<Integer> blocks = new TreeSet<>(List.of((wideRows - 1) / HashedRowsState.BLOCK_ROWS));
            addBlocks(blocks, rows.wide(), 0);
            for (int f = 0; f < 2; f++) {
                addBlocks(blocks, rows.ids(f), wideRows + 64 * f);
            }
            expected += blocks.size();
        }
        for (HashedState layout : HashedState.values()) {
            RegisteredMetrics metrics = new RegisteredMetrics();
            try (var h = harness(layout, true, metrics)) {
                h.open();
                for (int i = 0; i < clicks.size(); i++) {
                    h.processElement(sourced(clicks.get(i), i), i);
                }
                assertThat(blocksWritten(metrics)).as("blocks written in %s", layout)
                        .isEqualTo(layout == HashedState.ROWS ? expected : 0);
            }
        }
        assertThat(expected).as("a few blocks a minibatch, of the 73 the model has").isGreaterThan(7 * 3)
                .isLessThan(7 * 30);
    }

    private static void addBlocks(Set<Integer> blocks, SparseBatch rows, int offset) {
        for (int e = 0; e < rows.rowStart(rows.rows()); e++) {
            blocks.add((offset + rows.indices()[e]) / HashedRowsState.BLOCK_ROWS);
        }
    }

    @ParameterizedTest(name = "{0} to {1}, RocksDB {2}")
    @MethodSource("dev.chorus.jobs.train.HashedRowsStateTest#restores")
    void aRestoreInEitherLayoutTrainsOnBitForBitAsAnUninterruptedRun(HashedState from, HashedState to, boolean rocksDb)
            throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 22, 3);
        WideDeepClicks.Reference reference = WideDeepClicks.reference(WideDeepClicks.SPEC, clicks, true);
        Restored restored = trainThroughARestore(WideDeepRowsStateTest::harness, from, to, rocksDb, clicks, 14);
        for (int i = 0; i < clicks.size(); i++) {
            assertThat(Float32.unpack(restored.predictions().get(i).getProbabilities())).as("prediction %d", i)
                    .containsExactly(reference.outputs().get(i));
        }
        assertThat(restored.lastModel()).isEqualTo(reference.model().toBytes());
    }

    /** Every example's prediction, and the last snapshot's model bytes, of a run through a checkpoint and restore. */
    record Restored(List<Prediction> predictions, byte[] lastModel) {}

    /**
     * Trains on {@code examples}, checkpointed after the first {@code cut} in layout {@code from}, then (after training
     * on past the checkpoint, which the restore must not see) restored in layout {@code to} and trained on the rest,
     * then the end of input.
     */
    static Restored trainThroughARestore(Harnesses harnesses, HashedState from, HashedState to, boolean rocksDb,
            List<Example> examples, int cut) throws Exception {
        OperatorSubtaskState saved;
        List<Prediction> all = new ArrayList<>();
        try (var h = harnesses.harness(from, rocksDb, new RegisteredMetrics())) {
            h.open();
            for (int i = 0; i < cut; i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            saved = h.snapshot(1, cut);
            all.addAll(predictions(h));
            for (int i = cut; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
        }
        try (var h = harnesses.harness(to, rocksDb, new RegisteredMetrics())) {
            h.initializeState(saved);
            h.open();
            for (int i = cut; i < examples.size(); i++) {
                h.processElement(sourced(examples.get(i), i), i);
            }
            h.processWatermark(new Watermark(Long.MAX_VALUE));
            all.addAll(predictions(h));
            assertThat(all).hasSize(examples.size());
            List<ModelSnapshot> snapshots = snapshots(h);
            return new Restored(all, bytes(snapshots.get(snapshots.size() - 1).getParameters()));
        }
    }

    @Test
    void aResetAndARetireOfAWideDeepVariantInRowsGiveWhatOneValueGives() throws Exception {
        resetAndRetireGiveWhatOneValueGives(WideDeepClicks.SPEC, ClickExamples.stream("t", 27, 5),
                WideDeepRowsStateTest::harness);
    }

    /** A harness of the train operator in a layout, on the heap or RocksDB. */
    interface Harnesses {
        TrainerHarness harness(HashedState layout, boolean rocksDb, RegisteredMetrics metrics) throws Exception;
    }

    /**
     * Variant {@code w} of task {@code t} with {@code spec}, revived (reset) at example 13 and retired at 26, gives the
     * same predictions, snapshots, tombstones and dead letters in both layouts, on the heap and on RocksDB.
     */
    static void resetAndRetireGiveWhatOneValueGives(String spec, List<Example> examples, Harnesses harnesses)
            throws Exception {
        String revived = spec.substring(0, spec.lastIndexOf('}')) + ",\"revive\":true}";
        List<Object> expected = null;
        for (HashedState layout : HashedState.values()) {
            for (boolean rocksDb : new boolean[] {false, true}) {
                try (var h = harnesses.harness(layout, rocksDb, new RegisteredMetrics())) {
                    h.open();
                    h.processBroadcastElement(new SpecChange("t", "w", spec), 0);
                    for (int i = 0; i < examples.size(); i++) {
                        if (i == 13) {
                            h.processBroadcastElement(new SpecChange("t", "w", revived), i);
                        }
                        if (i == 26) {
                            h.processBroadcastElement(new SpecChange("t", "w", null), i);
                        }
                        h.processElement(new VariantExample("w", new Sourced<>(examples.get(i), 0, i), null), i);
                    }
                    List<Object> outputs = new ArrayList<>();
                    for (Prediction p : predictions(h)) {
                        outputs.add(p.getId() + " v" + p.getModelVersion() + " " + p.getTopClasses() + " "
                                + unpacked(p.getTopProbabilities()) + " " + unpacked(p.getProbabilities()));
                    }
                    for (var m : models(h)) {
                        outputs.add(m.isLeft() ? "tombstone " + m.left() : "snapshot v" + m.right().getVersion() + " "
                                + Arrays.toString(bytes(m.right().getParameters())));
                    }
                    outputs.add(deadLetters(h).size() + " dead letters");
                    assertThat(outputs).as("a tombstone, after a reset").anyMatch(o -> o.toString().startsWith("tomb"));
                    assertThat(outputs).as("snapshots").anyMatch(o -> o.toString().startsWith("snapshot v"));
                    if (!rocksDb) {
                        assertThat(h.numKeyedStateEntries()).as("the retired variant's state is gone in %s", layout)
                                .isZero();
                    }
                    if (expected == null) {
                        expected = outputs;
                    } else {
                        assertThat(outputs).as("%s, RocksDB %s", layout, rocksDb).isEqualTo(expected);
                    }
                }
            }
        }
    }

    private static String unpacked(ByteBuffer floats) {
        return floats == null ? "none" : Arrays.toString(Float32.unpack(floats));
    }

    @Test
    void theBytesBesideTheRowsHoldTheModelWithoutRowsAndTheOneValueReaderRefusesThem() throws Exception {
        WideDeepClicks.Reference trained = WideDeepClicks.reference(WideDeepClicks.SPEC,
                ClickExamples.stream("clicks", 8, 1), false);
        TrainerState s = new TrainerState(trained.model(), TrainerState.create(trained.model().spec(), 10).prequential);
        DataOutputSerializer out = new DataOutputSerializer(256);
        TrainerStateSerializer serializer = new TrainerStateSerializer();
        serializer.serializeWithoutRows(s, out);
        byte[] bytes = out.getCopyOfBuffer();
        DataOutputSerializer oneValue = new DataOutputSerializer(256);
        serializer.serialize(s, oneValue);
        assertThat(bytes.length).as("without the rows two minibatches wrote").isLessThan(oneValue.length() - 200);
        TrainerState back = serializer.deserializeWithoutRows(new DataInputDeserializer(bytes));
        assertThat(back.wideDeep.steps()).isEqualTo(2);
        assertThat(back.rowsApart()).isSameAs(back.wideDeep.rowsApart());
        assertThat(back.rowsApart().nextWrittenRow(0)).as("no rows").isEqualTo(-1);
        assertThatThrownBy(() -> serializer.deserialize(new DataInputDeserializer(bytes)))
                .hasMessage("trainer state: expected a model kind of 0..5, got 7 (a wide and deep model whose rows are in map "
                        + "state, read only with them)");
    }
}
