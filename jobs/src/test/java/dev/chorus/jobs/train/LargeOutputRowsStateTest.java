package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.HashedRowsStateTest.blocksWritten;
import static dev.chorus.jobs.train.LargeOutputTrainingTest.assertTopK;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.train.TrainSettings.HashedState;
import dev.chorus.schemas.Example;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.state.rocksdb.EmbeddedRocksDBStateBackend;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link HashedRowsStateTest} for a large-output task ({@code --hashed-state rows}): the embedding table's rows and
 * the output layer's rows apart in blocks, only the blocks a minibatch changed written back, and a restore (of either
 * layout, into either, heap and RocksDB) and a reset or retire giving what one value gives, bit for bit.
 */
class LargeOutputRowsStateTest {

    static TrainerHarness harness(HashedState layout, boolean rocksDb, RegisteredMetrics metrics) throws Exception {
        TrainerHarness h = new TrainerHarness(new TrainSettings().specs(TaskSpecs.of(null,
                Map.of("many", LargeOutputTrainingTest.SPEC))).snapshotEveryBatches(2).snapshotIntervalMs(0)
                .batchTimeoutMs(0).hashedState(layout), metrics.environment());
        if (rocksDb) {
            h.setStateBackend(new EmbeddedRocksDBStateBackend());
        }
        return h;
    }

    /** The blocks of rows whose floats differ between {@code before} and {@code after}. */
    private static int differingBlocks(RowsApart before, RowsApart after) {
        int blocks = 0;
        for (int from = 0; from < before.rows(); from += HashedRowsState.BLOCK_ROWS) {
            int count = Math.min(HashedRowsState.BLOCK_ROWS, before.rows() - from);
            blocks += Arrays.equals(before.copyRows(from, count), after.copyRows(from, count)) ? 0 : 1;
        }
        return blocks;
    }

    @Test
    void eachMinibatchWritesBackOnlyTheBlocksOfTheTableAndOutputRowsItChanged() throws Exception {
        List<Example> examples = LargeOutputExamples.stream("many", 64, LargeOutputTrainingTest.CLASSES, 7);
        long expected = 0;
        LargeOutputModel before = LargeOutputModel.create(
                ModelSpec.parse(LargeOutputTrainingTest.SPEC));
        for (int batch = 1; batch <= 4; batch++) {
            LargeOutputModel after = LargeOutputExamples.reference(LargeOutputTrainingTest.SPEC,
                    examples.subList(0, 16 * batch)).model();
            expected += differingBlocks(before.rowsApart(), after.rowsApart());
            before = after;
        }
        for (HashedState layout : HashedState.values()) {
            RegisteredMetrics metrics = new RegisteredMetrics();
            try (var h = harness(layout, true, metrics)) {
                h.open();
                for (int i = 0; i < examples.size(); i++) {
                    h.processElement(sourced(examples.get(i), i), i);
                }
                assertThat(blocksWritten(metrics)).as("blocks written in %s", layout)
                        .isEqualTo(layout == HashedState.ROWS ? expected : 0);
            }
        }
        assertThat(expected).as("some blocks a minibatch, of the 4,409 the model has").isGreaterThan(4 * 16)
                .isLessThan(4 * 400);
    }

    @ParameterizedTest(name = "{0} to {1}, RocksDB {2}")
    @MethodSource("dev.chorus.jobs.train.HashedRowsStateTest#restores")
    void aRestoreInEitherLayoutTrainsOnBitForBitAsAnUninterruptedRun(HashedState from, HashedState to, boolean rocksDb)
            throws Exception {
        List<Example> examples = LargeOutputExamples.stream("many", 64, LargeOutputTrainingTest.CLASSES, 6);
        LargeOutputExamples.Reference reference = LargeOutputExamples.reference(LargeOutputTrainingTest.SPEC, examples);
        WideDeepRowsStateTest.Restored restored = WideDeepRowsStateTest.trainThroughARestore(
                LargeOutputRowsStateTest::harness, from, to, rocksDb, examples, 40);
        for (int i = 0; i < examples.size(); i++) {
            assertTopK(restored.predictions().get(i), reference.top().get(i));
        }
        assertThat(restored.lastModel()).isEqualTo(reference.model().toBytes());
    }

    @Test
    void aResetAndARetireOfALargeOutputVariantInRowsGiveWhatOneValueGives() throws Exception {
        WideDeepRowsStateTest.resetAndRetireGiveWhatOneValueGives(LargeOutputTrainingTest.SPEC.replace(
                "\"batchSize\":16", "\"batchSize\":4"), LargeOutputExamples.stream("t", 27,
                LargeOutputTrainingTest.CLASSES, 5), LargeOutputRowsStateTest::harness);
    }

    @Test
    void theBytesBesideTheRowsHoldTheModelWithoutRowsAndTheOneValueReaderRefusesThem() throws Exception {
        LargeOutputModel trained = LargeOutputExamples.reference(LargeOutputTrainingTest.SPEC,
                LargeOutputExamples.stream("many", 32, LargeOutputTrainingTest.CLASSES, 1)).model();
        TrainerState s = new TrainerState(trained, TrainerState.create(trained.spec(), 10).prequential);
        DataOutputSerializer out = new DataOutputSerializer(256);
        TrainerStateSerializer serializer = new TrainerStateSerializer();
        serializer.serializeWithoutRows(s, out);
        byte[] bytes = out.getCopyOfBuffer();
        DataOutputSerializer oneValue = new DataOutputSerializer(256);
        serializer.serialize(s, oneValue);
        assertThat(bytes.length).as("without the rows two minibatches wrote").isLessThan(oneValue.length() - 1000);
        TrainerState back = serializer.deserializeWithoutRows(new DataInputDeserializer(bytes));
        assertThat(back.largeOutput.steps()).isEqualTo(2);
        assertThat(back.rowsApart()).isSameAs(back.largeOutput.rowsApart());
        assertThat(back.rowsApart().nextWrittenRow(0)).as("no rows").isEqualTo(-1);
        assertThatThrownBy(() -> serializer.deserialize(new DataInputDeserializer(bytes)))
                .hasMessage("trainer state: expected a model kind of 0..5, got 8 (a large-output model whose rows are "
                        + "in map state, read only with them)");
    }
}
