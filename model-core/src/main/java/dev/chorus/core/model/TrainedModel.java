package dev.chorus.core.model;

import dev.chorus.core.loss.ClassificationLoss;
import dev.chorus.core.nn.Network;
import dev.chorus.core.preprocess.OnlineStandardizer;

/**
 * What an {@link OnlineLearner} has learned and predicts with: the spec, the optional feature standardiser, the
 * network and its loss's link (probabilities for a classifier), and its {@link Provenance}. The learner that
 * owns it updates its parameters, statistics and counts in place after each minibatch (online learning keeps
 * one model, never a copy per step); nothing else changes it.
 *
 * <p>Not thread-safe: predictions reuse scratch buffers, and allocate nothing.
 */
public final class TrainedModel {

  private final ModelSpec spec;
  /** {@code null} when the spec does not standardise. */
  private final OnlineStandardizer standardizer;
  private final Network network;
  /** {@code null} for a regressor. */
  private final ClassificationLoss loss;
  private final String dataSource;
  private final String blasBackend;
  private long steps;
  private long examplesSeen;

  /** Scratch of the predictions; never part of the state. */
  private final float[] exampleInput;
  private final float[] exampleOutput;
  private final float[] exampleProbabilities;
  private float[] predictInputs = new float[0];
  private float[] predictOutputs = new float[0];

  TrainedModel(ModelSpec spec, OnlineStandardizer standardizer, Network network, String dataSource,
      String blasBackend) {
    this.spec = spec;
    this.standardizer = standardizer;
    this.network = network;
    this.loss = spec.classificationLoss();
    this.dataSource = dataSource;
    this.blasBackend = blasBackend;
    this.exampleInput = new float[spec.inputDim()];
    this.exampleOutput = new float[network.outputDim()];
    this.exampleProbabilities = new float[Math.max(1, spec.numClasses())];
  }

  /** A deep copy, with the same provenance. */
  TrainedModel copy() {
    TrainedModel copy = new TrainedModel(spec, standardizer == null ? null : standardizer.copy(), network.copy(),
        dataSource, blasBackend);
    copy.steps = steps;
    copy.examplesSeen = examplesSeen;
    return copy;
  }

  /** A model of the same spec, standardiser (shared, not copied), provenance and counts over {@code network}. */
  TrainedModel withNetwork(Network network) {
    TrainedModel other = new TrainedModel(spec, standardizer, network, dataSource, blasBackend);
    other.steps = steps;
    other.examplesSeen = examplesSeen;
    return other;
  }

  /** Counts one more update, on {@code n} examples. */
  void recordStep(int n) {
    steps++;
    examplesSeen += n;
  }

  void restoreCounts(long steps, long examplesSeen) {
    this.steps = steps;
    this.examplesSeen = examplesSeen;
  }

  public ModelSpec spec() {
    return spec;
  }

  /** Where this model came from, as of now. */
  public Provenance provenance() {
    return new Provenance(spec, steps, examplesSeen, dataSource, Provenance.CHORUS_VERSION, blasBackend);
  }

  /** Minibatch updates applied so far: the model's version. */
  public long steps() {
    return steps;
  }

  /** Examples trained on so far. */
  public long examplesSeen() {
    return examplesSeen;
  }

  /** The network; changing its parameters changes this model. */
  public Network network() {
    return network;
  }

  /** Null when every number this model's predictions read is finite ({@link Predictor#firstNonFinite}). */
  public String firstNonFinite() {
    String bad = standardizer == null ? null : standardizer.firstNonFinite();
    return bad != null ? bad : NumericGuard.firstNonFinite("", network);
  }

  /** The standardiser, or {@code null}; its statistics are this model's. */
  OnlineStandardizer standardizer() {
    return standardizer;
  }

  /** The classifier's loss, or {@code null} for a regressor. */
  ClassificationLoss loss() {
    return loss;
  }

  /**
   * Class probabilities for the example at {@code x[xOffset .. xOffset + inputDim)}, written to
   * {@code out[0 .. numClasses)}. Allocates nothing and changes no model state.
   *
   * @throws IllegalStateException for a regressor
   */
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
  public float predictValue(float[] x, int xOffset) {
    if (spec.isClassifier()) {
      throw new IllegalStateException("predictValue: " + spec.algorithm() + " with " + spec.numClasses()
          + " classes is a classifier; use predictProba or predict");
    }
    outputs(x, xOffset);
    return exampleOutput[0];
  }

  /** {@link Predictor#predictProbaBatch}: one batched inference pass, standardising all rows at once. */
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

  /** {@link Predictor#predictValues}: one batched inference pass, standardising all rows at once. */
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

  void requireClassifier(String method) {
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
}
