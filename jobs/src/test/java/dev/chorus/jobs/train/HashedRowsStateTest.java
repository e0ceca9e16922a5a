package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.predictions;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.TrainSettings.HashedState;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A hashed task whose model rows are kept apart ({@code --hashed-state rows}, {@link HashedRowsState}): only the
 * blocks a minibatch changed are written back, and whatever the layout and backend, a restore (of either layout, into
 * either) and a reset or retire give what one value gives, bit for bit.
 */
class HashedRowsStateTest {

    static TrainerHarness harness(HashedState layout, boolean rocksDb, RegisteredMetrics metrics) throws Exception {
        TrainerHarness h = new TrainerHarness(HashedTrainingTest.settings().hashedState(layout), metrics.environment());
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        return h;
    }

    static double blocksWritten(RegisteredMetrics metrics) {
        return metrics.find("flink_taskmanager_job_task_operator_hashedRowBlocksWritten", Map.of()).get(0).value();
    }

    @Test
    void eachMinibatchWritesBackOnlyTheBlocksOfTheRowsItChanged() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 28, 7);
        FeatureHasher hasher = new FeatureHasher(ModelSpec.parse(ClickExamples.SPEC).hashing());
        int biasRow = 1 << 12;
        long expected = 0;
        for (int batch = 0; batch < clicks.size() / 4; batch++) {
            Set<Integer> blocks = new TreeSet<>(List.of(biasRow / HashedRowsState.BLOCK_ROWS));
            for (Example click : clicks.subList(batch * 4, batch * 4 + 4)) {
                for (int row : hasher.hash(click.getFields()).indices()) {
                    blocks.add(row / HashedRowsState.BLOCK_ROWS);
                }
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
        assertThat(expected).as("a few blocks a minibatch, of the 257 a 2^12 model has")
                .isGreaterThan(7).isLessThan(7 * 40);
    }

    /** Checkpointed in one layout and backend, restored in either layout on the same backend. */
    static Stream<Arguments> restores() {
        List<Arguments> cases = new ArrayList<>();
        for (boolean rocksDb : new boolean[] {false, true}) {
            for (HashedState from : HashedState.values()) {
                for (HashedState to : HashedState.values()) {
                    cases.add(Arguments.of(from, to, rocksDb));
                }
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0} to {1}, RocksDB {2}")
    @MethodSource("restores")
    void aRestoreInEitherLayoutTrainsOnBitForBitAsAnUninterruptedRun(HashedState from, HashedState to, boolean rocksDb)
            throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 22, 3);
        ClickExamples.Reference reference = ClickExamples.reference(ClickExamples.SPEC, clicks, true);
        WideDeepRowsStateTest.Restored restored = WideDeepRowsStateTest.trainThroughARestore(
                HashedRowsStateTest::harness, from, to, rocksDb, clicks, 14);
        for (int i = 0; i < clicks.size(); i++) {
            assertThat(Float32.unpack(restored.predictions().get(i).getProbabilities())).as("prediction %d", i)
                    .containsExactly(reference.probabilities().get(i));
        }
        assertThat(restored.lastModel()).isEqualTo(reference.model().toBytes());
    }

    /**
     * A block of rows restored from state holding optimizer state no step leaves (here FTRL's n of the biases' row
     * below 0, which would make the bias NaN at the next step) fails the restore of its key, naming the key, the
     * block, the row, the slot and the value, before any example trains on it.
     */
    @Test
    void aRestoredBlockWithASlotNoStepLeavesFailsTheRestoreNamingTheRowAndSlot() throws Exception {
        List<Example> clicks = ClickExamples.stream("clicks", 16, 3);
        OperatorSubtaskState saved;
        try (var h = harness(HashedState.ROWS, false, new RegisteredMetrics())) {
            h.open();
            for (int i = 0; i < 12; i++) {
                h.processElement(sourced(clicks.get(i), i), i);
            }
            saved = h.snapshot(1, 12);
        }
        try (var h = harness(HashedState.ROWS, false, new RegisteredMetrics())) {
            h.initializeState(saved);
            h.open();
            var backend = h.getOperator().getKeyedStateBackend();
            List<String> keys = backend.getKeys("hashed-trainer", VoidNamespace.INSTANCE)
                    .map(String.class::cast).toList();
            assertThat(keys).hasSize(1);
            String key = keys.get(0);
            backend.setCurrentKey(key);
            MapState<Integer, RowBlock> blocks = backend.getPartitionedState(VoidNamespace.INSTANCE,
                    VoidNamespaceSerializer.INSTANCE, new MapStateDescriptor<>("hashed-rows", IntSerializer.INSTANCE,
                            RowBlock.Serializer.INSTANCE));
            int biasRow = 1 << 12;
            int block = biasRow / HashedRowsState.BLOCK_ROWS;
            float[] rows = blocks.get(block).rows().clone();
            assertThat(rows).as("the biases' row alone in its block: weight, z, n").hasSize(3);
            rows[2] = -1f;
            blocks.put(block, new RowBlock(rows));

            assertThatThrownBy(() -> h.processElement(sourced(clicks.get(12), 12), 12))
                    .isInstanceOf(IOException.class)
                    .hasMessage("hashed rows of " + key + ", block " + block + " (rows from " + biasRow + "): putRows: "
                            + "ftrl n of row " + biasRow + ", output 0: expected a finite number >= 0, got -1.0");
            assertThat(predictions(h)).as("nothing trained or predicted on the refused rows").isEmpty();
        }
    }

    @Test
    void aResetAndARetireOfAHashedVariantInRowsGiveWhatOneValueGives() throws Exception {
        WideDeepRowsStateTest.resetAndRetireGiveWhatOneValueGives(ClickExamples.SPEC, ClickExamples.stream("t", 27, 5),
                HashedRowsStateTest::harness);
    }

    @Test
    void theBytesBesideTheRowsHoldTheModelWithoutRowsAndTheOneValueReaderRefusesThem() throws Exception {
        TrainerState s = TrainerState.create(ModelSpec.parse(ClickExamples.SPEC), 10);
        ClickExamples.Reference trained = ClickExamples.reference(ClickExamples.SPEC,
                ClickExamples.stream("clicks", 8, 1), false);
        s = new TrainerState(trained.model(), s.prequential);
        DataOutputSerializer out = new DataOutputSerializer(256);
        TrainerStateSerializer serializer = new TrainerStateSerializer();
        serializer.serializeWithoutRows(s, out);
        byte[] bytes = out.getCopyOfBuffer();
        TrainerState back = serializer.deserializeWithoutRows(new DataInputDeserializer(bytes));
        assertThat(back.version()).isEqualTo(2);
        assertThat(back.hashed.nextWrittenRow(0)).as("no rows").isEqualTo(-1);
        assertThatThrownBy(() -> serializer.deserialize(new DataInputDeserializer(bytes)))
                .hasMessage("trainer state: expected a model kind of 0..5, got 6 (a hashed model whose rows are in map "
                        + "state, read only with them)");
    }
}
