package dev.chorus.core.output;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.spec.SpecReader;
import java.util.List;

/**
 * Config of a streaming {@link SkipGram} task: {@code {"buckets":1048576,"dim":100,"window":5,"negatives":5,
 * "subsample":1e-4,"learningRate":0.025,"maxTokens":1000}}. A record of its own, to become the value of a model
 * spec key. The defaults are word2vec's, but for the learning rate, which stays constant on a stream that does not
 * end (word2vec decays it linearly over a known corpus).
 *
 * @param buckets the bounded vocabulary: tokens hash into this many vectors, colliding tokens share one
 * @param dim the vectors' dimension
 * @param window the largest distance of a context token; each centre draws its own from 1..window
 * @param negatives negative samples per (centre, context) pair
 * @param subsample word2vec's {@code t}: tokens whose frequency exceeds it are randomly skipped; 0 keeps all
 * @param learningRate the SGD step
 * @param maxTokens the longest token sequence one example may carry; a longer one is refused
 */
public record SkipGramSpec(int buckets, int dim, int window, int negatives, double subsample, double learningRate,
    int maxTokens) {

  public static final int MAX_BUCKETS = 1 << 24;
  public static final int MAX_DIM = 1_000;
  public static final int MAX_WINDOW = 100;
  public static final int MAX_NEGATIVES = 100;
  public static final int DEFAULT_WINDOW = 5;
  public static final int DEFAULT_NEGATIVES = 5;
  public static final double DEFAULT_SUBSAMPLE = 1e-4;
  public static final double DEFAULT_LEARNING_RATE = 0.025;
  public static final int DEFAULT_MAX_TOKENS = 1_000;
  private static final List<String> KEYS =
      List.of("buckets", "dim", "window", "negatives", "subsample", "learningRate", "maxTokens");

  public SkipGramSpec {
    requireIn("buckets", buckets, 2, MAX_BUCKETS);
    requireIn("dim", dim, 1, MAX_DIM);
    if ((long) buckets * dim > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("key 'buckets': expected buckets × dim of at most " + (Integer.MAX_VALUE - 8)
          + ", got " + buckets + " × " + dim);
    }
    requireIn("window", window, 1, MAX_WINDOW);
    requireIn("negatives", negatives, 1, MAX_NEGATIVES);
    if (!(subsample >= 0 && subsample < 1)) {
      throw new IllegalArgumentException("key 'subsample': expected a number in [0, 1), got " + subsample);
    }
    if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
      throw new IllegalArgumentException("key 'learningRate': expected a finite number > 0, got " + learningRate);
    }
    requireIn("maxTokens", maxTokens, 2, 1_000_000);
  }

  private static void requireIn(String key, int value, int min, int max) {
    if (value < min || value > max) {
      throw new IllegalArgumentException("key '" + key + "': expected an integer in [" + min + ", " + max + "], got "
          + value);
    }
  }

  /** Reads the keys above; buckets and dim are required, the others default to word2vec's values. */
  public static SkipGramSpec fromJson(SpecReader json) {
    json.requireObject("an object like {\"buckets\":1048576,\"dim\":100}");
    json.requireKnownKeys(KEYS);
    int buckets = json.intValue("buckets");
    int dim = json.intValue("dim");
    int window = json.intValue("window", DEFAULT_WINDOW);
    int negatives = json.intValue("negatives", DEFAULT_NEGATIVES);
    double subsample = json.doubleValue("subsample", DEFAULT_SUBSAMPLE);
    double learningRate = json.doubleValue("learningRate", DEFAULT_LEARNING_RATE);
    int maxTokens = json.intValue("maxTokens", DEFAULT_MAX_TOKENS);
    return json.validated(() -> new SkipGramSpec(buckets, dim, window, negatives, subsample, learningRate,
        maxTokens));
  }

  public void writeJson(ObjectNode json) {
    json.put("buckets", buckets);
    json.put("dim", dim);
    json.put("window", window);
    json.put("negatives", negatives);
    json.put("subsample", subsample);
    json.put("learningRate", learningRate);
    json.put("maxTokens", maxTokens);
  }
}
