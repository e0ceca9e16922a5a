package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.saved.SavedModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The learner format holds a dense learner's spec or a label model's, nothing else: a hashed linear, wide-deep,
 * large-softmax or skip-gram spec has a model of its own with its own format. Before, such a spec in learner bytes
 * (which {@link SavedModels#read} reads for any magic it does not know) read back as a dense learner it does not
 * describe.
 */
class OnlineLearnerCodecKindTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "hashing | logistic-regression | {\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":4},"
          + "\"optimizer\":{\"type\":\"ftrl\"},\"standardize\":false}",
      "hashing | wide-deep | {\"algorithm\":\"wide-deep\",\"numClasses\":2,\"hashing\":{\"bits\":4},"
          + "\"embeddings\":{\"dim\":2,\"buckets\":8,\"fields\":[\"u\"]},\"layers\":[{\"units\":2}],"
          + "\"standardize\":false}",
      "hashing | large-softmax | {\"algorithm\":\"large-softmax\",\"numClasses\":20,\"hashing\":{\"bits\":4},"
          + "\"output\":{\"type\":\"hierarchical-softmax\",\"dim\":2},\"optimizer\":{\"type\":\"sgd\"},"
          + "\"standardize\":false}",
      "skipGram | skip-gram | {\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":16,\"dim\":2}}"})
  void aSpecOfAModelWithItsOwnFormatIsRefusedNamingTheKey(String key, String algorithm, String json) {
    byte[] bytes = OnlineLearner.create(ModelSpec.parse(json)).toBytes();

    assertThatIllegalArgumentException().isThrownBy(() -> OnlineLearner.fromBytes(bytes))
        .withMessageStartingWith("OnlineLearner state: spec key '" + key + "': expected none (a dense learner's or a "
            + "label model's spec), got {")
        .withMessageEndingWith(" with algorithm \"" + algorithm + "\", whose model is saved in a format of its own");
    assertThatIllegalArgumentException().isThrownBy(() -> SavedModels.read(bytes))
        .withMessageContaining("spec key '" + key + "'");
  }

  @Test
  void aLabelModelsClassifierSpecStillReads() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":2,"
        + "\"labelModel\":{\"method\":\"dawid-skene\",\"maxAnnotators\":4}}");
    byte[] bytes = OnlineLearner.create(spec).toBytes();

    assertThat(OnlineLearner.fromBytes(bytes).spec()).isEqualTo(spec);
  }
}
