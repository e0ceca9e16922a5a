package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.nn.ParameterSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ParameterCountTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10}",
      "{\"algorithm\":\"logistic-regression\",\"inputDim\":20}",
      "{\"algorithm\":\"linear-regression\",\"inputDim\":7}",
      "{\"algorithm\":\"linear-svm\",\"inputDim\":12,\"numClasses\":4}",
      "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,\"layers\":[{\"units\":256},{\"units\":64}]}",
      "{\"algorithm\":\"mlp\",\"inputDim\":30,\"numClasses\":3,\"layers\":[{\"units\":16,\"batchNorm\":true},"
          + "{\"units\":8,\"activation\":\"tanh\",\"batchNorm\":true,\"batchNormAfterActivation\":true}]}",
  })
  void aDenseSpecCountsEveryParameterItsNetworkIsBuiltWith(String json) {
    ModelSpec spec = ModelSpec.parse(json);
    ParameterSet built = OnlineLearner.create(spec).network().parameters();
    long allocated = 0;
    for (int i = 0; i < built.size(); i++) {
      allocated += built.get(i).size();
    }
    assertThat(spec.parameterCount()).isEqualTo(allocated).isPositive();
  }

  @Test
  void theSparseAndLargeOutputFamiliesCountTheirTablesWhole() {
    ModelSpec hashed = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":1024,\"numClasses\":5,"
        + "\"hashing\":{\"bits\":10},\"standardize\":false,\"optimizer\":{\"type\":\"ftrl\"}}");
    assertThat(hashed.parameterCount()).isEqualTo(1025L * 5);

    ModelSpec sampled = ModelSpec.parse("{\"algorithm\":\"large-softmax\",\"inputDim\":256,\"numClasses\":1000,"
        + "\"hashing\":{\"bits\":8},\"standardize\":false,\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.1},"
        + "\"output\":{\"type\":\"sampled-softmax\",\"samples\":20,\"dim\":16}}");
    assertThat(sampled.parameterCount()).isEqualTo(256L * 16 + 1000L * 17);

    ModelSpec tree = ModelSpec.parse(sampled.toJson().replace("\"sampled-softmax\"", "\"hierarchical-softmax\"")
        .replace(",\"samples\":20", ""));
    assertThat(tree.parameterCount()).isEqualTo(256L * 16 + 999L * 17);

    ModelSpec skipGram = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":4096,\"dim\":32}}");
    assertThat(skipGram.parameterCount()).isEqualTo(2L * 4096 * 32);
  }

  @Test
  void aWideAndDeepSpecCountsItsWidePartItsTablesAndItsNetwork() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"wide-deep\",\"numClasses\":2,\"hashing\":{\"bits\":12},"
        + "\"standardize\":false,\"layers\":[{\"units\":16}],"
        + "\"embeddings\":{\"dim\":8,\"buckets\":1000,\"fields\":[\"a\",\"b\"],\"numeric\":[\"x\"]}}");
    long wide = 4097L; // logistic: one output
    long tables = 2L * 1000 * 8;
    long deep = (2L * 8 + 1) * 16 + 16 + 17;
    assertThat(spec.parameterCount()).isEqualTo(wide + tables + deep);
    assertThat(WideDeepModel.deepSpec(spec).parameterCount()).isEqualTo(deep);
  }

  @Test
  void aLabelModelCountsEachAnnotatorItMayHold() {
    String body = "{\"algorithm\":\"mlp\",\"inputDim\":20,\"numClasses\":3,\"layers\":[{\"units\":8}],";
    long network = 21L * 8 + 9L * 3;
    ModelSpec ds = ModelSpec.parse(body + "\"labelModel\":{\"method\":\"dawid-skene\",\"maxAnnotators\":50}}");
    assertThat(ds.parameterCount()).isEqualTo(network + 50L * 9);
    ModelSpec doctorNet = ModelSpec.parse(body + "\"labelModel\":{\"method\":\"doctor-net\",\"maxAnnotators\":50}}");
    assertThat(doctorNet.parameterCount()).isEqualTo(network + 50L * (9 + 9 * 3));
  }

  @Test
  void aSpecNoJvmCouldHoldStillGetsACountToCompareWithABound() {
    ModelSpec huge = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":2000000000,\"numClasses\":10,"
        + "\"layers\":[{\"units\":2000000000},{\"units\":2000000000},{\"units\":2000000000}]}");
    assertThat(huge.parameterCount()).isEqualTo(Long.MAX_VALUE);
    assertThat(ParameterCount.times(1L << 40, 1L << 30)).isEqualTo(Long.MAX_VALUE);
    assertThat(ParameterCount.times(3, 5)).isEqualTo(15);
    assertThat(ParameterCount.plus(Long.MAX_VALUE - 1, 5)).isEqualTo(Long.MAX_VALUE);
  }

  @Test
  void aMinibatchCountsEachExamplesDenseInputsHiddenUnitsAndOutputs() {
    ModelSpec mlp = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,\"batchSize\":128,"
        + "\"layers\":[{\"units\":256},{\"units\":64}]}");
    assertThat(mlp.minibatchFloats()).isEqualTo(128L * (784 + 256 + 64 + 10));
    ModelSpec hashed = ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"inputDim\":1024,\"batchSize\":32,"
        + "\"hashing\":{\"bits\":10},\"standardize\":false,\"optimizer\":{\"type\":\"ftrl\"}}");
    assertThat(hashed.minibatchFloats()).as("hashed rows stay sparse: one output each").isEqualTo(32);
    ModelSpec overflowing = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":784,"
        + "\"numClasses\":10,\"batchSize\":10000000}");
    assertThat(overflowing.minibatchFloats()).as("beyond an int, as batchSize × inputDim would wrap")
        .isEqualTo(10_000_000L * 794);
    ModelSpec skipGram = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":4096,\"dim\":32}}");
    assertThat(skipGram.minibatchFloats()).isZero();
  }

  @Test
  void aLabelModelsHistoryCountsARoomOfMaxLabelsPerItemForEachItemItMayRemember() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
        + "\"labelModel\":{\"method\":\"soft\",\"historyItems\":100,\"maxLabelsPerItem\":2147483647}}");
    assertThat(spec.labelHistorySlots()).isEqualTo(100L * Integer.MAX_VALUE);
    assertThat(ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}")
        .labelHistorySlots()).isZero();
  }

  @Test
  void aLearningRateNoFloatHoldsIsRefusedNamingItsKey() {
    String base = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,\"optimizer\":"
        + "{\"type\":\"sgd\",\"learningRate\":";
    assertThat(ModelSpec.parse(base + "3.4028235E38}}").optimizer().learningRate()).isEqualTo(3.4028235E38);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelSpec.parse(base + "1e39}}"))
        .hasMessage("ModelSpec key 'optimizer.learningRate': expected at most 3.4028235E38 (the largest float: "
            + "training runs in float), got 1.0E39");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"wide-deep\","
        + "\"numClasses\":2,\"hashing\":{\"bits\":12},\"standardize\":false,\"layers\":[{\"units\":4}],"
        + "\"embeddings\":{\"dim\":4,\"buckets\":100,\"fields\":[\"a\"]},"
        + "\"wideOptimizer\":{\"type\":\"sgd\",\"learningRate\":1e300}}"))
        .hasMessageContaining("key 'wideOptimizer.learningRate': expected at most 3.4028235E38");
  }
}
