package dev.chorus.core.model;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.loss.ClassificationLoss;
import dev.chorus.core.loss.L2Penalty;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.nn.LinearNetwork;
import dev.chorus.core.nn.Network;
import dev.chorus.core.preprocess.OnlineStandardizer;
import dev.chorus.core.optim.Optimizer;
import dev.chorus.core.random.SplitMix64;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutput;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;

/**
 * The complete training state of one online classifier, trained one minibatch at a time: optional feature
 * standardisation ({@link OnlineStandardizer}), a {@link Network} producing logits, a
 * {@link ClassificationLoss}, an optional L2 penalty, an {@link Optimizer} and the random generator.
 * This class only sequences those pieces and owns their persistence.
 *
 * <p>The binary state ({@link #writeTo}) holds everything needed to continue training bit for bit: magic
 * and format version, the spec as JSON, step and example counts, the random generator's state, the
 * standardiser's statistics, the parameters and the optimizer's state. Scratch buffers are not state.
 *
 * <p>Not thread-safe: predictions reuse scratch buffers too.
 */
public final class OnlineLearner {

  /** First int of every saved state: ASCII {@code "CHOL"} (Chorus online learner). */
  public static final int MAGIC = 0x43484F4C;
  /** The binary format this build writes. */
  public static final int FORMAT_VERSION = 1;
  private static final int[] READABLE_VERSIONS = {FORMAT_VERSION};

  private final ModelSpec spec;
  private final OnlineStandardizer standardizer;
  private final Network network;
  private final ClassificationLoss loss;
  private final L2Penalty l2;
  private final Optimizer optimizer;
  private SplitMix64 rng;
  private long steps;
  private long examplesSeen;

  /** Scratch for one minibatch: standardised inputs, logits, and the loss gradient; grown on demand. */
  private float[] batchInputs = new float[0];
  private float[] batchLogits = new float[0];
  private float[] batchGradient = new float[0];
  /** Scratch for one example. */
  private final float[] exampleInput;
  private final float[] exampleLogits;

  private OnlineLearner(ModelSpec spec, OnlineStandardizer standardizer, Network network, Optimizer optimizer,
      SplitMix64 rng) {
    this.spec = spec;
    this.standardizer = standardizer;
    this.network = network;
    this.loss = SoftmaxCrossEntropy.INSTANCE;
    this.l2 = spec.l2() > 0 ? new L2Penalty(spec.l2()) : null;
    this.optimizer = optimizer;
    this.rng = rng;
    this.exampleInput = new float[spec.inputDim()];
    this.exampleLogits = new float[spec.numClasses()];
  }

  /** A fresh learner: weights drawn from the spec's seed, no statistics, no optimizer state. */
  public static OnlineLearner create(ModelSpec spec) {
    SplitMix64 rng = SplitMix64.seeded(spec.seed());
    Network network = switch (spec.algorithm()) {
      case ModelSpec.SOFTMAX_REGRESSION -> LinearNetwork.glorot(Blas.get(), spec.inputDim(), spec.numClasses(), rng);
      default -> throw new IllegalArgumentException("unsupported algorithm \"" + spec.algorithm() + "\"");
    };
    return new OnlineLearner(spec, spec.standardize() ? new OnlineStandardizer(spec.inputDim()) : null,
        network, spec.optimizer().create(), rng);
  }

  public ModelSpec spec() {
    return spec;
  }

  public int inputDim() {
    return spec.inputDim();
  }

  public int numClasses() {
    return spec.numClasses();
  }

  /** Minibatch updates applied so far. */
  public long steps() {
    return steps;
  }

  /** Examples trained on so far. */
  public long examplesSeen() {
    return examplesSeen;
  }

  /**
   * Class probabilities for the example at {@code x[xOffset .. xOffset + inputDim)}, written to
   * {@code out[0 .. numClasses)}. Allocates nothing and changes no model state.
   */
  public void predictProba(float[] x, int xOffset, float[] out) {
    if (out.length < spec.numClasses()) {
      throw new IllegalArgumentException(
          "predictProba: out must hold numClasses=" + spec.numClasses() + " floats, has " + out.length);
    }
    logits(x, xOffset);
    loss.probabilities(exampleLogits, 0, spec.numClasses(), out);
  }

  /** The most probable class (the lowest index on ties) for the example at {@code x[xOffset...]}. */
  public int predict(float[] x, int xOffset) {
    logits(x, xOffset);
    int best = 0;
    for (int j = 1; j < exampleLogits.length; j++) {
      if (exampleLogits[j] > exampleLogits[best]) {
        best = j;
      }
    }
    return best;
  }

  private void logits(float[] x, int xOffset) {
    int d = spec.inputDim();
    if (xOffset < 0 || (long) xOffset + d > x.length) {
      throw new IllegalArgumentException("predict: example at offset " + xOffset + " needs " + ((long) xOffset + d)
          + " floats (inputDim=" + d + "), array has " + x.length);
    }
    if (standardizer != null) {
      standardizer.transform(x, xOffset, exampleInput, 0);
      network.predict(exampleInput, 0, exampleLogits);
    } else {
      network.predict(x, xOffset, exampleLogits);
    }
  }

  /**
   * Trains on {@code n} examples with one optimizer step: updates the standardiser's statistics, then
   * minimises the weighted mean softmax cross-entropy (plus the L2 penalty, if any).
   *
   * @param x features, row-major {@code n × inputDim}; may be longer (a reused buffer)
   * @param labels class indices in {@code [0, numClasses)}; may be longer than {@code n}
   * @param weights non-negative example weights, or {@code null} for all ones; may be longer than {@code n}
   * @return the weighted mean cross-entropy of the minibatch before the step, excluding the L2 penalty
   * @throws IllegalArgumentException before any state changes, if an argument is invalid
   */
  public double trainMinibatch(float[] x, int[] labels, float[] weights, int n) {
    validateMinibatch(x, labels, weights, n);
    ensureCapacity(n);
    float[] inputs = x;
    if (standardizer != null) {
      standardizer.update(x, n);
      standardizer.transform(x, n, batchInputs);
      inputs = batchInputs;
    }
    network.forward(inputs, n, batchLogits);
    double meanLoss = loss.lossAndGradient(batchLogits, n, spec.numClasses(), labels, weights, batchGradient);
    network.backward(inputs, n, batchGradient);
    if (l2 != null) {
      l2.addPenaltyGradient(network.parameters());
    }
    optimizer.step(network.parameters());
    steps++;
    examplesSeen += n;
    return meanLoss;
  }

  private void validateMinibatch(float[] x, int[] labels, float[] weights, int n) {
    int d = spec.inputDim();
    if (n < 1) {
      throw new IllegalArgumentException("trainMinibatch: n must be >= 1, got " + n);
    }
    if ((long) n * d > x.length) {
      throw new IllegalArgumentException("trainMinibatch: x must hold n × inputDim = " + n + " × " + d + " = "
          + (long) n * d + " floats, has " + x.length);
    }
    if (labels.length < n) {
      throw new IllegalArgumentException("trainMinibatch: labels must hold n=" + n + " ints, has " + labels.length);
    }
    if (weights != null && weights.length < n) {
      throw new IllegalArgumentException("trainMinibatch: weights must hold n=" + n + " floats, has " + weights.length);
    }
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= spec.numClasses()) {
        throw new IllegalArgumentException("trainMinibatch: label of example " + i + " must be in [0, "
            + spec.numClasses() + "), got " + labels[i]);
      }
      if (weights != null && !(weights[i] >= 0 && weights[i] < Float.POSITIVE_INFINITY)) {
        throw new IllegalArgumentException(
            "trainMinibatch: weight of example " + i + " must be finite and >= 0, got " + weights[i]);
      }
    }
    // One NaN or infinity would poison the parameters for good, so reject the batch instead.
    for (int i = 0, end = n * d; i < end; i++) {
      if (!Float.isFinite(x[i])) {
        throw new IllegalArgumentException("trainMinibatch: feature " + (i % d) + " of example " + (i / d)
            + " must be finite, got " + x[i]);
      }
    }
  }

  private void ensureCapacity(int n) {
    if (batchLogits.length < n * spec.numClasses()) {
      batchLogits = new float[n * spec.numClasses()];
      batchGradient = new float[n * spec.numClasses()];
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
    BinaryState.writeString(out, optimizer.spec().type());
    optimizer.writeState(out);
  }

  /**
   * Reads a state written by {@link #writeTo}.
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
    if (version != FORMAT_VERSION) {
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
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
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
