package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A wide and deep model saved by an earlier build must keep loading and predicting the same; {@code wide-deep-vN.bin}
 * is frozen once written, and a new format adds a new file beside it.
 *
 * <p>{@code wide-deep-v1.bin}: {@link #SPEC} (3 classes; hashed user, ad, words and amount with the user × ad
 * interaction; mean bags of 3 dimensions over 32 buckets for user and words, amount as a numeric input; one hidden
 * layer of 6 ReLU units; Adam 0.05, FTRL with L1 for the wide part; seed 5), trained by {@link #recipe()} on 3
 * minibatches of 8. Its sizes are below the BLAS small-operation thresholds, so its numbers do not depend on the
 * backend.
 */
class WideDeepFixtureTest {

  static final String SPEC = "{\"algorithm\":\"wide-deep\",\"numClasses\":3,"
      + "\"hashing\":{\"bits\":8,\"fields\":[\"user\",\"ad\",\"words\",\"amount\"],\"interactions\":[[\"user\",\"ad\"]]},"
      + "\"embeddings\":{\"dim\":3,\"buckets\":32,\"combiner\":\"mean\",\"fields\":[\"user\",\"words\"],"
      + "\"numeric\":[\"amount\"],\"learningRate\":0.1,\"l2\":0.01},"
      + "\"layers\":[{\"units\":6,\"activation\":\"relu\"}],\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},"
      + "\"wideOptimizer\":{\"type\":\"ftrl\",\"alpha\":0.2,\"l1\":0.01},\"standardize\":false,\"batchSize\":8,"
      + "\"seed\":5}";

  /** Example {@code i}: user {@code u(i%5)}, ad {@code ad(i%4)}, words {@code w(i%7), w(i%3)}, amount i/4. */
  static Map<String, Object> example(int i) {
    return Map.of("user", "u" + i % 5, "ad", "ad" + i % 4, "words", List.of("w" + i % 7, "w" + i % 3),
        "amount", i * 0.25);
  }

  /** The fixture's training: 3 minibatches of 8, example {@code i} labelled {@code i % 3}. */
  static WideDeepModel recipe() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    WideDeepModel model = WideDeepModel.create(spec);
    WideDeepBatch batch = new WideDeepBatch(spec);
    int[] labels = new int[8];
    for (int step = 0; step < 3; step++) {
      batch.clear();
      for (int r = 0; r < 8; r++) {
        int i = step * 8 + r;
        batch.add(example(i));
        labels[r] = i % 3;
      }
      model.trainMinibatch(batch, labels, null);
    }
    return model;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = WideDeepFixtureTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void formatVersion1StillLoadsAndPredictsTheSame() throws IOException {
    byte[] saved = resource("wide-deep-v1.bin");
    WideDeepModel model = WideDeepModel.fromBytes(saved);

    assertThat(model.spec()).isEqualTo(ModelSpec.parse(SPEC));
    assertThat(model.steps()).isEqualTo(3);
    assertThat(model.examplesSeen()).isEqualTo(24);
    float[][] expected = {
        {0.77132374f, 0.15182796f, 0.07684832f},
        {0.13068955f, 0.82405f, 0.045260444f},
        {0.1387932f, 0.23270702f, 0.62849975f}};
    float[] p = new float[3];
    for (int k = 0; k < 3; k++) {
      model.predictProba(example(k), p);
      assertThat(p).as("probe %d", k).containsExactly(expected[k], within(1e-6f));
    }
    if (WideDeepModel.FORMAT_VERSION == 1) {
      assertThat(model.toBytes()).as("the current writer still writes format 1 byte for byte").isEqualTo(saved);
      assertThat(recipe().toBytes()).as("the recipe still trains the same model").isEqualTo(saved);
    }
  }
}
