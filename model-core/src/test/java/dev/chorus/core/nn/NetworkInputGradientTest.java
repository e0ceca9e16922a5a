package dev.chorus.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.random.SplitMix64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The gradient with respect to a network's input, which a wide and deep model passes on to its embedding bags,
 * against central differences of {@code Σ R · outputs} through dense, tanh and dense layers.
 */
class NetworkInputGradientTest {

  private static final int D = 5;
  private static final int H = 6;
  private static final int K = 3;
  private static final int N = 4;

  @Test
  void inputGradientMatchesFiniteDifferences() {
    Dense first = Dense.zeros(Blas.get(), "a.", D, H, true);
    WeightInit.GLOROT_UNIFORM.fill(first.weights().value(), D, H, 0, SplitMix64.seeded(1));
    Dense second = Dense.zeros(Blas.get(), "b.", H, K, true);
    WeightInit.GLOROT_UNIFORM.fill(second.weights().value(), H, K, 0, SplitMix64.seeded(2));
    Network network = new Network(List.of(first, new Activation(ActivationFunction.TANH, H), second));
    SplittableRandom random = new SplittableRandom(5);
    float[] x = new float[N * D];
    float[] r = new float[N * K];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-1, 1);
    }
    for (int i = 0; i < r.length; i++) {
      r[i] = (float) random.nextDouble(-1, 1);
    }
    float[] out = new float[N * K];
    network.forward(x, N, out, SplitMix64.seeded(0));
    float[] gradX = new float[N * D];
    network.backward(x, N, r, gradX);
    float h = 1e-2f;
    for (int i = 0; i < x.length; i++) {
      float saved = x[i];
      x[i] = saved + h;
      double plus = objective(network, x, r);
      x[i] = saved - h;
      double minus = objective(network, x, r);
      x[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      assertThat((double) gradX[i]).as("input %d", i).isCloseTo(numeric, within(1e-3 + 1e-2 * Math.abs(numeric)));
    }
    assertThat(gradX).as("some input matters").isNotEqualTo(new float[N * D]);
  }

  private static double objective(Network network, float[] x, float[] r) {
    float[] out = new float[N * K];
    network.predictBatch(x, N, out);
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) r[i] * out[i];
    }
    return sum;
  }
}
