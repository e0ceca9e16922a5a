package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.loss.ClassificationLoss;
import dev.chorus.core.loss.SquaredError;
import dev.chorus.core.nn.WeightInit;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.OptimizerSpec;
import dev.chorus.core.optim.OptimizerSpecs;
import dev.chorus.core.output.SkipGram;
import dev.chorus.core.output.SkipGramSpec;
import dev.chorus.core.spec.SpecReader;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * What to train: the algorithm, its dimensions and layers, and how to train it ({@link TrainingSpec}), validated and
 * immutable. Specs are written as JSON, the same document the jobs and the CLI take, for example
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
 *   <li>{@code wide-deep}: like an mlp's hidden layers and output, with {@code logistic} (2 classes, the default),
 *       {@code softmax-cross-entropy}, or {@code squared-error} without {@code numClasses}; see below.
 *   <li>{@code skip-gram}: no features, classes or loss to choose: vectors of the tokens of a named field, trained
 *       pair by pair ({@link SkipGram}); its keys are {@code skipGram}, {@code tokensField} and {@code seed} only.
 * </ul>
 *
 * <p>Other keys: {@code init} (and {@code initLimit} for {@code "uniform"}) initialises the output layer
 * (default {@code glorot-uniform}); the training keys, flat beside these, are {@link TrainingSpec}'s.
 * {@code algorithm}, {@code inputDim} and, as above, {@code numClasses} are required; other keys default.
 * {@code labelModel} ({@link LabelModelSpec}) makes a classifier learn from many annotators through a label model
 * ({@code dev.chorus.core.annotators.LabelModels}, which also checks that the method suits the classifier:
 * {@code LabelModels.check}); absent, each label trains as given. Each spec record reads and writes its own keys
 * ({@code fromJson}, {@code writeJson}). {@code hashing} ({@link HashingSpec}) makes the task read named fields
 * hashed into {@code 2^bits} features (then {@code inputDim} may be left out) and train a {@link SparseLinearModel}.
 * {@code wide-deep} ({@link WideDeepModel}) needs {@code hashing} for its wide part and {@code embeddings}
 * ({@link EmbeddingsSpec}) for its deep part, whose hidden {@code layers} and training keys are an mlp's;
 * {@code wideOptimizer} (sgd, adagrad or ftrl; default ftrl) steps the wide part. {@link #toJson()} writes every
 * key that applies, defaults included, in a fixed order, so equal specs have equal JSON.
 * {@code large-softmax} ({@link LargeOutputModel}, up to 10^6 classes) needs {@code hashing} and {@code output}
 * ({@link LargeOutputSpec}). {@code featureRange} ({@link ValueRange}) declares the values the task's features may
 * take, and {@code targetRange} a regression task's targets; the jobs refuse an example with one outside them.
 */
public final class ModelSpec {

  public static final String LINEAR_REGRESSION = "linear-regression";
  public static final String LOGISTIC_REGRESSION = "logistic-regression";
  /** Multinomial logistic regression: a linear layer trained with softmax cross-entropy. */
  public static final String SOFTMAX_REGRESSION = "softmax-regression";
  public static final String LINEAR_SVM = "linear-svm";
  public static final String MLP = "mlp";
  /** A sparse linear model on the hashed features plus an mlp on embedding bags, their logits summed. */
  public static final String WIDE_DEEP = "wide-deep";
  /** Hashed fields, an embedding bag, and an output layer over up to 10^6 classes ({@link LargeOutputModel}). */
  public static final String LARGE_SOFTMAX = "large-softmax";
  /** Word or item vectors learned from token sequences ({@link SkipGram}); the keys are {@link SkipGramKeys}'. */
  public static final String SKIP_GRAM = "skip-gram";
  public static final String DEFAULT_TOKENS_FIELD = "tokens";
  /** What a {@code skip-gram} spec reports as its loss: word2vec's negative sampling. */
  public static final String SKIP_GRAM_LOSS = "negative-sampling";
  public static final WeightInit DEFAULT_INIT = WeightInit.GLOROT_UNIFORM;

  /** The keys a spec may have, in the order {@link #toJson()} writes them. */
  public static final List<String> KEYS = List.of("algorithm", "inputDim", "numClasses", "layers", "loss", "init",
      "initLimit", "batchSize", "optimizer", "schedule", "clipNorm", "l1", "l2", "standardize", "seed", "averaging",
      "featureRange", "targetRange", "labelModel", "hashing", "embeddings", "wideOptimizer", "output", "skipGram",
      "tokensField");

  private final String algorithm;
  private final int inputDim;
  private final int numClasses;
  private final List<HiddenLayerSpec> layers;
  private final String loss;
  private final WeightInit init;
  private final double initLimit;
  private final TrainingSpec training;
  private final LabelModelSpec labelModel;
  private final HashingSpec hashing;
  private final EmbeddingsSpec embeddings;
  private final OptimizerSpec wideOptimizer;
  private final LargeOutputSpec output;
  private final SkipGramSpec skipGram;
  private final String tokensField;
  private final ValueRange featureRange;
  private final ValueRange targetRange;

  /**
   * Checks the model's keys, then the training's: {@code batchSize} is the training's, read but not yet checked, so
   * that the batch-norm check comes where it always has (after {@code batchSize >= 1}, before {@code clipNorm}).
   *
   * @param numClasses 0 when absent (regression, or the default of a binary algorithm)
   * @param loss {@code null} for the algorithm's default
   * @param labelModel {@code null}: the task trains on each label as given, without a label model
   */
  private ModelSpec(String algorithm, int inputDim, int numClasses, List<HiddenLayerSpec> layers, String loss,
      WeightInit init, double initLimit, int batchSize, Supplier<TrainingSpec> training, LabelModelSpec labelModel,
      HashingSpec hashing, EmbeddingsSpec embeddings, OptimizerSpec wideOptimizer, LargeOutputSpec output,
      ValueRange featureRange, ValueRange targetRange) {
    this.algorithm = Algorithms.valid(algorithm);
    // A label-only task (no features) does pure truth inference: its label model's prior is the class distribution.
    requireAtLeast("inputDim", inputDim, labelModel != null ? 0 : 1);
    this.inputDim = inputDim;
    this.numClasses = Algorithms.validNumClasses(algorithm, numClasses, loss);
    this.layers = Algorithms.validLayers(algorithm, layers);
    this.loss = Algorithms.validLoss(algorithm, this.numClasses, loss);
    HiddenLayerSpec.requireInitLimit("ModelSpec key 'initLimit'", init, initLimit);
    this.init = init;
    this.initLimit = initLimit;
    HiddenLayerSpec.requireBatchSizeFits(this.layers, batchSize);
    this.training = training.get();
    if (this.training.averaging() != null && hashing != null) {
      throw new IllegalArgumentException("ModelSpec key 'averaging': expected none with hashing (only dense models "
          + "average their weights), got " + SpecReader.newObject().put("decay", this.training.averaging().decay()));
    }
    this.labelModel = labelModel;
    this.hashing = hashing;
    this.embeddings = embeddings;
    this.wideOptimizer = wideOptimizer;
    if (wideOptimizer != null) {
      TrainingSpec.requireFloatRate("wideOptimizer.learningRate", wideOptimizer.learningRate());
    }
    this.output = output;
    this.skipGram = null;
    this.tokensField = null;
    if (featureRange != null && inputDim == 0) {
      ObjectNode json = SpecReader.newObject();
      featureRange.writeJson(json);
      throw new IllegalArgumentException("ModelSpec key 'featureRange': expected none for a label-only task (inputDim "
          + "0: its examples carry no features), got " + json);
    }
    this.featureRange = featureRange;
    if (targetRange != null && this.numClasses > 0) {
      ObjectNode json = SpecReader.newObject();
      targetRange.writeJson(json);
      throw new IllegalArgumentException("ModelSpec key 'targetRange': expected none for a classifier (its labels are "
          + "class indices, checked against numClasses " + this.numClasses + "), got " + json);
    }
    this.targetRange = targetRange;
    if (output != null && !algorithm.equals(LARGE_SOFTMAX)) {
      throw new IllegalArgumentException("ModelSpec key 'output': expected none unless algorithm is \"" + LARGE_SOFTMAX
          + "\", got \"" + output.type().label() + "\" for \"" + algorithm + "\"");
    }
    if (algorithm.equals(LARGE_SOFTMAX)) {
      LargeOutputModel.requireSupported(this);
    } else if (algorithm.equals(WIDE_DEEP)) {
      WideDeepModel.requireSupported(this);
    } else {
      if (embeddings != null) {
        ObjectNode json = SpecReader.newObject();
        embeddings.writeJson(json);
        throw new IllegalArgumentException("ModelSpec key 'embeddings': expected none unless algorithm is \""
            + WIDE_DEEP + "\", got " + json + " for \"" + algorithm + "\"");
      }
      if (wideOptimizer != null) {
        throw new IllegalArgumentException("ModelSpec key 'wideOptimizer': expected none unless algorithm is \""
            + WIDE_DEEP + "\", got \"" + wideOptimizer.type() + "\" for \"" + algorithm + "\"");
      }
      if (hashing != null) {
        SparseLinearModel.requireSupported(this);
      }
    }
  }

  /** A {@code skip-gram} spec; of {@code training} only the seed applies ({@link SkipGramKeys#requireSeedOnly}). */
  private ModelSpec(SkipGramSpec skipGram, String tokensField, TrainingSpec training) {
    this.algorithm = SKIP_GRAM;
    this.inputDim = 0;
    this.numClasses = 0;
    this.layers = List.of();
    this.loss = SKIP_GRAM_LOSS;
    this.init = DEFAULT_INIT;
    this.initLimit = 0;
    this.training = SkipGramKeys.requireSeedOnly(training);
    this.labelModel = null;
    this.hashing = null;
    this.embeddings = null;
    this.wideOptimizer = null;
    this.output = null;
    this.skipGram = Objects.requireNonNull(skipGram, "skipGram");
    this.tokensField = Objects.requireNonNull(tokensField, "tokensField");
    this.featureRange = null;
    this.targetRange = null;
  }

  static ModelSpec skipGram(SkipGramSpec skipGram, String tokensField, TrainingSpec training) {
    return new ModelSpec(skipGram, tokensField, training);
  }

  private static void requireAtLeast(String key, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException("ModelSpec key '" + key + "': expected an integer >= " + min + ", got " + value);
    }
  }

  private static ModelSpec withDefaults(String algorithm, int inputDim, int numClasses, List<HiddenLayerSpec> layers,
      String loss) {
    TrainingSpec training = TrainingSpec.DEFAULTS;
    return new ModelSpec(algorithm, inputDim, numClasses, layers, loss, DEFAULT_INIT, 0, training.batchSize(),
        () -> training, null, null, null, null, null, null, null);
  }

  /** Softmax regression with every other setting at its default. */
  public static ModelSpec softmaxRegression(int inputDim, int numClasses) {
    return withDefaults(SOFTMAX_REGRESSION, inputDim, numClasses, List.of(), null);
  }

  /** Least-squares linear regression with every other setting at its default. */
  public static ModelSpec linearRegression(int inputDim) {
    return withDefaults(LINEAR_REGRESSION, inputDim, 0, List.of(), null);
  }

  /** Binary logistic regression with every other setting at its default. */
  public static ModelSpec logisticRegression(int inputDim) {
    return withDefaults(LOGISTIC_REGRESSION, inputDim, 2, List.of(), null);
  }

  /** A linear SVM (binary hinge for 2 classes, Crammer–Singer otherwise) with every other setting at its default. */
  public static ModelSpec linearSvm(int inputDim, int numClasses) {
    return withDefaults(LINEAR_SVM, inputDim, numClasses, List.of(), null);
  }

  /** An MLP classifier trained with softmax cross-entropy, every other setting at its default. */
  public static ModelSpec mlp(int inputDim, int numClasses, List<HiddenLayerSpec> layers) {
    return withDefaults(MLP, inputDim, numClasses, layers, null);
  }

  /** An MLP regressor (one real output, squared error), every other setting at its default. */
  public static ModelSpec mlpRegression(int inputDim, List<HiddenLayerSpec> layers) {
    return withDefaults(MLP, inputDim, 0, layers, SquaredError.NAME);
  }

  /**
   * Parses and validates a JSON spec.
   *
   * @throws IllegalArgumentException naming the offending key, what was expected and what was found
   */
  public static ModelSpec parse(String json) {
    ModelSpec spec = parseDocument(json);
    Consumer<ModelSpec> admit = ADMISSION.get();
    if (admit != null) {
      admit.accept(spec);
    }
    return spec;
  }

  /**
   * Runs {@code body} with every spec this thread parses checked by {@code admit} as soon as it is parsed, before any
   * model of it is built: a saved model's reader parses the spec its bytes embed, then allocates what that spec
   * declares, which for hashed rows and tables the bytes do not bound ({@code SavedModels#read(byte[], Consumer)}).
   * {@code admit} refuses a spec by throwing.
   */
  public static <T> T parsingWith(Consumer<ModelSpec> admit, Supplier<T> body) {
    Consumer<ModelSpec> outer = ADMISSION.get();
    ADMISSION.set(Objects.requireNonNull(admit, "admit"));
    try {
      return body.get();
    } finally {
      if (outer == null) {
        ADMISSION.remove();
      } else {
        ADMISSION.set(outer);
      }
    }
  }

  private static final ThreadLocal<Consumer<ModelSpec>> ADMISSION = new ThreadLocal<>();

  private static ModelSpec parseDocument(String json) {
    SpecReader root = SpecReader.document(json);
    root.requireKnownKeys(KEYS);
    String algorithm = root.string("algorithm");
    if (algorithm.equals(SKIP_GRAM)) {
      return SkipGramKeys.parse(root);
    }
    SkipGramKeys.refuseUnless(algorithm, root);
    HashingSpec hashing = root.has("hashing") ? HashingSpec.fromJson(root.at("hashing")) : null;
    // With hashing the dimension is the hash space's, which inputDim may repeat but not contradict.
    int inputDim = hashing != null && !root.has("inputDim") ? hashing.dimension() : root.intValue("inputDim");
    int numClasses = 0;
    if (root.has("numClasses")) {
      numClasses = root.intValue("numClasses");
      if (numClasses < 1) {
        // 0 stands for "absent" below, so an explicit non-positive count is rejected here.
        requireAtLeast("numClasses", numClasses, 2);
      }
    }
    List<HiddenLayerSpec> layers = root.has("layers") ? HiddenLayerSpec.listFromJson(root.at("layers")) : List.of();
    String loss = root.has("loss") ? root.string("loss") : null;
    WeightInit init = root.has("init") ? HiddenLayerSpec.weightInit(root) : DEFAULT_INIT;
    double initLimit = root.doubleValue("initLimit", 0);
    int batchSize = root.intValue("batchSize", TrainingSpec.DEFAULT_BATCH_SIZE);
    Supplier<TrainingSpec> training = TrainingSpec.fromJson(root);
    LabelModelSpec labelModel = root.has("labelModel") ? LabelModelSpec.fromJson(root.at("labelModel")) : null;
    EmbeddingsSpec embeddings = root.has("embeddings") ? EmbeddingsSpec.fromJson(root.at("embeddings")) : null;
    OptimizerSpec wideOptimizer = root.has("wideOptimizer") ? OptimizerSpecs.fromJson(root.at("wideOptimizer"))
        : algorithm.equals(WIDE_DEEP) ? WideDeepModel.DEFAULT_WIDE_OPTIMIZER : null;
    LargeOutputSpec output = root.has("output") ? LargeOutputSpec.fromJson(root.at("output")) : null;
    ValueRange featureRange = root.has("featureRange") ? ValueRange.fromJson(root.at("featureRange")) : null;
    ValueRange targetRange = root.has("targetRange") ? ValueRange.fromJson(root.at("targetRange")) : null;
    return new ModelSpec(algorithm, inputDim, numClasses, layers, loss, init, initLimit, batchSize, training,
        labelModel, hashing, embeddings, wideOptimizer, output, featureRange, targetRange);
  }

  /**
   * Canonical JSON: every key that applies to the algorithm, defaults included, in a fixed order;
   * {@code parse(toJson())} equals this spec. {@code numClasses} is left out for a regressor, {@code layers}
   * for all but an mlp, {@code initLimit} unless the init is {@code uniform}, {@code labelModel} without one.
   */
  public String toJson() {
    ObjectNode root = SpecReader.newObject();
    root.put("algorithm", algorithm);
    if (skipGram != null) {
      root.put("seed", training.seed());
      skipGram.writeJson(root.putObject("skipGram"));
      return root.put("tokensField", tokensField).toString();
    }
    root.put("inputDim", inputDim);
    if (numClasses > 0) {
      root.put("numClasses", numClasses);
    }
    if (algorithm.equals(MLP) || algorithm.equals(WIDE_DEEP)) {
      ArrayNode array = root.putArray("layers");
      layers.forEach(layer -> layer.writeJson(array));
    }
    root.put("loss", loss);
    root.put("init", init.label());
    if (init == WeightInit.UNIFORM) {
      root.put("initLimit", initLimit);
    }
    training.writeJson(root);
    if (featureRange != null) {
      featureRange.writeJson(root.putObject("featureRange"));
    }
    if (targetRange != null) {
      targetRange.writeJson(root.putObject("targetRange"));
    }
    if (labelModel != null) {
      labelModel.writeJson(root.putObject("labelModel"));
    }
    if (hashing != null) {
      hashing.writeJson(root.putObject("hashing"));
    }
    if (embeddings != null) {
      embeddings.writeJson(root.putObject("embeddings"));
    }
    if (wideOptimizer != null) {
      wideOptimizer.writeJson(root.putObject("wideOptimizer"));
    }
    if (output != null) {
      output.writeJson(root.putObject("output"));
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

  /**
   * Checks that the first {@code n} of {@code labels} are classes of this classifier, for {@code method}'s message.
   *
   * @throws IllegalArgumentException naming the first example whose label is out of range
   */
  void requireLabels(String method, int[] labels, int n) {
    for (int i = 0; i < n; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(method + ": label of example " + i + " must be in [0, " + numClasses
            + "), got " + labels[i]);
      }
    }
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
    long width = embeddings != null ? embeddings.inputWidth() : inputDim;
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

  /**
   * The parameters a model of this spec holds at its full size, counted before anything is built: every weight and
   * bias of its network, its hashed rows and its embedding, output and skip-gram tables whole, and for a label model a
   * confusion matrix (and, for the Doctor Net methods, a head) for each of up to {@code maxAnnotators} annotators.
   * Training holds more than these (gradients, optimizer moments, the minibatch's activations), in proportion; the
   * train job refuses a spec above its {@code --max-model-parameters}. Saturates at {@link Long#MAX_VALUE}.
   */
  public long parameterCount() {
    return ParameterCount.of(this);
  }

  /**
   * The floats a full minibatch of this spec needs at least, counted before anything is built: per example, its dense
   * inputs (hashed features stay sparse), a value per hidden unit and one per output ({@code batchSize ×} their sum).
   * A trainer's buffers are a small multiple of it. Saturates at {@link Long#MAX_VALUE}.
   */
  public long minibatchFloats() {
    return ParameterCount.minibatch(this);
  }

  /**
   * The labels a label model's per-item history may hold, {@code historyItems × maxLabelsPerItem} (0 without a label
   * model): each item it remembers gets room for {@code maxLabelsPerItem} when first labelled.
   */
  public long labelHistorySlots() {
    return ParameterCount.labelHistory(this);
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
    return Algorithms.classificationLoss(loss);
  }

  /** Initialisation of the output layer's weights. */
  public WeightInit init() {
    return init;
  }

  /** The {@code a} of {@link WeightInit#UNIFORM} for the output layer; 0 for other schemes. */
  public double initLimit() {
    return initLimit;
  }

  /** How the model is trained; the accessors below read its settings. */
  public TrainingSpec training() {
    return training;
  }

  public int batchSize() {
    return training.batchSize();
  }

  public OptimizerSpec optimizer() {
    return training.optimizer();
  }

  public LearningRateSchedule schedule() {
    return training.schedule();
  }

  public double clipNorm() {
    return training.clipNorm();
  }

  public double l1() {
    return training.l1();
  }

  public double l2() {
    return training.l2();
  }

  public boolean standardize() {
    return training.standardize();
  }

  public long seed() {
    return training.seed();
  }

  /** How the weights the model predicts with are averaged, or {@code null}: it predicts with the trained ones. */
  public AveragingSpec averaging() {
    return training.averaging();
  }

  /**
   * The values this task's features may take, or {@code null}: any finite value. The jobs make an example with a
   * feature value outside it a dead letter.
   */
  public ValueRange featureRange() {
    return featureRange;
  }

  /** This spec with feature values bounded by {@code featureRange}; {@code null}: any finite value. */
  public ModelSpec withFeatureRange(ValueRange featureRange) {
    return copy(layers, loss, init, initLimit, training, labelModel, featureRange, targetRange);
  }

  /**
   * The values a regression task's targets may take, or {@code null}: any finite value. The jobs make an example with
   * a target outside it a dead letter.
   */
  public ValueRange targetRange() {
    return targetRange;
  }

  /** This spec (a regressor's) with targets bounded by {@code targetRange}; {@code null}: any finite value. */
  public ModelSpec withTargetRange(ValueRange targetRange) {
    return copy(layers, loss, init, initLimit, training, labelModel, featureRange, targetRange);
  }

  /** The label model the task trains through, or {@code null} when each label is used as given. */
  public LabelModelSpec labelModel() {
    return labelModel;
  }

  /** How named fields are hashed into the features, or {@code null} for a task whose examples carry vectors. */
  public HashingSpec hashing() {
    return hashing;
  }

  /** The deep part's inputs of a {@code wide-deep} model, or {@code null} for other algorithms. */
  public EmbeddingsSpec embeddings() {
    return embeddings;
  }

  /** How a {@code wide-deep} model's wide part is stepped, or {@code null} for other algorithms. */
  public OptimizerSpec wideOptimizer() {
    return wideOptimizer;
  }

  /** The output of a {@code large-softmax} model, or {@code null} for other algorithms. */
  public LargeOutputSpec output() {
    return output;
  }

  /** The skip-gram model of a {@code skip-gram} spec, or {@code null} for other algorithms. */
  public SkipGramSpec skipGram() {
    return skipGram;
  }

  /** The named field whose list of strings is a {@code skip-gram} example's token sequence; else {@code null}. */
  public String tokensField() {
    return tokensField;
  }

  /** This spec with other training settings. */
  public ModelSpec withTraining(TrainingSpec training) {
    return copy(layers, loss, init, initLimit, Objects.requireNonNull(training, "training"), labelModel);
  }

  /** This spec with label model {@code labelModel}; {@code null}: none. */
  public ModelSpec withLabelModel(LabelModelSpec labelModel) {
    return copy(layers, loss, init, initLimit, training, labelModel);
  }

  /** This spec with another loss, which must fit the algorithm and output. */
  public ModelSpec withLoss(String loss) {
    return copy(layers, loss, init, initLimit, training, labelModel);
  }

  /** This spec (an mlp) with other hidden layers. */
  public ModelSpec withLayers(List<HiddenLayerSpec> layers) {
    return copy(layers, loss, init, initLimit, training, labelModel);
  }

  /** This spec with another output-layer initialisation; {@code initLimit} is for {@link WeightInit#UNIFORM}, else 0. */
  public ModelSpec withInit(WeightInit init, double initLimit) {
    return copy(layers, loss, init, initLimit, training, labelModel);
  }

  public ModelSpec withBatchSize(int batchSize) {
    return withTraining(training.withBatchSize(batchSize));
  }

  public ModelSpec withOptimizer(OptimizerSpec optimizer) {
    return withTraining(training.withOptimizer(optimizer));
  }

  public ModelSpec withSchedule(LearningRateSchedule schedule) {
    return withTraining(training.withSchedule(schedule));
  }

  public ModelSpec withClipNorm(double clipNorm) {
    return withTraining(training.withClipNorm(clipNorm));
  }

  public ModelSpec withL1(double l1) {
    return withTraining(training.withL1(l1));
  }

  public ModelSpec withL2(double l2) {
    return withTraining(training.withL2(l2));
  }

  public ModelSpec withStandardize(boolean standardize) {
    return withTraining(training.withStandardize(standardize));
  }

  public ModelSpec withSeed(long seed) {
    return withTraining(training.withSeed(seed));
  }

  public ModelSpec withAveraging(AveragingSpec averaging) {
    return withTraining(training.withAveraging(averaging));
  }

  private ModelSpec copy(List<HiddenLayerSpec> layers, String loss, WeightInit init, double initLimit,
      TrainingSpec training, LabelModelSpec labelModel) {
    return copy(layers, loss, init, initLimit, training, labelModel, featureRange, targetRange);
  }

  private ModelSpec copy(List<HiddenLayerSpec> layers, String loss, WeightInit init, double initLimit,
      TrainingSpec training, LabelModelSpec labelModel, ValueRange featureRange, ValueRange targetRange) {
    if (skipGram != null) {
      if (featureRange != null || targetRange != null) {
        throw new IllegalArgumentException("ModelSpec key '" + (featureRange != null ? "featureRange" : "targetRange")
            + "': expected none for algorithm \"" + SKIP_GRAM + "\" (its examples carry tokens, not values)");
      }
      return new ModelSpec(skipGram, tokensField, training);
    }
    return new ModelSpec(algorithm, inputDim, numClasses, layers, loss, init, initLimit, training.batchSize(),
        () -> training, labelModel, hashing, embeddings, wideOptimizer, output, featureRange, targetRange);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelSpec s && s.algorithm.equals(algorithm) && s.inputDim == inputDim
        && s.numClasses == numClasses && s.layers.equals(layers) && s.loss.equals(loss) && s.init == init
        && Double.compare(s.initLimit, initLimit) == 0 && s.training.equals(training)
        && Objects.equals(s.labelModel, labelModel) && Objects.equals(s.hashing, hashing)
        && Objects.equals(s.embeddings, embeddings) && Objects.equals(s.wideOptimizer, wideOptimizer)
        && Objects.equals(s.output, output) && Objects.equals(s.skipGram, skipGram)
        && Objects.equals(s.tokensField, tokensField) && Objects.equals(s.featureRange, featureRange)
        && Objects.equals(s.targetRange, targetRange);
  }

  @Override
  public int hashCode() {
    return Objects.hash(algorithm, inputDim, numClasses, layers, loss, init, initLimit, training, labelModel, hashing,
        embeddings, wideOptimizer, output, skipGram, tokensField, featureRange, targetRange);
  }

  @Override
  public String toString() {
    return toJson();
  }
}
