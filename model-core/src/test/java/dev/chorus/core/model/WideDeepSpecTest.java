package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The {@code wide-deep} algorithm's keys ({@code embeddings}, {@code wideOptimizer}): read, written, refused. */
class WideDeepSpecTest {

  static final String SPEC = "{\"algorithm\":\"wide-deep\",\"numClasses\":2,\"hashing\":{\"bits\":10},"
      + "\"embeddings\":{\"dim\":4,\"buckets\":64,\"combiner\":\"mean\",\"fields\":[\"user\",\"ad\"]},"
      + "\"layers\":[{\"units\":8,\"activation\":\"relu\"}],\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},"
      + "\"wideOptimizer\":{\"type\":\"ftrl\",\"alpha\":0.1},\"standardize\":false,\"seed\":3}";

  @Test
  void aWideDeepSpecReadsAndWritesItsOwnKeys() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    assertThat(spec.algorithm()).isEqualTo(ModelSpec.WIDE_DEEP);
    assertThat(spec.loss()).isEqualTo("logistic");
    assertThat(spec.embeddings().dim()).isEqualTo(4);
    assertThat(spec.embeddings().combiner()).isEqualTo(dev.chorus.core.embedding.EmbeddingBag.Combiner.MEAN);
    assertThat(spec.embeddings().fields()).containsExactly("user", "ad");
    assertThat(spec.wideOptimizer().type()).isEqualTo("ftrl");
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec);
    assertThat(ModelSpec.parse(spec.toJson()).toJson()).isEqualTo(spec.toJson());
    assertThat(spec.toJson()).contains("\"embeddings\":{\"dim\":4,\"buckets\":64,\"combiner\":\"mean\","
        + "\"fields\":[\"user\",\"ad\"],\"numeric\":[],\"learningRate\":0.05,\"l2\":0.0}");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "\"dim\":4 | \"dim\":0 | ModelSpec key 'embeddings.dim': expected an integer >= 1, got 0",
      "\"buckets\":64 | \"buckets\":-1 | ModelSpec key 'embeddings.buckets': expected an integer >= 1, got -1",
      "\"combiner\":\"mean\" | \"combiner\":\"max\" | ModelSpec key 'embeddings.combiner': expected one of [\"sum\", \"mean\"], got \"max\"",
      "\"fields\":[\"user\",\"ad\"] | \"fields\":[] | ModelSpec key 'embeddings.fields': expected at least one field name, got []",
      "\"fields\":[\"user\",\"ad\"] | \"fields\":[\"user\",\"user\"] | ModelSpec key 'embeddings.fields': expected distinct names, got [user, user]",
      "\"combiner\":\"mean\" | \"combiner\":\"mean\",\"x\":1 | ModelSpec: unknown key 'embeddings.x'; expected one of [dim, buckets, combiner, fields, numeric, learningRate, l2]",
      "\"combiner\":\"mean\" | \"combiner\":\"mean\",\"learningRate\":0 | ModelSpec key 'embeddings.learningRate': expected a number > 0, got 0.0",
      "\"combiner\":\"mean\" | \"combiner\":\"mean\",\"l2\":-1 | ModelSpec key 'embeddings.l2': expected a number >= 0, got -1.0",
      "\"wideOptimizer\":{\"type\":\"ftrl\",\"alpha\":0.1} | \"wideOptimizer\":{\"type\":\"adam\"} | ModelSpec key 'wideOptimizer.type': expected one of [\"sgd\", \"adagrad\", \"ftrl\"] for the wide part, got \"adam\"",
      "\"standardize\":false | \"standardize\":true | ModelSpec key 'standardize': expected false with hashing (hashed features are not standardized), got true",
      "\"layers\":[{\"units\":8,\"activation\":\"relu\"}] | \"layers\":[] | ModelSpec key 'layers': wide-deep needs at least one hidden layer, got []",
      "\"hashing\":{\"bits\":10} | \"hashing\":{\"bits\":10,\"fields\":[\"user\"]} | ModelSpec key 'embeddings.fields': expected fields among hashing.fields [user], got \"ad\"",
      "\"numClasses\":2 | \"numClasses\":3,\"loss\":\"logistic\" | ModelSpec key 'loss': wide-deep with 3 classes takes one of [\"softmax-cross-entropy\"], got \"logistic\" (it does not fit 3 classes)",
  })
  void badKeysAreRefusedNamingKeyExpectedAndActual(String from, String to, String message) {
    String json = SPEC.replace(from.strip(), to.strip());
    assertThat(json).isNotEqualTo(SPEC);
    assertThatThrownBy(() -> ModelSpec.parse(json)).isInstanceOf(IllegalArgumentException.class)
        .hasMessage(message.strip());
  }

  @Test
  void wideDeepNeedsHashingAndEmbeddingsAndTheyNeedWideDeep() {
    assertThatThrownBy(() -> ModelSpec.parse(SPEC.replace("\"hashing\":{\"bits\":10},", "\"inputDim\":1024,")))
        .hasMessage("ModelSpec key 'hashing': expected an object like {\"bits\":20} with algorithm wide-deep, got "
            + "nothing (key missing)");
    assertThatThrownBy(() -> ModelSpec.parse(SPEC.replaceAll("\"embeddings\":\\{[^}]*},", "")))
        .hasMessage("ModelSpec key 'embeddings': expected an object like {\"dim\":16,\"buckets\":100000,"
            + "\"fields\":[\"user\"]} with algorithm wide-deep, got nothing (key missing)");
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"inputDim\":4,"
        + "\"embeddings\":{\"dim\":4,\"buckets\":8,\"fields\":[\"a\"]}}"))
        .hasMessage("ModelSpec key 'embeddings': expected none unless algorithm is \"wide-deep\", got "
            + "{\"dim\":4,\"buckets\":8,\"combiner\":\"mean\",\"fields\":[\"a\"],\"numeric\":[],\"learningRate\":0.05,"
            + "\"l2\":0.0} for \"logistic-regression\"");
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"inputDim\":4,"
        + "\"wideOptimizer\":{\"type\":\"ftrl\"}}"))
        .hasMessage("ModelSpec key 'wideOptimizer': expected none unless algorithm is \"wide-deep\", got \"ftrl\" "
            + "for \"logistic-regression\"");
  }
}
