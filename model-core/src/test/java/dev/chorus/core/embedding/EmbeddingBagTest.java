package dev.chorus.core.embedding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.embedding.EmbeddingBag.Combiner;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.SparseBatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class EmbeddingBagTest {

  private static final int BUCKETS = 10;
  private static final int DIM = 3;

  private static EmbeddingBag bag(Combiner combiner, double l2) {
    return EmbeddingBag.create("f", BUCKETS, DIM, combiner, 0.1, l2, SplitMix64.seeded(11));
  }

  /** Three examples: ids 1 (twice) and 4; none; id 7 once and 4 three times. Rows 0, 2, 3, 5, 6, 8, 9 never occur. */
  private static SparseBatch ids() {
    SparseBatch ids = new SparseBatch(BUCKETS);
    ids.add(new int[] {1, 4}, new float[] {2, 1});
    ids.add(new int[0], new float[0]);
    ids.add(new int[] {4, 7}, new float[] {3, 1});
    return ids;
  }

  /** {@code Σ R · bags}, in double, with {@code R} fixed weights per output. */
  private static double objective(EmbeddingBag bag, SparseBatch ids, float[] r) {
    float[] out = new float[ids.rows() * DIM];
    bag.forward(ids, out, DIM, 0);
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) r[i] * out[i];
    }
    return sum;
  }

  @ParameterizedTest
  @EnumSource(Combiner.class)
  void backwardMatchesFiniteDifferencesAndTouchesOnlyRowsThatOccurred(Combiner combiner) {
    EmbeddingBag bag = bag(combiner, 0);
    SparseBatch ids = ids();
    Random random = new Random(3);
    float[] r = new float[ids.rows() * DIM];
    for (int i = 0; i < r.length; i++) {
      r[i] = random.nextFloat() * 2 - 1;
    }
    bag.backward(ids, r, DIM, 0);
    float h = 1e-2f;
    for (int row = 0; row < BUCKETS; row++) {
      for (int k = 0; k < DIM; k++) {
        float stored = bag.storedWeight(row, k);
        bag.setStoredWeight(row, k, stored + h);
        double plus = objective(bag, ids, r);
        bag.setStoredWeight(row, k, stored - h);
        double minus = objective(bag, ids, r);
        bag.setStoredWeight(row, k, stored);
        double numeric = (plus - minus) / (2 * h);
        assertThat((double) bag.gradient(row, k)).as("%s row %d coordinate %d", combiner, row, k)
            .isCloseTo(numeric, within(1e-4 + 1e-3 * Math.abs(numeric)));
        if (row != 1 && row != 4 && row != 7) {
          assertThat(bag.gradient(row, k)).isZero();
        }
      }
    }
    // A mean weighs id 4 by 1/3 in the first example and 3/4 in the third; a sum by 1 and 3.
    float expected = combiner == Combiner.MEAN ? r[0] / 3 + 0.75f * r[2 * DIM] : r[0] + 3 * r[2 * DIM];
    assertThat(bag.gradient(4, 0)).isCloseTo(expected, within(1e-6f));
  }

  @Test
  void aStepChangesTheRowsThatOccurredAndLeavesEveryOtherBitAsItWas() {
    EmbeddingBag bag = bag(Combiner.SUM, 0);
    float[] before = new float[BUCKETS * DIM];
    for (int i = 0; i < before.length; i++) {
      before[i] = bag.storedWeight(i / DIM, i % DIM);
    }
    SparseBatch ids = ids();
    float[] gradOut = new float[ids.rows() * DIM];
    java.util.Arrays.fill(gradOut, 0.5f);
    bag.backward(ids, gradOut, DIM, 0);
    assertThat(bag.step()).isNull();
    for (int row = 0; row < BUCKETS; row++) {
      for (int k = 0; k < DIM; k++) {
        float now = bag.storedWeight(row, k);
        if (row == 1 || row == 4 || row == 7) {
          assertThat(now).as("row %d", row).isNotEqualTo(before[row * DIM + k]);
        } else {
          assertThat(Float.floatToRawIntBits(now)).as("row %d", row)
              .isEqualTo(Float.floatToRawIntBits(before[row * DIM + k]));
        }
        assertThat(bag.gradient(row, k)).isZero();
      }
    }
    bag.undoStep();
    for (int i = 0; i < before.length; i++) {
      assertThat(bag.storedWeight(i / DIM, i % DIM)).isEqualTo(before[i]);
    }
    assertThat(bag.steps()).isZero();
  }

  /**
   * A step undone, whether by {@link EmbeddingBag#undoStep} or by the step itself (a weight would not be finite),
   * leaves the table equal to one that never took it: values, last steps, seen rows (the rows the step saw first are
   * unseen again), changed rows, step count and saved bytes; and the next step gives equal tables.
   */
  @Test
  void aStepUndoneLeavesTheTableAsIfItHadNeverBeenTaken() throws IOException {
    for (boolean overflow : new boolean[] {false, true}) {
      EmbeddingBag undone = bag(Combiner.SUM, 0.2);
      EmbeddingBag never = bag(Combiner.SUM, 0.2);
      undone.changedRows();
      never.changedRows();
      for (EmbeddingBag bag : new EmbeddingBag[] {undone, never}) {
        bag.backward(single(1), new float[] {0.5f, 0.5f, 0.5f}, DIM, 0);
        assertThat(bag.step()).isNull();
        bag.changedRows().clear();
        bag.changedRows().add(4);
        if (overflow) {
          bag.setStoredWeight(7, 0, Float.POSITIVE_INFINITY);
        }
      }
      // Row 1 seen before, rows 4 (listed as changed) and 7 first seen by the step undone.
      SparseBatch ids = new SparseBatch(BUCKETS);
      ids.add(new int[] {1, 4, 7}, new float[] {1, 1, 1});
      undone.backward(ids, new float[] {0.5f, 0.5f, 0.5f}, DIM, 0);
      if (overflow) {
        assertThat(undone.step()).as("the step rolls itself back").startsWith("weight ");
      } else {
        assertThat(undone.step()).isNull();
        undone.undoStep();
      }
      String as = overflow ? "rolled back by the step" : "undone";
      assertSameTable(undone, never, as);

      SparseBatch next = new SparseBatch(BUCKETS);
      next.add(new int[] {1, 4}, new float[] {2, 1});
      for (EmbeddingBag bag : new EmbeddingBag[] {undone, never}) {
        bag.backward(next, new float[] {-0.3f, -0.3f, -0.3f}, DIM, 0);
        assertThat(bag.step()).isNull();
      }
      assertSameTable(undone, never, as + ", then stepped");
    }
  }

  private static void assertSameTable(EmbeddingBag actual, EmbeddingBag expected, String as) throws IOException {
    assertThat(actual.steps()).as(as + ": steps").isEqualTo(expected.steps());
    for (int row = 0; row < BUCKETS; row++) {
      assertThat(actual.nextWrittenRow(row)).as(as + ": seen rows from %d", row)
          .isEqualTo(expected.nextWrittenRow(row));
    }
    assertThat(saved(actual)).as(as + ": saved bytes").containsExactly(saved(expected));
    for (int row = 0; row < BUCKETS; row++) {
      assertThat(actual.changedRows().contains(row)).as(as + ": row %d changed", row)
          .isEqualTo(expected.changedRows().contains(row));
    }
    assertThat(actual.changedRows().size()).as(as + ": changed rows").isEqualTo(expected.changedRows().size());
    assertThat(values(actual)).as(as + ": values").containsExactly(values(expected));
    assertThat(actual.copyRows(0, BUCKETS)).as(as + ": rows apart").containsExactly(expected.copyRows(0, BUCKETS));
    assertThat(actual.savedSize()).as(as + ": saved size").isEqualTo(expected.savedSize());
  }

  private static byte[] saved(EmbeddingBag bag) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bag.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  /**
   * Lazy decay equals the dense rule (every row times {@code 1 − ηλ} each step, then AdaGrad on the touched rows)
   * for rows touched often, rarely and never.
   */
  @Test
  void lazyL2EqualsDecayingEveryRowEveryStep() {
    double lr = 0.1;
    double l2 = 0.5;
    EmbeddingBag bag = EmbeddingBag.create("f", BUCKETS, DIM, Combiner.MEAN, lr, l2, SplitMix64.seeded(11));
    float[] w = new float[BUCKETS * DIM];
    float[] g2 = new float[BUCKETS * DIM];
    for (int i = 0; i < w.length; i++) {
      w[i] = bag.storedWeight(i / DIM, i % DIM);
    }
    Random random = new Random(5);
    for (int step = 0; step < 40; step++) {
      // Row 0 every step, row 9 every tenth, rows 1..3 at random, the others never.
      int other = 1 + random.nextInt(3);
      int[] rows = step % 10 == 9 ? new int[] {0, other, 9} : new int[] {0, other};
      SparseBatch ids = new SparseBatch(BUCKETS);
      ids.add(rows, new float[rows.length]);
      java.util.Arrays.fill(ids.values(), 0, rows.length, 1f);
      float[] gradOut = new float[DIM];
      for (int k = 0; k < DIM; k++) {
        gradOut[k] = random.nextFloat() - 0.5f;
      }
      bag.backward(ids, gradOut, DIM, 0);
      assertThat(bag.step()).isNull();
      for (int i = 0; i < w.length; i++) {
        w[i] *= (float) (1 - lr * l2);
      }
      for (int row : rows) {
        for (int k = 0; k < DIM; k++) {
          float g = gradOut[k] / rows.length;
          int i = row * DIM + k;
          g2[i] += g * g;
          w[i] -= (float) lr * g / ((float) Math.sqrt(g2[i]) + 1e-8f);
        }
      }
    }
    for (int i = 0; i < w.length; i++) {
      assertThat(bag.weight(i / DIM, i % DIM)).as("row %d coordinate %d", i / DIM, i % DIM)
          .isCloseTo(w[i], within(1e-5f + 1e-4f * Math.abs(w[i])));
    }
    assertThat(Math.abs(bag.weight(5, 0))).as("an unseen row has decayed").isLessThan(Math.abs(bag.storedWeight(5, 0)));
  }

  @Test
  void savedRowsAndTheSeedGiveTheSameTableAndTheSameNextStep() throws IOException {
    EmbeddingBag bag = bag(Combiner.MEAN, 0.2);
    SparseBatch ids = ids();
    float[] gradOut = new float[ids.rows() * DIM];
    java.util.Arrays.fill(gradOut, -0.3f);
    bag.backward(ids, gradOut, DIM, 0);
    bag.step();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bag.writeTo(new DataOutputStream(bytes));
    EmbeddingBag read = bag(Combiner.MEAN, 0.2);
    read.readFrom(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
    EmbeddingBag copy = bag.copy();
    for (EmbeddingBag other : new EmbeddingBag[] {read, copy}) {
      bag.backward(ids, gradOut, DIM, 0);
      other.backward(ids, gradOut, DIM, 0);
      bag.step();
      other.step();
      for (int i = 0; i < BUCKETS * DIM; i++) {
        assertThat(other.storedWeight(i / DIM, i % DIM)).isEqualTo(bag.storedWeight(i / DIM, i % DIM));
        assertThat(other.weight(i / DIM, i % DIM)).isEqualTo(bag.weight(i / DIM, i % DIM));
      }
      bag.undoStep();
    }
    assertThat(read.steps()).isEqualTo(2);
  }

  /**
   * A saved row's AdaGrad accumulator, a sum of squares, must be finite and not below 0: a negative one made the row
   * NaN at its next step. The saved rows end with row 7's accumulators.
   */
  @Test
  void aSavedAccumulatorBelowZeroOrNotFiniteIsRefusedNamingTheRow() throws IOException {
    EmbeddingBag bag = bag(Combiner.SUM, 0);
    float[] gradOut = new float[3 * DIM];
    Arrays.fill(gradOut, 0.5f);
    bag.backward(ids(), gradOut, DIM, 0);
    assertThat(bag.step()).isNull();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bag.writeTo(new DataOutputStream(bytes));
    for (float forged : new float[] {-1f, Float.NaN}) {
      byte[] saved = bytes.toByteArray();
      java.nio.ByteBuffer.wrap(saved).putFloat(saved.length - 4, forged);
      assertThatIOException(() -> bag(Combiner.SUM, 0).readFrom(new DataInputStream(new ByteArrayInputStream(saved))),
          "embedding 'f': AdaGrad accumulator of row 7, index 2: expected a finite number >= 0, stream has " + forged);
    }
  }

  private static void assertThatIOException(org.assertj.core.api.ThrowableAssert.ThrowingCallable call,
      String message) {
    org.assertj.core.api.Assertions.assertThatIOException().isThrownBy(call).withMessage(message);
  }

  /** Every coordinate's current value, decay included, rows never stepped too. */
  private static float[] values(EmbeddingBag bag) {
    float[] values = new float[BUCKETS * DIM];
    for (int row = 0; row < BUCKETS; row++) {
      for (int k = 0; k < DIM; k++) {
        values[row * DIM + k] = bag.weight(row, k);
      }
    }
    return values;
  }

  private static void steps(EmbeddingBag bag, int count) {
    float[] r = new float[3 * DIM];
    Arrays.fill(r, 0.5f);
    for (int s = 0; s < count; s++) {
      bag.backward(s == 0 ? ids() : single(1), r, DIM, 0);
      assertThat(bag.step()).isNull();
    }
  }

  private static SparseBatch single(int id) {
    SparseBatch ids = new SparseBatch(BUCKETS);
    ids.add(new int[] {id}, new float[] {1});
    return ids;
  }

  /**
   * A warm start ({@link EmbeddingBag#startFrom}) gives every row, stepped or not, the source's current value, with
   * or without its accumulators; from a table of another decay only when the source owes none.
   */
  @Test
  void aStartedTableHoldsItsSourcesValuesAndOwesOnlyTheDebtsItCanHold() {
    EmbeddingBag plain = bag(Combiner.SUM, 0);
    steps(plain, 30);
    EmbeddingBag decaying = EmbeddingBag.create("f", BUCKETS, DIM, Combiner.SUM, 0.1, 2, SplitMix64.seeded(11));
    decaying.startFrom(plain, false);
    assertThat(values(decaying)).containsExactly(values(plain));
    assertThat(decaying.steps()).isZero();
    EmbeddingBag alike = bag(Combiner.SUM, 0);
    alike.startFrom(plain, true);
    steps(plain, 1);
    steps(alike, 1);
    assertThat(values(alike)).as("carried accumulators step as the source's").containsExactly(values(plain));

    EmbeddingBag owing = bag(Combiner.SUM, 2);
    steps(owing, 30);
    EmbeddingBag same = bag(Combiner.SUM, 2);
    same.startFrom(owing, true);
    assertThat(values(same)).containsExactly(values(owing));
    assertThatIllegalArgumentException()
        .isThrownBy(() -> bag(Combiner.SUM, 0).startFrom(owing, true))
        .withMessage("embedding 'f': expected a table to start from that decays by 1.0 per step as this one does, "
            + "or owes no decay, got one that decays by 0.8 after 30 steps");
    assertThatIllegalStateException().isThrownBy(() -> same.startFrom(owing, true))
        .withMessageStartingWith("embedding 'f': expected a fresh table to start, got one of 30 steps");
  }
}
