package dev.chorus.core.nn;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.random.SplitMix64;
import java.util.Arrays;
import java.util.List;

/**
 * An affine map {@code out = in·Wᵀ + b}, with {@code W} of shape {@code outputDim × inputDim} (parameter
 * {@code <prefix>weights}, regularised) and optionally a bias {@code b} of length {@code outputDim}
 * (parameter {@code <prefix>bias}, not regularised). A bias is left out before batch normalisation, whose
 * shift β makes it redundant.
 *
 * <p>Every product runs on the whole minibatch through {@link Blas#sgemm}: forward {@code X·Wᵀ}, backward
 * {@code dW = Gᵀ·X} and {@code dX = G·W}.
 */
public final class Dense implements Layer {

  public static final String WEIGHTS = "weights";
  public static final String BIAS = "bias";

  private final Blas blas;
  private final int inputDim;
  private final int outputDim;
  private final Parameter weights;
  private final Parameter bias;
  private final List<Parameter> parameters;

  private Dense(Blas blas, Parameter weights, Parameter bias) {
    this.blas = blas;
    this.weights = weights;
    this.bias = bias;
    this.outputDim = weights.value().rows();
    this.inputDim = weights.value().cols();
    this.parameters = bias == null ? List.of(weights) : List.of(weights, bias);
  }

  /**
   * A layer with zero weights (and bias, if {@code withBias}); parameter names start with {@code prefix}.
   *
   * @throws IllegalArgumentException if a dimension is below 1, except inputDim 0 with a bias: a layer of no inputs
   *     is its bias (the output layer of a label-only task, which learns the class distribution)
   */
  public static Dense zeros(Blas blas, String prefix, int inputDim, int outputDim, boolean withBias) {
    if (inputDim < (withBias ? 0 : 1) || outputDim < 1) {
      throw new IllegalArgumentException("Dense layer dimensions must be >= 1 (inputDim >= 0 with a bias), got inputDim="
          + inputDim + ", outputDim=" + outputDim);
    }
    return new Dense(blas, Parameter.zeros(prefix + WEIGHTS, outputDim, inputDim, true),
        withBias ? Parameter.zeros(prefix + BIAS, 1, outputDim, false) : null);
  }

  /** The weights, {@code outputDim × inputDim}. */
  public Parameter weights() {
    return weights;
  }

  /** The bias, or {@code null} if this layer has none. */
  public Parameter bias() {
    return bias;
  }

  @Override
  public int inputDim() {
    return inputDim;
  }

  @Override
  public int outputDim() {
    return outputDim;
  }

  @Override
  public List<Parameter> parameters() {
    return parameters;
  }

  @Override
  public void forward(float[] in, int rows, float[] out, SplitMix64 rng) {
    infer(in, 0, rows, out, 0);
  }

  @Override
  public void backward(float[] in, float[] out, int rows, float[] gradOut, float[] gradIn) {
    if (inputDim > 0) {
      blas.sgemm(true, false, outputDim, inputDim, rows,
          1f, gradOut, 0, outputDim, in, 0, inputDim, 0f, weights.gradient().data(), 0, inputDim);
    }
    if (bias != null) {
      float[] db = bias.gradient().data();
      Arrays.fill(db, 0f);
      for (int i = 0; i < rows; i++) {
        int row = i * outputDim;
        for (int j = 0; j < outputDim; j++) {
          db[j] += gradOut[row + j];
        }
      }
    }
    if (gradIn != null && inputDim > 0) {
      blas.sgemm(false, false, rows, inputDim, outputDim,
          1f, gradOut, 0, outputDim, weights.value().data(), 0, inputDim, 0f, gradIn, 0, inputDim);
    }
  }

  @Override
  public void infer(float[] in, int inOffset, int rows, float[] out, int outOffset) {
    float[] w = weights.value().data();
    if (bias == null) {
      if (rows == 1) {
        blas.sgemv(false, outputDim, inputDim, 1f, w, 0, inputDim, in, inOffset, 0f, out, outOffset);
      } else {
        blas.sgemm(false, true, rows, outputDim, inputDim,
            1f, in, inOffset, inputDim, w, 0, inputDim, 0f, out, outOffset, outputDim);
      }
      return;
    }
    // The bias is broadcast into the output first and the product accumulated onto it (beta = 1): no extra pass.
    float[] b = bias.value().data();
    for (int i = 0; i < rows; i++) {
      System.arraycopy(b, 0, out, outOffset + i * outputDim, outputDim);
    }
    if (inputDim == 0) {
      return;
    }
    if (rows == 1) {
      blas.sgemv(false, outputDim, inputDim, 1f, w, 0, inputDim, in, inOffset, 1f, out, outOffset);
    } else {
      blas.sgemm(false, true, rows, outputDim, inputDim,
          1f, in, inOffset, inputDim, w, 0, inputDim, 1f, out, outOffset, outputDim);
    }
  }

  @Override
  public Dense copy() {
    return new Dense(blas, weights.copy(), bias == null ? null : bias.copy());
  }
}
