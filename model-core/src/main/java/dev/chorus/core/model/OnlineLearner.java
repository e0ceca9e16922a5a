package dev.chorus.core.model;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.loss.ClassificationLoss;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.Optimizer;
import dev.chorus.core.preprocess.OnlineStandardizer;
import dev.chorus.core.random.SplitMix64;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * The complete training state of one online model, classifier or regressor, trained one minibatch at a time:
 * optional feature standardisation ({@link OnlineStandardizer}), a {@link Network} built from the
 * {@link ModelSpec}, its loss, optional L1 and L2 penalties, gradient clipping, an {@link Optimizer} with a
 * learning-rate schedule, and the random generator that drew the initial weights and then draws dropout
 * masks. This class only sequences those pieces and owns their persistence.
 *
 * <p>One training step: update the standardiser with the minibatch and standardise it; forward; loss and its
 * gradient; backward; add the L2 gradient; clip the global gradient norm; optimizer step at the scheduled
 * learning rate; L1 proximal step at the same rate.
 *
 * <p>The binary state ({@link #writeTo}, format {@value #FORMAT_VERSION}) holds everything needed to continue
 * training bit for bit: magic and format version, the spec as JSON, step and example counts, the random
 * generator's state, the standardiser's statistics, the parameters, the layers' state (batch-norm running
 * statistics), then the optimizer's type and state. Format 1, written before MLPs existed, lacks the layer
 * state and is still read. Scratch buffers are not state.
 *
 * <p>Not thread-safe: predictions reuse scratch buffers too, and allocate nothing.
 */
public final class OnlineLearner implements Predictor {

  /** First int of every saved state: ASCII {@code "CHOL"} (Chorus online learner). */
  public static final int MAGIC = 0x43484F4C;
  /** The binary format this build writes. */
  public static final int FORMAT_VERSION = 2;
  private static final int[] READABLE_VERSIONS = {1, FORMAT_VERSION};
  /** How far a soft target row's sum may be from 1, allowing for float rounding of a posterior. */
  private static final float DISTRIBUTION_TOLERANCE = 1e-3f;

  private final ModelSpec spec;
  private final OnlineStandardizer standardizer;
  private final Network network;
  /** {@code null} for a regressor, which uses {@link SquaredError}. */
  private final ClassificationLoss loss;
  private Optimizer optimizer;
  private SplitMix64 rng;
  private long steps;
  private long examplesSeen;

  /** Scratch for one minibatch: standardised inputs, network outputs, the loss gradient; grown on demand. */
  private float[] batchInputs = new float[0];
  /** Scratch of the batched predictions; never part of the state. */
  private float[] predictInputs = new float[0];
  private float[] predictOutputs = new float[0];
  private final float[] exampleProbabilities;
  private float[] batchOutputs = new float[0];
  private float[] batchGradient = new float[0];
  /** Scratch for one example. */
  private final float[] exampleInput;
  private final float[] exampleOutput;
  /** What a training forward pass changes besides parameters, saved so a rejected minibatch leaves no trace. */
  private final OnlineStandardizer standardizerBackup;
  private final List<float[]> runningStatistics;
  private final float[][] runningStatisticsBackup;
  private long rngBackup;
  private final TrainingStep trainingStep;
  /** The network's parameters and its optimizer, as the training step takes them. */
  private final ParameterSet[] guarded;
  private final Optimizer[] optimizers = new Optimizer[1];

  private OnlineLearner(ModelSpec spec, OnlineStandardizer standardizer, Network network, Optimizer optimizer,
      SplitMix64 rng) {
    this.spec = spec;
    this.standardizer = standardizer;
    this.network = network;
    this.loss = spec.classificationLoss();
    this.trainingStep = new TrainingStep(spec);
    this.optimizer = optimizer;
    this.rng = rng;
    this.exampleInput = new float[spec.inputDim()];
    this.exampleOutput = new float[network.outputDim()];
    this.exampleProbabilities = new float[Math.max(1, spec.numClasses())];
    this.standardizerBackup = standardizer == null ? null : new OnlineStandardizer(spec.inputDim());
    this.runningStatistics = network.runningStatistics();
    this.runningStatisticsBackup = runningStatistics.stream().map(a -> new float[a.length]).toArray(float[][]::new);
    this.guarded = new ParameterSet[] {network.parameters()};
  }

  /** A fresh learner on the default BLAS backend: weights drawn from the spec's seed, no statistics, no optimizer state. */
  public static OnlineLearner create(ModelSpec spec) {
    return create(spec, Blas.get());
  }

  /** A fresh learner whose dense layers run on {@code blas} (benchmarks compare backends this way). */
  public static OnlineLearner create(ModelSpec spec, Blas blas) {
    SplitMix64 rng = SplitMix64.seeded(spec.seed());
    return new OnlineLearner(spec, spec.standardize() ? new OnlineStandardizer(spec.inputDim()) : null,
        NetworkBuilder.network(spec, blas, rng), spec.optimizer().create(), rng);
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public int inputDim() {
    return spec.inputDim();
  }

  /** Number of classes of a classifier; 0 for a regressor. */
  public int numClasses() {
    return spec.numClasses();
  }

  /** Whether this model predicts classes ({@link #predictProba}, {@link #predict}) or a value ({@link #predictValue}). */
  @Override
  public boolean isClassifier() {
    return spec.isClassifier();
  }

  /** The length of one prediction: {@link #numClasses()} probabilities for a classifier, 1 value for a regressor. */
  @Override
  public int outputDim() {
    return spec.isClassifier() ? spec.numClasses() : 1;
  }

  /** The network, for inspection; changing its parameters changes this learner. */
  public Network network() {
    return network;
  }

  /** Minibatch updates applied so far. */
  @Override
  public long steps() {
    return steps;
  }

  /** Examples trained on so far. */
  @Override
  public long examplesSeen() {
    return examplesSeen;
  }

  /**
   * Class probabilities for the example at {@code x[xOffset .. xOffset + inputDim)}, written to
   * {@code out[0 .. numClasses)}. Allocates nothing and changes no model state.
   *
   * @throws IllegalStateException for a regressor
   */
  @Override
  public void predictProba(float[] x, int xOffset, float[] out) {
    requireClassifier("predictProba");
    if (out.length < spec.numClasses()) {
      throw new IllegalArgumentException(
          "predictProba: out must hold numClasses=" + spec.numClasses() + " floats, has " + out.length);
    }
    outputs(x, xOffset);
    loss.probabilities(exampleOutput, 0, spec.numClasses(), out);
  }

  /**
   * The most probable class (the lowest index on ties) for the example at {@code x[xOffset...]}.
   *
   * @throws IllegalStateException for a regressor
   */
  public int predict(float[] x, int xOffset) {
    requireClassifier("predict");
    outputs(x, xOffset);
    if (exampleOutput.length == 1) {
      // A binary loss's single output is a logit or margin: class 1 exactly when it is positive.
      return exampleOutput[0] > 0f ? 1 : 0;
    }
    int best = 0;
    for (int j = 1; j < exampleOutput.length; j++) {
      if (exampleOutput[j] > exampleOutput[best]) {
        best = j;
      }
    }
    return best;
  }

  /**
   * The predicted value for the example at {@code x[xOffset...]}. Allocates nothing and changes no state.
   *
   * @throws IllegalStateException for a classifier
   */
  @Override
  public float predictValue(float[] x, int xOffset) {
    if (spec.isClassifier()) {
      throw new IllegalStateException("predictValue: " + spec.algorithm() + " with " + spec.numClasses()
          + " classes is a classifier; use predictProba or predict");
    }
    outputs(x, xOffset);
    return exampleOutput[0];
  }

  /** {@inheritDoc} One batched inference pass, standardising all rows at once. */
  @Override
  public void predictProbaBatch(float[] x, int rows, float[] out) {
    requireClassifier("predictProbaBatch");
    int k = spec.numClasses();
    batchOutputs(x, rows);
    float[] row = exampleProbabilities;
    for (int r = 0; r < rows; r++) {
      loss.probabilities(predictOutputs, r * network.outputDim(), k, row);
      System.arraycopy(row, 0, out, r * k, k);
    }
  }

  /** {@inheritDoc} One batched inference pass, standardising all rows at once. */
  @Override
  public void predictValues(float[] x, int rows, float[] out) {
    if (spec.isClassifier()) {
      throw new IllegalStateException("predictValues: " + spec.algorithm() + " is a classifier; use predictProbaBatch");
    }
    batchOutputs(x, rows);
    System.arraycopy(predictOutputs, 0, out, 0, rows);
  }

  /** Inference outputs of {@code rows} examples into {@link #predictOutputs}. */
  private void batchOutputs(float[] x, int rows) {
    int d = spec.inputDim();
    if ((long) rows * d > x.length) {
      throw new IllegalArgumentException("predict: " + rows + " examples need " + (long) rows * d
          + " floats (inputDim=" + d + "), array has " + x.length);
    }
    if (predictOutputs.length < rows * network.outputDim()) {
      predictOutputs = new float[rows * network.outputDim()];
      predictInputs = standardizer == null ? predictInputs : new float[rows * d];
    }
    float[] in = x;
    if (standardizer != null) {
      standardizer.transform(x, rows, predictInputs);
      in = predictInputs;
    }
    network.predictBatch(in, rows, predictOutputs);
  }

  private void requireClassifier(String method) {
    if (!spec.isClassifier()) {
      throw new IllegalStateException(method + ": " + spec.algorithm() + " is a regressor; use predictValue");
    }
  }

  private void outputs(float[] x, int xOffset) {
    int d = spec.inputDim();
    if (xOffset < 0 || (long) xOffset + d > x.length) {
      throw new IllegalArgumentException("predict: example at offset " + xOffset + " needs " + ((long) xOffset + d)
          + " floats (inputDim=" + d + "), array has " + x.length);
    }
    if (standardizer != null) {
      standardizer.transform(x, xOffset, exampleInput, 0);
      network.predict(exampleInput, 0, exampleOutput);
    } else {
      network.predict(x, xOffset, exampleOutput);
    }
  }

  /**
   * Trains a classifier on {@code n} labelled examples with one optimizer step.
   *
   * @param x features, row-major {@code n × inputDim}; may be longer (a reused buffer)
   * @param labels class indices in {@code [0, numClasses)}; may be longer than {@code n}
   * @param weights non-negative example weights, or {@code null} for all ones; may be longer than {@code n}
   * @return the weighted mean loss of the minibatch before the step, excluding penalties
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   * @throws IllegalStateException for a regressor
   */
  public double trainMinibatch(float[] x, int[] labels, float[] weights, int n) {
    requireClassifier("trainMinibatch");
    validateMinibatch("trainMinibatch", x, weights, n);
    if (labels.length < n) {
      throw new IllegalArgumentException("trainMinibatch: labels must hold n=" + n + " ints, has " + labels.length);
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= spec.numClasses()) {
        throw new IllegalArgumentException("trainMinibatch: label of example " + i + " must be in [0, "
            + spec.numClasses() + "), got " + labels[i]);
      }
    }
    float[] inputs = forward("trainMinibatch", x, n);
    double meanLoss = loss.lossAndGradient(batchOutputs, n, spec.numClasses(), labels, weights, batchGradient);
    update(inputs, n, meanLoss);
    return meanLoss;
  }

  /**
   * Trains a classifier on {@code n} examples whose targets are distributions over the classes (a posterior
   * from an annotator model, say), with one optimizer step. Needs a loss that takes soft targets
   * ({@code softmax-cross-entropy}, {@code logistic}, {@code softmax-squared-error}).
   *
   * @param targetDistributions row-major {@code n × numClasses}, each row non-negative and summing to 1
   *     (within 1e-3); may be longer
   * @return the weighted mean loss (cross-entropy against the distribution, for softmax) before the step
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   * @throws IllegalStateException for a regressor or a loss without soft targets (hinge)
   */
  public double trainMinibatchSoft(float[] x, float[] targetDistributions, float[] weights, int n) {
    requireClassifier("trainMinibatchSoft");
    if (!loss.supportsSoftTargets()) {
      throw new IllegalStateException("trainMinibatchSoft: loss \"" + loss.name() + "\" does not train on soft "
          + "targets; use softmax-cross-entropy, logistic or softmax-squared-error");
    }
    validateMinibatch("trainMinibatchSoft", x, weights, n);
    int k = spec.numClasses();
    if ((long) n * k > targetDistributions.length) {
      throw new IllegalArgumentException("trainMinibatchSoft: targetDistributions must hold n × numClasses = " + n
          + " × " + k + " = " + (long) n * k + " floats, has " + targetDistributions.length);
    }
    for (int i = 0; i < n; i++) {
      double sum = 0;
      for (int j = 0; j < k; j++) {
        float t = targetDistributions[i * k + j];
        if (!(t >= 0 && t <= 1)) {
          throw new IllegalArgumentException("trainMinibatchSoft: probability of class " + j + " for example " + i
              + " must be in [0, 1], got " + t);
        }
        sum += t;
      }
      if (Math.abs(sum - 1) > DISTRIBUTION_TOLERANCE) {
        throw new IllegalArgumentException("trainMinibatchSoft: target distribution of example " + i
            + " must sum to 1, sums to " + (float) sum);
      }
    }
    float[] inputs = forward("trainMinibatchSoft", x, n);
    double meanLoss = loss.softLossAndGradient(batchOutputs, n, k, targetDistributions, weights, batchGradient);
    update(inputs, n, meanLoss);
    return meanLoss;
  }

  /**
   * Trains a regressor on {@code n} examples with real targets, with one optimizer step.
   *
   * @param targets one finite target per example; may be longer than {@code n}
   * @return the weighted mean squared-error loss ({@code ½·(prediction − target)²}) before the step
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   * @throws IllegalStateException for a classifier
   */
  public double trainMinibatch(float[] x, float[] targets, float[] weights, int n) {
    if (spec.isClassifier()) {
      throw new IllegalStateException("trainMinibatch: " + spec.algorithm() + " with " + spec.numClasses()
          + " classes is a classifier; train it with int labels or trainMinibatchSoft");
    }
    validateMinibatch("trainMinibatch", x, weights, n);
    if (targets.length < n) {
      throw new IllegalArgumentException("trainMinibatch: targets must hold n=" + n + " floats, has " + targets.length);
    }
    for (int i = 0; i < n; i++) {
      if (!Float.isFinite(targets[i])) {
        throw new IllegalArgumentException("trainMinibatch: target of example " + i + " must be finite, got " + targets[i]);
      }
    }
    float[] inputs = forward("trainMinibatch", x, n);
    double meanLoss = SquaredError.INSTANCE.lossAndGradient(batchOutputs, n, 1, targets, weights, batchGradient);
    update(inputs, n, meanLoss);
    return meanLoss;
  }

  /**
   * Updates the standardiser, standardises, and runs the training forward pass into {@link #batchOutputs}; returns the
   * network's inputs. With a standardiser, this is where non-finite features are rejected (see
   * {@link #validateMinibatch}), still before any state changes.
   */
  private float[] forward(String method, float[] x, int n) {
    ensureCapacity(n);
    saveForwardState();
    float[] inputs = x;
    if (standardizer != null) {
      if (!standardizer.update(x, n)) {
        throw nonFiniteFeature(method, x, n);
      }
      standardizer.transform(x, n, batchInputs);
      inputs = batchInputs;
    }
    network.forward(inputs, n, batchOutputs, rng);
    return inputs;
  }

  /**
   * Backward pass from {@link #batchGradient}, penalties, clipping and the optimizer step, under the
   * {@link NumericGuard}: a minibatch whose update would make any parameter non-finite is rejected with
   * {@link NonFiniteUpdateException}, after rolling back everything it changed, so the model keeps its last good
   * parameters.
   */
  private void update(float[] inputs, int n, double meanLoss) {
    network.backward(inputs, n, batchGradient);
    optimizers[0] = optimizer;
    String problem = trainingStep.apply(guarded, optimizers, 1, meanLoss, steps);
    optimizer = optimizers[0];
    if (problem != null) {
      reject(n, problem);
    }
    steps++;
    examplesSeen += n;
  }

  private void reject(int n, String problem) {
    restoreForwardState();
    throw NumericGuard.rejection(n, steps + 1, problem);
  }

  private void saveForwardState() {
    rngBackup = rng.state();
    if (standardizer != null) {
      standardizerBackup.copyFrom(standardizer);
    }
    for (int i = 0; i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(stats, 0, runningStatisticsBackup[i], 0, stats.length);
    }
  }

  private void restoreForwardState() {
    rng = SplitMix64.fromState(rngBackup);
    if (standardizer != null) {
      standardizer.copyFrom(standardizerBackup);
    }
    for (int i = 0; i < runningStatistics.size(); i++) {
      float[] stats = runningStatistics.get(i);
      System.arraycopy(runningStatisticsBackup[i], 0, stats, 0, stats.length);
    }
  }

  private void validateMinibatch(String method, float[] x, float[] weights, int n) {
    int d = spec.inputDim();
    if (n < 1) {
      throw new IllegalArgumentException(method + ": n must be >= 1, got " + n);
    }
    if ((long) n * d > x.length) {
      throw new IllegalArgumentException(method + ": x must hold n × inputDim = " + n + " × " + d + " = "
          + (long) n * d + " floats, has " + x.length);
    }
    if (weights != null && weights.length < n) {
      throw new IllegalArgumentException(method + ": weights must hold n=" + n + " floats, has " + weights.length);
    }
    for (int i = 0; weights != null && i < n; i++) {
      if (!(weights[i] >= 0 && weights[i] < Float.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            method + ": weight of example " + i + " must be finite and >= 0, got " + weights[i]);
      }
    }
    // One NaN or infinity would poison the parameters for good, so reject the batch instead. The standardiser's update
    // reads every feature anyway and notices them for free (in forward), so only an unstandardised model scans here.
    if (standardizer == null) {
      IllegalArgumentException problem = nonFiniteFeature(method, x, n);
      if (problem != null) {
        throw problem;
      }
    }
  }

  private IllegalArgumentException nonFiniteFeature(String method, float[] x, int n) {
    return NumericGuard.nonFiniteFeature(method, x, n, spec.inputDim());
  }

  private void ensureCapacity(int n) {
    int outputs = n * network.outputDim();
    if (batchOutputs.length < outputs) {
      batchOutputs = new float[outputs];
      batchGradient = new float[outputs];
      if (standardizer != null) {
        batchInputs = new float[n * spec.inputDim()];
      }
    }
  }

  /** A deep copy: training either one leaves the other unchanged. */
  public OnlineLearner copy() {
    OnlineLearner copy = new OnlineLearner(spec, standardizer == null ? null : standardizer.copy(),
        network.copy(), optimizer.copy(), rng.copy());
    copy.steps = steps;
    copy.examplesSeen = examplesSeen;
    return copy;
  }

  /** Writes the complete state in format {@link #FORMAT_VERSION}. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(FORMAT_VERSION);
    BinaryState.writeString(out, spec.toJson());
    out.writeLong(steps);
    out.writeLong(examplesSeen);
    out.writeLong(rng.state());
    out.writeBoolean(standardizer != null);
    if (standardizer != null) {
      standardizer.writeTo(out);
    }
    network.parameters().writeValues(out);
    network.writeState(out);
    BinaryState.writeString(out, optimizer.spec().type());
    optimizer.writeState(out);
  }

  /**
   * Reads a state written by {@link #writeTo} in format 1 or 2; the dense layers run on {@link Blas#get()}.
   *
   * @throws IOException if the stream is not a learner state, has a format version this build cannot read
   *     (the message names the version found and the supported ones), is truncated or inconsistent
   */
  public static OnlineLearner readFrom(DataInput in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format(
          "not an OnlineLearner state: magic 0x%08X, expected 0x%08X", magic, MAGIC));
    }
    int version = in.readInt();
    if (Arrays.stream(READABLE_VERSIONS).noneMatch(v -> v == version)) {
      throw new IOException("unsupported OnlineLearner state format version " + version
          + "; this build reads versions " + Arrays.toString(READABLE_VERSIONS));
    }
    String json = BinaryState.readString(in, "model spec");
    ModelSpec spec;
    try {
      spec = ModelSpec.parse(json);
    } catch (IllegalArgumentException e) {
      throw new IOException("OnlineLearner state holds an invalid model spec: " + e.getMessage(), e);
    }
    // Every weight is in the stream after the spec: a shape the bytes cannot hold is refused before it is built.
    BinaryState.requireFits(in, spec.weightCount(), Float.BYTES, "model spec " + spec.shape() + " weights");
    // A fresh learner gives the right shapes; everything it drew at creation is overwritten below.
    OnlineLearner learner = create(spec);
    learner.steps = readCount(in, "step count");
    learner.examplesSeen = readCount(in, "example count");
    long rngState = in.readLong();
    boolean standardized = in.readBoolean();
    if (standardized != spec.standardize()) {
      throw new IOException("OnlineLearner state: spec says standardize=" + spec.standardize()
          + " but the stream " + (standardized ? "has" : "lacks") + " standardiser statistics");
    }
    if (learner.standardizer != null) {
      learner.standardizer.readFrom(in);
    }
    learner.network.parameters().readValues(in);
    // Format 1 knew only softmax regression, whose layers have no state.
    if (version >= 2) {
      learner.network.readState(in);
    }
    String optimizerType = BinaryState.readString(in, "optimizer type");
    if (!optimizerType.equals(spec.optimizer().type())) {
      throw new IOException("OnlineLearner state: spec's optimizer is \"" + spec.optimizer().type()
          + "\" but the stream holds \"" + optimizerType + "\" state");
    }
    learner.optimizer.readState(in, learner.network.parameters());
    learner.rng = SplitMix64.fromState(rngState);
    return learner;
  }

  private static long readCount(DataInput in, String what) throws IOException {
    long value = in.readLong();
    if (value < 0) {
      throw new IOException("OnlineLearner state: " + what + " must be >= 0, stream has " + value);
    }
    return value;
  }

  /** The state of {@link #writeTo} as a byte array. */
  @Override
  public byte[] toBytes() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writeTo(out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return bytes.toByteArray();
  }

  /**
   * Reads a state produced by {@link #toBytes()}.
   *
   * @throws IllegalArgumentException wrapping the {@link IOException} of {@link #readFrom} if the bytes are
   *     not a readable state, or if bytes are left over after it
   */
  public static OnlineLearner fromBytes(byte[] bytes) {
    try (BinaryState.Bytes in = new BinaryState.Bytes(bytes)) {
      OnlineLearner learner = readFrom(in);
      int trailing = in.available();
      if (trailing > 0) {
        throw new IOException("OnlineLearner state: " + trailing + " unexpected bytes after the end");
      }
      return learner;
    } catch (EOFException e) {
      throw new IllegalArgumentException("OnlineLearner state is truncated (" + bytes.length + " bytes)", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
