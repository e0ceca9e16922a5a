package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.output.Scored;
import dev.chorus.core.output.SyntheticManyClasses;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.core.tensor.SparseBatch;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A large-output model saved by an earlier build must keep loading and predicting the same;
 * {@code large-output-v1.bin} is frozen once written, and a new format adds a new file beside it.
 *
 * <p>{@code large-output-v1.bin}: {@link #SPEC} (50 classes, sampled softmax of 6 samples, mean bags of 4 dimensions
 * over 2^8 hashed buckets of the {@link SyntheticManyClasses} fields; SGD 0.3; seed 9), trained by {@link #recipe()}
 * on 3 minibatches of 8 of the synthetic stream of seed 21.
 */
class LargeOutputFixtureTest {

  static final String SPEC = "{\"algorithm\":\"large-softmax\",\"numClasses\":50,"
      + "\"hashing\":{\"bits\":8,\"fields\":[\"key\",\"group\",\"noise\"]},"
      + "\"output\":{\"type\":\"sampled-softmax\",\"samples\":6,\"dim\":4,\"combiner\":\"mean\",\"topK\":3},"
      + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.3},\"standardize\":false,\"batchSize\":8,\"seed\":9}";

  /** The fixture's training: 3 minibatches of 8 of the synthetic stream of seed 21. */
  static LargeOutputModel recipe() {
    ModelSpec spec = ModelSpec.parse(SPEC);
    LargeOutputModel model = LargeOutputModel.create(spec);
    SyntheticManyClasses stream = new SyntheticManyClasses(50, 21);
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    for (int step = 0; step < 3; step++) {
      SparseBatch batch = new SparseBatch(spec.inputDim());
      int[] labels = new int[8];
      for (int r = 0; r < 8; r++) {
        SyntheticManyClasses.Example e = stream.next();
        SparseVector x = hasher.hash(e.fields());
        batch.add(x.indices(), x.values());
        labels[r] = e.label();
      }
      model.trainMinibatch(batch, labels, null);
    }
    return model;
  }

  private static byte[] resource(String name) throws IOException {
    try (InputStream in = LargeOutputFixtureTest.class.getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }

  @Test
  void formatVersion1StillLoadsAndPredictsTheSame() throws IOException {
    byte[] saved = resource("large-output-v1.bin");
    LargeOutputModel model = (LargeOutputModel) SavedModels.read(saved);

    assertThat(model.spec()).isEqualTo(ModelSpec.parse(SPEC));
    assertThat(model.steps()).isEqualTo(3);
    assertThat(model.examplesSeen()).isEqualTo(24);
    FeatureHasher hasher = new FeatureHasher(model.spec().hashing());
    List<Scored> top = model.predictTopK(hasher.hash(SyntheticManyClasses.fields(0, 1)));
    assertThat(top).extracting(Scored::id).containsExactly(EXPECTED_IDS);
    for (int k = 0; k < 3; k++) {
      assertThat(top.get(k).score()).as("rank %d", k).isCloseTo(EXPECTED_PROBABILITIES[k], within(1e-9));
    }
    if (LargeOutputModel.FORMAT_VERSION == 1) {
      assertThat(model.toBytes()).as("the current writer still writes format 1 byte for byte").isEqualTo(saved);
      assertThat(recipe().toBytes()).as("the recipe still trains the same model").isEqualTo(saved);
    }
  }

  private static final Integer[] EXPECTED_IDS = {0, 6, 2};
  private static final double[] EXPECTED_PROBABILITIES = {0.02402212774253479, 0.02304212198670846,
      0.02195095666789592};
}
