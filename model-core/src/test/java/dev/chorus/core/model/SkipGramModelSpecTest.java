package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.output.SkipGramSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code skip-gram} algorithm of a {@link ModelSpec}: its keys, their defaults and what it refuses. */
class SkipGramModelSpecTest {

  @Test
  void parsesTheSkipGramKeysAndTheTokensField() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":4096,\"dim\":16,"
        + "\"window\":2,\"negatives\":3,\"subsample\":0,\"learningRate\":0.05,\"maxTokens\":50},"
        + "\"tokensField\":\"items\",\"seed\":7}");
    assertThat(spec.algorithm()).isEqualTo(ModelSpec.SKIP_GRAM);
    assertThat(spec.skipGram()).isEqualTo(new SkipGramSpec(4096, 16, 2, 3, 0, 0.05, 50));
    assertThat(spec.tokensField()).isEqualTo("items");
    assertThat(spec.seed()).isEqualTo(7);
    assertThat(spec.isClassifier()).isFalse();
    assertThat(spec.inputDim()).isZero();
  }

  @Test
  void canonicalJsonHasEveryKeyWithDefaultsAndRoundTrips() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":1024,\"dim\":8}}");
    assertThat(spec.tokensField()).isEqualTo("tokens");
    assertThat(spec.toJson()).isEqualTo("{\"algorithm\":\"skip-gram\",\"seed\":0,\"skipGram\":{\"buckets\":1024,"
        + "\"dim\":8,\"window\":5,\"negatives\":5,\"subsample\":1.0E-4,\"learningRate\":0.025,\"maxTokens\":1000},"
        + "\"tokensField\":\"tokens\"}");
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec).hasSameHashCodeAs(spec);
    assertThat(spec.withSeed(3).seed()).isEqualTo(3);
    assertThat(spec.withSeed(3).skipGram()).isEqualTo(spec.skipGram());
    assertThat(spec).isNotEqualTo(ModelSpec.parse(
        "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":1024,\"dim\":8},\"tokensField\":\"words\"}"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"algorithm\":\"skip-gram\"}"
          + "|ModelSpec key 'skipGram': expected an object like {\"buckets\":1048576,\"dim\":100}, got nothing (key missing)",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":1,\"dim\":8}}"
          + "|ModelSpec key 'skipGram.buckets': expected an integer in [2, 16777216], got 1",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8,\"maxTokens\":1}}"
          + "|ModelSpec key 'skipGram.maxTokens': expected an integer in [2, 1000000], got 1",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8,\"field\":\"x\"}}"
          + "|ModelSpec: unknown key 'skipGram.field'; expected one of [buckets, dim, window, negatives, subsample, "
          + "learningRate, maxTokens]",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8},\"tokensField\":\"\"}"
          + "|ModelSpec key 'tokensField': expected a field name of 1 to 256 characters, got \"\"",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8},\"tokensField\":3}"
          + "|ModelSpec key 'tokensField': expected a string, got 3",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8},\"inputDim\":4}"
          + "|ModelSpec key 'inputDim': expected none for algorithm \"skip-gram\" (its keys: [algorithm, seed, "
          + "skipGram, tokensField]), got 4",
      "{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8},\"optimizer\":{\"type\":\"sgd\"}}"
          + "|ModelSpec key 'optimizer': expected none for algorithm \"skip-gram\" (its keys: [algorithm, seed, "
          + "skipGram, tokensField]), got {\"type\":\"sgd\"}",
      "{\"algorithm\":\"mlp\",\"inputDim\":3,\"numClasses\":2,\"layers\":[{\"units\":4}],\"skipGram\":{\"buckets\":64,"
          + "\"dim\":8}}|ModelSpec key 'skipGram': expected none unless algorithm is \"skip-gram\", got "
          + "{\"buckets\":64,\"dim\":8} for \"mlp\"",
      "{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":2,\"tokensField\":\"tokens\"}"
          + "|ModelSpec key 'tokensField': expected none unless algorithm is \"skip-gram\", got \"tokens\" for "
          + "\"softmax-regression\"",
  })
  void refusesWhatDoesNotFitNamingTheKey(String json, String message) {
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(json)).withMessage(message);
  }

  @Test
  void trainingSettingsOtherThanTheSeedDoNotApply() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":64,\"dim\":8}}");
    assertThatIllegalArgumentException().isThrownBy(() -> spec.withBatchSize(8)).withMessage("ModelSpec key "
        + "'batchSize': expected none for algorithm \"skip-gram\" (it trains each sequence at its skipGram "
        + "learningRate), got 8");
  }
}
