package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.features.SparseVector;
import dev.chorus.core.tensor.SparseBatch;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

/**
 * A hashed linear model saved by an earlier build must keep loading and predicting the same; {@code sparse-linear-vN.bin}
 * is frozen once written, and a new format adds a new file beside it.
 *
 * <p>{@code sparse-linear-v1.bin}: {@link #SPEC} (softmax regression, 3 classes, 2^8 hashed features, FTRL with L1;
 * the wide part's spec of {@code wide-deep-v1.bin}, so the spec corpus holds it already), trained by {@link #train} on
 * minibatches 0 to 2; written by the build before format 2 (session 35's), which wrote every model as format 1.
 *
 * <p>{@code sparse-linear-v2.bin}: a carried warm start of the v1 model ({@link #carriedFork}), trained on minibatches
 * 3 and 4: 2 steps of its own after 3 carried. (Its schedule is constant: {@link SparseLinearModelTest} shows what a
 * decaying one does with the carried steps.)
 */
class SparseLinearFixtureTest {

  static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":256,\"numClasses\":3,"
      + "\"loss\":\"softmax-cross-entropy\",\"init\":\"glorot-uniform\",\"batchSize\":8,"
      + "\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.2,\"beta\":1.0,\"l1\":0.01,\"l2\":0.0},"
      + "\"schedule\":{\"type\":\"constant\"},\"clipNorm\":0.0,\"l1\":0.0,\"l2\":0.0,\"standardize\":false,\"seed\":5,"
      + "\"hashing\":{\"bits\":8,\"fields\":[\"user\",\"ad\",\"words\",\"amount\"],\"interactions\":[[\"user\",\"ad\"]]}}";

  /** Minibatches {@code [from, to)} of 4: row {@code i} has features i%7, 10 + i%5, 40 + i%3 and label i%3. */
  static void train(SparseLinearModel model, int from, int to) {
    SparseBatch batch = new SparseBatch(256);
    int[] labels = new int[4];
    for (int step = from; step < to; step++) {
      batch.clear();
      for (int r = 0; r < 4; r++) {
        int i = step * 4 + r;
        batch.add(new int[] {i % 7, 10 + i % 5, 40 + i % 3}, new float[] {1f, 0.25f * (i % 4) - 0.5f, 0.125f * i});
        labels[r] = i % 3;
      }
      model.trainMinibatch(batch, labels, null);
    }
  }

  /** The v1 fixture's training: minibatches 0 to 2. */
  static SparseLinearModel recipe() {
    SparseLinearModel model = SparseLinearModel.create(ModelSpec.parse(SPEC));
    train(model, 0, 3);
    return model;
  }

  /** The v2 fixture's: a carried warm start of {@link #recipe}, trained on minibatches 3 and 4. */
  static SparseLinearModel carriedFork() {
    SparseLinearModel fork = recipe().warmStart(ModelSpec.parse(SPEC), true);
    train(fork, 3, 5);
    return fork;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = SparseLinearFixtureTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static void assertPredicts(SparseLinearModel model, float[][] expected) {
    float[] p = new float[3];
    for (int k = 0; k < 3; k++) {
      model.predictProba(new SparseVector(new int[] {k, 10 + k, 40 + k}, new float[] {1f, -0.5f, 0.25f * k}), p);
      assertThat(p).as("probe %d", k).containsExactly(expected[k], within(1e-6f));
    }
  }

  @Test
  void formatVersion1StillLoadsWithNoCarriedStepsAndPredictsTheSame() throws IOException {
    byte[] saved = resource("sparse-linear-v1.bin");
    SparseLinearModel model = SparseLinearModel.fromBytes(saved);

    assertThat(model.spec()).isEqualTo(ModelSpec.parse(SPEC));
    assertThat(model.steps()).isEqualTo(3);
    assertThat(model.examplesSeen()).isEqualTo(12);
    assertThat(model.optimizerSteps()).as("the model's steps alone").isEqualTo(3);
    assertPredicts(model, new float[][] {
        {0.3394705f, 0.33597246f, 0.324557f},
        {0.32135913f, 0.34579322f, 0.33284765f},
        {0.33064127f, 0.31651244f, 0.3528463f}});
    assertThat(model.formatVersion()).isEqualTo(1);
    assertThat(model.toBytes()).as("a model that carried no steps is still written as format 1, byte for byte")
        .isEqualTo(saved);
    assertThat(recipe().toBytes()).as("the recipe still trains the same model").isEqualTo(saved);
  }

  /**
   * Format 2 holds the optimizer steps the fork carried: read back, its optimizer has taken 5, and its rows are those
   * of the model trained straight through minibatches 0 to 4.
   */
  @Test
  void formatVersion2KeepsTheCarriedStepsAndPredictsTheSame() throws IOException {
    byte[] saved = resource("sparse-linear-v2.bin");
    SparseLinearModel model = SparseLinearModel.fromBytes(saved);

    assertThat(model.spec()).isEqualTo(ModelSpec.parse(SPEC));
    assertThat(model.steps()).as("its own, from 0").isEqualTo(2);
    assertThat(model.examplesSeen()).isEqualTo(8);
    assertThat(model.optimizerSteps()).as("3 carried and 2 of its own").isEqualTo(5);
    assertPredicts(model, new float[][] {
        {0.33764416f, 0.33614957f, 0.32620627f},
        {0.3270508f, 0.35733482f, 0.31561437f},
        {0.3254929f, 0.31961656f, 0.35489053f}});
    SparseLinearModel straight = recipe();
    train(straight, 3, 5);
    assertThat(model.copyRows(0, model.rows())).as("the model trained straight through")
        .containsExactly(straight.copyRows(0, straight.rows()));
    if (SparseLinearModel.FORMAT_VERSION == 2) {
      assertThat(model.formatVersion()).isEqualTo(2);
      assertThat(model.toBytes()).as("the current writer still writes format 2 byte for byte").isEqualTo(saved);
      assertThat(carriedFork().toBytes()).as("the recipe still trains the same model").isEqualTo(saved);
    }
  }
}
