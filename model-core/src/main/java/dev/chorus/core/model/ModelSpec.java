package dev.chorus.core.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.loss.BinaryHinge;
import dev.chorus.core.loss.ClassificationLoss;
import dev.chorus.core.loss.LogisticLoss;
import dev.chorus.core.loss.MulticlassHinge;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.loss.SoftmaxSquaredError;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.nn.BatchNorm;
import dev.chorus.core.nn.WeightInit;
import dev.chorus.core.optim.AdaGradSpec;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.MomentumSpec;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.optim.RmsPropSpec;
import dev.chorus.core.optim.SgdSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What to train: the algorithm, its dimensions and every hyperparameter, validated and immutable. Specs are
 * written as JSON, the same document the jobs and the CLI take, for example
 * <pre>{@code
 * {"algorithm":"softmax-regression","inputDim":784,"numClasses":10,"batchSize":64,
 *  "optimizer":{"type":"adam","learningRate":0.002},"l2":0.0,"standardize":true,"seed":42}
 * {"algorithm":"mlp","inputDim":784,"numClasses":10,
 *  "layers":[{"units":256,"activation":"relu","init":"he-normal","batchNorm":false,"dropout":0.0}],
 *  "loss":"softmax-cross-entropy","optimizer":{"type":"adam","learningRate":0.001},
 *  "schedule":{"type":"inverse","decay":1e-4},"clipNorm":5.0,"l1":0.0,"l2":1e-5,"standardize":true,
 *  "batchSize":128,"seed":0}
 * }</pre>
 *
 * <p>Algorithms and the losses that fit them ({@code loss} defaults to the first):
 * <ul>
 *   <li>{@code linear-regression}: one real output, {@code squared-error}; no {@code numClasses}.
 *   <li>{@code logistic-regression}: binary ({@code numClasses} 2, the default), {@code logistic}.
 *   <li>{@code softmax-regression}: {@code numClasses >= 2}, {@code softmax-cross-entropy}.
 *   <li>{@code linear-svm}: {@code numClasses >= 2}; {@code hinge} for 2 classes, {@code multiclass-hinge}
 *       (Crammer–Singer) for more, or for 2 if asked.
 *   <li>{@code mlp}: one or more hidden {@code layers} ({@link HiddenLayerSpec}), then a linear output. With
 *       {@code numClasses}, a classifier: {@code softmax-cross-entropy}, {@code multiclass-hinge},
 *       {@code softmax-squared-error}, or for 2 classes {@code logistic} or {@code hinge}. Without it, a
 *       regressor, which must say {@code "loss":"squared-error"}. Squared error on a classifier is accepted
 *       only by its own name, {@code softmax-squared-error}, because it is usually a mistake.
 * </ul>
 *
 * <p>Other keys: {@code init} (and {@code initLimit} for {@code "uniform"}) initialises the output layer
 * (default {@code glorot-uniform}); {@code optimizer} is one of {@code sgd}, {@code momentum},
 * {@code nesterov}, {@code adagrad}, {@code rmsprop}, {@code adam}, each key defaulting as in its spec class;
 * {@code schedule} is {@code {"type":"constant"}} (default), {@code {"type":"inverse","decay":d}},
 * {@code {"type":"step","steps":[s1,s2,...]}} or {@code {"type":"exponential","gamma":g}}
 * ({@link LearningRateSchedule}); {@code clipNorm} clips the global gradient norm (0, the default, disables
 * it); {@code l1} and {@code l2} penalise weights, not biases or batch-norm parameters (both: elastic net).
 * {@code algorithm}, {@code inputDim} and, as above, {@code numClasses} are required; other keys default to
 * the {@code DEFAULT_*} constants. {@code labelModel} makes a classifier learn from many annotators through a
 * label model ({@code dev.chorus.core.annotators.LabelModels}, which also checks that the method suits the
 * classifier: {@code LabelModels.check}): {@code "labelModel":"dawid-skene"}, or
 * {@code {"method":"dawid-skene","maxAnnotators":256,"historyItems":262144,"historyMaxAge":1073741824,
 * "maxLabelsPerItem":16,"protectedLabels":50}} to bound its state (absent: no label model, each label trains as
 * given); when all {@code maxAnnotators} slots are taken, a new annotator evicts the least recently seen one with
 * fewer than {@code protectedLabels} labels.
 * {@link #toJson()} writes every key that applies, defaults included, in a
 * fixed order, so equal specs have equal JSON.
 */
public final class ModelSpec {

  public static final String LINEAR_REGRESSION = "linear-regression";
  public static final String LOGISTIC_REGRESSION = "logistic-regression";
  /** Multinomial logistic regression: a linear layer trained with softmax cross-entropy. */
  public static final String SOFTMAX_REGRESSION = "softmax-regression";
  public static final String LINEAR_SVM = "linear-svm";
  public static final String MLP = "mlp";

  public static final int DEFAULT_BATCH_SIZE = 64;
  public static final AdamSpec DEFAULT_OPTIMIZER = AdamSpec.defaults();
  public static final LearningRateSchedule DEFAULT_SCHEDULE = new LearningRateSchedule.Constant();
  public static final WeightInit DEFAULT_INIT = WeightInit.GLOROT_UNIFORM;
  public static final double DEFAULT_CLIP_NORM = 0.0;
  public static final double DEFAULT_L1 = 0.0;
  public static final double DEFAULT_L2 = 0.0;
  public static final boolean DEFAULT_STANDARDIZE = true;
  public static final long DEFAULT_SEED = 0;
  /** Annotators a task's label model tracks unless its spec says otherwise; labels from more are dead letters. */
  public static final int DEFAULT_MAX_ANNOTATORS = 256;

  private static final List<String> ALGORITHMS =
      List.of(LINEAR_REGRESSION, LOGISTIC_REGRESSION, SOFTMAX_REGRESSION, LINEAR_SVM, MLP);
  private static final Map<String, ClassificationLoss> CLASSIFICATION_LOSSES = Map.of(
      SoftmaxCrossEntropy.NAME, SoftmaxCrossEntropy.INSTANCE,
      LogisticLoss.NAME, LogisticLoss.INSTANCE,
      BinaryHinge.NAME, BinaryHinge.INSTANCE,
      MulticlassHinge.NAME, MulticlassHinge.INSTANCE,
      SoftmaxSquaredError.NAME, SoftmaxSquaredError.INSTANCE);
  private static final List<String> KEYS = List.of("algorithm", "inputDim", "numClasses", "layers", "loss", "init",
      "initLimit", "batchSize", "optimizer", "schedule", "clipNorm", "l1", "l2", "standardize", "seed", "labelModel");
  private static final List<String> LABEL_MODEL_KEYS = List.of("method", "maxAnnotators", "historyItems",
      "historyMaxAge", "maxLabelsPerItem", "protectedLabels");
  private static final List<String> LAYER_KEYS = List.of("units", "activation", "init", "initLimit", "batchNorm",
      "batchNormAfterActivation", "batchNormMomentum", "dropout");
  private static final List<String> OPTIMIZER_TYPES = List.of(SgdSpec.TYPE, MomentumSpec.TYPE,
      MomentumSpec.NESTEROV_TYPE, AdaGradSpec.TYPE, RmsPropSpec.TYPE, AdamSpec.TYPE);
  private static final List<String> SCHEDULE_TYPES = List.of(LearningRateSchedule.Constant.TYPE,
      LearningRateSchedule.InverseDecay.TYPE, LearningRateSchedule.StepHalving.TYPE,
      LearningRateSchedule.Exponential.TYPE);
  /** Rejects duplicate keys and trailing content, which a lenient parser would silently resolve or ignore. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  /** The mutable field set from which specs are validated and built; {@code with*} methods copy and change one. */
  private static final class Draft {
    String algorithm;
    int inputDim;
    /** 0 when absent (regression, or the default of a binary algorithm). */
    int numClasses;
    List<HiddenLayerSpec> layers = List.of();
    /** {@code null} for the algorithm's default. */
    String loss;
    WeightInit init = DEFAULT_INIT;
    double initLimit;
    int batchSize = DEFAULT_BATCH_SIZE;
    OptimizerSpec optimizer = DEFAULT_OPTIMIZER;
    LearningRateSchedule schedule = DEFAULT_SCHEDULE;
    double clipNorm = DEFAULT_CLIP_NORM;
    double l1 = DEFAULT_L1;
    double l2 = DEFAULT_L2;
    boolean standardize = DEFAULT_STANDARDIZE;
    long seed = DEFAULT_SEED;
    /** {@code null}: the task trains on each label as given, without a label model. */
    String labelModel;
    LabelModelSpec labelModelSpec;

    Draft(String algorithm, int inputDim, int numClasses) {
      this.algorithm = algorithm;
      this.inputDim = inputDim;
      this.numClasses = numClasses;
    }
  }

  private final String algorithm;
  private final int inputDim;
  private final int numClasses;
  private final List<HiddenLayerSpec> layers;
  private final String loss;
  private final WeightInit init;
  private final double initLimit;
  private final int batchSize;
  private final OptimizerSpec optimizer;
  private final LearningRateSchedule schedule;
  private final double clipNorm;
  private final double l1;
  private final double l2;
  private final boolean standardize;
  private final long seed;
  private final String labelModel;
  private final LabelModelSpec labelModelSpec;

  private ModelSpec(Draft d) {
    if (!ALGORITHMS.contains(d.algorithm)) {
      throw new IllegalArgumentException(
          "ModelSpec key 'algorithm': expected one of " + ALGORITHMS + ", got \"" + d.algorithm + "\"");
    }
    // A label-only task (no features) does pure truth inference: its label model's prior is the class distribution.
    requireAtLeast("inputDim", d.inputDim, d.labelModel != null ? 0 : 1);
    this.algorithm = d.algorithm;
    this.inputDim = d.inputDim;
    this.numClasses = validNumClasses(d);
    this.layers = List.copyOf(d.layers);
    if (algorithm.equals(MLP) && layers.isEmpty()) {
      throw new IllegalArgumentException("ModelSpec key 'layers': an mlp needs at least one hidden layer, got []");
    }
    if (!algorithm.equals(MLP) && !layers.isEmpty()) {
      throw new IllegalArgumentException("ModelSpec key 'layers': only algorithm \"mlp\" has hidden layers, got "
          + layers.size() + " for \"" + algorithm + "\"");
    }
    this.loss = validLoss(d.loss);
    if (d.init == WeightInit.UNIFORM ? !(d.initLimit > 0) || Double.isInfinite(d.initLimit) : d.initLimit != 0) {
      throw new IllegalArgumentException(d.init == WeightInit.UNIFORM
          ? "ModelSpec key 'initLimit': expected a finite number > 0 for init \"uniform\", got " + d.initLimit
          : "ModelSpec key 'initLimit': only init \"uniform\" takes a limit, got " + d.initLimit + " with \""
              + d.init.label() + "\"");
    }
    this.init = d.init;
    this.initLimit = d.initLimit;
    requireAtLeast("batchSize", d.batchSize, 1);
    for (int i = 0; i < layers.size() && d.batchSize == 1; i++) {
      // A one-row minibatch is normalised with the running statistics, which only larger minibatches move.
      if (layers.get(i).batchNorm()) {
        throw new IllegalArgumentException("ModelSpec key 'batchSize': batch normalisation (layers[" + i
            + "]) learns its statistics from minibatches of at least 2 examples, expected an integer >= 2, got 1");
      }
    }
    this.batchSize = d.batchSize;
    this.optimizer = Objects.requireNonNull(d.optimizer, "optimizer");
    this.schedule = Objects.requireNonNull(d.schedule, "schedule");
    this.clipNorm = requireNonNegative("clipNorm", d.clipNorm);
    this.l1 = requireNonNegative("l1", d.l1);
    this.l2 = requireNonNegative("l2", d.l2);
    this.standardize = d.standardize;
    this.seed = d.seed;
    this.labelModel = d.labelModel;
    this.labelModelSpec = d.labelModel == null ? null
        : d.labelModelSpec != null ? d.labelModelSpec : LabelModelSpec.withMaxAnnotators(DEFAULT_MAX_ANNOTATORS);
  }

  /** The number of classes {@code d} asks for, checked against the algorithm; 0 for a regressor. */
  private static int validNumClasses(Draft d) {
    boolean absent = d.numClasses == 0;
    switch (d.algorithm) {
      case LINEAR_REGRESSION -> {
        if (!absent) {
          throw new IllegalArgumentException("ModelSpec key 'numClasses': " + LINEAR_REGRESSION
              + " predicts one real value and takes no numClasses, got " + d.numClasses);
        }
        return 0;
      }
      case LOGISTIC_REGRESSION -> {
        if (!absent && d.numClasses != 2) {
          throw new IllegalArgumentException("ModelSpec key 'numClasses': " + LOGISTIC_REGRESSION
              + " is binary, expected 2, got " + d.numClasses);
        }
        return 2;
      }
      case MLP -> {
        if (absent) {
          if (!SquaredError.NAME.equals(d.loss)) {
            throw new IllegalArgumentException("ModelSpec key 'numClasses': expected an integer, got nothing (key "
                + "missing); an mlp without numClasses is a regressor and needs \"loss\":\"squared-error\"");
          }
          return 0;
        }
        requireAtLeast("numClasses", d.numClasses, 2);
        return d.numClasses;
      }
      default -> {
        if (absent) {
          throw new IllegalArgumentException("ModelSpec key 'numClasses': expected an integer, got nothing (key missing)");
        }
        requireAtLeast("numClasses", d.numClasses, 2);
        return d.numClasses;
      }
    }
  }

  /** The loss named {@code requested} (or the algorithm's default) if it fits this spec's algorithm and output. */
  private String validLoss(String requested) {
    List<String> fitting = switch (algorithm) {
      case LINEAR_REGRESSION -> List.of(SquaredError.NAME);
      case LOGISTIC_REGRESSION -> List.of(LogisticLoss.NAME);
      case SOFTMAX_REGRESSION -> List.of(SoftmaxCrossEntropy.NAME);
      case LINEAR_SVM -> numClasses == 2 ? List.of(BinaryHinge.NAME, MulticlassHinge.NAME) : List.of(MulticlassHinge.NAME);
      case MLP -> numClasses == 0 ? List.of(SquaredError.NAME) : numClasses == 2
          ? List.of(SoftmaxCrossEntropy.NAME, LogisticLoss.NAME, BinaryHinge.NAME, MulticlassHinge.NAME,
              SoftmaxSquaredError.NAME)
          : List.of(SoftmaxCrossEntropy.NAME, MulticlassHinge.NAME, SoftmaxSquaredError.NAME);
      default -> throw new AssertionError(algorithm);
    };
    if (requested == null) {
      return fitting.get(0);
    }
    if (fitting.contains(requested)) {
      return requested;
    }
    String output = numClasses == 0 ? "a real-valued output" : numClasses + " classes";
    String hint = !CLASSIFICATION_LOSSES.containsKey(requested) && !requested.equals(SquaredError.NAME)
        ? "unknown loss"
        : requested.equals(SquaredError.NAME)
            ? "squared-error is for regression; on a classifier's probabilities say \"" + SoftmaxSquaredError.NAME + "\""
            : "it does not fit " + output;
    throw new IllegalArgumentException("ModelSpec key 'loss': " + algorithm + " with " + output
        + " takes one of " + quoted(fitting) + ", got \"" + requested + "\" (" + hint + ")");
  }

  private static String quoted(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").toList().toString();
  }

  private static void requireAtLeast(String key, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected an integer >= " + min + ", got " + value);
    }
  }

  private static double requireNonNegative(String key, double value) {
    if (!(value >= 0) || Double.isInfinite(value)) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected a finite number >= 0, got " + value);
    }
    return value;
  }

  /** Softmax regression with every other setting at its default. */
  public static ModelSpec softmaxRegression(int inputDim, int numClasses) {
    return new ModelSpec(new Draft(SOFTMAX_REGRESSION, inputDim, numClasses));
  }

  /** Least-squares linear regression with every other setting at its default. */
  public static ModelSpec linearRegression(int inputDim) {
    return new ModelSpec(new Draft(LINEAR_REGRESSION, inputDim, 0));
  }

  /** Binary logistic regression with every other setting at its default. */
  public static ModelSpec logisticRegression(int inputDim) {
    return new ModelSpec(new Draft(LOGISTIC_REGRESSION, inputDim, 2));
  }

  /** A linear SVM (binary hinge for 2 classes, Crammer–Singer otherwise) with every other setting at its default. */
  public static ModelSpec linearSvm(int inputDim, int numClasses) {
    return new ModelSpec(new Draft(LINEAR_SVM, inputDim, numClasses));
  }

  /** An MLP classifier trained with softmax cross-entropy, every other setting at its default. */
  public static ModelSpec mlp(int inputDim, int numClasses, List<HiddenLayerSpec> layers) {
    Draft d = new Draft(MLP, inputDim, numClasses);
    d.layers = layers;
    return new ModelSpec(d);
  }

  /** An MLP regressor (one real output, squared error), every other setting at its default. */
  public static ModelSpec mlpRegression(int inputDim, List<HiddenLayerSpec> layers) {
    Draft d = new Draft(MLP, inputDim, 0);
    d.layers = layers;
    d.loss = SquaredError.NAME;
    return new ModelSpec(d);
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
    Draft d = new Draft(requiredString(root, "algorithm", ""), intValue(root, "inputDim", null, ""), 0);
    if (root.has("numClasses")) {
      d.numClasses = intValue(root, "numClasses", null, "");
      if (d.numClasses < 1) {
        // 0 stands for "absent" below, so an explicit non-positive count is rejected here.
        requireAtLeast("numClasses", d.numClasses, 2);
      }
    }
    if (root.has("layers")) {
      d.layers = parseLayers(root.get("layers"));
    }
    if (root.has("loss")) {
      d.loss = requiredString(root, "loss", "");
    }
    if (root.has("init")) {
      d.init = weightInit(root, "");
    }
    d.initLimit = doubleValue(root, "initLimit", 0, "");
    d.batchSize = intValue(root, "batchSize", DEFAULT_BATCH_SIZE, "");
    if (root.has("optimizer")) {
      d.optimizer = parseOptimizer(root.get("optimizer"));
    }
    if (root.has("schedule")) {
      d.schedule = parseSchedule(root.get("schedule"));
    }
    d.clipNorm = doubleValue(root, "clipNorm", DEFAULT_CLIP_NORM, "");
    d.l1 = doubleValue(root, "l1", DEFAULT_L1, "");
    d.l2 = doubleValue(root, "l2", DEFAULT_L2, "");
    d.standardize = booleanValue(root, "standardize", DEFAULT_STANDARDIZE, "");
    d.seed = longValue(root, "seed", DEFAULT_SEED);
    if (root.has("labelModel")) {
      parseLabelModel(root.get("labelModel"), d);
    }
    return new ModelSpec(d);
  }

  /** {@code "labelModel":"dawid-skene"}, or an object with the method and the bounds of its state. */
  private static void parseLabelModel(JsonNode node, Draft d) {
    if (node.isTextual()) {
      d.labelModel = node.asText();
    } else if (node.isObject()) {
      String p = "labelModel.";
      requireKnownKeys(node, LABEL_MODEL_KEYS, p);
      d.labelModel = requiredString(node, "method", p);
      int maxAnnotators = intValue(node, "maxAnnotators", DEFAULT_MAX_ANNOTATORS, p);
      int historyItems = intValue(node, "historyItems", LabelModelSpec.DEFAULT_HISTORY_ITEMS, p);
      JsonNode age = node.get("historyMaxAge");
      if (age != null && (!age.isIntegralNumber() || !age.canConvertToLong())) {
        throw new IllegalArgumentException("ModelSpec key 'labelModel.historyMaxAge': expected a 64-bit integer, got "
            + age);
      }
      long historyMaxAge = age == null ? LabelModelSpec.DEFAULT_HISTORY_MAX_AGE : age.longValue();
      int perItem = intValue(node, "maxLabelsPerItem", LabelModelSpec.DEFAULT_MAX_LABELS_PER_ITEM, p);
      int protectedLabels = intValue(node, "protectedLabels", LabelModelSpec.DEFAULT_PROTECTED_LABELS, p);
      d.labelModelSpec = validated("labelModel",
          () -> new LabelModelSpec(maxAnnotators, historyItems, historyMaxAge, perItem, protectedLabels));
    } else {
      throw new IllegalArgumentException("ModelSpec key 'labelModel': expected a method name like \"dawid-skene\" "
          + "or an object like {\"method\":\"dawid-skene\",\"maxAnnotators\":256}, got " + node);
    }
    if (!LabelModelSpec.METHODS.contains(d.labelModel)) {
      throw new IllegalArgumentException("ModelSpec key 'labelModel': expected one of "
          + quoted(LabelModelSpec.METHODS)
          + ", got \"" + d.labelModel + "\"");
    }
  }

  private static List<HiddenLayerSpec> parseLayers(JsonNode node) {
    if (!node.isArray()) {
      throw new IllegalArgumentException("ModelSpec key 'layers': expected an array of layer objects like "
          + "[{\"units\":256,\"activation\":\"relu\"}], got " + node);
    }
    List<HiddenLayerSpec> layers = new ArrayList<>();
    for (int i = 0; i < node.size(); i++) {
      JsonNode layer = node.get(i);
      String prefix = "layers[" + i + "].";
      if (!layer.isObject()) {
        throw new IllegalArgumentException("ModelSpec key 'layers[" + i + "]': expected a layer object like "
            + "{\"units\":256,\"activation\":\"relu\"}, got " + layer);
      }
      requireKnownKeys(layer, LAYER_KEYS, prefix);
      int units = intValue(layer, "units", null, prefix);
      ActivationFunction activation = layer.has("activation")
          ? ActivationFunction.byLabel(requiredString(layer, "activation", prefix))
          : ActivationFunction.RELU;
      if (activation == null) {
        throw new IllegalArgumentException("ModelSpec key '" + prefix + "activation': expected one of "
            + quoted(Arrays.stream(ActivationFunction.values()).map(ActivationFunction::label).toList())
            + ", got " + layer.get("activation"));
      }
      WeightInit init = layer.has("init") ? weightInit(layer, prefix) : HiddenLayerSpec.defaultInit(activation);
      double initLimit = doubleValue(layer, "initLimit", 0, prefix);
      boolean batchNorm = booleanValue(layer, "batchNorm", false, prefix);
      boolean afterActivation = booleanValue(layer, "batchNormAfterActivation", false, prefix);
      if (layer.has("batchNormMomentum") && !batchNorm) {
        throw new IllegalArgumentException("ModelSpec key '" + prefix + "batchNormMomentum': needs \"batchNorm\":true");
      }
      double momentum = doubleValue(layer, "batchNormMomentum", BatchNorm.DEFAULT_MOMENTUM, prefix);
      double dropout = doubleValue(layer, "dropout", 0, prefix);
      layers.add(validated("layers[" + i + "]", () ->
          new HiddenLayerSpec(units, activation, init, initLimit, batchNorm, afterActivation, momentum, dropout)));
    }
    return layers;
  }

  private static WeightInit weightInit(JsonNode node, String prefix) {
    String name = requiredString(node, "init", prefix);
    WeightInit init = WeightInit.byLabel(name);
    if (init == null) {
      throw new IllegalArgumentException("ModelSpec key '" + prefix + "init': expected one of "
          + quoted(Arrays.stream(WeightInit.values()).map(WeightInit::label).toList()) + ", got \"" + name + "\"");
    }
    return init;
  }

  private static OptimizerSpec parseOptimizer(JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("ModelSpec key 'optimizer': expected an object like {\"type\":\"adam\"}, got " + node);
    }
    String type = requiredString(node, "type", "optimizer.");
    String p = "optimizer.";
    switch (type) {
      case SgdSpec.TYPE -> {
        requireKnownKeys(node, List.of("type", "learningRate"), p);
        double learningRate = doubleValue(node, "learningRate", SgdSpec.DEFAULT_LEARNING_RATE, p);
        return validated("optimizer", () -> new SgdSpec(learningRate));
      }
      case MomentumSpec.TYPE, MomentumSpec.NESTEROV_TYPE -> {
        requireKnownKeys(node, List.of("type", "learningRate", "momentum"), p);
        double learningRate = doubleValue(node, "learningRate", MomentumSpec.DEFAULT_LEARNING_RATE, p);
        double momentum = doubleValue(node, "momentum", MomentumSpec.DEFAULT_MOMENTUM, p);
        boolean nesterov = type.equals(MomentumSpec.NESTEROV_TYPE);
        return validated("optimizer", () -> new MomentumSpec(learningRate, momentum, nesterov));
      }
      case AdaGradSpec.TYPE -> {
        requireKnownKeys(node, List.of("type", "learningRate", "epsilon"), p);
        double learningRate = doubleValue(node, "learningRate", AdaGradSpec.DEFAULT_LEARNING_RATE, p);
        double epsilon = doubleValue(node, "epsilon", AdaGradSpec.DEFAULT_EPSILON, p);
        return validated("optimizer", () -> new AdaGradSpec(learningRate, epsilon));
      }
      case RmsPropSpec.TYPE -> {
        requireKnownKeys(node, List.of("type", "learningRate", "rho", "epsilon"), p);
        double learningRate = doubleValue(node, "learningRate", RmsPropSpec.DEFAULT_LEARNING_RATE, p);
        double rho = doubleValue(node, "rho", RmsPropSpec.DEFAULT_RHO, p);
        double epsilon = doubleValue(node, "epsilon", RmsPropSpec.DEFAULT_EPSILON, p);
        return validated("optimizer", () -> new RmsPropSpec(learningRate, rho, epsilon));
      }
      case AdamSpec.TYPE -> {
        requireKnownKeys(node, List.of("type", "learningRate", "beta1", "beta2", "epsilon"), p);
        double learningRate = doubleValue(node, "learningRate", AdamSpec.DEFAULT_LEARNING_RATE, p);
        double beta1 = doubleValue(node, "beta1", AdamSpec.DEFAULT_BETA1, p);
        double beta2 = doubleValue(node, "beta2", AdamSpec.DEFAULT_BETA2, p);
        double epsilon = doubleValue(node, "epsilon", AdamSpec.DEFAULT_EPSILON, p);
        return validated("optimizer", () -> new AdamSpec(learningRate, beta1, beta2, epsilon));
      }
      default -> throw new IllegalArgumentException("ModelSpec key 'optimizer.type': expected one of "
          + quoted(OPTIMIZER_TYPES) + ", got \"" + type + "\"");
    }
  }

  private static LearningRateSchedule parseSchedule(JsonNode node) {
    if (!node.isObject()) {
      throw new IllegalArgumentException("ModelSpec key 'schedule': expected an object like "
          + "{\"type\":\"inverse\",\"decay\":1e-4}, got " + node);
    }
    String p = "schedule.";
    String type = requiredString(node, "type", p);
    switch (type) {
      case LearningRateSchedule.Constant.TYPE -> {
        requireKnownKeys(node, List.of("type"), p);
        return new LearningRateSchedule.Constant();
      }
      case LearningRateSchedule.InverseDecay.TYPE -> {
        requireKnownKeys(node, List.of("type", "decay"), p);
        double decay = requiredDouble(node, "decay", p);
        return validated("schedule", () -> new LearningRateSchedule.InverseDecay(decay));
      }
      case LearningRateSchedule.StepHalving.TYPE -> {
        requireKnownKeys(node, List.of("type", "steps"), p);
        JsonNode steps = node.get("steps");
        if (steps == null || !steps.isArray()) {
          throw new IllegalArgumentException("ModelSpec key 'schedule.steps': expected an array of step counts, got "
              + describe(steps));
        }
        List<Long> milestones = new ArrayList<>();
        for (JsonNode step : steps) {
          if (!step.isIntegralNumber() || !step.canConvertToLong()) {
            throw new IllegalArgumentException("ModelSpec key 'schedule.steps': expected integers, got " + step);
          }
          milestones.add(step.longValue());
        }
        return validated("schedule", () -> new LearningRateSchedule.StepHalving(milestones));
      }
      case LearningRateSchedule.Exponential.TYPE -> {
        requireKnownKeys(node, List.of("type", "gamma"), p);
        double gamma = requiredDouble(node, "gamma", p);
        return validated("schedule", () -> new LearningRateSchedule.Exponential(gamma));
      }
      default -> throw new IllegalArgumentException("ModelSpec key 'schedule.type': expected one of "
          + quoted(SCHEDULE_TYPES) + ", got \"" + type + "\"");
    }
  }

  /** Runs a component's own validation, prefixing its message with the key it came from. */
  private static <T> T validated(String key, Supplier<T> constructor) {
    try {
      return constructor.get();
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      // Layer specs name their own keys ("key 'units': ..."); qualify them with the layer's position.
      if (message.startsWith("key '")) {
        throw new IllegalArgumentException("ModelSpec key '" + key + "." + message.substring(5), e);
      }
      throw new IllegalArgumentException("ModelSpec key '" + key + "': " + message, e);
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
  private static int intValue(JsonNode node, String key, Integer defaultValue, String prefix) {
    JsonNode value = node.get(key);
    if (value == null && defaultValue != null) {
      return defaultValue;
    }
    if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
      throw new IllegalArgumentException("ModelSpec key '" + prefix + key + "': expected an integer, got " + describe(value));
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

  private static double requiredDouble(JsonNode node, String key, String prefix) {
    if (!node.has(key)) {
      throw new IllegalArgumentException("ModelSpec key '" + prefix + key + "': expected a number, got nothing (key missing)");
    }
    return doubleValue(node, key, 0, prefix);
  }

  private static boolean booleanValue(JsonNode node, String key, boolean defaultValue, String prefix) {
    JsonNode value = node.get(key);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isBoolean()) {
      throw new IllegalArgumentException("ModelSpec key '" + prefix + key + "': expected true or false, got " + describe(value));
    }
    return value.booleanValue();
  }

  private static String describe(JsonNode value) {
    return value == null ? "nothing (key missing)" : value.toString();
  }

  /**
   * Canonical JSON: every key that applies to the algorithm, defaults included, in a fixed order;
   * {@code parse(toJson())} equals this spec. {@code numClasses} is left out for a regressor, {@code layers}
   * for all but an mlp, {@code initLimit} unless the init is {@code uniform}.
   */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("algorithm", algorithm);
    root.put("inputDim", inputDim);
    if (numClasses > 0) {
      root.put("numClasses", numClasses);
    }
    if (algorithm.equals(MLP)) {
      ArrayNode array = root.putArray("layers");
      for (HiddenLayerSpec layer : layers) {
        ObjectNode node = array.addObject();
        node.put("units", layer.units());
        node.put("activation", layer.activation().label());
        node.put("init", layer.init().label());
        if (layer.init() == WeightInit.UNIFORM) {
          node.put("initLimit", layer.initLimit());
        }
        node.put("batchNorm", layer.batchNorm());
        if (layer.batchNorm()) {
          node.put("batchNormAfterActivation", layer.batchNormAfterActivation());
          node.put("batchNormMomentum", layer.batchNormMomentum());
        }
        node.put("dropout", layer.dropout());
      }
    }
    root.put("loss", loss);
    root.put("init", init.label());
    if (init == WeightInit.UNIFORM) {
      root.put("initLimit", initLimit);
    }
    root.put("batchSize", batchSize);
    ObjectNode opt = root.putObject("optimizer");
    opt.put("type", optimizer.type());
    opt.put("learningRate", optimizer.learningRate());
    if (optimizer instanceof MomentumSpec momentum) {
      opt.put("momentum", momentum.momentum());
    } else if (optimizer instanceof AdaGradSpec adaGrad) {
      opt.put("epsilon", adaGrad.epsilon());
    } else if (optimizer instanceof RmsPropSpec rmsProp) {
      opt.put("rho", rmsProp.rho());
      opt.put("epsilon", rmsProp.epsilon());
    } else if (optimizer instanceof AdamSpec adam) {
      opt.put("beta1", adam.beta1());
      opt.put("beta2", adam.beta2());
      opt.put("epsilon", adam.epsilon());
    }
    ObjectNode sched = root.putObject("schedule");
    sched.put("type", schedule.type());
    if (schedule instanceof LearningRateSchedule.InverseDecay inverse) {
      sched.put("decay", inverse.decay());
    } else if (schedule instanceof LearningRateSchedule.StepHalving step) {
      ArrayNode steps = sched.putArray("steps");
      step.milestones().forEach(steps::add);
    } else if (schedule instanceof LearningRateSchedule.Exponential exponential) {
      sched.put("gamma", exponential.gamma());
    }
    root.put("clipNorm", clipNorm);
    root.put("l1", l1);
    root.put("l2", l2);
    root.put("standardize", standardize);
    root.put("seed", seed);
    if (labelModel != null) {
      ObjectNode lm = root.putObject("labelModel");
      lm.put("method", labelModel);
      lm.put("maxAnnotators", labelModelSpec.maxAnnotators());
      lm.put("historyItems", labelModelSpec.historyItems());
      lm.put("historyMaxAge", labelModelSpec.historyMaxAge());
      lm.put("maxLabelsPerItem", labelModelSpec.maxLabelsPerItem());
      lm.put("protectedLabels", labelModelSpec.protectedLabels());
    }
    return root.toString();
  }

  public String algorithm() {
    return algorithm;
  }

  /** Number of features per example. */
  public int inputDim() {
    return inputDim;
  }

  /** Number of classes of a classifier; 0 for a regressor. */
  public int numClasses() {
    return numClasses;
  }

  /** Whether this model predicts a class (else one real value). */
  public boolean isClassifier() {
    return numClasses > 0;
  }

  /** The hidden layers of an mlp, in order; empty for the linear algorithms. */
  public List<HiddenLayerSpec> layers() {
    return layers;
  }

  /**
   * Weights of the hidden layers' dense matrices (biases and batch normalisation not counted), in long
   * arithmetic: a saved model holds at least 4 bytes for each, so readers check it against the bytes they were
   * given before building a network of this shape.
   */
  public long hiddenWeightCount() {
    long weights = 0;
    long width = inputDim;
    for (HiddenLayerSpec layer : layers) {
      weights += width * layer.units();
      width = layer.units();
    }
    return weights;
  }

  /** {@link #hiddenWeightCount()} plus the output layer's weights: every weight of the learner's network. */
  public long weightCount() {
    long width = layers.isEmpty() ? inputDim : layers.get(layers.size() - 1).units();
    int outputs = isClassifier() ? classificationLoss().outputDim(numClasses) : 1;
    return hiddenWeightCount() + width * outputs;
  }

  /** The sizes that decide how much a model of this spec allocates, for messages. */
  public String shape() {
    return "inputDim " + inputDim + ", numClasses " + numClasses + ", hidden layers "
        + layers.stream().map(l -> Integer.toString(l.units())).toList();
  }

  /** The loss's name, e.g. {@code "softmax-cross-entropy"}. */
  public String loss() {
    return loss;
  }

  /** The loss of a classifier; {@code null} for a regressor, which uses {@link SquaredError}. */
  public ClassificationLoss classificationLoss() {
    return CLASSIFICATION_LOSSES.get(loss);
  }

  /** Initialisation of the output layer's weights. */
  public WeightInit init() {
    return init;
  }

  /** The {@code a} of {@link WeightInit#UNIFORM} for the output layer; 0 for other schemes. */
  public double initLimit() {
    return initLimit;
  }

  /** Examples per minibatch, for callers that assemble minibatches. */
  public int batchSize() {
    return batchSize;
  }

  public OptimizerSpec optimizer() {
    return optimizer;
  }

  public LearningRateSchedule schedule() {
    return schedule;
  }

  /** The largest global gradient norm an update may use ({@link dev.chorus.core.optim.GradientClipping}); 0 disables clipping. */
  public double clipNorm() {
    return clipNorm;
  }

  /** L1 strength λ₁ in {@code λ₁·Σ|w|} on weights, applied as a proximal step ({@link dev.chorus.core.loss.L1Penalty}); 0 disables it. */
  public double l1() {
    return l1;
  }

  /** L2 penalty strength λ in {@code (λ/2)·Σ w²} on weights (not biases); 0 disables it. */
  public double l2() {
    return l2;
  }

  /** Whether features are standardised with running statistics before the model. */
  public boolean standardize() {
    return standardize;
  }

  /** Seed of the model's random generator (weight initialisation, then dropout masks). */
  public long seed() {
    return seed;
  }

  /**
   * The label model the task trains through ({@link LabelModelSpec#METHODS}), or {@code null} when each label is
   * used as given, without modelling who gave it.
   */
  public String labelModel() {
    return labelModel;
  }

  /** Bounds of the label model's state; {@code null} without a label model. */
  public LabelModelSpec labelModelSpec() {
    return labelModelSpec;
  }

  private ModelSpec with(Consumer<Draft> change) {
    Draft d = new Draft(algorithm, inputDim, numClasses);
    d.layers = layers;
    d.loss = loss;
    d.init = init;
    d.initLimit = initLimit;
    d.batchSize = batchSize;
    d.optimizer = optimizer;
    d.schedule = schedule;
    d.clipNorm = clipNorm;
    d.l1 = l1;
    d.l2 = l2;
    d.standardize = standardize;
    d.seed = seed;
    d.labelModel = labelModel;
    d.labelModelSpec = labelModelSpec;
    change.accept(d);
    return new ModelSpec(d);
  }

  public ModelSpec withBatchSize(int batchSize) {
    return with(d -> d.batchSize = batchSize);
  }

  public ModelSpec withOptimizer(OptimizerSpec optimizer) {
    return with(d -> d.optimizer = optimizer);
  }

  public ModelSpec withSchedule(LearningRateSchedule schedule) {
    return with(d -> d.schedule = schedule);
  }

  public ModelSpec withClipNorm(double clipNorm) {
    return with(d -> d.clipNorm = clipNorm);
  }

  public ModelSpec withL1(double l1) {
    return with(d -> d.l1 = l1);
  }

  public ModelSpec withL2(double l2) {
    return with(d -> d.l2 = l2);
  }

  public ModelSpec withStandardize(boolean standardize) {
    return with(d -> d.standardize = standardize);
  }

  public ModelSpec withSeed(long seed) {
    return with(d -> d.seed = seed);
  }

  /** This spec with label model {@code method} (null: none) and its state bounds (null: the defaults). */
  public ModelSpec withLabelModel(String method, LabelModelSpec bounds) {
    return with(d -> {
      d.labelModel = method;
      d.labelModelSpec = method == null ? null : bounds;
    });
  }

  /** This spec with another loss, which must fit the algorithm and output. */
  public ModelSpec withLoss(String loss) {
    return with(d -> d.loss = loss);
  }

  /** This spec (an mlp) with other hidden layers. */
  public ModelSpec withLayers(List<HiddenLayerSpec> layers) {
    return with(d -> d.layers = layers);
  }

  /** This spec with another output-layer initialisation; {@code initLimit} is for {@link WeightInit#UNIFORM}, else 0. */
  public ModelSpec withInit(WeightInit init, double initLimit) {
    return with(d -> {
      d.init = init;
      d.initLimit = initLimit;
    });
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec s && s.algorithm.equals(algorithm) && s.inputDim == inputDim
        && s.numClasses == numClasses && s.layers.equals(layers) && s.loss.equals(loss) && s.init == init
        && Double.compare(s.initLimit, initLimit) == 0 && s.batchSize == batchSize
        && s.optimizer.equals(optimizer) && s.schedule.equals(schedule) && Double.compare(s.clipNorm, clipNorm) == 0
        && Double.compare(s.l1, l1) == 0 && Double.compare(s.l2, l2) == 0 && s.standardize == standardize
        && s.seed == seed && Objects.equals(s.labelModel, labelModel)
        && Objects.equals(s.labelModelSpec, labelModelSpec);
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, inputDim, numClasses, layers, loss, init, initLimit, batchSize, optimizer,
        schedule, clipNorm, l1, l2, standardize, seed, labelModel, labelModelSpec);
  }

  @Override
  public String toString() {
    return toJson();
  }
}
