package dev.chorus.core.nn;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ActivationTest {

  @Test
  void reluBackwardPassesTheGradientExactlyWhereTheOutputIsPositiveSubnormalsAndTheLargestFloatIncluded() {
    Activation relu = new Activation(ActivationFunction.RELU, 6);
    float[] in = {-3f, -0f, 0f, Float.MIN_VALUE, 2.5f, Float.MAX_VALUE};
    float[] out = new float[6];
    relu.forward(in, 1, out, null);
    float[] gradOut = {0.1f, -7f, 3f, -1.25e-3f, 1e30f, -0.3f};
    float[] gradIn = new float[6];
    relu.backward(in, out, 1, gradOut, gradIn);
    assertThat(out).containsExactly(0f, 0f, 0f, Float.MIN_VALUE, 2.5f, Float.MAX_VALUE);
    for (int i = 0; i < 3; i++) {
      assertThat(gradIn[i]).as("gradient at a zero output " + i).isZero();
    }
    assertThat(gradIn[3]).isEqualTo(-1.25e-3f);
    assertThat(gradIn[4]).isEqualTo(1e30f);
    assertThat(gradIn[5]).isEqualTo(-0.3f);
  }
}
