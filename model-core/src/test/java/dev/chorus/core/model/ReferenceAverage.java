package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.ParameterAverage;

/**
 * The exponential average's recurrence {@code w̄ ← d_t·w̄ + (1 − d_t)·w}, computed in the test from the live values,
 * apart from {@link ParameterAverage}'s BLAS calls, for the tests of a spec's averaging and of a learner's teacher to
 * check the average against.
 */
final class ReferenceAverage {

  private final ParameterSet live;
  private final double decay;
  private final float[][] values;

  /** Starts at {@code live}'s current values. */
  ReferenceAverage(ParameterSet live, double decay) {
    this.live = live;
    this.decay = decay;
    this.values = new float[live.size()][];
    for (int i = 0; i < live.size(); i++) {
      values[i] = live.get(i).value().data().clone();
    }
  }

  /** Moves the average after step {@code t} (1 for the first), from the live values as they are now. */
  void step(int t) {
    double d = ParameterAverage.decayAt(decay, t);
    for (int i = 0; i < live.size(); i++) {
      float[] w = live.get(i).value().data();
      for (int j = 0; j < w.length; j++) {
        values[i][j] = (float) (d * values[i][j] + (1 - d) * w[j]);
      }
    }
  }

  /** Asserts that {@code average} holds these values, to float rounding, and is not the live values. */
  void assertMatches(ParameterSet average) {
    for (int i = 0; i < live.size(); i++) {
      float[] actual = average.get(i).value().data();
      for (int j = 0; j < actual.length; j++) {
        assertThat(actual[j]).as("%s[%d]", average.get(i).name(), j).isCloseTo(values[i][j], within(1e-5f));
      }
      assertThat(actual).as("the average is not the live %s", live.get(i).name())
          .isNotEqualTo(live.get(i).value().data());
    }
  }
}
