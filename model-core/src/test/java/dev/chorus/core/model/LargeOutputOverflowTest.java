package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.tensor.SparseBatch;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A {@code large-softmax} minibatch whose output-layer step would overflow a class's (or an inner node's) row is
 * refused, changing no parameter. The output rows start at zero, so the first minibatch's loss is finite and its bag
 * gradient zero, and the embedding step changes nothing; before, the output rows' plain SGD step was never checked,
 * and an example of huge hashed values (1.8e19 each, their interaction 3.2e38, summed into the bag, at SGD rate 16)
 * left {@code +Infinity} in its label's row (or its path's nodes), so every later minibatch touching that class was
 * refused, its predictions were NaN and the serve job refused the model's snapshots.
 */
class LargeOutputOverflowTest {

  private static ModelSpec spec(String output) {
    return ModelSpec.parse("{\"algorithm\":\"large-softmax\",\"numClasses\":20,\"hashing\":{\"bits\":10,"
        + "\"fields\":[\"a\",\"b\"],\"interactions\":[[\"a\",\"b\"]]},\"output\":" + output
        + ",\"optimizer\":{\"type\":\"sgd\",\"learningRate\":16},\"standardize\":false,\"batchSize\":1,\"seed\":3}");
  }

  private static List<float[]> predictions(LargeOutputModel model, FeatureHasher hasher) {
    List<float[]> all = new ArrayList<>();
    for (Map<String, ?> fields : List.of(Map.of("a", 1, "b", 2), Map.of("a", -0.5), Map.of("b", 3e3))) {
      float[] p = new float[20];
      model.predictProba(hasher.hash(fields), p);
      all.add(p);
    }
    return all;
  }

  @ParameterizedTest
  @ValueSource(strings = {"sampled-softmax", "negative-sampling", "hierarchical-softmax"})
  void aMinibatchWhoseOutputStepOverflowsIsRefusedChangingNoWeight(String type) {
    ModelSpec spec = spec("{\"type\":\"" + type + "\",\"dim\":8,\"combiner\":\"sum\"}");
    LargeOutputModel model = LargeOutputModel.create(spec);
    FeatureHasher hasher = new FeatureHasher(spec.hashing());
    List<float[]> before = predictions(model, hasher);
    SparseVector huge = hasher.hash(Map.of("a", 1.8e19, "b", 1.8e19));
    SparseBatch batch = new SparseBatch(spec.inputDim());
    batch.add(huge.indices(), huge.values());

    assertThatThrownBy(() -> model.trainMinibatch(batch, new int[] {7}, null))
        .isInstanceOf(NonFiniteUpdateException.class)
        .hasMessageStartingWith("minibatch of 1 rolled back at step 1: ")
        .hasMessageContaining(" would not be finite")
        .hasMessageEndingWith("; the model is unchanged");
    assertThat(model.firstNonFinite()).isNull();
    assertThat(predictions(model, hasher)).containsExactlyElementsOf(before);
    assertThat(model.steps()).isZero();

    SparseVector ordinary = hasher.hash(Map.of("a", 2, "b", -1));
    SparseBatch next = new SparseBatch(spec.inputDim());
    next.add(ordinary.indices(), ordinary.values());
    model.trainMinibatch(next, new int[] {7}, null);
    assertThat(model.steps()).as("the next minibatch of that class trains").isEqualTo(1);
    assertThat(model.firstNonFinite()).isNull();
  }
}
