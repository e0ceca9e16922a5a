package dev.chorus.core.embedding;

import dev.chorus.core.io.ChunkedWriter;
import dev.chorus.core.nn.WeightInit;
import dev.chorus.core.optim.AdaGrad;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.Finite;
import dev.chorus.core.tensor.Matrix;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.core.tensor.TouchedRows;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * One field's embedding table, {@code buckets × dim} floats, and its bags: an example's ids of the field (a
 * {@link SparseBatch} row whose column is the bucket and whose value is how often it occurs) select rows that are
 * summed, or averaged over the occurrences ({@link Combiner}); a row without ids is the zero vector. The backward
 * pass accumulates gradients into the rows that occurred only, and a step updates only those rows.
 *
 * <p>Training: AdaGrad per coordinate ({@link AdaGrad#update}, epsilon {@link AdaGradSpec#DEFAULT_EPSILON}) at a
 * constant {@code learningRate} η, with decoupled L2 decay λ (Loshchilov and Hutter, "Decoupled Weight Decay
 * Regularization", ICLR 2019): every step multiplies every row by {@code d = 1 − η·λ} before the AdaGrad step of the
 * rows the minibatch touched. Lazily: each row remembers the step it was last brought up to date; a row last updated
 * at step {@code s} is worth its stored value times {@code d^(t − s)} at step {@code t}, which reads use and a step
 * of the row makes stored. This equals the dense rule up to float rounding, for rows seen rarely as for rows seen
 * often; with λ = 0 an unseen row's bits never change.
 *
 * <p>Initialisation: Glorot uniform with fan-in and fan-out {@code dim} ({@code U(±√(3/dim))}), drawn row after row
 * from the generator given, so that a row that never occurred is known from the seed and is not saved.
 *
 * <p>Memory per parameter ({@code buckets × dim}): 4 bytes of weight, 4 of AdaGrad accumulator, 4 of gradient
 * scratch; per row 8 bytes for its last step and 2 bits (touched, seen); during a step, 12 bytes per touched
 * parameter of backup. Not thread-safe.
 *
 * <p>Rows apart ({@link RowsApart}, for a holder that keeps them elsewhere): a row is its seen flag, its last step in
 * three whole floats of {@value #STEP_BITS} bits each (exact in a float's 24-bit significand), its values and its
 * accumulators; the written rows are the seen ones. An unseen row is the seed's, which a fresh table holds already:
 * it is copied as zeros (so that a block of mostly unseen rows compresses), and putting it leaves the row as it is.
 */
public final class EmbeddingBag implements RowsApart {

  /** Bits of a row's last step per float of {@link #copyRows}: three of them hold any step count. */
  private static final int STEP_BITS = 21;
  /** Floats before a row's values in {@link #copyRows}: the seen flag and the last step's three parts. */
  private static final int ROW_HEADER = 4;
  /** {@link #backupMarks}: the row was seen before the step. */
  private static final byte WAS_SEEN = 1;
  /** {@link #backupMarks}: the row was in {@link #changed} before the step. */
  private static final byte WAS_CHANGED = 2;

  /** How the rows of one example's ids are combined into its bag. */
  public enum Combiner {
    SUM("sum"),
    MEAN("mean");

    private final String label;

    Combiner(String label) {
      this.label = label;
    }

    /** The name in model specs. */
    public String label() {
      return label;
    }
  }

  private final String name;
  private final int buckets;
  private final int dim;
  private final Combiner combiner;
  private final float learningRate;
  private final double l2;
  private final double decay;
  private final float[] weights;
  private final float[] accumulators;
  private final float[] gradient;
  private final long[] lastStep;
  private final long[] touched;
  private final long[] seen;
  /**
   * The touched rows' weights, accumulators, last steps and marks before the last step, to undo it: whether each
   * was seen ({@link #WAS_SEEN}) and listed as changed ({@link #WAS_CHANGED}).
   */
  private float[] backup = new float[0];
  private long[] backupSteps = new long[0];
  private byte[] backupMarks = new byte[0];
  /** Whether {@link #touched} still marks the rows of the last step, which {@link #undoStep} may restore. */
  private boolean undoable;
  /** Rows the steps changed since their holder last cleared it ({@link #changedRows}); null until asked for. */
  private TouchedRows changed;
  private long steps;

  private EmbeddingBag(String name, int buckets, int dim, Combiner combiner, double learningRate, double l2) {
    if ((long) buckets * dim > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("embedding '" + name + "': " + buckets + " buckets × " + dim
          + " dimensions exceed a Java array");
    }
    this.name = name;
    this.buckets = buckets;
    this.dim = dim;
    this.combiner = combiner;
    this.learningRate = (float) learningRate;
    this.l2 = l2;
    this.decay = 1 - learningRate * l2;
    if (!(decay > 0)) {
      throw new IllegalArgumentException("embedding '" + name + "': expected learningRate × l2 < 1, got "
          + learningRate * l2);
    }
    this.weights = new float[buckets * dim];
    this.accumulators = new float[buckets * dim];
    this.gradient = new float[buckets * dim];
    this.lastStep = new long[buckets];
    this.touched = new long[(buckets >>> 6) + 1];
    this.seen = new long[(buckets >>> 6) + 1];
  }

  /** A table initialised from {@code rng}, as the class comment says. */
  public static EmbeddingBag create(String name, int buckets, int dim, Combiner combiner, double learningRate,
      double l2, SplitMix64 rng) {
    EmbeddingBag bag = new EmbeddingBag(name, buckets, dim, combiner, learningRate, l2);
    WeightInit.GLOROT_UNIFORM.fill(Matrix.wrap(buckets, dim, bag.weights), dim, dim, 0, rng);
    return bag;
  }

  /** Null when every stored weight of the rows a step has changed is finite, else which is not and where. */
  public String firstNonFinite() {
    return Finite.firstNonFinite("embedding table '" + name + "' weight", weights, dim, seen);
  }

  public int dim() {
    return dim;
  }

  public int buckets() {
    return buckets;
  }

  /** Steps applied (and not undone). */
  public long steps() {
    return steps;
  }

  /** What a stored value of {@code row} is worth now: the decay of the steps since the row was last updated. */
  private float factor(int row) {
    long behind = steps - lastStep[row];
    return behind == 0 ? 1f : (float) Math.pow(decay, behind);
  }

  /** 1 for a sum, 1 over the occurrences for a mean; 0 for a row without ids. */
  private float scale(SparseBatch ids, int r) {
    if (combiner == Combiner.SUM) {
      return 1f;
    }
    float total = 0;
    for (int e = ids.rowStart(r); e < ids.rowStart(r + 1); e++) {
      total += ids.values()[e];
    }
    return total == 0 ? 0f : 1f / total;
  }

  private void requireIds(SparseBatch ids) {
    if (ids.columns() != buckets) {
      throw new IllegalArgumentException("embedding '" + name + "': expected ids in [0, " + buckets + "), got a "
          + "batch of " + ids.columns() + " columns");
    }
  }

  /**
   * Each row's bag into {@code out[r · stride + offset ..+ dim)}, for the rows of {@code ids}; changes no state,
   * so it serves training and inference alike.
   */
  public void forward(SparseBatch ids, float[] out, int stride, int offset) {
    requireIds(ids);
    for (int r = 0; r < ids.rows(); r++) {
      int base = r * stride + offset;
      Arrays.fill(out, base, base + dim, 0f);
      float scale = scale(ids, r);
      for (int e = ids.rowStart(r); e < ids.rowStart(r + 1); e++) {
        int row = ids.indices()[e];
        float weight = ids.values()[e] * scale * factor(row);
        for (int k = 0, w = row * dim; k < dim; k++, w++) {
          out[base + k] += weight * weights[w];
        }
      }
    }
  }

  /**
   * Adds to the rows that occurred in {@code ids} the gradient of the objective given its gradient with respect
   * to the bags, {@code gradOut[r · stride + offset ..+ dim)}; the gradient is with respect to the rows' current
   * (decayed) values.
   */
  public void backward(SparseBatch ids, float[] gradOut, int stride, int offset) {
    requireIds(ids);
    if (undoable) {
      Arrays.fill(touched, 0L);
      undoable = false;
    }
    for (int r = 0; r < ids.rows(); r++) {
      int base = r * stride + offset;
      float scale = scale(ids, r);
      for (int e = ids.rowStart(r); e < ids.rowStart(r + 1); e++) {
        int row = ids.indices()[e];
        touched[row >>> 6] |= 1L << row;
        float weight = ids.values()[e] * scale;
        for (int k = 0, w = row * dim; k < dim; k++, w++) {
          gradient[w] += weight * gradOut[base + k];
        }
      }
    }
  }

  /** The accumulated gradient of coordinate {@code k} of row {@code row} since the last step. */
  public float gradient(int row, int k) {
    return gradient[row * dim + k];
  }

  /** The current value of coordinate {@code k} of row {@code row}, decay included. */
  public float weight(int row, int k) {
    return weights[row * dim + k] * factor(row);
  }

  /** The stored value of coordinate {@code k} of row {@code row}, before the decay it is owed. */
  public float storedWeight(int row, int k) {
    return weights[row * dim + k];
  }

  /** Sets the stored value of coordinate {@code k} of row {@code row}, for gradient checks. */
  public void setStoredWeight(int row, int k, float value) {
    weights[row * dim + k] = value;
  }

  /** The first gradient that is not finite, described, or {@code null}. */
  public String firstNonFiniteGradient() {
    for (int word = 0; word < touched.length; word++) {
      for (long bits = touched[word]; bits != 0; bits &= bits - 1) {
        int row = word << 6 | Long.numberOfTrailingZeros(bits);
        for (int k = 0; k < dim; k++) {
          if (!Float.isFinite(gradient[row * dim + k])) {
            return "gradient " + gradient[row * dim + k] + " of embedding '" + name + "' row " + row + ", coordinate "
                + k;
          }
        }
      }
    }
    return null;
  }

  /** Forgets the accumulated gradient without a step. */
  public void discardGradient() {
    forEachTouched(row -> Arrays.fill(gradient, row * dim, row * dim + dim, 0f));
    Arrays.fill(touched, 0L);
    undoable = false;
  }

  /**
   * Steps the touched rows: their owed decay, then AdaGrad on the accumulated gradient; clears the gradient.
   *
   * @return null, or why the step was rolled back (a weight or accumulator would not be finite); then every row is
   *     as it was
   */
  public String step() {
    int[] count = {0};
    forEachTouched(row -> count[0]++);
    if (backup.length < count[0] * dim * 2) {
      backup = new float[count[0] * dim * 2];
      backupSteps = new long[count[0]];
      backupMarks = new byte[count[0]];
    }
    int[] at = {0};
    String[] overflow = {null};
    forEachTouched(row -> {
      int slot = at[0]++;
      System.arraycopy(weights, row * dim, backup, slot * dim * 2, dim);
      System.arraycopy(accumulators, row * dim, backup, slot * dim * 2 + dim, dim);
      backupSteps[slot] = lastStep[row];
      backupMarks[slot] = (byte) (((seen[row >>> 6] & 1L << row) != 0 ? WAS_SEEN : 0)
          | (changed != null && changed.contains(row) ? WAS_CHANGED : 0));
      float owed = (float) Math.pow(decay, steps + 1 - lastStep[row]);
      for (int k = 0, w = row * dim; k < dim; k++, w++) {
        weights[w] *= owed;
        AdaGrad.update(weights, accumulators, w, gradient[w], learningRate, (float) AdaGradSpec.DEFAULT_EPSILON);
        gradient[w] = 0f;
        if (overflow[0] == null && !(Float.isFinite(weights[w]) && Float.isFinite(accumulators[w]))) {
          overflow[0] = "weight " + weights[w] + " of embedding '" + name + "' row " + row + ", coordinate " + k
              + " (or its accumulator) would not be finite";
        }
      }
      lastStep[row] = steps + 1;
      seen[row >>> 6] |= 1L << row;
    });
    if (changed != null) {
      forEachTouched(changed::add);
    }
    steps++;
    undoable = true;
    if (overflow[0] != null) {
      undoStep();
    }
    return overflow[0];
  }

  /**
   * Puts the table back as it was before the last {@link #step}: the rows it changed (values, accumulators, last
   * steps, whether seen and whether listed in {@link #changedRows}) and the step count; their gradient stays cleared.
   * A row the step saw first is unseen again, so that saving, copying and warm starts see the table that never took
   * the step.
   */
  public void undoStep() {
    if (!undoable) {
      throw new IllegalStateException("embedding '" + name + "': no step to undo");
    }
    int[] at = {0};
    forEachTouched(row -> {
      int slot = at[0]++;
      System.arraycopy(backup, slot * dim * 2, weights, row * dim, dim);
      System.arraycopy(backup, slot * dim * 2 + dim, accumulators, row * dim, dim);
      lastStep[row] = backupSteps[slot];
      if ((backupMarks[slot] & WAS_SEEN) == 0) {
        seen[row >>> 6] &= ~(1L << row);
      }
      if (changed != null && (backupMarks[slot] & WAS_CHANGED) == 0) {
        changed.remove(row);
      }
    });
    Arrays.fill(touched, 0L);
    undoable = false;
    steps--;
  }

  private void forEachTouched(java.util.function.IntConsumer action) {
    for (int word = 0; word < touched.length; word++) {
      for (long bits = touched[word]; bits != 0; bits &= bits - 1) {
        action.accept(word << 6 | Long.numberOfTrailingZeros(bits));
      }
    }
  }

  /** An independent table with equal values, accumulators, last steps and step count. */
  public EmbeddingBag copy() {
    EmbeddingBag copy = new EmbeddingBag(name, buckets, dim, combiner, learningRate, l2);
    System.arraycopy(weights, 0, copy.weights, 0, weights.length);
    System.arraycopy(accumulators, 0, copy.accumulators, 0, accumulators.length);
    System.arraycopy(lastStep, 0, copy.lastStep, 0, lastStep.length);
    System.arraycopy(seen, 0, copy.seen, 0, seen.length);
    copy.steps = steps;
    return copy;
  }

  /** Writes the step count, then each row a step has changed: index, last step, values, accumulators. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeLong(steps);
    out.writeInt(seenRows());
    ChunkedWriter chunks = new ChunkedWriter(out);
    for (int word = 0; word < seen.length; word++) {
      for (long bits = seen[word]; bits != 0; bits &= bits - 1) {
        int row = word << 6 | Long.numberOfTrailingZeros(bits);
        chunks.writeInt(row);
        chunks.writeLong(lastStep[row]);
        chunks.writeFloats(weights, row * dim, dim);
        chunks.writeFloats(accumulators, row * dim, dim);
      }
    }
    chunks.flush();
  }

  /** {@link #writeTo}'s format without rows: {@link #readFrom} gives a fresh table with this step count. */
  @Override
  public void writeWithoutRowsTo(DataOutput out) throws IOException {
    out.writeLong(steps);
    out.writeInt(0);
  }

  /** How many bytes {@link #writeTo} writes. */
  public long savedSize() {
    return Long.BYTES + Integer.BYTES + seenRows() * (Integer.BYTES + Long.BYTES + 2L * Float.BYTES * dim);
  }

  private int seenRows() {
    int rows = 0;
    for (long word : seen) {
      rows += Long.bitCount(word);
    }
    return rows;
  }

  /** The factor {@code d = 1 − η·λ} by which every row decays per step. */
  public double decay() {
    return decay;
  }

  /**
   * Whether some row's value is not its stored one, owing a decay for the steps since it was last stepped: when the
   * table decays ({@code d < 1}) and has stepped, so that the rows never stepped owe {@code d^steps} too.
   */
  public boolean owesDecay() {
    return decay < 1 && steps > 0;
  }

  /**
   * Makes this fresh table answer as {@code source} does now, then step at its own learning rate and decay: a warm
   * start. Created from the generator {@code source} was, this table already holds the rows {@code source} never
   * stepped; each row it stepped is copied, with its accumulators when {@code carry} (else they stay 0). When the
   * two decay alike, rows keep their last steps and the table its step count, so each row owes what it owed. Else
   * {@code source} must owe nothing ({@link #owesDecay}): its rows' stored values are their values, which owe this
   * table's decay from now on (last steps and step count 0).
   *
   * @throws IllegalArgumentException if the shapes differ, or {@code source} owes a decay at another rate: its
   *     rows never stepped owe it too, and this table holds no debt for rows it does not store
   * @throws IllegalStateException if this table has stepped or read rows
   */
  public void startFrom(EmbeddingBag source, boolean carry) {
    if (source.buckets != buckets || source.dim != dim || source.combiner != combiner) {
      throw new IllegalArgumentException("embedding '" + name + "': expected a table of " + buckets + " buckets × "
          + dim + " dimensions, " + combiner.label() + ", to start from, got " + source.buckets + " × " + source.dim
          + ", " + source.combiner.label());
    }
    if (steps != 0 || seenRows() != 0) {
      throw new IllegalStateException("embedding '" + name + "': expected a fresh table to start, got one of "
          + steps + " steps and " + seenRows() + " rows stepped");
    }
    boolean alike = source.decay == decay;
    if (!alike && source.owesDecay()) {
      throw new IllegalArgumentException("embedding '" + name + "': expected a table to start from that decays by "
          + decay + " per step as this one does, or owes no decay, got one that decays by " + source.decay
          + " after " + source.steps + " steps");
    }
    for (int row = source.nextWrittenRow(0); row >= 0; row = source.nextWrittenRow(row + 1)) {
      seen[row >>> 6] |= 1L << row;
      lastStep[row] = alike ? source.lastStep[row] : 0;
      System.arraycopy(source.weights, row * dim, weights, row * dim, dim);
      if (carry) {
        System.arraycopy(source.accumulators, row * dim, accumulators, row * dim, dim);
      }
    }
    steps = alike ? source.steps : 0;
  }

  /** Reads what {@link #writeTo} wrote into this table, freshly created from the same generator. */
  public void readFrom(DataInput in) throws IOException {
    steps = in.readLong();
    int rows = in.readInt();
    if (steps < 0 || rows < 0 || rows > buckets) {
      throw new IOException("embedding '" + name + "': steps " + steps + ", rows " + rows + " out of range [0, "
          + buckets + "]");
    }
    int previous = -1;
    for (int r = 0; r < rows; r++) {
      int row = in.readInt();
      long last = in.readLong();
      if (row <= previous || row >= buckets || last < 0 || last > steps) {
        throw new IOException("embedding '" + name + "': row " + row + " (last step " + last + ") after row "
            + previous + ", expected increasing rows in [0, " + buckets + ") last stepped in [0, " + steps + "]");
      }
      previous = row;
      lastStep[row] = last;
      seen[row >>> 6] |= 1L << row;
      for (int k = 0, w = row * dim; k < dim; k++, w++) {
        weights[w] = in.readFloat();
      }
      for (int k = 0, w = row * dim; k < dim; k++, w++) {
        accumulators[w] = in.readFloat();
      }
      String bad = invalidAccumulator(row, accumulators, row * dim, "stream has");
      if (bad != null) {
        throw new IOException("embedding '" + name + "': " + bad);
      }
    }
  }

  /**
   * Why the AdaGrad accumulators of row {@code row}, {@code values[at ..+ dim)}, are ones no step could have left
   * there, or null: a sum of squares, each must be finite and not below 0 (a negative or non-finite one would make the
   * row NaN at its next step). The one rule of every way rows come in: {@link #readFrom} and {@link #putRows}.
   *
   * @param verb how the message introduces the value: {@code "stream has"}, {@code "got"}
   */
  private String invalidAccumulator(int row, float[] values, int at, String verb) {
    for (int k = 0; k < dim; k++) {
      float v = values[at + k];
      if (!(v >= 0 && v < Float.POSITIVE_INFINITY)) {
        return "AdaGrad accumulator of row " + row + ", index " + k + ": expected a finite number >= 0, " + verb + " "
            + v;
      }
    }
    return null;
  }

  /** The number of rows: one per bucket. */
  @Override
  public int rows() {
    return buckets;
  }

  @Override
  public int rowWidth() {
    return ROW_HEADER + 2 * dim;
  }

  /** The first seen row (one a step has changed) from {@code from} on, or -1. */
  @Override
  public int nextWrittenRow(int from) {
    return RowsApart.nextSetBit(seen, from);
  }

  @Override
  public float[] copyRows(int from, int count) {
    requireRows(from, count);
    int width = rowWidth();
    float[] copy = new float[count * width];
    for (int r = 0, at = 0; r < count; r++, at += width) {
      int row = from + r;
      if ((seen[row >>> 6] & 1L << row) == 0) {
        continue;
      }
      long last = lastStep[row];
      copy[at] = 1f;
      for (int part = 0; part < 3; part++) {
        copy[at + 1 + part] = (last >>> part * STEP_BITS) & ((1L << STEP_BITS) - 1);
      }
      System.arraycopy(weights, row * dim, copy, at + ROW_HEADER, dim);
      System.arraycopy(accumulators, row * dim, copy, at + ROW_HEADER + dim, dim);
    }
    return copy;
  }

  /**
   * Puts seen rows as they are; an unseen row's floats are not read (the seed's row stays), see the class comment.
   *
   * @throws IllegalArgumentException, changing no row, if a row's header is not one {@link #copyRows} writes, an
   *     unseen row would replace a seen one, or a seen row's accumulators are ones no step could have left there
   *     ({@link #invalidAccumulator}, the rule {@link #readFrom} applies)
   */
  @Override
  public void putRows(int from, float[] rows) {
    int width = rowWidth();
    if (rows.length % width != 0) {
      throw new IllegalArgumentException("embedding '" + name + "': putRows: expected a multiple of " + width
          + " floats, got " + rows.length);
    }
    requireRows(from, rows.length / width);
    for (int at = 0, row = from; at < rows.length; at += width, row++) {
      boolean whole = rows[at] == 0f || rows[at] == 1f;
      for (int part = 0; part < 3; part++) {
        float value = rows[at + 1 + part];
        whole &= value >= 0 && value < 1 << STEP_BITS && value == Math.rint(value);
      }
      if (!whole) {
        throw new IllegalArgumentException("embedding '" + name + "': row " + row + ": expected a seen flag of 0 or 1"
            + " and a last step of whole parts in [0, 2^" + STEP_BITS + "), got " + rows[at] + ", " + rows[at + 1]
            + ", " + rows[at + 2] + ", " + rows[at + 3]);
      }
      boolean wasSeen = (seen[row >>> 6] & 1L << row) != 0;
      if (rows[at] == 0f && wasSeen) {
        throw new IllegalArgumentException("embedding '" + name + "': row " + row + ": expected a seen row, as this "
            + "table's, got an unseen one (the seed's, which only a table that has not seen the row holds)");
      }
      String bad = rows[at] == 0f ? null : invalidAccumulator(row, rows, at + ROW_HEADER + dim, "got");
      if (bad != null) {
        throw new IllegalArgumentException("embedding '" + name + "': putRows: " + bad);
      }
    }
    for (int at = 0, row = from; at < rows.length; at += width, row++) {
      if (rows[at] == 0f) {
        continue;
      }
      long last = 0;
      for (int part = 0; part < 3; part++) {
        last |= (long) rows[at + 1 + part] << part * STEP_BITS;
      }
      lastStep[row] = last;
      seen[row >>> 6] |= 1L << row;
      System.arraycopy(rows, at + ROW_HEADER, weights, row * dim, dim);
      System.arraycopy(rows, at + ROW_HEADER + dim, accumulators, row * dim, dim);
    }
  }

  private void requireRows(int from, int count) {
    RowsApart.requireRange("embedding '" + name + "': ", from, count, buckets);
  }

  /** The rows each step has changed since the caller last cleared this set: kept from the first call on. */
  @Override
  public TouchedRows changedRows() {
    if (changed == null) {
      changed = new TouchedRows(buckets);
    }
    return changed;
  }
}
