package dev.chorus.core.nn;

import dev.chorus.core.random.SplitMix64;
import java.util.List;

/** An {@link ActivationFunction} applied elementwise; no parameters. Loops are written per function so the JIT can vectorise them. */
public final class Activation implements Layer {

  private final ActivationFunction function;
  private final int dim;

  /** @throws IllegalArgumentException if {@code dim} is below 1 */
  public Activation(ActivationFunction function, int dim) {
    if (dim < 1) {
      throw new IllegalArgumentException("Activation dimension must be >= 1, got " + dim);
    }
    this.function = function;
    this.dim = dim;
  }

  public ActivationFunction function() {
    return function;
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
    return List.of();
  }

  @Override
  public void forward(float[] in, int rows, float[] out, SplitMix64 rng) {
    infer(in, 0, rows, out, 0);
  }

  @Override
  public void infer(float[] in, int inOffset, int rows, float[] out, int outOffset) {
    int n = rows * dim;
    switch (function) {
      case RELU -> {
        for (int i = 0; i < n; i++) {
          out[outOffset + i] = Math.max(0f, in[inOffset + i]);
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          out[outOffset + i] = (float) Math.tanh(in[inOffset + i]);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          // exp(−x) overflows to infinity for x < −88, giving exactly 0, the correct limit.
          out[outOffset + i] = (float) (1 / (1 + Math.exp(-in[inOffset + i])));
        }
      }
      case IDENTITY -> System.arraycopy(in, inOffset, out, outOffset, n);
      default -> throw new AssertionError(function);
    }
  }

  @Override
  public void backward(float[] in, float[] out, int rows, float[] gradOut, float[] gradIn) {
    if (gradIn == null) {
      return;
    }
    int n = rows * dim;
    switch (function) {
      case RELU -> {
        for (int i = 0; i < n; i++) {
          gradIn[i] = out[i] > 0f ? gradOut[i] : 0f;
        }
      }
      case TANH -> {
        for (int i = 0; i < n; i++) {
          gradIn[i] = gradOut[i] * (1f - out[i] * out[i]);
        }
      }
      case SIGMOID -> {
        for (int i = 0; i < n; i++) {
          gradIn[i] = gradOut[i] * out[i] * (1f - out[i]);
        }
      }
      case IDENTITY -> System.arraycopy(gradOut, 0, gradIn, 0, n);
      default -> throw new AssertionError(function);
    }
  }

  @Override
  public Activation copy() {
    return new Activation(function, dim);
  }
}
