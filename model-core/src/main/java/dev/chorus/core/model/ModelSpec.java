package dev.chorus.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.optim.SgdSpec;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * What to train: the algorithm, its dimensions and every hyperparameter, validated and immutable. Specs are
 * written as JSON, for example
 * <pre>{@code
 * {"algorithm":"softmax-regression","inputDim":784,"numClasses":10,"batchSize":64,
 *  "optimizer":{"type":"adam","learningRate":0.002},"l2":0.0,"standardize":true,"seed":42}
 * }</pre>
 * {@code algorithm}, {@code inputDim} and {@code numClasses} are required; other keys default to the
 * {@code DEFAULT_*} constants here and in the optimizer specs ({@code "optimizer":{"type":"sgd"}} is valid). {@link #toJson()} writes every key, defaults included, in a fixed order, so
 * equal specs have equal JSON.
 */
public final class ModelSpec {

  /** Multinomial logistic regression: a linear layer trained with softmax cross-entropy. */
  public static final String SOFTMAX_REGRESSION = "softmax-regression";

  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final AdamSpec DEFAULT_OPTIMIZER = AdamSpec.defaults();
  public static final double DEFAULT_L2 = 0.0;
  public static final boolean DEFAULT_STANDARDIZE = true;
  public static final long DEFAULT_SEED = 0;

  private static final Set<String> ALGORITHMS = Set.of(SOFTMAX_REGRESSION);
  private static final List<String> KEYS =
      List.of("algorithm", "inputDim", "numClasses", "batchSize", "optimizer", "l2", "standardize", "seed");
  private static final List<String> SGD_KEYS = List.of("type", "learningRate");
  private static final List<String> ADAM_KEYS = List.of("type", "learningRate", "beta1", "beta2", "epsilon");
  /** Rejects duplicate keys and trailing content, which a lenient parser would silently resolve or ignore. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final String algorithm;
  private final int inputDim;
  private final int numClasses;
  private final int batchSize;
  private final OptimizerSpec optimizer;
  private final double l2;
  private final boolean standardize;
  private final long seed;

  private ModelSpec(String algorithm, int inputDim, int numClasses, int batchSize, OptimizerSpec optimizer,
      double l2, boolean standardize, long seed) {
    if (!ALGORITHMS.contains(algorithm)) {
      throw new IllegalArgumentException("ModelSpec key 'algorithm': expected one of " + ALGORITHMS + ", got \"" + algorithm + "\"");
    }
    requireAtLeast("inputDim", inputDim, 1);
    requireAtLeast("numClasses", numClasses, 2);
    requireAtLeast("batchSize", batchSize, 1);
    if (!(l2 >= 0) || Double.isInfinite(l2)) {
      throw new IllegalArgumentException("ModelSpec key 'l2': expected a finite number >= 0, got " + l2);
    }
    this.algorithm = algorithm;
    this.inputDim = inputDim;
    this.numClasses = numClasses;
    this.batchSize = batchSize;
    this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
    this.l2 = l2;
    this.standardize = standardize;
    this.seed = seed;
  }

  private static void requireAtLeast(String key, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected an integer >= " + min + ", got " + value);
    }
  }

  /** Softmax regression with every other setting at its default. */
  public static ModelSpec softmaxRegression(int inputDim, int numClasses) {
    return new ModelSpec(SOFTMAX_REGRESSION, inputDim, numClasses, DEFAULT_BATCH_SIZE,
        DEFAULT_OPTIMIZER, DEFAULT_L2, DEFAULT_STANDARDIZE, DEFAULT_SEED);
  }

  /**
   * Parses and validates a JSON spec.
   *
   * @throws IllegalArgumentException naming the offending key, what was expected and what was found
   */
  public static ModelSpec parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("ModelSpec: not valid JSON: " + e.getOriginalMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException("ModelSpec: expected a JSON object, got " + (root == null ? "nothing" : root.getNodeType()));
    }
    requireKnownKeys(root, KEYS, "");
    return new ModelSpec(
        requiredString(root, "algorithm", ""),
        intValue(root, "inputDim", null),
        intValue(root, "numClasses", null),
        intValue(root, "batchSize", DEFAULT_BATCH_SIZE),
        root.has("optimizer") ? parseOptimizer(root.get("optimizer")) : DEFAULT_OPTIMIZER,
        doubleValue(root, "l2", DEFAULT_L2, ""),
        booleanValue(root, "standardize", DEFAULT_STANDARDIZE),
        longValue(root, "seed", DEFAULT_SEED));
  }

  private static OptimizerSpec parseOptimizer(JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("ModelSpec key 'optimizer': expected an object like {\"type\":\"adam\"}, got " + node);
    }
    String type = requiredString(node, "type", "optimizer.");
    switch (type) {
      case SgdSpec.TYPE -> {
        requireKnownKeys(node, SGD_KEYS, "optimizer.");
        double learningRate = doubleValue(node, "learningRate", SgdSpec.DEFAULT_LEARNING_RATE, "optimizer.");
        return validatedOptimizer(() -> new SgdSpec(learningRate));
      }
      case AdamSpec.TYPE -> {
        requireKnownKeys(node, ADAM_KEYS, "optimizer.");
        double learningRate = doubleValue(node, "learningRate", AdamSpec.DEFAULT_LEARNING_RATE, "optimizer.");
        double beta1 = doubleValue(node, "beta1", AdamSpec.DEFAULT_BETA1, "optimizer.");
        double beta2 = doubleValue(node, "beta2", AdamSpec.DEFAULT_BETA2, "optimizer.");
        double epsilon = doubleValue(node, "epsilon", AdamSpec.DEFAULT_EPSILON, "optimizer.");
        return validatedOptimizer(() -> new AdamSpec(learningRate, beta1, beta2, epsilon));
      }
      default -> throw new IllegalArgumentException("ModelSpec key 'optimizer.type': expected one of [\""
          + SgdSpec.TYPE + "\", \"" + AdamSpec.TYPE + "\"], got \"" + type + "\"");
    }
  }

  /** Runs an optimizer spec's own validation, prefixing its message with the key it came from. */
  private static OptimizerSpec validatedOptimizer(Supplier<OptimizerSpec> constructor) {
    try {
      return constructor.get();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ModelSpec key 'optimizer': " + e.getMessage(), e);
    }
  }

  private static void requireKnownKeys(JsonNode node, List<String> known, String prefix) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new IllegalArgumentException("ModelSpec: unknown key '" + prefix + name + "'; expected one of " + known);
      }
    }
  }

  private static String requiredString(JsonNode node, String key, String prefix) {
    JsonNode value = node.get(key);
    if (value == null || !value.isTextual()) {
      throw new IllegalArgumentException("ModelSpec key '" + prefix + key + "': expected a string, got " + describe(value));
    }
    return value.asText();
  }

  /** An int-valued key; {@code defaultValue == null} makes it required. */
  private static int intValue(JsonNode node, String key, Integer defaultValue) {
    JsonNode value = node.get(key);
    if (value == null && defaultValue != null) {
      return defaultValue;
    }
    if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected an integer, got " + describe(value));
    }
    return value.intValue();
  }

  private static long longValue(JsonNode node, String key, long defaultValue) {
    JsonNode value = node.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected a 64-bit integer, got " + describe(value));
    }
    return value.longValue();
  }

  private static double doubleValue(JsonNode node, String key, double defaultValue, String prefix) {
    JsonNode value = node.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isNumber()) {
      throw new IllegalArgumentException("ModelSpec key '" + prefix + key + "': expected a number, got " + describe(value));
    }
    return value.doubleValue();
  }

  private static boolean booleanValue(JsonNode node, String key, boolean defaultValue) {
    JsonNode value = node.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected true or false, got " + describe(value));
    }
    return value.booleanValue();
  }

  private static String describe(JsonNode value) {
    return value == null ? "nothing (key missing)" : value.toString();
  }

  /** Canonical JSON: every key, defaults included, in a fixed order; {@code parse(toJson())} equals this spec. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("algorithm", algorithm);
    root.put("inputDim", inputDim);
    root.put("numClasses", numClasses);
    root.put("batchSize", batchSize);
    ObjectNode opt = root.putObject("optimizer");
    opt.put("type", optimizer.type());
    opt.put("learningRate", optimizer.learningRate());
    if (optimizer instanceof AdamSpec adam) {
      opt.put("beta1", adam.beta1());
      opt.put("beta2", adam.beta2());
      opt.put("epsilon", adam.epsilon());
    }
    root.put("l2", l2);
    root.put("standardize", standardize);
    root.put("seed", seed);
    return root.toString();
  }

  public String algorithm() {
    return algorithm;
  }

  /** Number of features per example. */
  public int inputDim() {
    return inputDim;
  }

  public int numClasses() {
    return numClasses;
  }

  /** Examples per minibatch, for callers that assemble minibatches. */
  public int batchSize() {
    return batchSize;
  }

  public OptimizerSpec optimizer() {
    return optimizer;
  }

  /** L2 penalty strength λ in {@code (λ/2)·Σ w²} on weights (not biases); 0 disables it. */
  public double l2() {
    return l2;
  }

  /** Whether features are standardised with running statistics before the model. */
  public boolean standardize() {
    return standardize;
  }

  /** Seed of the model's random generator (weight initialisation). */
  public long seed() {
    return seed;
  }

  public ModelSpec withBatchSize(int batchSize) {
    return new ModelSpec(algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed);
  }

  public ModelSpec withOptimizer(OptimizerSpec optimizer) {
    return new ModelSpec(algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed);
  }

  public ModelSpec withL2(double l2) {
    return new ModelSpec(algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed);
  }

  public ModelSpec withStandardize(boolean standardize) {
    return new ModelSpec(algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed);
  }

  public ModelSpec withSeed(long seed) {
    return new ModelSpec(algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec s && s.algorithm.equals(algorithm) && s.inputDim == inputDim
        && s.numClasses == numClasses && s.batchSize == batchSize && s.optimizer.equals(optimizer)
        && Double.compare(s.l2, l2) == 0 && s.standardize == standardize && s.seed == seed;
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed);
  }

  @Override
  public String toString() {
    return toJson();
  }
}
