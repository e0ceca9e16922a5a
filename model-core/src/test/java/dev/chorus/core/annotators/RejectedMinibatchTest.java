package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.NonFiniteUpdateException;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A minibatch that a label model rejects (a NaN feature the standardiser reports, or finite features so large that
 * the network overflows) leaves the whole model byte for byte as it was: classifier or network, optimizer
 * state, standardiser, annotators and their confusions, heads, weights, item history, counters and random state,
 * and the averaged weights when the spec averages.
 * Training then goes on exactly as if the minibatch had never come. The history is small, so the poisoned
 * minibatch evicts items, and it brings new annotators and labels for items already seen.
 */
class RejectedMinibatchTest {

  private static final int DIM = 6;
  private static final int K = 3;
  private static final int BATCH = 12;
  private static final GaussianBlobs DATA = GaussianBlobs.generate(120, DIM, K, 17);

  static Stream<Arguments> cases() {
    List<Arguments> cases = new ArrayList<>();
    for (String method : LabelModels.NAMES) {
      cases.add(Arguments.of(method, true, Float.NaN, false));
      cases.add(Arguments.of(method, false, Float.MAX_VALUE, false));
      cases.add(Arguments.of(method, false, Float.MAX_VALUE, true));
    }
    return cases.stream();
  }

  private static ModelSpec spec(boolean standardize) {
    return ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":" + DIM + ",\"numClasses\":" + K
        + ",\"layers\":[{\"units\":5,\"activation\":\"relu\"}],\"standardize\":" + standardize
        + ",\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.01},\"clipNorm\":5,\"seed\":3}");
  }

  @ParameterizedTest(name = "{0}, standardize={1}, poison {2}, averaging={3}")
  @MethodSource("cases")
  void aRejectedMinibatchLeavesTheWholeLabelModelUnchanged(String method, boolean standardize, float poison,
      boolean averaging) {
    LabelModelSpec config = new LabelModelSpec(method, 8, 10, 40, 3);
    ModelSpec spec = spec(standardize).withAveraging(averaging ? new AveragingSpec(0.9) : null);
    LabelModel model = LabelModels.create(spec, config);
    LabelModel reference = LabelModels.create(spec, config);
    for (int batch = 0; batch < 3; batch++) {
      train(model, batch, null);
      train(reference, batch, null);
    }
    byte[] before = model.toBytes();

    Throwable thrown = catchThrowable(() -> train(model, 3, poison));

    // A Doctor Net mixes its heads for the confusions before its network sees the minibatch: the confusions refuse
    // the non-finite mix first (NonFiniteDistributionTest).
    boolean confusionsFirst = thrown != null && thrown.getMessage().startsWith("annotator confusion update refused");
    if (confusionsFirst) {
      assertThat(thrown).as("rejected").isInstanceOf(NonFiniteUpdateException.class);
      assertThat(method).contains("doctor-net");
    } else if (Float.isNaN(poison)) {
      assertThat(thrown).as("rejected").isInstanceOf(IllegalArgumentException.class)
          .hasMessageEndingWith("feature 0 of example 4 must be finite, got NaN");
    } else {
      // Finite features that overflow the network: what the train job counts as rejected and drops.
      assertThat(thrown).as("rejected").isInstanceOf(NonFiniteUpdateException.class)
          .hasMessageStartingWith("minibatch of " + BATCH + " rejected before step 4: ");
    }
    assertThat(model.toBytes()).as("the saved state after the rejection").isEqualTo(before);
    train(model, 4, null);
    train(reference, 4, null);
    assertThat(model.toBytes()).as("as if the poisoned minibatch had never come").isEqualTo(reference.toBytes());
  }

  @ParameterizedTest(name = "standardize={0}")
  @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
  void aPlainLearnerRejectsANonFiniteFeatureAndKeepsItsState(boolean standardize) {
    OnlineLearner learner = OnlineLearner.create(spec(standardize));
    learner.trainMinibatch(DATA.x(), DATA.labels(), null, BATCH);
    byte[] before = learner.toBytes();
    float[] x = Arrays.copyOfRange(DATA.x(), BATCH * DIM, 2 * BATCH * DIM);
    x[5 * DIM + 2] = Float.NaN;
    Throwable thrown = catchThrowable(() -> learner.trainMinibatch(x, DATA.labels(), null, BATCH));
    assertThat(thrown).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("trainMinibatch: feature 2 of example 5 must be finite, got NaN");
    assertThat(learner.toBytes()).isEqualTo(before);
  }

  /**
   * Minibatch {@code batch}: items cycle through 16 ids, so items come back and the 10-item history evicts; the
   * annotators are a0..a2 at first and a0..a5 from minibatch 3 on, so the poisoned one brings new annotators.
   * With a {@code poison}, every feature of its rows 4 and 9 is that value.
   */
  private static void train(LabelModel model, int batch, Float poison) {
    float[] x = Arrays.copyOfRange(DATA.x(), batch * BATCH * DIM, (batch + 1) * BATCH * DIM);
    long[] items = new long[BATCH];
    String[] annotators = new String[BATCH];
    int[] labels = new int[BATCH];
    for (int e = 0; e < BATCH; e++) {
      int row = batch * BATCH + e;
      items[e] = (row * 7L) % 16;
      annotators[e] = "a" + (row % (batch >= 3 ? 6 : 3));
      labels[e] = (DATA.labels()[row] + (row % 5 == 0 ? 1 : 0)) % K;
    }
    if (poison != null) {
      Arrays.fill(x, 4 * DIM, 5 * DIM, poison);
      Arrays.fill(x, 9 * DIM, 10 * DIM, poison);
    }
    model.train(x, items, annotators, labels, BATCH);
  }
}
