package dev.chorus.core.annotators;

import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.Network;
import dev.chorus.core.preprocess.OnlineStandardizer;

/**
 * Inference through one set of a {@link DoctorNet}'s parameters: its live body and heads, which training reads, or
 * their averages, which its label model predicts from. Both read the live standardiser. Slots are looked up in
 * {@code heads} at each call, so heads created, reset or rolled back are seen at once.
 */
final class DoctorNetView {

  private final OnlineStandardizer standardizer;
  /** {@code null} for an empty body. */
  private final Network body;
  private final Dense[] heads;
  private final int k;
  private final int width;
  private final float[] exampleInput;
  private final float[] exampleHidden;
  private final float[] exampleLogits;

  DoctorNetView(OnlineStandardizer standardizer, Network body, Dense[] heads, int d, int width, int k) {
    this.standardizer = standardizer;
    this.body = body;
    this.heads = heads;
    this.k = k;
    this.width = width;
    this.exampleInput = new float[d];
    this.exampleHidden = new float[width];
    this.exampleLogits = new float[k];
  }

  /** The body's inference-mode output for the example at {@code x[xOffset ..]}; the returned buffer is reused. */
  float[] features(float[] x, int xOffset) {
    float[] in = x;
    int offset = xOffset;
    if (standardizer != null) {
      standardizer.transform(x, xOffset, exampleInput, 0);
      in = exampleInput;
      offset = 0;
    }
    if (body == null) {
      System.arraycopy(in, offset, exampleHidden, 0, width);
    } else {
      body.predict(in, offset, exampleHidden);
    }
    return exampleHidden;
  }

  /** Head {@code slot}'s class probabilities for body output {@code features} into {@code out}. */
  void headProba(int slot, float[] features, float[] out) {
    heads[slot].infer(features, 0, 1, exampleLogits, 0);
    SoftmaxCrossEntropy.INSTANCE.probabilities(exampleLogits, 0, k, out);
  }
}
