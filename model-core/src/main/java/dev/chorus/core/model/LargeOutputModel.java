package dev.chorus.core.model;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.embedding.EmbeddingBag;
import dev.chorus.core.embedding.EmbeddingBag.Combiner;
import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.SgdSpec;
import dev.chorus.core.output.HierarchicalSoftmax;
import dev.chorus.core.output.HierarchicalSoftmaxSpec;
import dev.chorus.core.output.RowGradients;
import dev.chorus.core.output.SampledSoftmax;
import dev.chorus.core.output.SampledSoftmaxSpec;
import dev.chorus.core.output.Scored;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.SparseBatch;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * A classifier over up to {@value #MAX_CLASSES} classes ({@code "algorithm":"large-softmax"}): an example's named
 * fields hashed ({@link ModelSpec#hashing()}) into sparse features, an {@link EmbeddingBag} of them of {@code dim}
 * floats (their sum, or their mean weighted by the features' absolute values, as hashed values carry a sign), and an
 * output layer of the spec's {@code output} ({@link LargeOutputSpec}): a {@link SampledSoftmax} (sampled softmax,
 * or negative sampling) or a {@link HierarchicalSoftmax}.
 *
 * <p>Training, per minibatch: the bags, the output layer's loss and its gradient (the sampled one draws its classes
 * for the minibatch), then one step: the output rows touched by plain SGD at the optimizer's learning rate
 * ({@code "optimizer":{"type":"sgd"}}, constant schedule), the embedding rows touched by AdaGrad at the same rate.
 * A minibatch whose loss or bag gradient is not finite, or whose embedding step or output-layer step would overflow, is
 * a {@link NonFiniteUpdateException} and changes no parameter (the sampler's generator has moved on): the output
 * rows' step backs up each row it changes and puts them all back when one would not be finite, and the embedding
 * step is undone.
 *
 * <p>Inference is exact: {@link #predictTopK} scans all classes' logits for the sampled layers (the full softmax,
 * which the sampled objective estimates: the correction at inference, O(C·d)), and searches the tree best-first for
 * the hierarchical one. The hierarchical tree is a Huffman tree over frequencies taken from the class ids: like the
 * sampled layers' log-uniform proposal, it assumes ids numbered by decreasing frequency and gives class {@code c} a
 * Zipf count ∝ {@code 1/(c + 1)}, so the tree is the spec's, never state.
 *
 * <p>Saved bytes ({@link #toBytes}, format {@value #FORMAT_VERSION}, first int {@link #MAGIC}): the spec, the
 * counts, the embedding rows stepped ({@link EmbeddingBag#writeTo}), the output layer's non-zero rows (and the
 * sampler's generator). Not thread-safe.
 */
public final class LargeOutputModel implements Predictor {

  /** "CHLO": the first int of a saved large-output model. */
  public static final int MAGIC = 0x43484C4F;
  public static final int FORMAT_VERSION = 1;
  public static final int MAX_CLASSES = 1_000_000;

  private final ModelSpec spec;
  /** The spec's JSON, encoded once: every write holds it, with the rows apart every record's. */
  private final byte[] specJson;
  private final LargeOutputSpec output;
  private final EmbeddingBag embedding;
  /** Exactly one of the two layers, as the output type says. */
  private final SampledSoftmax sampled;
  private final HierarchicalSoftmax hierarchical;
  private final RowGradients gradient;
  /** The last minibatch's rows as the table reads them ({@link #bagInputs}). */
  private SparseBatch ids;
  private float[] bags = new float[0];
  private float[] bagGradient = new float[0];
  private long steps;
  private long examplesSeen;
  private RowsApart rowsApart;

  private LargeOutputModel(ModelSpec spec) {
    this.spec = spec;
    this.specJson = spec.toJson().getBytes(StandardCharsets.UTF_8);
    this.output = spec.output();
    int dim = output.dim();
    float learningRate = (float) spec.optimizer().learningRate();
    SplitMix64 rng = SplitMix64.seeded(spec.seed());
    // The bag's mean is taken here, over absolute values (hashed values are signed): the table sums.
    this.embedding = EmbeddingBag.create("fields", spec.inputDim(), dim, Combiner.SUM, learningRate, 0, rng);
    int classes = spec.numClasses();
    this.sampled = switch (output.type()) {
      case SAMPLED_SOFTMAX -> new SampledSoftmax(new SampledSoftmaxSpec(classes, output.samples(),
          SampledSoftmaxSpec.Objective.SAMPLED_SOFTMAX), dim, rng.nextLong());
      case NEGATIVE_SAMPLING -> new SampledSoftmax(new SampledSoftmaxSpec(classes, output.samples(),
          SampledSoftmaxSpec.Objective.NEGATIVE_SAMPLING), dim, rng.nextLong());
      case HIERARCHICAL_SOFTMAX -> null;
    };
    this.hierarchical = sampled != null ? null : new HierarchicalSoftmax(
        new HierarchicalSoftmaxSpec(classes, HierarchicalSoftmaxSpec.DEFAULT_COUNT_PREFIX), dim, rankCounts(classes));
    this.gradient = new RowGradients(dim);
  }

  /** A fresh model of {@code spec}, whose algorithm must be {@code large-softmax}. */
  public static LargeOutputModel create(ModelSpec spec) {
    if (!spec.algorithm().equals(ModelSpec.LARGE_SOFTMAX)) {
      throw new IllegalArgumentException("LargeOutputModel: expected algorithm \"" + ModelSpec.LARGE_SOFTMAX
          + "\", got \"" + spec.algorithm() + "\"");
    }
    return new LargeOutputModel(spec);
  }

  /** Zipf counts by rank, {@code ⌊2^40/(c + 1)⌋}: what the tree assumes of ids numbered by decreasing frequency. */
  static long[] rankCounts(int classes) {
    long[] counts = new long[classes];
    for (int c = 0; c < classes; c++) {
      counts[c] = (1L << 40) / (c + 1);
    }
    return counts;
  }

  /** Checks what a {@code large-softmax} spec may ask for; {@link ModelSpec} calls this for that algorithm. */
  static void requireSupported(ModelSpec spec) {
    HashingSpec hashing = spec.hashing();
    if (hashing == null) {
      throw new IllegalArgumentException("ModelSpec key 'hashing': expected an object like {\"bits\":18} with "
          + "algorithm " + ModelSpec.LARGE_SOFTMAX + ", got nothing (key missing)");
    }
    LargeOutputSpec output = spec.output();
    if (output == null) {
      throw new IllegalArgumentException("ModelSpec key 'output': expected an object like " + LargeOutputSpec.EXAMPLE
          + " with algorithm " + ModelSpec.LARGE_SOFTMAX + ", got nothing (key missing)");
    }
    if (spec.inputDim() != hashing.dimension()) {
      throw new IllegalArgumentException("ModelSpec key 'inputDim': expected 2^hashing.bits = " + hashing.dimension()
          + ", got " + spec.inputDim());
    }
    if (spec.numClasses() > MAX_CLASSES) {
      throw new IllegalArgumentException("ModelSpec key 'numClasses': expected an integer in [2, " + MAX_CLASSES
          + "] with algorithm " + ModelSpec.LARGE_SOFTMAX + ", got " + spec.numClasses());
    }
    long weights = Math.max((long) spec.numClasses(), hashing.dimension()) * output.dim();
    if (weights > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("ModelSpec key 'output.dim': max(numClasses, 2^hashing.bits) × dim = "
          + weights + " weights exceed a Java array");
    }
    if (output.topK() > spec.numClasses()) {
      throw new IllegalArgumentException("ModelSpec key 'output.topK': expected at most numClasses = "
          + spec.numClasses() + ", got " + output.topK());
    }
    if (!spec.optimizer().type().equals(SgdSpec.TYPE)) {
      throw new IllegalArgumentException("ModelSpec key 'optimizer.type': expected \"sgd\" for algorithm "
          + ModelSpec.LARGE_SOFTMAX + " (its rows are stepped sparsely), got \"" + spec.optimizer().type() + "\"");
    }
    if (!(spec.schedule() instanceof LearningRateSchedule.Constant)) {
      throw new IllegalArgumentException("ModelSpec key 'schedule.type': expected \""
          + LearningRateSchedule.Constant.TYPE + "\" for algorithm " + ModelSpec.LARGE_SOFTMAX + ", got \""
          + spec.schedule().type() + "\"");
    }
    if (spec.standardize()) {
      throw new IllegalArgumentException(
          "ModelSpec key 'standardize': expected false with hashing (hashed features are not standardized), got true");
    }
    if (spec.l1() != 0 || spec.l2() != 0 || spec.clipNorm() != 0) {
      throw new IllegalArgumentException("ModelSpec keys 'l1', 'l2', 'clipNorm': expected 0 with algorithm "
          + ModelSpec.LARGE_SOFTMAX + ", got " + spec.l1() + ", " + spec.l2() + ", " + spec.clipNorm());
    }
    if (spec.labelModel() != null) {
      throw new IllegalArgumentException("ModelSpec key 'labelModel': expected none with hashing, got "
          + spec.labelModel().method());
    }
  }

  /**
   * One step on a minibatch of hashed rows with their class labels, each row's loss and gradient scaled by its
   * example's weight (the weighted mean, as every learner's). A row of weight 0 is left out before anything is
   * computed, so it changes nothing (not even which embedding rows count as stepped); a minibatch all of weight 0
   * changes no parameter and draws no sample, but counts as a step (a model version) like any other.
   *
   * @param exampleWeights non-negative weights, one per row, or {@code null} for all ones
   * @return the weighted mean loss before the step
   * @throws IllegalArgumentException before any state changes, for a label out of range
   * @throws NonFiniteUpdateException changing no parameter, as the class comment says
   */
  public double trainMinibatch(SparseBatch batch, int[] labels, float[] exampleWeights) {
    int n = batch.rows();
    if (batch.columns() != spec.inputDim() || n < 1) {
      throw new IllegalArgumentException("trainMinibatch: expected at least one row of " + spec.inputDim()
          + " columns, got " + n + " rows of " + batch.columns());
    }
    spec.requireLabels("trainMinibatch", labels, n);
    WeightedRows kept = WeightedRows.positive(batch, labels, exampleWeights);
    double loss = kept.batch().rows() == 0 ? 0 : step(kept.batch(), kept.labels(), kept.weights());
    steps++;
    examplesSeen += n;
    return loss;
  }

  /** The step on rows of positive weight; changes no parameter if it throws. */
  private double step(SparseBatch batch, int[] labels, float[] exampleWeights) {
    int n = batch.rows();
    int dim = output.dim();
    bagsOf(batch);
    if (bagGradient.length < n * dim) {
      bagGradient = new float[n * dim];
    }
    double loss = sampled != null
        ? sampled.lossAndGradient(bags, n, labels, exampleWeights, sampled.drawSample(), bagGradient, gradient)
        : hierarchical.lossAndGradient(bags, n, labels, exampleWeights, bagGradient, gradient);
    String problem = !Double.isFinite(loss) ? "loss " + loss : firstNonFinite(bagGradient, n * dim);
    if (problem != null) {
      throw new NonFiniteUpdateException("minibatch of " + n + " rejected before step " + (steps + 1) + ": "
          + problem + "; the model is unchanged");
    }
    embedding.backward(ids, bagGradient, dim, 0);
    String overflow = embedding.step();
    if (overflow != null) {
      throw new NonFiniteUpdateException("minibatch of " + n + " rolled back at step " + (steps + 1) + ": "
          + overflow + "; the model is unchanged");
    }
    // The output rows start at zero, so huge features can pass the checks above and overflow only here.
    float learningRate = (float) spec.optimizer().learningRate();
    overflow = sampled != null ? sampled.apply(gradient, learningRate) : hierarchical.apply(gradient, learningRate);
    if (overflow != null) {
      embedding.undoStep();
      throw new NonFiniteUpdateException("minibatch of " + n + " rolled back at step " + (steps + 1) + ": "
          + overflow + "; the model is unchanged");
    }
    return loss;
  }

  private static String firstNonFinite(float[] values, int n) {
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(values[i])) {
        return "bag gradient " + values[i] + " at " + i;
      }
    }
    return null;
  }

  /**
   * The rows of {@code batch} as the embedding table (which sums) reads them: as they are for {@link Combiner#SUM},
   * each divided by the sum of its values' absolute values for {@link Combiner#MEAN}.
   */
  public static SparseBatch bagInputs(SparseBatch batch, Combiner combiner) {
    SparseBatch ids = new SparseBatch(batch.columns());
    for (int r = 0; r < batch.rows(); r++) {
      int from = batch.rowStart(r);
      int to = batch.rowStart(r + 1);
      float[] values = Arrays.copyOfRange(batch.values(), from, to);
      if (combiner == Combiner.MEAN) {
        float total = 0;
        for (float v : values) {
          total += Math.abs(v);
        }
        for (int e = 0; e < values.length; e++) {
          values[e] /= total;
        }
      }
      ids.add(Arrays.copyOfRange(batch.indices(), from, to), values);
    }
    return ids;
  }

  /** The bags of {@code batch}'s rows into {@link #bags}, and the rows as the table reads them into {@link #ids}. */
  private void bagsOf(SparseBatch batch) {
    ids = bagInputs(batch, output.combiner());
    if (bags.length < batch.rows() * output.dim()) {
      bags = new float[batch.rows() * output.dim()];
    }
    embedding.forward(ids, bags, output.dim(), 0);
  }

  /** The bag of one hashed row into {@link #bags}[0 .. dim). */
  private void bagOf(SparseVector x) {
    SparseBatch one = new SparseBatch(spec.inputDim());
    one.add(x.indices(), x.values());
    bagsOf(one);
  }

  /** The {@code k} most probable classes for hashed features {@code x}, most probable first, exactly. */
  public List<Scored> predictTopK(SparseVector x, int k) {
    bagOf(x);
    return sampled != null ? sampled.predictTopK(bags, 0, k) : hierarchical.predictTopK(bags, 0, k);
  }

  /** {@link #predictTopK} with the spec's {@code output.topK}. */
  public List<Scored> predictTopK(SparseVector x) {
    return predictTopK(x, output.topK());
  }

  /** Every class's probability for hashed features {@code x} into {@code out[0 .. numClasses)}: O(C·d). */
  public void predictProba(SparseVector x, float[] out) {
    bagOf(x);
    if (sampled != null) {
      sampled.predictProba(bags, 0, out);
    } else {
      for (int c = 0; c < spec.numClasses(); c++) {
        out[c] = (float) hierarchical.predictProba(bags, 0, c);
      }
    }
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    int count = 0;
    for (int j = 0; j < spec.inputDim(); j++) {
      count += x[xOffset + j] != 0f ? 1 : 0;
    }
    int[] indices = new int[count];
    float[] values = new float[count];
    for (int j = 0, e = 0; j < spec.inputDim(); j++) {
      if (x[xOffset + j] != 0f) {
        indices[e] = j;
        values[e++] = x[xOffset + j];
      }
    }
    predictProba(new SparseVector(indices, values), out);
  }

  @Override
  public float predictValue(float[] x, int xOffset) {
    throw new IllegalStateException("predictValue: " + spec.algorithm() + " is a classifier");
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public int inputDim() {
    return spec.inputDim();
  }

  @Override
  public boolean isClassifier() {
    return true;
  }

  @Override
  public int outputDim() {
    return spec.numClasses();
  }

  byte[] specJson() {
    return specJson;
  }

  /** How many classes a prediction carries: the spec's {@code output.topK}. */
  public int topK() {
    return output.topK();
  }

  @Override
  public String firstNonFinite() {
    String bad = embedding.firstNonFinite();
    return bad != null ? bad : sampled != null ? sampled.firstNonFinite() : hierarchical.firstNonFinite();
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public long examplesSeen() {
    return examplesSeen;
  }

  /** Multiply-adds the output layer spent in training so far. */
  public long outputMultiplyAdds() {
    return sampled != null ? sampled.multiplyAdds() : hierarchical.multiplyAdds();
  }

  /** An independent model equal to this one (through its saved bytes: what it holds is what they hold). */
  public LargeOutputModel copy() {
    return fromBytes(toBytes());
  }

  /**
   * A model of {@code spec} (this one's shape and seed) with this one's embedding table and output layer (its
   * sampler's generator too, part of the layer's saved state), and with {@code carry} the table's AdaGrad
   * accumulators, else zero (the output rows step by plain SGD, which keeps no state); its counts start at 0. It
   * answers as this model does.
   *
   * @throws IllegalArgumentException if {@code spec}'s seed is not this model's, from which the table's rows never
   *     stepped are drawn ({@link LearnerWarmStart#tableSeedDifference}), naming the key
   */
  public LargeOutputModel warmStart(ModelSpec spec, boolean carry) {
    LearnerWarmStart.requireFits(LearnerWarmStart.tableSeedDifference(spec, this.spec));
    LargeOutputModel started = create(spec);
    started.embedding.startFrom(embedding, carry);
    try {
      if (sampled != null) {
        started.sampled.readFrom(new BinaryState.Bytes(BinaryState.toBytes(sampled::writeTo)));
      } else {
        started.hierarchical.readFrom(new BinaryState.Bytes(BinaryState.toBytes(hierarchical::writeTo)));
      }
    } catch (IOException e) {
      throw new IllegalArgumentException("saved large-output model of shape " + this.spec.shape()
          + " does not fit one of shape " + spec.shape() + ": " + e.getMessage(), e);
    }
    return started;
  }

  /** Writes the magic, the format, the spec, the counts, the embedding table, then the output layer. */
  public void writeTo(DataOutput out) throws IOException {
    writeTo(out, true);
  }

  /**
   * This model's rows (the table's, then the output layer's, {@link ConcatenatedRows}) for a holder that keeps them
   * apart; written without them, the rest is {@link #writeTo}'s format with no rows, which {@link #readFrom} reads.
   */
  public RowsApart rowsApart() {
    if (rowsApart == null) {
      rowsApart = new ConcatenatedRows(out -> writeTo(out, false), embedding,
          sampled != null ? sampled.rowsApart() : hierarchical.rowsApart());
    }
    return rowsApart;
  }

  private void writeTo(DataOutput out, boolean rows) throws IOException {
    SavedModelHeader.write(out, MAGIC, FORMAT_VERSION, specJson, steps, examplesSeen);
    if (!rows) {
      embedding.writeWithoutRowsTo(out);
      (sampled != null ? sampled.rowsApart() : hierarchical.rowsApart()).writeWithoutRowsTo(out);
    } else if (sampled != null) {
      embedding.writeTo(out);
      sampled.writeTo(out);
    } else {
      embedding.writeTo(out);
      hierarchical.writeTo(out);
    }
  }

  /** Reads what {@link #writeTo} wrote. */
  public static LargeOutputModel readFrom(DataInput in) throws IOException {
    SavedModelHeader.readMagicAndVersion(in, "LargeOutputModel", MAGIC, FORMAT_VERSION);
    LargeOutputModel model = create(SavedModelHeader.readSpec(in, "LargeOutputModel"));
    model.steps = in.readLong();
    model.examplesSeen = in.readLong();
    if (model.steps < 0 || model.examplesSeen < 0) {
      throw new IOException("LargeOutputModel: steps " + model.steps + ", examples " + model.examplesSeen
          + " out of range");
    }
    model.embedding.readFrom(in);
    if (model.sampled != null) {
      model.sampled.readFrom(in);
    } else {
      model.hierarchical.readFrom(in);
    }
    return model;
  }

  @Override
  public byte[] toBytes() {
    // Sized exactly from the rows each part writes, so that the bytes are written once and never copied.
    long size = 3L * Integer.BYTES + specJson.length + 2L * Long.BYTES
        + embedding.savedSize() + (sampled != null ? sampled.savedSize() : hierarchical.savedSize());
    return BinaryState.toBytes((int) Math.min(size, Integer.MAX_VALUE - 8), this::writeTo);
  }

  /**
   * Reads {@link #toBytes}.
   *
   * @throws IllegalArgumentException if the bytes are not a whole saved large-output model
   */
  public static LargeOutputModel fromBytes(byte[] bytes) {
    return BinaryState.fromBytes(bytes, "LargeOutputModel", LargeOutputModel::readFrom);
  }
}
