package dev.chorus.core.model;

import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.io.ChunkedWriter;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.optim.FtrlSpec;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.optim.SgdSpec;
import dev.chorus.core.spec.SpecReader;
import dev.chorus.core.tensor.Finite;
import dev.chorus.core.tensor.RowsApart;
import dev.chorus.core.tensor.SparseBatch;
import dev.chorus.core.tensor.TouchedRows;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A linear, logistic or softmax regression on hashed features ({@link ModelSpec#hashing()}), trained on sparse
 * minibatches ({@link SparseBatch}) without ever densifying them: the forward pass multiplies each row's entries by
 * their weights, and a step updates only the weights of the features the minibatch touched (and the biases). For
 * SGD and AdaGrad a coordinate whose gradient is 0 does not move at any rate, so these lazy updates equal the dense
 * ones under any schedule; for FTRL-Proximal at a constant rate too, up to float rounding. FTRL's weight follows the
 * current rate α, so under a schedule an untouched coordinate keeps the weight of its last step's α (FTRL per
 * feature), where a dense step moves every weight to the new α. Weights start at 0 (convex losses need no symmetry breaking, and FTRL's start there).
 *
 * <p>A step whose loss or gradient is not finite, or that would make a weight or optimizer state not finite, is
 * a {@link NonFiniteUpdateException} and leaves the model as it was (the touched rows are backed up first).
 *
 * <p>Memory per parameter ({@code (2^bits + 1) × outputs} of them): 4 bytes of weight, 4 of gradient scratch and 4
 * per optimizer slot (none for SGD, one for AdaGrad, {@code z} and {@code n} for FTRL), plus two bits per feature
 * (rows written, rows the minibatch touched), 4 bytes per row a minibatch touches and 4 per row it writes first
 * ({@link SparseStep}).
 *
 * <p>The learning-rate schedule follows the optimizer's step count ({@link #optimizerSteps}): the model's own steps,
 * plus those a carried warm start brought from the model it started from ({@link #warmStart}), so a carried start goes
 * on with the saved model's schedule while its own step count, and so its versions, start at 0.
 *
 * <p>Saved bytes ({@link #toBytes}, first int {@link #MAGIC}) hold the spec, the counts and only the rows that are not
 * all zero, so a model that saw few features saves few bytes. A model that carried optimizer steps writes format
 * {@value #FORMAT_VERSION}, which holds them after the counts; any other writes format 1, as every model did before
 * format 2, byte for byte, so a fresh or reset model's bytes (and a wide and deep model's, whose wide part carries
 * none) are what they were. Both are read.
 */
public final class SparseLinearModel implements Predictor, RowsApart {

  /** "CHSL": the first int of a saved sparse linear model. */
  public static final int MAGIC = 0x4348534C;
  /** The newest format: 1's, with the optimizer steps a carried warm start brought after the counts. */
  public static final int FORMAT_VERSION = 2;
  /** The format of a model that carried no optimizer steps, as every model was written before format 2. */
  static final int FORMAT_WITHOUT_CARRIED_STEPS = 1;
  static final List<String> ALGORITHMS =
      List.of(ModelSpec.LINEAR_REGRESSION, ModelSpec.LOGISTIC_REGRESSION, ModelSpec.SOFTMAX_REGRESSION);
  static final List<String> OPTIMIZERS = List.of(SgdSpec.TYPE, AdaGradSpec.TYPE, FtrlSpec.TYPE);

  private final ModelSpec spec;
  /** The spec's JSON, encoded once: every write holds it, with the rows apart every record's. */
  private final byte[] specJson;
  private final int inputDim;
  private final int outputs;
  /** {@code (inputDim + 1) × outputs}: row {@code j} holds feature {@code j}'s weights, the last row the biases. */
  private final float[] weights;
  /** The optimizer's state, each in the layout of {@link #weights}. */
  private final float[][] slots;
  private final float[] gradient;
  /**
   * Rows a step or a read has written (derived, never saved): the only rows that may be non-zero, so that
   * {@link #writeTo} (each checkpoint, each snapshot) reads the rows trained, not all 2^bits of them.
   */
  private final long[] written;
  private float[] batchOutputs = new float[0];
  private float[] outputGradient = new float[0];
  private final SparseStep rowStep;
  /** Rows the steps changed since their holder last cleared it ({@link #changedRows}); null until asked for. */
  private TouchedRows changed;
  private long steps;
  /**
   * The optimizer steps a carried warm start brought from the model it started from (that model's {@link
   * #optimizerSteps}), else 0: the schedule's step is this plus {@link #steps}.
   */
  private long carriedSteps;
  private long examplesSeen;
  private int lastStepRows;

  private SparseLinearModel(ModelSpec spec) {
    this.spec = spec;
    this.specJson = spec.toJson().getBytes(StandardCharsets.UTF_8);
    this.inputDim = spec.inputDim();
    this.outputs = spec.isClassifier() ? spec.classificationLoss().outputDim(spec.numClasses()) : 1;
    long size = (inputDim + 1L) * outputs;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("ModelSpec key 'hashing.bits': 2^bits × " + outputs + " outputs = " + size
          + " weights exceed a Java array");
    }
    this.weights = new float[(int) size];
    this.slots = new float[slotCount(spec.optimizer())][(int) size];
    this.gradient = new float[(int) size];
    this.written = new long[(inputDim >>> 6) + 1];
    this.rowStep = new SparseStep(weights, slots, gradient, outputs, inputDim, written);
  }

  /** A fresh model of {@code spec}, which must hash ({@link ModelSpec#hashing()}). */
  public static SparseLinearModel create(ModelSpec spec) {
    if (spec.hashing() == null) {
      throw new IllegalArgumentException("SparseLinearModel: the spec has no 'hashing' key: " + spec);
    }
    if (!ALGORITHMS.contains(spec.algorithm())) {
      throw new IllegalArgumentException("SparseLinearModel: expected one of " + ALGORITHMS + ", got \""
          + spec.algorithm() + "\" (a wide-deep spec builds a WideDeepModel)");
    }
    return new SparseLinearModel(spec);
  }

  /** Checks what a hashed spec may ask for; {@link ModelSpec} calls this when it has a {@code hashing} key. */
  static void requireSupported(ModelSpec spec) {
    HashingSpec hashing = spec.hashing();
    if (spec.inputDim() != hashing.dimension()) {
      throw new IllegalArgumentException("ModelSpec key 'inputDim': expected 2^hashing.bits = " + hashing.dimension()
          + ", got " + spec.inputDim());
    }
    if (!ALGORITHMS.contains(spec.algorithm())) {
      throw new IllegalArgumentException("ModelSpec key 'algorithm': expected one of "
          + SpecReader.quoted(ALGORITHMS) + " with hashing (hashed features do not feed an mlp or svm yet), got \""
          + spec.algorithm() + "\"");
    }
    if (!OPTIMIZERS.contains(spec.optimizer().type())) {
      throw new IllegalArgumentException("ModelSpec key 'optimizer.type': expected one of "
          + SpecReader.quoted(OPTIMIZERS) + " with hashing, got \"" + spec.optimizer().type() + "\"");
    }
    if (spec.standardize()) {
      throw new IllegalArgumentException(
          "ModelSpec key 'standardize': expected false with hashing (hashed features are not standardized), got true");
    }
    if (spec.l1() != 0 || spec.l2() != 0 || spec.clipNorm() != 0) {
      throw new IllegalArgumentException("ModelSpec keys 'l1', 'l2', 'clipNorm': expected 0 with hashing "
          + "(regularise with the ftrl optimizer's own l1 and l2), got " + spec.l1() + ", " + spec.l2() + ", "
          + spec.clipNorm());
    }
    if (spec.labelModel() != null) {
      throw new IllegalArgumentException("ModelSpec key 'labelModel': expected none with hashing, got "
          + spec.labelModel().method());
    }
  }

  private static int slotCount(OptimizerSpec optimizer) {
    return optimizer instanceof FtrlSpec ? 2 : optimizer instanceof AdaGradSpec ? 1 : 0;
  }

  /**
   * One optimizer step on a classifier's minibatch.
   *
   * @param labels class indices, one per row
   * @param exampleWeights non-negative weights, one per row, or {@code null} for all ones
   * @return the weighted mean loss before the step
   * @throws IllegalArgumentException before any state changes, for a label out of range
   * @throws NonFiniteUpdateException before any state changes, if the loss or a gradient is not finite
   */
  public double trainMinibatch(SparseBatch batch, int[] labels, float[] exampleWeights) {
    if (!isClassifier()) {
      throw new IllegalStateException("trainMinibatch with labels: " + spec.algorithm() + " is a regressor");
    }
    int n = requireBatch(batch);
    spec.requireLabels("trainMinibatch", labels, n);
    forward(batch);
    double loss = spec.classificationLoss().lossAndGradient(batchOutputs, n, spec.numClasses(), labels,
        exampleWeights, outputGradient);
    return step(batch, loss);
  }

  /** One optimizer step on a regressor's minibatch with real {@code targets}, one per row; as above. */
  public double trainMinibatch(SparseBatch batch, float[] targets, float[] exampleWeights) {
    if (isClassifier()) {
      throw new IllegalStateException("trainMinibatch with targets: " + spec.algorithm() + " is a classifier");
    }
    int n = requireBatch(batch);
    forward(batch);
    double loss = SquaredError.INSTANCE.lossAndGradient(batchOutputs, n, 1, targets, exampleWeights, outputGradient);
    return step(batch, loss);
  }

  private int requireBatch(SparseBatch batch) {
    if (batch.columns() != inputDim || batch.rows() < 1) {
      throw new IllegalArgumentException("trainMinibatch: expected at least one row of " + inputDim + " columns, got "
          + batch.rows() + " rows of " + batch.columns());
    }
    int n = batch.rows();
    if (batchOutputs.length < n * outputs) {
      batchOutputs = new float[n * outputs];
      outputGradient = new float[n * outputs];
    }
    return n;
  }

  /** Each row's outputs: the biases, then each entry times its weights, in the row's order. */
  private void forward(SparseBatch batch) {
    int[] indices = batch.indices();
    float[] values = batch.values();
    int biasRow = inputDim * outputs;
    for (int r = 0; r < batch.rows(); r++) {
      int out = r * outputs;
      System.arraycopy(weights, biasRow, batchOutputs, out, outputs);
      for (int e = batch.rowStart(r); e < batch.rowStart(r + 1); e++) {
        int row = indices[e] * outputs;
        float v = values[e];
        for (int k = 0; k < outputs; k++) {
          batchOutputs[out + k] += v * weights[row + k];
        }
      }
    }
  }

  /**
   * The raw outputs ({@code rows × outputs}) of {@code batch}, for a wide and deep model that adds its deep
   * part's; the array is scratch, valid until the next call.
   */
  float[] rawOutputs(SparseBatch batch) {
    requireBatch(batch);
    forward(batch);
    return batchOutputs;
  }

  /**
   * One step given the gradient of a joint objective with respect to this model's raw outputs of {@code batch}
   * (after {@link #rawOutputs} on it); as {@link #trainMinibatch}, a rejected step changes nothing.
   */
  double stepOnOutputGradient(SparseBatch batch, float[] gradOut, double loss) {
    int n = requireBatch(batch);
    System.arraycopy(gradOut, 0, outputGradient, 0, n * outputs);
    return step(batch, loss);
  }

  /**
   * Puts back the weights, optimizer state and counts as they were before the last step, and takes the rows it first
   * listed in {@link #changedRows} out of that list.
   */
  void undoStep() {
    rowStep.undo();
    steps--;
    examplesSeen -= lastStepRows;
  }

  private double step(SparseBatch batch, double loss) {
    int n = batch.rows();
    rowStep.accumulate(batch, outputGradient);
    String problem = Double.isFinite(loss) ? rowStep.firstNonFiniteGradient() : "loss " + loss;
    if (problem != null) {
      rowStep.discard();
      throw new NonFiniteUpdateException("minibatch of " + n + " rejected before step " + (steps + 1) + ": "
          + problem + "; the model is unchanged");
    }
    float learningRate = (float) spec.schedule().learningRate(spec.optimizer().learningRate(), optimizerSteps());
    String overflow = rowStep.apply(spec.optimizer(), learningRate);
    if (overflow != null) {
      throw new NonFiniteUpdateException("minibatch of " + n + " rolled back at step " + (steps + 1) + ": "
          + overflow + "; the model is unchanged");
    }
    lastStepRows = n;
    if (changed != null) {
      rowStep.addRowsTo(changed);
    }
    steps++;
    examplesSeen += n;
    return loss;
  }

  /** The raw outputs for {@code x} into {@code out[0 .. outputs)}. */
  private void outputs(SparseVector x, float[] out) {
    System.arraycopy(weights, inputDim * outputs, out, 0, outputs);
    for (int e = 0; e < x.size(); e++) {
      int row = x.indices()[e] * outputs;
      for (int k = 0; k < outputs; k++) {
        out[k] += x.values()[e] * weights[row + k];
      }
    }
  }

  /** Class probabilities for hashed features {@code x} into {@code out[0 .. numClasses)}. */
  public void predictProba(SparseVector x, float[] out) {
    if (!isClassifier()) {
      throw new IllegalStateException("predictProba: " + spec.algorithm() + " is a regressor");
    }
    float[] raw = new float[outputs];
    outputs(x, raw);
    spec.classificationLoss().probabilities(raw, 0, spec.numClasses(), out);
  }

  /** The predicted value for hashed features {@code x}; for a regressor. */
  public float predictValue(SparseVector x) {
    if (isClassifier()) {
      throw new IllegalStateException("predictValue: " + spec.algorithm() + " is a classifier");
    }
    float[] raw = new float[1];
    outputs(x, raw);
    return raw[0];
  }

  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    predictProba(nonZeros(x, xOffset), out);
  }

  @Override
  public float predictValue(float[] x, int xOffset) {
    return predictValue(nonZeros(x, xOffset));
  }

  private SparseVector nonZeros(float[] x, int xOffset) {
    int count = 0;
    for (int j = 0; j < inputDim; j++) {
      count += x[xOffset + j] != 0f ? 1 : 0;
    }
    int[] indices = new int[count];
    float[] values = new float[count];
    for (int j = 0, e = 0; j < inputDim; j++) {
      if (x[xOffset + j] != 0f) {
        indices[e] = j;
        values[e++] = x[xOffset + j];
      }
    }
    return new SparseVector(indices, values);
  }

  /** The weight of feature {@code feature} for output {@code output}; {@code feature = inputDim} is the bias. */
  public float weight(int feature, int output) {
    return weights[feature * outputs + output];
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public int inputDim() {
    return inputDim;
  }

  @Override
  public boolean isClassifier() {
    return spec.isClassifier();
  }

  @Override
  public int outputDim() {
    return isClassifier() ? spec.numClasses() : 1;
  }

  @Override
  public String firstNonFinite() {
    return Finite.firstNonFinite("weight (row-major, " + outputs + " per row, the biases last)", weights, outputs,
        written);
  }

  @Override
  public long steps() {
    return steps;
  }

  @Override
  public long examplesSeen() {
    return examplesSeen;
  }

  /**
   * The steps its optimizer has taken, the schedule's step of the next one: {@link #steps}, plus those a carried warm
   * start brought from the model it started from.
   */
  public long optimizerSteps() {
    return carriedSteps + steps;
  }

  /**
   * The format {@link #writeTo} writes: {@value #FORMAT_VERSION} if a carried warm start brought optimizer steps, else
   * 1, whose bytes hold none (a snapshot's {@code parametersFormat}).
   */
  public int formatVersion() {
    return carriedSteps == 0 ? FORMAT_WITHOUT_CARRIED_STEPS : FORMAT_VERSION;
  }

  /** An independent model with equal spec and a deep copy of the weights, optimizer state and counts. */
  public SparseLinearModel copy() {
    SparseLinearModel copy = new SparseLinearModel(spec);
    System.arraycopy(weights, 0, copy.weights, 0, weights.length);
    for (int s = 0; s < slots.length; s++) {
      System.arraycopy(slots[s], 0, copy.slots[s], 0, slots[s].length);
    }
    System.arraycopy(written, 0, copy.written, 0, written.length);
    copy.steps = steps;
    copy.carriedSteps = carriedSteps;
    copy.examplesSeen = examplesSeen;
    return copy;
  }

  /**
   * A model of {@code spec} (this one's shape) with these weights, and if {@code carry} this optimizer state and step
   * count ({@link #optimizerSteps}), so that its schedule goes on from this model's, as a dense learner's does; else
   * its optimizer and schedule start afresh. Its own step count starts at 0 either way, so its versions count from 0.
   */
  public SparseLinearModel warmStart(ModelSpec spec, boolean carry) {
    return warmStart(spec, carry, carry);
  }

  /**
   * {@link #warmStart}, carrying the optimizer's slots and its step count apart: a wide and deep model's wide part,
   * which no schedule steps, carries its slots alone, so that its bytes stay format 1.
   */
  SparseLinearModel warmStart(ModelSpec spec, boolean carrySlots, boolean carrySteps) {
    SparseLinearModel started = create(spec);
    System.arraycopy(weights, 0, started.weights, 0, weights.length);
    for (int s = 0; carrySlots && s < slots.length; s++) {
      System.arraycopy(slots[s], 0, started.slots[s], 0, slots[s].length);
    }
    System.arraycopy(written, 0, started.written, 0, written.length);
    started.carriedSteps = carrySteps ? optimizerSteps() : 0;
    return started;
  }

  /**
   * Writes the magic, the format ({@link #formatVersion}), the spec, the counts, in format 2 the carried optimizer
   * steps, then each row not all zero (index, weights, slots).
   */
  public void writeTo(DataOutput out) throws IOException {
    writeTo(out, specJson);
  }

  /**
   * Writes {@link #writeTo}'s format with no rows at all, for a holder that keeps the rows elsewhere
   * ({@link #copyRows}); {@link #readFrom} reads it as this model with every row zero.
   */
  @Override
  public void writeWithoutRowsTo(DataOutput out) throws IOException {
    writeHeader(out, specJson);
    out.writeInt(0);
  }

  private void writeHeader(DataOutput out, byte[] json) throws IOException {
    SavedModelHeader.write(out, MAGIC, formatVersion(), json, steps, examplesSeen);
    if (carriedSteps != 0) {
      out.writeLong(carriedSteps);
    }
  }

  private void writeTo(DataOutput out, byte[] json) throws IOException {
    writeHeader(out, json);
    int rows = 0;
    for (int row = nextWrittenRow(0); row >= 0; row = nextWrittenRow(row + 1)) {
      rows += stored(row) ? 1 : 0;
    }
    out.writeInt(rows);
    float[][] arrays = all();
    ChunkedWriter chunks = new ChunkedWriter(out);
    for (int row = nextWrittenRow(0); row >= 0; row = nextWrittenRow(row + 1)) {
      if (stored(row)) {
        chunks.writeInt(row);
        for (float[] array : arrays) {
          chunks.writeFloats(array, row * outputs, outputs);
        }
      }
    }
    chunks.flush();
  }

  /** The size of {@link #toBytes}'s bytes if every written row is stored (as for any row a gradient reached). */
  long savedSizeBound(int jsonBytes) {
    long rows = 0;
    for (long word : written) {
      rows += Long.bitCount(word);
    }
    return 40L + jsonBytes + rows * (Integer.BYTES + (long) Float.BYTES * outputs * (slots.length + 1));
  }

  /** The spec's JSON as every write holds it (UTF-8), encoded once. */
  byte[] specJson() {
    return specJson;
  }

  /** The first row from {@code from} on that a step, a read or {@link #putRows} has written, or -1. */
  @Override
  public int nextWrittenRow(int from) {
    return RowsApart.nextSetBit(written, from);
  }

  /** The number of rows: one per hashed feature, then the biases' ({@code inputDim + 1}). */
  @Override
  public int rows() {
    return inputDim + 1;
  }

  /** The floats of one row in {@link #copyRows}: its {@code outputs} weights, then each optimizer slot's. */
  @Override
  public int rowWidth() {
    return outputs * (slots.length + 1);
  }

  /** Rows {@code [from, from + count)}, each as {@link #rowWidth} floats, in a fresh array. */
  @Override
  public float[] copyRows(int from, int count) {
    requireRows(from, count);
    float[] copy = new float[count * rowWidth()];
    float[][] arrays = all();
    for (int r = 0, at = 0; r < count; r++) {
      for (float[] array : arrays) {
        System.arraycopy(array, (from + r) * outputs, copy, at, outputs);
        at += outputs;
      }
    }
    return copy;
  }

  /**
   * Sets the rows from {@code from} on to {@code rows} (as {@link #copyRows} gave them); a row not all zero is written.
   *
   * @throws IllegalArgumentException, changing no row, if a row's optimizer state is one no step could have left
   *     there ({@link #invalidSlot}, the rule {@link #readFrom} applies)
   */
  @Override
  public void putRows(int from, float[] rows) {
    int width = rowWidth();
    if (rows.length % width != 0) {
      throw new IllegalArgumentException("putRows: expected a multiple of " + width + " floats, got " + rows.length);
    }
    int count = rows.length / width;
    requireRows(from, count);
    for (int r = 0; r < count; r++) {
      String bad = invalidSlot(from + r, rows, r * width, "got");
      if (bad != null) {
        throw new IllegalArgumentException("putRows: " + bad);
      }
    }
    for (int r = 0; r < count; r++) {
      int row = from + r;
      setRow(row, rows, r * width);
      if (stored(row)) {
        written[row >>> 6] |= 1L << row;
      }
    }
  }

  /** Sets row {@code row} to the {@link #rowWidth} floats of {@code values} from {@code at}, laid out as copyRows's. */
  private void setRow(int row, float[] values, int at) {
    for (float[] array : all()) {
      System.arraycopy(values, at, array, row * outputs, outputs);
      at += outputs;
    }
  }

  private void requireRows(int from, int count) {
    RowsApart.requireRange("", from, count, rows());
  }

  /**
   * The rows each step has changed since the caller last cleared this set (the biases' row included): kept from the
   * first call on, for a holder that writes back only what changed; the caller walks and clears it.
   */
  @Override
  public TouchedRows changedRows() {
    if (changed == null) {
      changed = new TouchedRows(rows());
    }
    return changed;
  }

  private boolean stored(int row) {
    for (int k = 0, i = row * outputs; k < outputs; k++, i++) {
      boolean nonZero = Float.floatToRawIntBits(weights[i]) != 0;
      for (float[] slot : slots) {
        nonZero |= Float.floatToRawIntBits(slot[i]) != 0;
      }
      if (nonZero) {
        return true;
      }
    }
    return false;
  }

  private float[][] all() {
    float[][] all = new float[slots.length + 1][];
    all[0] = weights;
    System.arraycopy(slots, 0, all, 1, slots.length);
    return all;
  }

  /** Reads what {@link #writeTo} wrote, in either format (format 1's carried no optimizer steps). */
  public static SparseLinearModel readFrom(DataInput in) throws IOException {
    int version = SavedModelHeader.readMagicAndVersion(in, "SparseLinearModel", MAGIC, FORMAT_WITHOUT_CARRIED_STEPS,
        FORMAT_VERSION);
    SparseLinearModel model = create(SavedModelHeader.readSpec(in, "SparseLinearModel"));
    model.steps = in.readLong();
    model.examplesSeen = in.readLong();
    model.carriedSteps = version > FORMAT_WITHOUT_CARRIED_STEPS ? in.readLong() : 0;
    int rows = in.readInt();
    if (model.steps < 0 || model.examplesSeen < 0 || rows < 0 || rows > model.inputDim + 1) {
      throw new IOException("SparseLinearModel: steps " + model.steps + ", examples " + model.examplesSeen
          + ", rows " + rows + " out of range");
    }
    // Format 2 is written only with carried steps; with the model's, they are the schedule's step.
    if (version > FORMAT_WITHOUT_CARRIED_STEPS
        && (model.carriedSteps < 1 || model.carriedSteps > Long.MAX_VALUE - model.steps)) {
      throw new IOException("SparseLinearModel: carried optimizer steps " + model.carriedSteps + " out of range: "
          + "expected 1 to 2^63 - 1 - steps (" + model.steps + ") in format " + version);
    }
    int previous = -1;
    // A row as the stream holds it, its weights then each slot's: copyRows's layout.
    float[] values = new float[model.rowWidth()];
    for (int r = 0; r < rows; r++) {
      int row = in.readInt();
      if (row <= previous || row > model.inputDim) {
        throw new IOException("SparseLinearModel: row " + row + " after " + previous + ", expected increasing rows in"
            + " [0, " + model.inputDim + "]");
      }
      previous = row;
      for (int i = 0; i < values.length; i++) {
        values[i] = in.readFloat();
      }
      String bad = model.invalidSlot(row, values, 0, "stream has");
      if (bad != null) {
        throw new IOException("SparseLinearModel: " + bad);
      }
      model.written[row >>> 6] |= 1L << row;
      model.setRow(row, values, 0);
    }
    return model;
  }

  /**
   * Why the optimizer state of row {@code row}, given as {@link #copyRows} lays a row out from {@code values[at]}, is
   * one no step could have left there, or null: every value finite, and AdaGrad's sum and FTRL's {@code n}, sums of
   * squares, not below 0 (a negative one makes the weight NaN at its next step, and every minibatch that touches it
   * after that is refused). The one rule of every way rows come in: {@link #readFrom} and {@link #putRows}.
   *
   * @param verb how the message introduces the value: {@code "stream has"}, {@code "got"}
   */
  private String invalidSlot(int row, float[] values, int at, String verb) {
    boolean ftrl = spec.optimizer() instanceof FtrlSpec;
    for (int s = 0; s < slots.length; s++) {
      boolean squares = !ftrl || s == 1;
      for (int k = 0, i = at + (s + 1) * outputs; k < outputs; k++, i++) {
        float v = values[i];
        if (!Float.isFinite(v) || squares && v < 0) {
          return spec.optimizer().type() + " " + (ftrl ? (s == 0 ? "z" : "n") : "squared-gradient sum") + " of row "
              + row + ", output " + k + ": expected a finite number" + (squares ? " >= 0" : "") + ", " + verb + " " + v;
        }
      }
    }
    return null;
  }

  @Override
  public byte[] toBytes() {
    return BinaryState.toBytes((int) Math.min(savedSizeBound(specJson.length), Integer.MAX_VALUE - 8),
        out -> writeTo(out, specJson));
  }

  /**
   * Reads {@link #toBytes}.
   *
   * @throws IllegalArgumentException if the bytes are not a whole saved sparse linear model
   */
  public static SparseLinearModel fromBytes(byte[] bytes) {
    return BinaryState.fromBytes(bytes, "SparseLinearModel", SparseLinearModel::readFrom);
  }
}
