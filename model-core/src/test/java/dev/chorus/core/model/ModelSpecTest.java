package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.optim.AdamSpec;
import dev.chorus.core.optim.SgdSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

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
    assertThat(spec.batchSize()).isEqualTo(ModelSpec.DEFAULT_BATCH_SIZE);
    assertThat(spec.optimizer()).isEqualTo(ModelSpec.DEFAULT_OPTIMIZER).isEqualTo(AdamSpec.defaults());
    assertThat(spec.standardize()).isEqualTo(ModelSpec.DEFAULT_STANDARDIZE);
    assertThat(spec.seed()).isEqualTo(ModelSpec.DEFAULT_SEED);
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
        + "\"batchSize\":64,\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.002,\"beta1\":0.9,\"beta2\":0.999,"
        + "\"epsilon\":1.0E-8},\"l2\":0.0,\"standardize\":true,\"seed\":42}");
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec).hasSameHashCodeAs(spec);
    assertThat(ModelSpec.parse(spec.toJson()).toJson()).isEqualTo(spec.toJson());

    ModelSpec sgd = spec.withOptimizer(new SgdSpec(0.05)).withL2(1e-4).withStandardize(false)
        .withSeed(Long.MIN_VALUE).withBatchSize(1);
    assertThat(ModelSpec.parse(sgd.toJson())).isEqualTo(sgd);
    assertThat(sgd.toJson()).contains("\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.05}");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      unknown key           | "foo":1                                  | ModelSpec: unknown key 'foo'; expected one of [algorithm, inputDim, numClasses, batchSize, optimizer, l2, standardize, seed]
      string dimension      | "inputDim":"784"                         | ModelSpec key 'inputDim': expected an integer, got "784"
      fractional dimension  | "inputDim":7.5                           | ModelSpec key 'inputDim': expected an integer, got 7.5
      zero dimension        | "inputDim":0                             | ModelSpec key 'inputDim': expected an integer >= 1, got 0
      one class             | "numClasses":1                           | ModelSpec key 'numClasses': expected an integer >= 2, got 1
      zero batch            | "batchSize":0                            | ModelSpec key 'batchSize': expected an integer >= 1, got 0
      negative l2           | "l2":-0.5                                | ModelSpec key 'l2': expected a finite number >= 0, got -0.5
      string standardize    | "standardize":"yes"                      | ModelSpec key 'standardize': expected true or false, got "yes"
      fractional seed       | "seed":1.5                               | ModelSpec key 'seed': expected a 64-bit integer, got 1.5
      optimizer not object  | "optimizer":"adam"                       | ModelSpec key 'optimizer': expected an object like {"type":"adam"}, got "adam"
      unknown optimizer     | "optimizer":{"type":"rmsprop"}           | ModelSpec key 'optimizer.type': expected one of ["sgd", "adam"], got "rmsprop"
      optimizer key         | "optimizer":{"type":"sgd","beta1":0.9}   | ModelSpec: unknown key 'optimizer.beta1'; expected one of [type, learningRate]
      negative rate         | "optimizer":{"type":"adam","learningRate":-1} | ModelSpec key 'optimizer': adam learningRate must be finite and > 0, got -1.0
      beta out of range     | "optimizer":{"type":"adam","beta2":1.0}  | ModelSpec key 'optimizer': adam beta2 must be in [0, 1), got 1.0
      string rate           | "optimizer":{"type":"sgd","learningRate":"fast"} | ModelSpec key 'optimizer.learningRate': expected a number, got "fast"
      """)
  void errorsNameTheKeyTheExpectationAndTheValue(String name, String entry, String message) {
    String base = "\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3";
    String json = "{" + overriding(base, entry) + "}";
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(json)).withMessage(message);
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
        .isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":4,\"numClasses\":3}"))
        .withMessage("ModelSpec key 'algorithm': expected one of [softmax-regression], got \"mlp\"");
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
}
