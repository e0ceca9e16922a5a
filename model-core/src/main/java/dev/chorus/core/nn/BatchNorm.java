package dev.chorus.core.nn;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.random.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * Batch normalisation (Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network Training by
 * Reducing Internal Covariate Shift", ICML 2015) of each feature: {@code y = γ·(x − μ)/sqrt(σ² + ε) + β}
 * with per-feature parameters {@code <prefix>gamma} (initially 1) and {@code <prefix>beta} (initially 0),
 * neither regularised.
 *
 * <p>In training, {@code μ} and {@code σ²} are the minibatch's mean and (biased) variance, and the running
 * statistics move towards them as exponential averages: {@code running ← momentum·running +
 * (1 − momentum)·batch}, with the unbiased variance {@code σ²·n/(n − 1)} as in the paper's inference rule. At
 * inference the running statistics are used, so a prediction depends on one example only. A training minibatch
 * of one example (a batch timeout can close one) has no variance, and its own mean would map it to β whatever
 * it holds, passing no gradient: it is normalised with the running statistics instead, as at inference, so
 * gradients reach γ, β and the input, and it leaves the running statistics unchanged. The running statistics
 * are this layer's state ({@link #writeState}).
 */
public final class BatchNorm implements Layer {

  public static final String GAMMA = "gamma";
  public static final String BETA = "beta";
  /** Retention of the running statistics per minibatch; Keras' and PyTorch's 0.99 and 0.9 bracket it. */
  public static final double DEFAULT_MOMENTUM = 0.9;
  /** Added to the variance so that a constant feature does not divide by zero; the paper's value. */
  public static final float EPSILON = 1e-5f;

  private final int dim;
  private final float momentum;
  private final Parameter gamma;
  private final Parameter beta;
  private final List<Parameter> parameters;
  private final float[] runningMean;
  private final float[] runningVariance;
  /** Scratch of the last training pass: batch mean, 1/sqrt(σ² + ε), normalised inputs (grown on demand). */
  private final float[] batchMean;
  private final float[] inverseStd;
  private final float[] columnSum;
  private final float[] columnDot;
  private final float[] gradScale;
  private float[] normalized = new float[0];
  /** Whether the last training pass normalised with the running statistics (one row), which the input does not move. */
  private boolean runningStatisticsUsed;
  /** Inference scale and shift derived from γ, β and the running statistics, refreshed before each use. */
  private final float[] inferScale;
  private final float[] inferShift;

  private BatchNorm(int dim, double momentum, Parameter gamma, Parameter beta, float[] runningMean,
      float[] runningVariance) {
    this.dim = dim;
    this.momentum = (float) momentum;
    this.gamma = gamma;
    this.beta = beta;
    this.parameters = List.of(gamma, beta);
    this.runningMean = runningMean;
    this.runningVariance = runningVariance;
    this.batchMean = new float[dim];
    this.inverseStd = new float[dim];
    this.columnSum = new float[dim];
    this.columnDot = new float[dim];
    this.gradScale = new float[dim];
    this.inferScale = new float[dim];
    this.inferShift = new float[dim];
  }

  /**
   * γ = 1, β = 0, running mean 0 and variance 1; parameter names start with {@code prefix}.
   *
   * @throws IllegalArgumentException if {@code dim < 1} or {@code momentum} is outside {@code [0, 1)}
   */
  public static BatchNorm create(String prefix, int dim, double momentum) {
    if (dim < 1) {
      throw new IllegalArgumentException("BatchNorm dimension must be >= 1, got " + dim);
    }
    if (!(momentum >= 0 && momentum < 1)) {
      throw new IllegalArgumentException("BatchNorm momentum must be in [0, 1), got " + momentum);
    }
    Parameter gamma = Parameter.zeros(prefix + GAMMA, 1, dim, false);
    Arrays.fill(gamma.value().data(), 1f);
    float[] variance = new float[dim];
    Arrays.fill(variance, 1f);
    return new BatchNorm(dim, momentum, gamma, Parameter.zeros(prefix + BETA, 1, dim, false), new float[dim], variance);
  }

  public Parameter gamma() {
    return gamma;
  }

  public Parameter beta() {
    return beta;
  }

  /** The running mean per feature (the array itself). */
  public float[] runningMean() {
    return runningMean;
  }

  /** The running unbiased variance per feature (the array itself). */
  public float[] runningVariance() {
    return runningVariance;
  }

  @Override
  public int inputDim() {
    return dim;
  }

  @Override
  public int outputDim() {
    return dim;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public List<float[]> runningStatistics() {
    return List.of(runningMean, runningVariance);
  }

  @Override
  public void forward(float[] in, int rows, float[] out, SplitMix64 rng) {
    int n = rows * dim;
    if (normalized.length < n) {
      normalized = new float[n];
    }
    runningStatisticsUsed = rows == 1;
    if (runningStatisticsUsed) {
      for (int j = 0; j < dim; j++) {
        batchMean[j] = runningMean[j];
        inverseStd[j] = (float) (1 / Math.sqrt(runningVariance[j] + EPSILON));
      }
      normalize(in, n, out);
      return;
    }
    Arrays.fill(batchMean, 0f);
    for (int row = 0; row < n; row += dim) {
      for (int j = 0; j < dim; j++) {
        batchMean[j] += in[row + j];
      }
    }
    float invRows = 1f / rows;
    for (int j = 0; j < dim; j++) {
      batchMean[j] *= invRows;
    }
    // Two passes (mean, then squared deviations) rather than E[x²] − E[x]², which cancels badly in float.
    Arrays.fill(columnSum, 0f);
    for (int row = 0; row < n; row += dim) {
      for (int j = 0; j < dim; j++) {
        float d = in[row + j] - batchMean[j];
        columnSum[j] += d * d;
      }
    }
    float unbiased = 1f / (rows - 1);
    float keep = momentum;
    float blend = 1f - momentum;
    for (int j = 0; j < dim; j++) {
      float variance = columnSum[j] * invRows;
      inverseStd[j] = (float) (1 / Math.sqrt(variance + EPSILON));
      runningMean[j] = keep * runningMean[j] + blend * batchMean[j];
      runningVariance[j] = keep * runningVariance[j] + blend * columnSum[j] * unbiased;
    }
    normalize(in, n, out);
  }

  /** {@code out = γ·(in − batchMean)·inverseStd + β} over {@code n} values, keeping x̂ for the backward pass. */
  private void normalize(float[] in, int n, float[] out) {
    float[] g = gamma.value().data();
    float[] b = beta.value().data();
    for (int row = 0; row < n; row += dim) {
      for (int j = 0; j < dim; j++) {
        float xHat = (in[row + j] - batchMean[j]) * inverseStd[j];
        normalized[row + j] = xHat;
        out[row + j] = g[j] * xHat + b[j];
      }
    }
  }

  @Override
  public void backward(float[] in, float[] out, int rows, float[] gradOut, float[] gradIn) {
    int n = rows * dim;
    // dβ = Σᵢ gᵢ and dγ = Σᵢ gᵢ·x̂ᵢ per feature; then dxᵢ = γ/(n·σ) · (n·gᵢ − dβ − x̂ᵢ·dγ).
    Arrays.fill(columnSum, 0f);
    Arrays.fill(columnDot, 0f);
    for (int row = 0; row < n; row += dim) {
      for (int j = 0; j < dim; j++) {
        columnSum[j] += gradOut[row + j];
        columnDot[j] += gradOut[row + j] * normalized[row + j];
      }
    }
    System.arraycopy(columnSum, 0, beta.gradient().data(), 0, dim);
    System.arraycopy(columnDot, 0, gamma.gradient().data(), 0, dim);
    if (gradIn == null) {
      return;
    }
    float[] g = gamma.value().data();
    if (runningStatisticsUsed) {
      // The running statistics are constants here, so the layer is affine in its input: dx = γ/σ · g.
      for (int j = 0; j < dim; j++) {
        gradIn[j] = g[j] * inverseStd[j] * gradOut[j];
      }
      return;
    }
    float invRows = 1f / rows;
    for (int j = 0; j < dim; j++) {
      // In means rather than sums: dxᵢ = γ/σ · (gᵢ − mean(g) − x̂ᵢ·mean(g·x̂)).
      columnSum[j] *= invRows;
      columnDot[j] *= invRows;
      gradScale[j] = g[j] * inverseStd[j];
    }
    for (int row = 0; row < n; row += dim) {
      for (int j = 0; j < dim; j++) {
        gradIn[row + j] = gradScale[j] * (gradOut[row + j] - columnSum[j] - normalized[row + j] * columnDot[j]);
      }
    }
  }

  @Override
  public void infer(float[] in, int inOffset, int rows, float[] out, int outOffset) {
    float[] g = gamma.value().data();
    float[] b = beta.value().data();
    for (int j = 0; j < dim; j++) {
      inferScale[j] = g[j] / (float) Math.sqrt(runningVariance[j] + EPSILON);
      inferShift[j] = b[j] - runningMean[j] * inferScale[j];
    }
    for (int i = 0; i < rows; i++) {
      int src = inOffset + i * dim;
      int dst = outOffset + i * dim;
      for (int j = 0; j < dim; j++) {
        out[dst + j] = in[src + j] * inferScale[j] + inferShift[j];
      }
    }
  }

  @Override
  public BatchNorm copy() {
    return new BatchNorm(dim, momentum, gamma.copy(), beta.copy(), runningMean.clone(), runningVariance.clone());
  }

  @Override
  public void writeState(DataOutput out) throws IOException {
    BinaryState.writeFloats(out, runningMean);
    BinaryState.writeFloats(out, runningVariance);
  }

  /**
   * Null when the running statistics are what training can leave, else which is not and where: the rule both
   * {@link #readState} and the readers of saved models ({@code NumericGuard}, through {@link Network#firstInvalidState})
   * apply. A running mean must be finite and a running variance {@code >= 0}: a negative or NaN one makes
   * {@code sqrt(σ² + ε)} NaN, and so every prediction. A variance of +Infinity is valid: training writes one when a
   * column's squared deviations overflow float (the step is accepted, the layer then outputs its β for that column),
   * and a checkpoint, a snapshot or a warm start holding it must read.
   */
  @Override
  public String firstInvalidState() {
    return firstInvalid(runningMean, runningVariance);
  }

  private String firstInvalid(float[] mean, float[] variance) {
    for (int j = 0; j < dim; j++) {
      if (!Float.isFinite(mean[j])) {
        return "batch-norm running mean of '" + gamma.name() + "' is " + mean[j] + " at index " + j
            + " (expected a finite number)";
      }
      if (!(variance[j] >= 0)) {
        return "batch-norm running variance of '" + gamma.name() + "' is " + variance[j] + " at index " + j
            + " (expected a number >= 0)";
      }
    }
    return null;
  }

  /** Reads what {@link #writeState} wrote; nothing changes if the stream is invalid ({@link #firstInvalidState}). */
  @Override
  public void readState(DataInput in) throws IOException {
    float[] mean = new float[dim];
    float[] variance = new float[dim];
    BinaryState.readFloats(in, mean, "batch-norm running mean of '" + gamma.name() + "'");
    BinaryState.readFloats(in, variance, "batch-norm running variance of '" + gamma.name() + "'");
    String invalid = firstInvalid(mean, variance);
    if (invalid != null) {
      throw new IOException("stream's " + invalid);
    }
    System.arraycopy(mean, 0, runningMean, 0, dim);
    System.arraycopy(variance, 0, runningVariance, 0, dim);
  }
}
