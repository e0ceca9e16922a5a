package dev.chorus.core.features;

import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A seeded stream of click examples with named fields, for tests and benchmarks of hashed models: categorical
 * {@code user}, {@code ad}, {@code site} and {@code country} drawn from Zipf distributions (rank {@code r} with
 * probability ∝ {@code 1/(r+1)^}{@value #ZIPF_EXPONENT}), a {@code words} field of 1 to 4 Zipf-drawn tokens, and a
 * numeric {@code amount} uniform in [0, 2).
 *
 * <p>Labels come from a known logistic model over the hashed features ({@link FeatureHasher} with the given
 * spec): {@code P(click) = σ(trueBias + Σ value_i · trueWeight(index_i))}, each index's weight a Gaussian drawn
 * from the seed. A hashed logistic model can therefore represent the truth exactly, and a test can compare what
 * it learns with the Bayes-optimal AUC and log loss: those of {@link Click#probability()}.
 */
public final class SyntheticClicks {

  /** The fields of every click, in hashing order. */
  public static final List<String> FIELDS = List.of("user", "ad", "site", "country", "words", "amount");
  public static final double ZIPF_EXPONENT = 1.1;
  static final int USERS = 1_000;
  static final int ADS = 500;
  static final int SITES = 100;
  static final int COUNTRIES = 30;
  static final int VOCABULARY = 300;
  static final int MAX_WORDS = 4;
  /** Standard deviation of the true weights: clicks are predictable, yet far from certain. */
  static final double WEIGHT_SCALE = 0.6;
  static final double TRUE_BIAS = -1.0;

  private final FeatureHasher hasher;
  private final SplitMix64 rng;
  private final long weightSeed;
  private final double[] users = zipfCdf(USERS);
  private final double[] ads = zipfCdf(ADS);
  private final double[] sites = zipfCdf(SITES);
  private final double[] countries = zipfCdf(COUNTRIES);
  private final double[] words = zipfCdf(VOCABULARY);

  /**
   * One click: its named fields, their hashed features, the true probability of a click and the drawn label.
   *
   * @param fields as a producer would send them: {@code user}, {@code ad}, {@code site}, {@code country} strings,
   *     {@code words} a list of strings, {@code amount} a double
   */
  public record Click(Map<String, Object> fields, SparseVector features, double probability, int label) {}

  private SyntheticClicks(long seed, HashingSpec hashing) {
    this.hasher = new FeatureHasher(hashing);
    this.rng = SplitMix64.seeded(seed);
    this.weightSeed = SplitMix64.seeded(~seed).nextLong();
  }

  /**
   * The stream of {@code seed}, hashed by {@code hashing}, which must accept {@link #FIELDS} (list them all, or
   * none); its interactions, if any, are part of the true model too.
   */
  public static SyntheticClicks seeded(long seed, HashingSpec hashing) {
    if (!hashing.fields().isEmpty() && !hashing.fields().containsAll(FIELDS)) {
      throw new IllegalArgumentException("SyntheticClicks: the hashing spec's fields must include " + FIELDS
          + ", got " + hashing.fields());
    }
    return new SyntheticClicks(seed, hashing);
  }

  /** The next click. */
  public Click next() {
    Map<String, Object> fields = new LinkedHashMap<>();
    fields.put("user", "u" + draw(users));
    fields.put("ad", "a" + draw(ads));
    fields.put("site", "s" + draw(sites));
    fields.put("country", "c" + draw(countries));
    int count = 1 + (int) Long.remainderUnsigned(rng.nextLong(), MAX_WORDS);
    List<String> tokens = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      tokens.add("w" + draw(words));
    }
    fields.put("words", List.copyOf(tokens));
    fields.put("amount", 2 * rng.nextDouble());
    SparseVector features = hasher.hash(fields);
    double z = TRUE_BIAS;
    for (int e = 0; e < features.size(); e++) {
      z += features.values()[e] * trueWeight(features.indices()[e]);
    }
    double probability = 1 / (1 + Math.exp(-z));
    int label = rng.nextDouble() < probability ? 1 : 0;
    return new Click(fields, features, probability, label);
  }

  /** The true model's weight of hashed index {@code index}: a Gaussian of mean 0 and sd {@value #WEIGHT_SCALE}. */
  public double trueWeight(int index) {
    return WEIGHT_SCALE * SplitMix64.seeded(weightSeed ^ (index * 0x9E3779B97F4A7C15L)).nextGaussian();
  }

  /** The true model's bias. */
  public double trueBias() {
    return TRUE_BIAS;
  }

  private int draw(double[] cdf) {
    int at = Arrays.binarySearch(cdf, rng.nextDouble());
    return Math.min(at >= 0 ? at + 1 : -at - 1, cdf.length - 1);
  }

  /** {@code cdf[r]}: the probability of a rank at most {@code r}, the last exactly 1. */
  private static double[] zipfCdf(int n) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int r = 0; r < n; r++) {
      sum += Math.pow(r + 1, -ZIPF_EXPONENT);
      cdf[r] = sum;
    }
    for (int r = 0; r < n; r++) {
      cdf[r] /= sum;
    }
    cdf[n - 1] = 1;
    return cdf;
  }
}
