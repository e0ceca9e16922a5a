package dev.chorus.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.loss.L2Penalty;
import dev.chorus.core.loss.SoftmaxCrossEntropy;
import dev.chorus.core.random.SplitMix64;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The analytic gradient of weighted softmax cross-entropy on a linear network plus an L2 penalty, against
 * central differences: of an independent double-precision reference objective (tight tolerance), and of
 * the library's own float32 objective (loose tolerance, proving loss and gradient agree).
 */
class GradientCheckTest {

  private static final int D = 5;
  private static final int K = 4;
  private static final int N = 7;
  private static final double L2 = 0.1;

  private final float[] x = new float[N * D];
  private final int[] labels = new int[N];
  private final float[] weights = new float[N];
  private final Network network;

  GradientCheckTest() {
    SplittableRandom random = new SplittableRandom(11);
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) random.nextDouble(-2, 2);
    }
    for (int i = 0; i < N; i++) {
      labels[i] = random.nextInt(K);
      weights[i] = (float) random.nextDouble(0.2, 2);
    }
    Dense dense = Dense.zeros(Blas.get(), "", D, K, true);
    WeightInit.GLOROT_UNIFORM.fill(dense.weights().value(), D, K, 0, SplitMix64.seeded(3));
    network = new Network(List.of(dense));
    float[] bias = network.parameters().get(Dense.BIAS).value().data();
    for (int j = 0; j < K; j++) {
      bias[j] = (float) random.nextDouble(-0.5, 0.5);
    }
  }

  /** Runs the library's training computation, leaving the gradients in the parameters; returns the objective. */
  private double analyticObjective() {
    float[] logits = new float[N * K];
    float[] gradOut = new float[N * K];
    network.forward(x, N, logits, SplitMix64.seeded(0));
    double data = SoftmaxCrossEntropy.INSTANCE.lossAndGradient(logits, N, K, labels, weights, gradOut);
    network.backward(x, N, gradOut);
    return data + new L2Penalty(L2).addPenaltyGradient(network.parameters());
  }

  /** The same objective written out in double precision, independent of the library's code. */
  private double referenceObjective(double[] w, double[] b) {
    double total = 0;
    double totalWeight = 0;
    for (int i = 0; i < N; i++) {
      double[] z = new double[K];
      double max = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < K; j++) {
        z[j] = b[j];
        for (int f = 0; f < D; f++) {
          z[j] += w[j * D + f] * x[i * D + f];
        }
        max = Math.max(max, z[j]);
      }
      double sum = 0;
      for (int j = 0; j < K; j++) {
        sum += Math.exp(z[j] - max);
      }
      total += weights[i] * (max + Math.log(sum) - z[labels[i]]);
      totalWeight += weights[i];
    }
    double squares = 0;
    for (double v : w) {
      squares += v * v;
    }
    return total / totalWeight + 0.5 * (float) L2 * squares;
  }

  @Test
  void analyticGradientMatchesDoublePrecisionCentralDifferences() {
    double objective = analyticObjective();
    Parameter wParam = network.parameters().get(Dense.WEIGHTS);
    Parameter bParam = network.parameters().get(Dense.BIAS);
    double[] w = toDouble(wParam.value().data());
    double[] b = toDouble(bParam.value().data());
    assertThat(objective).isCloseTo(referenceObjective(w, b), within(1e-5));

    double h = 1e-6;
    for (int i = 0; i < w.length; i++) {
      double saved = w[i];
      w[i] = saved + h;
      double plus = referenceObjective(w, b);
      w[i] = saved - h;
      double minus = referenceObjective(w, b);
      w[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      assertThat((double) wParam.gradient().data()[i]).as("dL/dW[%d]", i)
          .isCloseTo(numeric, within(1e-5 + 1e-4 * Math.abs(numeric)));
    }
    for (int j = 0; j < b.length; j++) {
      double saved = b[j];
      b[j] = saved + h;
      double plus = referenceObjective(w, b);
      b[j] = saved - h;
      double minus = referenceObjective(w, b);
      b[j] = saved;
      double numeric = (plus - minus) / (2 * h);
      assertThat((double) bParam.gradient().data()[j]).as("dL/db[%d]", j)
          .isCloseTo(numeric, within(1e-5 + 1e-4 * Math.abs(numeric)));
    }
  }

  @Test
  void analyticGradientMatchesFloat32CentralDifferencesOfTheLibraryObjective() {
    analyticObjective();
    ParameterSet parameters = network.parameters();
    float h = 1e-2f;
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[] value = parameter.value().data();
      float[] analytic = parameter.gradient().data().clone();
      for (int i = 0; i < value.length; i++) {
        float saved = value[i];
        value[i] = saved + h;
        double plus = analyticObjective();
        value[i] = saved - h;
        double minus = analyticObjective();
        value[i] = saved;
        double numeric = (plus - minus) / (2 * h);
        assertThat((double) analytic[i]).as("d objective / d %s[%d]", parameter.name(), i)
            .isCloseTo(numeric, within(2e-3 + 1e-2 * Math.abs(numeric)));
      }
    }
  }

  private static double[] toDouble(float[] values) {
    double[] out = new double[values.length];
    for (int i = 0; i < values.length; i++) {
      out[i] = values[i];
    }
    return out;
  }
}
