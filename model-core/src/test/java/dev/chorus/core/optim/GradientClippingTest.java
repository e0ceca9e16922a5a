package dev.chorus.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class GradientClippingTest {

  /**
   * A component of 1e20 squares to 1e40, past float's range: summed in float, the norm would be infinite, the
   * scale 0 and the step a silent no-op. In double the clipped gradient keeps its direction at the clip norm.
   */
  @Test
  void aGradientBeyondFloatSquaresIsClippedToAFiniteStepInItsDirection() {
    Parameter weights = Parameter.zeros("weights", 1, 100, true);
    Parameter bias = Parameter.zeros("bias", 1, 3, false);
    ParameterSet parameters = new ParameterSet(List.of(weights, bias));
    float[] g = weights.gradient().data();
    for (int i = 0; i < g.length; i++) {
      g[i] = i % 2 == 0 ? 1f : -2f;
    }
    g[7] = 1e20f;
    float[] b = bias.gradient().data();
    b[0] = -3e19f;
    b[2] = 0.5f;
    float[] before = g.clone();
    float[] biasBefore = b.clone();

    double norm = GradientClipping.clipByGlobalNorm(parameters, 2.0);

    assertThat(norm).isCloseTo(Math.hypot(1e20, 3e19), within(1e14));
    double scale = 2.0 / norm;
    for (int i = 0; i < g.length; i++) {
      assertThat((double) g[i]).as("weights gradient %d", i).isCloseTo(before[i] * scale, within(1e-6 * Math.abs(before[i] * scale) + 1e-30));
    }
    assertThat((double) b[0]).isCloseTo(biasBefore[0] * scale, within(1e-6));
    assertThat(GradientClipping.globalNorm(parameters)).isCloseTo(2.0, within(1e-5));

    new SgdSpec(0.5).create().step(parameters);
    assertThat(weights.value().data()[7]).isCloseTo((float) (-0.5 * 1e20 * scale), within(1e-6f));
    assertThat(bias.value().data()[0]).isCloseTo((float) (0.5 * 3e19 * scale), within(1e-6f));
    assertThat(weights.value().data()[7]).as("a real step, not a no-op").isLessThan(-0.9f);
  }
}
