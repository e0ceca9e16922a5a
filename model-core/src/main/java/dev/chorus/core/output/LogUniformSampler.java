package dev.chorus.core.output;

import dev.chorus.core.random.SplitMix64;

/**
 * The log-uniform (Zipfian) proposal over class ids sorted by decreasing frequency, the default candidate sampler
 * of Jean et al.'s sampled softmax as TensorFlow ships it: {@code Q(c) = log((c + 2)/(c + 1)) / log(C + 1)}, close
 * to a Zipf law {@code 1/(c+1)}. Chosen over word2vec's unigram^0.75 table for {@link SampledSoftmax} because it
 * needs no counts and no table (O(1) memory and an O(1) draw at 10^6 classes) and is fixed, so a saved layer needs
 * no sampler state; it asks only that class ids be numbered by decreasing frequency, as vocabularies usually are.
 */
public final class LogUniformSampler {

  private final int classes;
  private final double logRange;

  public LogUniformSampler(int classes) {
    this.classes = classes;
    this.logRange = Math.log(classes + 1.0);
  }

  /** A draw from Q by inversion: {@code ⌊exp(u·log(C + 1))⌋ − 1} for a uniform u. */
  public int sample(SplitMix64 random) {
    int c = (int) Math.exp(random.nextDouble() * logRange) - 1;
    return Math.min(Math.max(c, 0), classes - 1);
  }

  /** {@code log Q(c)}. */
  public double logProbability(int c) {
    return Math.log(Math.log1p(1.0 / (c + 1)) / logRange);
  }
}
