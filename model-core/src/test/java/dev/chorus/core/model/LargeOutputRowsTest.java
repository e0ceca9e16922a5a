package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.core.tensor.TouchedRows;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A large-output model's rows apart ({@link LargeOutputModel#rowsApart}): the embedding table's rows, then the output
 * layer's (a class's weights and bias, or an inner node's), in one index space; the counts, the spec and the sampler's
 * generator in the rowless bytes.
 */
class LargeOutputRowsTest {

  @ParameterizedTest
  @ValueSource(strings = {LargeOutputModelTest.SAMPLED, LargeOutputModelTest.NEGATIVE,
      LargeOutputModelTest.HIERARCHICAL})
  void rowsCopiedInBlocksAcrossTableAndOutputRebuildTheModelBitForBit(String output) {
    String spec = LargeOutputModelTest.spec(300, output);
    LargeOutputModel model = LargeOutputModel.create(ModelSpec.parse(spec));
    RowsApart rows = model.rowsApart();
    assertThat(model.rowsApart()).isSameAs(rows);
    int tableRows = 1 << 12;
    int outputRows = output.equals(LargeOutputModelTest.HIERARCHICAL) ? 299 : 300;
    assertThat(rows.rows()).as("the table's rows, then a row per class or inner node")
        .isEqualTo(tableRows + outputRows);
    TouchedRows changed = rows.changedRows();
    int[][] labels = new int[8][];
    SparseBatch[] batches = LargeOutputModelTest.batches(model.spec(), 8, 11, labels);
    for (int s = 0; s < 6; s++) {
      model.trainMinibatch(batches[s], labels[s], null);
    }
    rows.changedRows().sort();
    int[] stepped = IntStream.range(0, changed.size()).map(changed::row).toArray();
    assertThat(IntStream.of(stepped).filter(r -> r < tableRows).toArray()).as("the table's rows the steps touched")
        .containsExactly(touched(batches, 6));
    assertThat(IntStream.of(stepped).filter(r -> r >= tableRows).count()).as("output rows the steps changed")
        .isPositive();
    changed.clear();

    assertThat(rows.copyRows(tableRows - 2, 5)).as("2 table rows of 4 + 2 × 8 floats, 3 output rows of 8 + 1")
        .hasSize(2 * 20 + 3 * 9);
    for (int block : new int[] {1, 16, 100}) {
      LargeOutputModel rebuilt = LargeOutputModel.fromBytes(BinaryState.toBytes(rows::writeWithoutRowsTo));
      RowsApart into = rebuilt.rowsApart();
      assertThat(into.nextWrittenRow(0)).as("no rows in the rowless bytes").isEqualTo(-1);
      for (int from = 0; from < rows.rows(); from += block) {
        into.putRows(from, rows.copyRows(from, Math.min(block, rows.rows() - from)));
      }
      assertThat(rebuilt.toBytes()).as("blocks of %d", block).isEqualTo(model.toBytes());
      assertThat(into.nextWrittenRow(tableRows)).isEqualTo(rows.nextWrittenRow(tableRows)).isGreaterThanOrEqualTo(tableRows);
      LargeOutputModel next = model.copy();
      assertThat(rebuilt.trainMinibatch(batches[6], labels[6], null))
          .isEqualTo(next.trainMinibatch(batches[6], labels[6], null));
      assertThat(rebuilt.toBytes()).as("the next step, the sampler's draws included").isEqualTo(next.toBytes());
    }
  }

  /** The distinct hashed features of the first {@code steps} minibatches, ascending. */
  private static int[] touched(SparseBatch[] batches, int steps) {
    return IntStream.range(0, steps).flatMap(s -> IntStream.of(batches[s].indices())
        .limit(batches[s].rowStart(batches[s].rows()))).distinct().sorted().toArray();
  }
}
