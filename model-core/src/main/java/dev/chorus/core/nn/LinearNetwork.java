package dev.chorus.core.nn;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.random.SplitMix64;
import java.util.Arrays;
import java.util.List;

/**
 * An affine map {@code out = x·Wᵀ + b} with {@code W} of shape {@code outputDim × inputDim} (parameter
 * {@value #WEIGHTS}, L2-regularised) and {@code b} of length {@code outputDim} (parameter {@value #BIAS}).
 * With softmax cross-entropy on its outputs this is multinomial logistic (softmax) regression.
 */
public final class LinearNetwork implements Network {

  public static final String WEIGHTS = "weights";
  public static final String BIAS = "bias";

  private final Blas blas;
  private final int inputDim;
  private final int outputDim;
  private final Parameter weights;
  private final Parameter bias;
  private final ParameterSet parameters;

  private LinearNetwork(Blas blas, Parameter weights, Parameter bias) {
    this.blas = blas;
    this.weights = weights;
    this.bias = bias;
    this.outputDim = weights.value().rows();
    this.inputDim = weights.value().cols();
    this.parameters = new ParameterSet(List.of(weights, bias));
  }

  /** Zero weights and bias. */
  public static LinearNetwork zeros(Blas blas, int inputDim, int outputDim) {
    if (inputDim < 1 || outputDim < 1) {
      throw new IllegalArgumentException(
          "LinearNetwork dimensions must be >= 1, got inputDim=" + inputDim + ", outputDim=" + outputDim);
    }
    return new LinearNetwork(blas,
        Parameter.zeros(WEIGHTS, outputDim, inputDim, true), Parameter.zeros(BIAS, 1, outputDim, false));
  }

  /** Glorot-uniform weights drawn from {@code rng}, zero bias. */
  public static LinearNetwork glorot(Blas blas, int inputDim, int outputDim, SplitMix64 rng) {
    LinearNetwork network = zeros(blas, inputDim, outputDim);
    Initializers.glorotUniform(network.weights.value(), inputDim, outputDim, rng);
    return network;
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
  public ParameterSet parameters() {
    return parameters;
  }

  @Override
  public void forward(float[] x, int rows, float[] out) {
    blas.sgemm(false, true, rows, outputDim, inputDim,
        1f, x, 0, inputDim, weights.value().data(), 0, inputDim, 0f, out, 0, outputDim);
    float[] b = bias.value().data();
    for (int i = 0; i < rows; i++) {
      int row = i * outputDim;
      for (int j = 0; j < outputDim; j++) {
        out[row + j] += b[j];
      }
    }
  }

  @Override
  public void backward(float[] x, int rows, float[] gradOut) {
    // dL/dW = gradOutᵀ · x (outputDim × inputDim); dL/db = column sums of gradOut.
    blas.sgemm(true, false, outputDim, inputDim, rows,
        1f, gradOut, 0, outputDim, x, 0, inputDim, 0f, weights.gradient().data(), 0, inputDim);
    float[] db = bias.gradient().data();
    Arrays.fill(db, 0f);
    for (int i = 0; i < rows; i++) {
      int row = i * outputDim;
      for (int j = 0; j < outputDim; j++) {
        db[j] += gradOut[row + j];
      }
    }
  }

  @Override
  public void predict(float[] x, int xOffset, float[] out) {
    System.arraycopy(bias.value().data(), 0, out, 0, outputDim);
    blas.sgemv(false, outputDim, inputDim, 1f, weights.value().data(), 0, inputDim, x, xOffset, 1f, out, 0);
  }

  @Override
  public LinearNetwork copy() {
    return new LinearNetwork(blas, weights.copy(), bias.copy());
  }
}
