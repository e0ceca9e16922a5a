package dev.chorus.core.nn;

import dev.chorus.core.random.SplitMix64;
import java.util.List;

/**
 * Inverted dropout (Srivastava, Hinton, Krizhevsky, Sutskever and Salakhutdinov, "Dropout: A Simple Way to
 * Prevent Neural Networks from Overfitting", JMLR 2014): in training each value is kept with probability
 * {@code 1 − rate} and scaled by {@code 1 / (1 − rate)}, otherwise zeroed, so the expected output equals the
 * input and inference is the identity. The mask is drawn from the generator passed to {@link #forward}, one
 * uniform per value in row-major order, so the same generator state gives the same mask.
 */
public final class Dropout implements Layer {

  private final int dim;
  private final double rate;
  private final float threshold;
  private final float keepScale;
  /** The mask of the last forward pass, {@code 0} or {@code keepScale} per value; grown on demand. */
  private float[] mask = new float[0];

  /** @throws IllegalArgumentException if {@code dim < 1} or {@code rate} is outside {@code [0, 1)} */
  public Dropout(int dim, double rate) {
    if (dim < 1) {
      throw new IllegalArgumentException("Dropout dimension must be >= 1, got " + dim);
    }
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException("Dropout rate must be in [0, 1), got " + rate);
    }
    this.dim = dim;
    this.rate = rate;
    this.threshold = (float) rate;
    this.keepScale = (float) (1 / (1 - rate));
  }

  /** The probability of zeroing a value in training. */
  public double rate() {
    return rate;
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
    int n = rows * dim;
    if (mask.length < n) {
      mask = new float[n];
    }
    for (int i = 0; i < n; i++) {
      mask[i] = rng.nextFloat() < threshold ? 0f : keepScale;
    }
    for (int i = 0; i < n; i++) {
      out[i] = in[i] * mask[i];
    }
  }

  @Override
  public void backward(float[] in, float[] out, int rows, float[] gradOut, float[] gradIn) {
    if (gradIn == null) {
      return;
    }
    for (int i = 0, n = rows * dim; i < n; i++) {
      gradIn[i] = gradOut[i] * mask[i];
    }
  }

  @Override
  public void infer(float[] in, int inOffset, int rows, float[] out, int outOffset) {
    System.arraycopy(in, inOffset, out, outOffset, rows * dim);
  }

  @Override
  public Dropout copy() {
    return new Dropout(dim, rate);
  }
}
