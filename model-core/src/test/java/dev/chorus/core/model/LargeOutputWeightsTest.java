package dev.chorus.core.model;

import static dev.chorus.core.model.LargeOutputModelTest.HIERARCHICAL;
import static dev.chorus.core.model.LargeOutputModelTest.NEGATIVE;
import static dev.chorus.core.model.LargeOutputModelTest.SAMPLED;
import static dev.chorus.core.model.LargeOutputModelTest.batches;
import static dev.chorus.core.model.LargeOutputModelTest.spec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.features.SparseVector;
import dev.chorus.core.tensor.SparseBatch;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Example weights in a large-output model, as in every Chorus learner: the loss and its gradient are the weighted
 * mean over the minibatch, so an example of weight 0 changes nothing and one of weight 2 counts as the example twice.
 */
class LargeOutputWeightsTest {

  private static final int STEPS = 8;
  private static final int EXTRA = 4;

  /** Row {@code r} of {@code batch} as a vector. */
  private static SparseVector row(SparseBatch batch, int r) {
    return new SparseVector(Arrays.copyOfRange(batch.indices(), batch.rowStart(r), batch.rowStart(r + 1)),
        Arrays.copyOfRange(batch.values(), batch.rowStart(r), batch.rowStart(r + 1)));
  }

  /** {@code batch} with rows {@code rows} of {@code extra} appended. */
  private static SparseBatch appended(SparseBatch batch, SparseBatch extra, int... rows) {
    SparseBatch both = new SparseBatch(batch.columns());
    for (int r = 0; r < batch.rows(); r++) {
      SparseVector x = row(batch, r);
      both.add(x.indices(), x.values());
    }
    for (int r : rows) {
      SparseVector x = row(extra, r);
      both.add(x.indices(), x.values());
    }
    return both;
  }

  /** Every parameter, without the counts (a warm start with carry keeps the rest and zeroes them). */
  private static byte[] parameters(LargeOutputModel model) {
    return model.warmStart(model.spec(), true).toBytes();
  }

  @ParameterizedTest
  @ValueSource(strings = {SAMPLED, NEGATIVE, HIERARCHICAL})
  void anExampleOfWeightZeroChangesNothing(String output) {
    ModelSpec spec = ModelSpec.parse(spec(300, output));
    int[][] labels = new int[STEPS][];
    SparseBatch[] batches = batches(spec, STEPS, 21, labels);
    int[][] otherLabels = new int[STEPS][];
    SparseBatch[] others = batches(spec, STEPS, 22, otherLabels);
    LargeOutputModel plain = LargeOutputModel.create(spec);
    LargeOutputModel padded = LargeOutputModel.create(spec);
    float[] weights = new float[16 + EXTRA];
    Arrays.fill(weights, 0, 16, 1f);
    for (int s = 0; s < STEPS; s++) {
      double loss = plain.trainMinibatch(batches[s], labels[s], null);
      int[] both = Arrays.copyOf(labels[s], 16 + EXTRA);
      System.arraycopy(otherLabels[s], 0, both, 16, EXTRA);
      assertThat(padded.trainMinibatch(appended(batches[s], others[s], 0, 1, 2, 3), both, weights))
          .as("weighted mean loss of minibatch %d", s).isEqualTo(loss);
    }
    assertThat(parameters(padded)).as("examples of weight 0 leave every parameter as it was")
        .isEqualTo(parameters(plain));
    assertThat(padded.examplesSeen()).isEqualTo(STEPS * (16L + EXTRA));

    byte[] before = parameters(padded);
    padded.trainMinibatch(others[0], otherLabels[0], new float[16]);
    assertThat(parameters(padded)).as("a minibatch all of weight 0").isEqualTo(before);
    assertThat(padded.steps()).as("still a step: a model version, as the other learners count it")
        .isEqualTo(STEPS + 1);
  }

  @ParameterizedTest
  @ValueSource(strings = {SAMPLED, NEGATIVE, HIERARCHICAL})
  void anExampleOfWeightTwoCountsAsTheExampleTwice(String output) {
    ModelSpec spec = ModelSpec.parse(spec(300, output));
    int[][] labels = new int[STEPS][];
    SparseBatch[] batches = batches(spec, STEPS, 23, labels);
    LargeOutputModel weighted = LargeOutputModel.create(spec);
    LargeOutputModel twice = LargeOutputModel.create(spec);
    float[] weights = new float[16];
    Arrays.fill(weights, 1f);
    weights[3] = 2f;
    for (int s = 0; s < STEPS; s++) {
      int[] doubled = Arrays.copyOf(labels[s], 17);
      doubled[16] = labels[s][3];
      double loss = weighted.trainMinibatch(batches[s], labels[s], weights);
      assertThat(loss).as("weighted mean loss of minibatch %d", s)
          .isCloseTo(twice.trainMinibatch(appended(batches[s], batches[s], 3), doubled, null),
              within(1e-6));
    }
    float[] expected = new float[300];
    float[] actual = new float[300];
    for (int r = 0; r < 16; r++) {
      twice.predictProba(row(batches[0], r), expected);
      weighted.predictProba(row(batches[0], r), actual);
      for (int c = 0; c < 300; c++) {
        assertThat(actual[c]).as("row %d, class %d", r, c).isCloseTo(expected[c], within(1e-6f));
      }
    }
    assertThat(parameters(weighted)).as("not the unweighted model")
        .isNotEqualTo(parameters(unweighted(spec, batches, labels)));
  }

  private static LargeOutputModel unweighted(ModelSpec spec, SparseBatch[] batches, int[][] labels) {
    LargeOutputModel model = LargeOutputModel.create(spec);
    for (int s = 0; s < STEPS; s++) {
      model.trainMinibatch(batches[s], labels[s], null);
    }
    return model;
  }
}
