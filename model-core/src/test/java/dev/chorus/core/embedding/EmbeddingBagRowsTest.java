package dev.chorus.core.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.embedding.EmbeddingBag.Combiner;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.core.tensor.TouchedRows;
import java.io.IOException;
import java.util.Arrays;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A table's rows kept apart ({@link RowsApart}): copied in blocks, put into a fresh table. */
class EmbeddingBagRowsTest {

  private static final int BUCKETS = 37;
  private static final int DIM = 3;

  private static EmbeddingBag bag() {
    return EmbeddingBag.create("f", BUCKETS, DIM, Combiner.MEAN, 0.1, 0.2, SplitMix64.seeded(11));
  }

  private static SparseBatch ids(int... rows) {
    SparseBatch ids = new SparseBatch(BUCKETS);
    for (int row : rows) {
      int other = (row * 7 + 3) % BUCKETS;
      ids.add(new int[] {Math.min(row, other), Math.max(row, other)}, new float[] {1, 2});
    }
    return ids;
  }

  private static void step(EmbeddingBag bag, SparseBatch ids) {
    float[] gradOut = new float[ids.rows() * DIM];
    for (int i = 0; i < gradOut.length; i++) {
      gradOut[i] = (i % 5 - 2) * 0.3f;
    }
    bag.backward(ids, gradOut, DIM, 0);
    assertThat(bag.step()).isNull();
  }

  /** Every row, in blocks of {@code block} rows, from {@code from} into {@code to} through the rowless bytes. */
  private static EmbeddingBag rebuilt(EmbeddingBag from, int block) throws IOException {
    EmbeddingBag to = bag();
    to.readFrom(new BinaryState.Bytes(BinaryState.toBytes(from::writeWithoutRowsTo)));
    assertThat(to.nextWrittenRow(0)).as("no rows in the rowless bytes").isEqualTo(-1);
    for (int row = 0; row < from.rows(); row += block) {
      int count = Math.min(block, from.rows() - row);
      float[] rows = from.copyRows(row, count);
      assertThat(rows).hasSize(count * from.rowWidth());
      to.putRows(row, rows);
    }
    return to;
  }

  @Test
  void rowsCopiedAndPutIntoAFreshTableGiveTheSameBytesPredictionsAndNextStep() throws IOException {
    EmbeddingBag bag = bag();
    TouchedRows changed = bag.changedRows();
    step(bag, ids(1, 4));
    step(bag, ids(9, 30, 4));
    // Rows 20 and 32, first seen in a step that is undone, are unseen again and not listed as changed.
    step(bag, ids(20));
    bag.undoStep();
    step(bag, ids(1, 36));
    changed.sort();
    assertThat(IntStream.range(0, changed.size()).map(changed::row).toArray()).as("every row a step changed")
        .containsExactly(1, 4, 9, 10, 28, 29, 30, 31, 33, 36);
    changed.clear();
    step(bag, ids(2));
    assertThat(changed.size()).as("only the rows since the last clear").isEqualTo(2);

    for (int block : new int[] {1, 5, 16, BUCKETS}) {
      EmbeddingBag rebuilt = rebuilt(bag, block);
      assertThat(BinaryState.toBytes(rebuilt::writeTo)).as("blocks of %d", block)
          .isEqualTo(BinaryState.toBytes(bag::writeTo));
      SparseBatch all = new SparseBatch(BUCKETS);
      for (int row = 0; row < BUCKETS; row++) {
        all.add(new int[] {row}, new float[] {1});
      }
      float[] expected = new float[all.rows() * DIM];
      float[] actual = new float[all.rows() * DIM];
      bag.forward(all, expected, DIM, 0);
      rebuilt.forward(all, actual, DIM, 0);
      assertThat(actual).containsExactly(expected);
      EmbeddingBag next = bag.copy();
      step(next, ids(2, 20, 33));
      step(rebuilt, ids(2, 20, 33));
      assertThat(BinaryState.toBytes(rebuilt::writeTo)).isEqualTo(BinaryState.toBytes(next::writeTo));
    }
  }

  @Test
  void anUnseenRowIsCopiedAsZerosAndPutLeavesTheSeedsRow() {
    EmbeddingBag bag = bag();
    step(bag, ids(1));
    float[] unseen = bag.copyRows(2, 1);
    assertThat(unseen).as("the seed's row, which a fresh table holds: nothing to keep")
        .containsOnly(0f).hasSize(bag.rowWidth());
    assertThat(bag.copyRows(1, 1)[0]).as("a seen row's flag").isEqualTo(1f);
    EmbeddingBag fresh = bag();
    float[] seedRow = {fresh.weight(2, 0), fresh.weight(2, 1), fresh.weight(2, 2)};
    // Blocks made before unseen rows were zeros hold their seed values: either way the row stays the seed's.
    float[] withValues = fresh.copyRows(2, 1);
    Arrays.fill(withValues, 4, withValues.length, 0.75f);
    for (float[] row : new float[][] {unseen, withValues}) {
      fresh.putRows(2, row);
      assertThat(new float[] {fresh.weight(2, 0), fresh.weight(2, 1), fresh.weight(2, 2)}).containsExactly(seedRow);
      assertThat(fresh.nextWrittenRow(0)).isEqualTo(-1);
    }
    assertThatThrownBy(() -> bag.putRows(1, unseen)).hasMessage("embedding 'f': row 1: expected a seen row, as this "
        + "table's, got an unseen one (the seed's, which only a table that has not seen the row holds)");
  }

  @Test
  void aLastStepBeyondWhatAFloatHoldsExactlyComesBackExactly() throws IOException {
    long steps = (1L << 62) + 12345;
    byte[] saved = BinaryState.toBytes(out -> {
      out.writeLong(steps);
      out.writeInt(1);
      out.writeInt(5);
      out.writeLong(steps - 7);
      for (int k = 0; k < 2 * DIM; k++) {
        out.writeFloat(k - 2.5f);
      }
    });
    EmbeddingBag bag = bag();
    bag.readFrom(new BinaryState.Bytes(saved));
    assertThat(BinaryState.toBytes(rebuilt(bag, 16)::writeTo)).isEqualTo(saved);
  }

  /**
   * Rows put back from apart are checked as read ones are ({@link EmbeddingBag#readFrom}), by the same rule: a seen
   * row's AdaGrad accumulators finite and not below 0. A refused block changes no row; an unseen row's floats are not
   * read, so not checked.
   */
  @Test
  void putRowsRefusesAnAccumulatorBelowZeroOrNotFiniteNamingTheRowAndChangesNothing() throws IOException {
    EmbeddingBag bag = bag();
    step(bag, ids(1, 4));
    assertThat(bag.nextWrittenRow(0)).isEqualTo(1);
    assertThat(bag.nextWrittenRow(2)).isEqualTo(4);
    int width = bag.rowWidth();
    for (float forged : new float[] {-1f, Float.NaN, Float.POSITIVE_INFINITY}) {
      float[] block = bag.copyRows(0, 5);
      block[4 * width + 4 + DIM + 2] = forged;
      EmbeddingBag rebuilt = bag();
      rebuilt.readFrom(new BinaryState.Bytes(BinaryState.toBytes(bag::writeWithoutRowsTo)));
      assertThatIllegalArgumentException().isThrownBy(() -> rebuilt.putRows(0, block))
          .withMessage("embedding 'f': putRows: AdaGrad accumulator of row 4, index 2: expected a finite number >= 0, "
              + "got " + forged);
      assertThat(rebuilt.nextWrittenRow(0)).as("no row put, not even row 1 before").isEqualTo(-1);
    }
    float[] unseen = bag.copyRows(2, 1);
    Arrays.fill(unseen, 4, unseen.length, -1f);
    EmbeddingBag fresh = bag();
    fresh.putRows(2, unseen);
    assertThat(fresh.nextWrittenRow(0)).as("an unseen row's floats are not read").isEqualTo(-1);
  }

  @Test
  void rowsOfTheWrongWidthOrRangeAreRefused() {
    EmbeddingBag bag = bag();
    assertThat(bag.rowWidth()).as("seen, last step in 3 parts, weights, accumulators").isEqualTo(4 + 2 * DIM);
    assertThatThrownBy(() -> bag.putRows(0, new float[bag.rowWidth() + 1]))
        .hasMessage("embedding 'f': putRows: expected a multiple of 10 floats, got 11");
    assertThatThrownBy(() -> bag.copyRows(30, 8))
        .hasMessage("embedding 'f': rows [30, 30 + 8): expected within [0, 37)");
    float[] row = bag.copyRows(0, 1);
    Arrays.fill(row, 0, 4, 0.5f);
    assertThatThrownBy(() -> bag.putRows(0, row))
        .hasMessage("embedding 'f': row 0: expected a seen flag of 0 or 1 and a last step of whole parts in "
            + "[0, 2^21), got 0.5, 0.5, 0.5, 0.5");
  }
}
