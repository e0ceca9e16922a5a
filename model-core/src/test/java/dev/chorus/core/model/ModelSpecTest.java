package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.loss.MulticlassHinge;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.LearningRateSchedule;
import dev.chorus.core.optim.SgdSpec;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ModelSpecTest {

  private static final String EXAMPLE = """
      {"algorithm":"softmax-regression","inputDim":784,"numClasses":10,"batchSize":64,
       "optimizer":{"type":"adam","learningRate":0.002},"l2":0.0,"standardize":true,"seed":42}""";

  @Test
  void parsesTheExampleAndFillsDefaults() {
    ModelSpec spec = ModelSpec.parse(EXAMPLE);
    assertThat(spec.algorithm()).isEqualTo("softmax-regression");
    assertThat(spec.inputDim()).isEqualTo(784);
    assertThat(spec.numClasses()).isEqualTo(10);
    assertThat(spec.batchSize()).isEqualTo(64);
    assertThat(spec.optimizer()).isEqualTo(new AdamSpec(0.002, 0.9, 0.999, 1e-8));
    assertThat(spec.l2()).isZero();
    assertThat(spec.standardize()).isTrue();
    assertThat(spec.seed()).isEqualTo(42);
  }

  @Test
  void minimalSpecUsesDefaults() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":2}");
    assertThat(spec).isEqualTo(ModelSpec.softmaxRegression(3, 2));
    assertThat(spec.batchSize()).isEqualTo(TrainingSpec.DEFAULT_BATCH_SIZE);
    assertThat(spec.optimizer()).isEqualTo(TrainingSpec.DEFAULT_OPTIMIZER).isEqualTo(AdamSpec.defaults());
    assertThat(spec.standardize()).isEqualTo(TrainingSpec.DEFAULT_STANDARDIZE);
    assertThat(spec.seed()).isEqualTo(TrainingSpec.DEFAULT_SEED);
  }

  @Test
  void optimizerHyperparametersDefaultPerType() {
    String prefix = "{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":2,\"optimizer\":";
    assertThat(ModelSpec.parse(prefix + "{\"type\":\"sgd\"}}").optimizer()).isEqualTo(new SgdSpec(SgdSpec.DEFAULT_LEARNING_RATE));
    assertThat(ModelSpec.parse(prefix + "{\"type\":\"adam\",\"beta1\":0.8}}").optimizer())
        .isEqualTo(new AdamSpec(AdamSpec.DEFAULT_LEARNING_RATE, 0.8, AdamSpec.DEFAULT_BETA2, AdamSpec.DEFAULT_EPSILON));
  }

  @Test
  void canonicalJsonIsCompleteOrderedAndRoundTrips() {
    ModelSpec spec = ModelSpec.parse(EXAMPLE);
    assertThat(spec.toJson()).isEqualTo("{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,"
        + "\"loss\":\"softmax-cross-entropy\",\"init\":\"glorot-uniform\",\"batchSize\":64,\"optimizer\":{\"type\":\"adam\","
        + "\"learningRate\":0.002,\"beta1\":0.9,\"beta2\":0.999,\"epsilon\":1.0E-8},\"schedule\":{\"type\":\"constant\"},"
        + "\"clipNorm\":0.0,\"l1\":0.0,\"l2\":0.0,\"standardize\":true,\"seed\":42}");
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec).hasSameHashCodeAs(spec);
    assertThat(ModelSpec.parse(spec.toJson()).toJson()).isEqualTo(spec.toJson());

    ModelSpec sgd = spec.withOptimizer(new SgdSpec(0.05)).withL2(1e-4).withStandardize(false)
        .withSeed(Long.MIN_VALUE).withBatchSize(1);
    assertThat(ModelSpec.parse(sgd.toJson())).isEqualTo(sgd);
    assertThat(sgd.toJson()).contains("\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.05}");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown key           | "foo":1                                  | ModelSpec: unknown key 'foo'; expected one of [algorithm, inputDim, numClasses, layers, loss, init, initLimit, batchSize, optimizer, schedule, clipNorm, l1, l2, standardize, seed, averaging, featureRange, targetRange, labelModel, hashing, embeddings, wideOptimizer, output, skipGram, tokensField]
      string dimension      | "inputDim":"784"                         | ModelSpec key 'inputDim': expected an integer, got "784"
      fractional dimension  | "inputDim":7.5                           | ModelSpec key 'inputDim': expected an integer, got 7.5
      zero dimension        | "inputDim":0                             | ModelSpec key 'inputDim': expected an integer >= 1, got 0
      one class             | "numClasses":1                           | ModelSpec key 'numClasses': expected an integer >= 2, got 1
      zero batch            | "batchSize":0                            | ModelSpec key 'batchSize': expected an integer >= 1, got 0
      negative l2           | "l2":-0.5                                | ModelSpec key 'l2': expected a finite number >= 0, got -0.5
      string standardize    | "standardize":"yes"                      | ModelSpec key 'standardize': expected true or false, got "yes"
      fractional seed       | "seed":1.5                               | ModelSpec key 'seed': expected a 64-bit integer, got 1.5
      optimizer not object  | "optimizer":"adam"                       | ModelSpec key 'optimizer': expected an object like {"type":"adam"}, got "adam"
      unknown optimizer     | "optimizer":{"type":"lbfgs"}             | ModelSpec key 'optimizer.type': expected one of ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam", "ftrl"], got "lbfgs"
      optimizer key         | "optimizer":{"type":"sgd","beta1":0.9}   | ModelSpec: unknown key 'optimizer.beta1'; expected one of [type, learningRate]
      negative rate         | "optimizer":{"type":"adam","learningRate":-1} | ModelSpec key 'optimizer': adam learningRate must be finite and > 0, got -1.0
      beta out of range     | "optimizer":{"type":"adam","beta2":1.0}  | ModelSpec key 'optimizer': adam beta2 must be in [0, 1), got 1.0
      string rate           | "optimizer":{"type":"sgd","learningRate":"fast"} | ModelSpec key 'optimizer.learningRate': expected a number, got "fast"
      unknown label model   | "labelModel":"vote"                      | ModelSpec key 'labelModel': expected one of ["naive", "majority", "soft", "dawid-skene", "doctor-net", "weighted-doctor-net", "weighted-doctor-net-paper"], got "vote"
      label model number    | "labelModel":3                           | ModelSpec key 'labelModel': expected a method name like "dawid-skene" or an object like {"method":"dawid-skene","maxAnnotators":256}, got 3
      label model key       | "labelModel":{"method":"soft","annotators":3} | ModelSpec: unknown key 'labelModel.annotators'; expected one of [method, maxAnnotators, historyItems, historyMaxAge, maxLabelsPerItem, protectedLabels, halfLifeLabels]
      label model bound     | "labelModel":{"method":"soft","maxAnnotators":0} | ModelSpec key 'labelModel': label model bounds must be >= 1 (protectedLabels >= 0), got maxAnnotators=0, historyItems=262144, historyMaxAge=1073741824, maxLabelsPerItem=16, protectedLabels=50
      label model no method | "labelModel":{"maxAnnotators":4}         | ModelSpec key 'labelModel.method': expected a string, got nothing (key missing)
      """)
  void errorsNameTheKeyTheExpectationAndTheValue(String name, String entry, String message) {
    String base = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3";
    String json = "{" + overriding(base, entry) + "}";
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(json)).withMessage(message);
  }

  @Test
  void labelModelIsOptionalAndRoundTripsWithItsBounds() {
    String base = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3";
    assertThat(ModelSpec.parse(base + "}").labelModel()).isNull();
    assertThat(ModelSpec.parse(base + "}").toJson()).doesNotContain("labelModel");

    ModelSpec byName = ModelSpec.parse(base + ",\"labelModel\":\"dawid-skene\"}");
    assertThat(byName.labelModel()).isEqualTo(LabelModelSpec.of("dawid-skene"))
        .isEqualTo(LabelModelSpec.withMaxAnnotators("dawid-skene", LabelModelSpec.DEFAULT_MAX_ANNOTATORS));
    assertThat(ModelSpec.parse(byName.toJson())).isEqualTo(byName).hasSameHashCodeAs(byName);
    assertThat(byName).isNotEqualTo(ModelSpec.parse(base + "}"));

    ModelSpec bounded = ModelSpec.parse(base + ",\"labelModel\":{\"method\":\"majority\",\"maxAnnotators\":5,"
        + "\"historyItems\":100,\"historyMaxAge\":5000000000,\"maxLabelsPerItem\":3,\"protectedLabels\":7}}");
    assertThat(bounded.labelModel()).isEqualTo(new LabelModelSpec("majority", 5, 100, 5_000_000_000L, 3, 7));
    assertThat(bounded.toJson()).endsWith("\"labelModel\":{\"method\":\"majority\",\"maxAnnotators\":5,"
        + "\"historyItems\":100,\"historyMaxAge\":5000000000,\"maxLabelsPerItem\":3,\"protectedLabels\":7}}");
    assertThat(ModelSpec.parse(bounded.toJson())).isEqualTo(bounded);
    assertThat(bounded.withLabelModel(null)).isEqualTo(ModelSpec.parse(base + "}"));
    assertThat(ModelSpec.parse(base + "}").withLabelModel(bounded.labelModel())).isEqualTo(bounded);
  }

  @Test
  void featureRangeIsOptionalRoundTripsAndSurvivesOtherChanges() {
    String base = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3";
    ModelSpec plain = ModelSpec.parse(base + "}");
    assertThat(plain.featureRange()).isNull();
    assertThat(plain.toJson()).doesNotContain("featureRange");

    ModelSpec pixels = ModelSpec.parse(base + ",\"featureRange\":{\"max\":1,\"min\":0}}");
    assertThat(pixels.featureRange()).isEqualTo(new ValueRange(0, 1));
    assertThat(pixels.toJson()).endsWith("\"seed\":0,\"featureRange\":{\"min\":0.0,\"max\":1.0}}");
    assertThat(ModelSpec.parse(pixels.toJson())).isEqualTo(pixels).hasSameHashCodeAs(pixels);
    assertThat(pixels).isNotEqualTo(plain);
    assertThat(pixels.withFeatureRange(null)).isEqualTo(plain);
    assertThat(plain.withFeatureRange(new ValueRange(0, 1))).isEqualTo(pixels);
    assertThat(pixels.withL2(1e-4).withBatchSize(8).featureRange()).isEqualTo(new ValueRange(0, 1));

    ValueRange atLeast = ModelSpec.parse(base + ",\"featureRange\":{\"min\":-2.5}}").featureRange();
    assertThat(atLeast).isEqualTo(new ValueRange(-2.5, Double.POSITIVE_INFINITY));
    assertThat(atLeast.describe()).isEqualTo("at least -2.5");
    assertThat(atLeast.contains(-2.5)).isTrue();
    assertThat(atLeast.contains(Math.nextDown(-2.5))).isFalse();
    assertThat(atLeast.contains(Double.NaN)).isFalse();
    assertThat(new ValueRange(Double.NEGATIVE_INFINITY, 3).describe()).isEqualTo("at most 3.0");
    assertThat(pixels.featureRange().describe()).isEqualTo("in [0.0, 1.0]");
    ModelSpec skipGram = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":1024,\"dim\":8}}");
    assertThatIllegalArgumentException().isThrownBy(() -> skipGram.withFeatureRange(new ValueRange(0, 1)))
        .withMessageContaining("'featureRange': expected none for algorithm \"skip-gram\"");
  }

  @Test
  void targetRangeIsARegressorsAndRoundTrips() {
    String base = "{\"algorithm\":\"linear-regression\",\"inputDim\":4";
    ModelSpec plain = ModelSpec.parse(base + "}");
    assertThat(plain.targetRange()).isNull();
    ModelSpec prices = ModelSpec.parse(base + ",\"targetRange\":{\"min\":0,\"max\":1000000}}");
    assertThat(prices.targetRange()).isEqualTo(new ValueRange(0, 1e6));
    assertThat(prices.featureRange()).isNull();
    assertThat(ModelSpec.parse(prices.toJson())).isEqualTo(prices).hasSameHashCodeAs(prices);
    assertThat(prices).isNotEqualTo(plain);
    assertThat(prices.withTargetRange(null)).isEqualTo(plain);
    assertThat(plain.withTargetRange(new ValueRange(0, 1e6))).isEqualTo(prices);
    ModelSpec both = prices.withFeatureRange(new ValueRange(-1, 1));
    assertThat(both.targetRange()).isEqualTo(prices.targetRange());
    assertThat(both.toJson()).endsWith("\"featureRange\":{\"min\":-1.0,\"max\":1.0},"
        + "\"targetRange\":{\"min\":0.0,\"max\":1000000.0}}");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.softmaxRegression(4, 3)
        .withTargetRange(new ValueRange(0, 2)))
        .withMessage("ModelSpec key 'targetRange': expected none for a classifier (its labels are class indices, "
            + "checked against numClasses 3), got {\"min\":0.0,\"max\":2.0}");
  }

  @Test
  void whetherTheLabelModelFitsTheClassifierIsLeftToTheAnnotatorsSide() {
    // The model side parses any known method; LabelModels.check judges the fit (LabelModelsTest).
    assertThat(ModelSpec.parse("{\"algorithm\":\"linear-regression\",\"inputDim\":4,"
        + "\"labelModel\":\"dawid-skene\"}").labelModel().method()).isEqualTo("dawid-skene");
  }

  /** {@code base} with {@code entry}'s key replaced, or {@code entry} appended if its key is new. */
  private static String overriding(String base, String entry) {
    String key = entry.substring(0, entry.indexOf(':') + 1);
    StringBuilder out = new StringBuilder();
    boolean replaced = false;
    for (String part : base.split(",")) {
      if (part.startsWith(key)) {
        part = entry;
        replaced = true;
      }
      out.append(out.length() == 0 ? "" : ",").append(part);
    }
    return replaced ? out.toString() : out + "," + entry;
  }

  @Test
  void missingRequiredKeysAndBadDocuments() {
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":4}"))
        .withMessage("ModelSpec key 'numClasses': expected an integer, got nothing (key missing)");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"cnn\",\"inputDim\":4,\"numClasses\":3}"))
        .withMessage("ModelSpec key 'algorithm': expected one of [linear-regression, logistic-regression, "
            + "softmax-regression, linear-svm, mlp, wide-deep, large-softmax, skip-gram], got \"cnn\"");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse("[1, 2]"))
        .withMessage("ModelSpec: expected a JSON object, got ARRAY");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse("{\"algorithm\":"))
        .withMessageStartingWith("ModelSpec: not valid JSON: ");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"inputDim\":5,\"numClasses\":3}"))
        .withMessageStartingWith("ModelSpec: not valid JSON: Duplicate field 'inputDim'");
    assertThatIllegalArgumentException()
        .isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3} {}"))
        .withMessageStartingWith("ModelSpec: not valid JSON: Trailing token");
  }

  private static final String MLP_EXAMPLE = """
      {"algorithm":"mlp","inputDim":784,"numClasses":10,"layers":[{"units":256,"activation":"relu",
       "init":"he-normal","batchNorm":false,"dropout":0.0}],"loss":"softmax-cross-entropy",
       "optimizer":{"type":"adam","learningRate":0.001},"schedule":{"type":"inverse","decay":1e-4},"clipNorm":5.0,
       "l1":0.0,"l2":1e-5,"standardize":true,"batchSize":128,"seed":0}""";

  @Test
  void parsesTheMlpExample() {
    ModelSpec spec = ModelSpec.parse(MLP_EXAMPLE);
    assertThat(spec.algorithm()).isEqualTo(ModelSpec.MLP);
    assertThat(spec.layers()).containsExactly(HiddenLayerSpec.of(256, ActivationFunction.RELU));
    assertThat(spec.loss()).isEqualTo("softmax-cross-entropy");
    assertThat(spec.classificationLoss()).isSameAs(SoftmaxCrossEntropy.INSTANCE);
    assertThat(spec.optimizer()).isEqualTo(AdamSpec.withLearningRate(0.001));
    assertThat(spec.schedule()).isEqualTo(new LearningRateSchedule.InverseDecay(1e-4));
    assertThat(spec.clipNorm()).isEqualTo(5.0);
    assertThat(spec.l2()).isEqualTo(1e-5);
    assertThat(spec.batchSize()).isEqualTo(128);
    assertThat(spec.isClassifier()).isTrue();
  }

  static Stream<String> oneSpecPerAlgorithm() {
    return Stream.of(
        "{\"algorithm\":\"linear-regression\",\"inputDim\":3,\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.01}}",
        "{\"algorithm\":\"logistic-regression\",\"inputDim\":3,\"optimizer\":{\"type\":\"adagrad\"},\"l1\":0.001}",
        "{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":4,\"init\":\"zeros\"}",
        "{\"algorithm\":\"linear-svm\",\"inputDim\":3,\"numClasses\":2,\"optimizer\":{\"type\":\"momentum\"},"
            + "\"schedule\":{\"type\":\"step\",\"steps\":[100,200]}}",
        "{\"algorithm\":\"linear-svm\",\"inputDim\":3,\"numClasses\":5,\"init\":\"uniform\",\"initLimit\":0.1}",
        MLP_EXAMPLE,
        "{\"algorithm\":\"mlp\",\"inputDim\":3,\"numClasses\":2,\"loss\":\"logistic\",\"layers\":[{\"units\":8,"
            + "\"activation\":\"tanh\",\"batchNorm\":true,\"batchNormAfterActivation\":true,\"batchNormMomentum\":0.99},"
            + "{\"units\":4,\"activation\":\"sigmoid\",\"init\":\"uniform\",\"initLimit\":0.2,\"dropout\":0.1}],"
            + "\"optimizer\":{\"type\":\"nesterov\",\"momentum\":0.8},\"schedule\":{\"type\":\"exponential\",\"gamma\":0.999}}",
        "{\"algorithm\":\"mlp\",\"inputDim\":3,\"loss\":\"squared-error\",\"layers\":[{\"units\":8}],"
            + "\"optimizer\":{\"type\":\"rmsprop\",\"rho\":0.95}}");
  }

  @ParameterizedTest
  @MethodSource("oneSpecPerAlgorithm")
  void everyAlgorithmRoundTripsThroughCanonicalJson(String json) {
    ModelSpec spec = ModelSpec.parse(json);
    ModelSpec again = ModelSpec.parse(spec.toJson());
    assertThat(again).isEqualTo(spec).hasSameHashCodeAs(spec);
    assertThat(again.toJson()).isEqualTo(spec.toJson());
  }

  @Test
  void lossesDefaultPerAlgorithmAndOutput() {
    assertThat(ModelSpec.linearRegression(3).loss()).isEqualTo("squared-error");
    assertThat(ModelSpec.linearRegression(3).isClassifier()).isFalse();
    assertThat(ModelSpec.logisticRegression(3).loss()).isEqualTo("logistic");
    assertThat(ModelSpec.logisticRegression(3).numClasses()).isEqualTo(2);
    assertThat(ModelSpec.linearSvm(3, 2).loss()).isEqualTo("hinge");
    assertThat(ModelSpec.linearSvm(3, 3).loss()).isEqualTo("multiclass-hinge");
    assertThat(ModelSpec.linearSvm(3, 2).withLoss("multiclass-hinge").classificationLoss())
        .isSameAs(MulticlassHinge.INSTANCE);
    assertThat(ModelSpec.mlpRegression(3, List.of(HiddenLayerSpec.of(4, ActivationFunction.RELU))).toJson())
        .startsWith("{\"algorithm\":\"mlp\",\"inputDim\":3,\"layers\":[{\"units\":4,\"activation\":\"relu\","
            + "\"init\":\"he-normal\",\"batchNorm\":false,\"dropout\":0.0}],\"loss\":\"squared-error\"");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown layer key      | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8,"kernel":3}]} | ModelSpec: unknown key 'layers[0].kernel'; expected one of [units, activation, init, initLimit, batchNorm, batchNormAfterActivation, batchNormMomentum, dropout]
      layer not an object    | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":["dense"]} | ModelSpec key 'layers[0]': expected a layer object like {"units":256,"activation":"relu"}, got "dense"
      layers not an array    | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":{"units":8}} | ModelSpec key 'layers': expected an array of layer objects like [{"units":256,"activation":"relu"}], got {"units":8}
      no hidden layer        | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[]} | ModelSpec key 'layers': an mlp needs at least one hidden layer, got []
      zero units             | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8},{"units":0}]} | ModelSpec key 'layers[1].units': expected an integer >= 1, got 0
      missing units          | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"activation":"relu"}]} | ModelSpec key 'layers[0].units': expected an integer, got nothing (key missing)
      unknown activation     | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8,"activation":"swish"}]} | ModelSpec key 'layers[0].activation': expected one of ["relu", "tanh", "sigmoid", "identity"], got "swish"
      unknown init           | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8,"init":"orthogonal"}]} | ModelSpec key 'layers[0].init': expected one of ["glorot-uniform", "glorot-normal", "he-normal", "uniform", "zeros"], got "orthogonal"
      uniform without limit  | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8,"init":"uniform"}]} | ModelSpec key 'layers[0].initLimit': expected a finite number > 0 for init "uniform", got 0.0
      dropout of one         | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8,"dropout":1.0}]} | ModelSpec key 'layers[0].dropout': expected a number in [0, 1), got 1.0
      momentum without norm  | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8,"batchNormMomentum":0.9}]} | ModelSpec key 'layers[0].batchNormMomentum': needs "batchNorm":true
      batch norm, batch of 1 | {"algorithm":"mlp","inputDim":4,"numClasses":3,"batchSize":1,"layers":[{"units":8},{"units":8,"batchNorm":true}]} | ModelSpec key 'batchSize': batch normalisation (layers[1]) learns its statistics from minibatches of at least 2 examples, expected an integer >= 2, got 1
      layers on a linear one | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"layers":[{"units":8}]} | ModelSpec key 'layers': only algorithm "mlp" has hidden layers, got 1 for "softmax-regression"
      hinge on regression    | {"algorithm":"linear-regression","inputDim":4,"loss":"hinge"} | ModelSpec key 'loss': linear-regression with a real-valued output takes one of ["squared-error"], got "hinge" (it does not fit a real-valued output)
      mlp regressor loss     | {"algorithm":"mlp","inputDim":4,"layers":[{"units":8}]} | ModelSpec key 'numClasses': expected an integer, got nothing (key missing); an mlp without numClasses is a regressor and needs "loss":"squared-error"
      squared error classes  | {"algorithm":"mlp","inputDim":4,"numClasses":10,"layers":[{"units":8}],"loss":"squared-error"} | ModelSpec key 'loss': mlp with 10 classes takes one of ["softmax-cross-entropy", "multiclass-hinge", "softmax-squared-error"], got "squared-error" (squared-error is for regression; on a classifier's probabilities say "softmax-squared-error")
      binary loss, 3 classes | {"algorithm":"mlp","inputDim":4,"numClasses":3,"layers":[{"units":8}],"loss":"logistic"} | ModelSpec key 'loss': mlp with 3 classes takes one of ["softmax-cross-entropy", "multiclass-hinge", "softmax-squared-error"], got "logistic" (it does not fit 3 classes)
      unknown loss           | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"loss":"focal"} | ModelSpec key 'loss': softmax-regression with 3 classes takes one of ["softmax-cross-entropy"], got "focal" (unknown loss)
      binary hinge, 3 class  | {"algorithm":"linear-svm","inputDim":4,"numClasses":3,"loss":"hinge"} | ModelSpec key 'loss': linear-svm with 3 classes takes one of ["multiclass-hinge"], got "hinge" (it does not fit 3 classes)
      classes on regression  | {"algorithm":"linear-regression","inputDim":4,"numClasses":3} | ModelSpec key 'numClasses': linear-regression predicts one real value and takes no numClasses, got 3
      multiclass logistic    | {"algorithm":"logistic-regression","inputDim":4,"numClasses":3} | ModelSpec key 'numClasses': logistic-regression is binary, expected 2, got 3
      zero classes           | {"algorithm":"linear-svm","inputDim":4,"numClasses":0} | ModelSpec key 'numClasses': expected an integer >= 2, got 0
      unknown schedule       | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"schedule":{"type":"cosine"}} | ModelSpec key 'schedule.type': expected one of ["constant", "inverse", "step", "exponential"], got "cosine"
      decay missing          | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"schedule":{"type":"inverse"}} | ModelSpec key 'schedule.decay': expected a number, got nothing (key missing)
      steps not increasing   | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"schedule":{"type":"step","steps":[10,5]}} | ModelSpec key 'schedule': step schedule steps must be >= 1 and strictly increasing, got [10, 5]
      negative clip norm     | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"clipNorm":-1} | ModelSpec key 'clipNorm': expected a finite number >= 0, got -1.0
      negative l1            | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"l1":-0.1} | ModelSpec key 'l1': expected a finite number >= 0, got -0.1
      momentum out of range  | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"optimizer":{"type":"nesterov","momentum":1.0}} | ModelSpec key 'optimizer': nesterov momentum must be in [0, 1), got 1.0
      rmsprop key            | {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"optimizer":{"type":"rmsprop","beta1":0.9}} | ModelSpec: unknown key 'optimizer.beta1'; expected one of [type, learningRate, rho, epsilon]
      """)
  void newKeysFailWithClearMessages(String name, String json, String message) {
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(json)).withMessage(message);
  }
}
