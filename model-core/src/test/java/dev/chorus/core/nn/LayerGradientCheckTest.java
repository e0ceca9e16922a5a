package dev.chorus.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every layer's backward pass against central differences of its own forward pass, in training mode. The
 * objective is a fixed random linear function {@code Σ rᵢ·outᵢ} of the outputs, so {@code gradOut = r}. Inputs
 * stay at least 0.1 away from ReLU's kink, and dropout sees the same mask on every evaluation because its
 * generator restarts from one state.
 */
class LayerGradientCheckTest {

  private static final int ROWS = 6;
  private static final long MASK_STATE = 77;

  static Stream<Named<Layer>> layers() {
    SplitMix64 rng = SplitMix64.seeded(5);
    Dense withBias = Dense.zeros(Blas.get(), "a.", 4, 3, true);
    WeightInit.GLOROT_NORMAL.fill(withBias.weights().value(), 4, 3, 0, rng);
    WeightInit.UNIFORM.fill(withBias.bias().value(), 4, 3, 0.5, rng);
    Dense withoutBias = Dense.zeros(Blas.get(), "b.", 5, 2, false);
    WeightInit.HE_NORMAL.fill(withoutBias.weights().value(), 5, 2, 0, rng);
    BatchNorm batchNorm = BatchNorm.create("bn.", 4, 0.9);
    WeightInit.UNIFORM.fill(batchNorm.gamma().value(), 1, 1, 2, rng);
    WeightInit.UNIFORM.fill(batchNorm.beta().value(), 1, 1, 1, rng);
    return Stream.of(Named.of("dense with bias", withBias), Named.of("dense without bias", withoutBias),
        Named.of("relu", new Activation(ActivationFunction.RELU, 5)),
        Named.of("tanh", new Activation(ActivationFunction.TANH, 5)),
        Named.of("sigmoid", new Activation(ActivationFunction.SIGMOID, 5)),
        Named.of("identity", new Activation(ActivationFunction.IDENTITY, 5)),
        Named.of("batch norm (training)", batchNorm), Named.of("dropout (fixed mask)", new Dropout(5, 0.4)));
  }

  private static float[] randomAwayFromZero(int n, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    float[] values = new float[n];
    for (int i = 0; i < n; i++) {
      double magnitude = random.nextDouble(0.1, 2);
      values[i] = (float) (random.nextBoolean() ? magnitude : -magnitude);
    }
    return values;
  }

  private static double objective(Layer layer, float[] in, float[] r, int rows) {
    float[] out = new float[rows * layer.outputDim()];
    layer.forward(in, rows, out, SplitMix64.fromState(MASK_STATE));
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) r[i] * out[i];
    }
    return sum;
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("layers")
  void backwardMatchesCentralDifferences(Layer layer) {
    checkGradients(layer, ROWS);
  }

  /**
   * A one-row minibatch (a batch timeout can close one) has no batch variance: batch norm normalises it with the
   * running statistics, so its output depends on the input and gradients reach γ, β and the input.
   */
  @Test
  void batchNormOnAOneRowMinibatchMatchesCentralDifferences() {
    SplitMix64 rng = SplitMix64.seeded(6);
    BatchNorm batchNorm = BatchNorm.create("bn.", 4, 0.9);
    WeightInit.UNIFORM.fill(batchNorm.gamma().value(), 1, 1, 2, rng);
    WeightInit.UNIFORM.fill(batchNorm.beta().value(), 1, 1, 1, rng);
    batchNorm.forward(randomAwayFromZero(ROWS * 4, 7), ROWS, new float[ROWS * 4], null);
    assertThat(checkGradients(batchNorm, 1)).as("input gradient").doesNotContain(0f);
  }

  @Test
  void batchNormOnAOneRowMinibatchDependsOnItsInputAndLeavesTheRunningStatisticsAlone() {
    BatchNorm bn = BatchNorm.create("", 2, 0.5);
    bn.forward(new float[] {1, 10, 3, 20}, 2, new float[4], null);
    float[] mean = bn.runningMean().clone();
    float[] variance = bn.runningVariance().clone();
    float[] first = new float[2];
    float[] second = new float[2];
    bn.forward(new float[] {3, 7.5f}, 1, first, null);
    bn.forward(new float[] {5, 9.5f}, 1, second, null);
    // Normalised with the running mean (1, 7.5) and variance (1.5, 25.5), exactly as inference does.
    float[] inferred = new float[2];
    bn.infer(new float[] {3, 7.5f}, 0, 1, inferred, 0);
    assertThat(first).containsExactly(inferred, within(1e-5f));
    assertThat(first).containsExactly(new float[] {2 / (float) Math.sqrt(1.5 + 1e-5), 0}, within(1e-5f));
    assertThat(second[0] - first[0]).isCloseTo(2 / (float) Math.sqrt(1.5 + 1e-5), within(1e-5f));
    assertThat(second[1] - first[1]).isCloseTo(2 / (float) Math.sqrt(25.5 + 1e-5), within(1e-5f));
    assertThat(bn.runningMean()).containsExactly(mean);
    assertThat(bn.runningVariance()).containsExactly(variance);
  }

  /** Asserts the backward pass against central differences on {@code rows} rows; returns the input gradient. */
  private static float[] checkGradients(Layer layer, int rows) {
    float[] in = randomAwayFromZero(rows * layer.inputDim(), 1);
    float[] r = randomAwayFromZero(rows * layer.outputDim(), 2);
    float[] out = new float[rows * layer.outputDim()];
    layer.forward(in, rows, out, SplitMix64.fromState(MASK_STATE));
    float[] gradIn = new float[in.length];
    layer.backward(in, out, rows, r, gradIn);
    List<float[]> analytic = new ArrayList<>();
    for (Parameter p : layer.parameters()) {
      analytic.add(p.gradient().data().clone());
    }

    float h = 1e-2f;
    for (int i = 0; i < in.length; i++) {
      float saved = in[i];
      in[i] = saved + h;
      double plus = objective(layer, in, r, rows);
      in[i] = saved - h;
      double minus = objective(layer, in, r, rows);
      in[i] = saved;
      double numeric = (plus - minus) / (2 * h);
      assertThat((double) gradIn[i]).as("d/d input[%d]", i).isCloseTo(numeric, within(2e-3 + 1e-2 * Math.abs(numeric)));
    }
    for (int p = 0; p < layer.parameters().size(); p++) {
      Parameter parameter = layer.parameters().get(p);
      float[] value = parameter.value().data();
      for (int i = 0; i < value.length; i++) {
        float saved = value[i];
        value[i] = saved + h;
        double plus = objective(layer, in, r, rows);
        value[i] = saved - h;
        double minus = objective(layer, in, r, rows);
        value[i] = saved;
        double numeric = (plus - minus) / (2 * h);
        assertThat((double) analytic.get(p)[i]).as("d/d %s[%d]", parameter.name(), i)
            .isCloseTo(numeric, within(2e-3 + 1e-2 * Math.abs(numeric)));
      }
    }
    return gradIn;
  }

  /**
   * Dense (no bias) → batch norm → tanh → dropout → dense, through {@link Network}'s chaining and buffers.
   * Tanh rather than ReLU: batch norm centres values on ReLU's kink, which perturbations would cross.
   */
  @Test
  void networkBackwardMatchesCentralDifferences() {
    SplitMix64 rng = SplitMix64.seeded(9);
    Dense hidden = Dense.zeros(Blas.get(), "h.", 4, 6, false);
    WeightInit.HE_NORMAL.fill(hidden.weights().value(), 4, 6, 0, rng);
    Dense output = Dense.zeros(Blas.get(), "o.", 6, 3, true);
    WeightInit.GLOROT_UNIFORM.fill(output.weights().value(), 6, 3, 0, rng);
    Network network = new Network(List.of(hidden, BatchNorm.create("h.bn.", 6, 0.9),
        new Activation(ActivationFunction.TANH, 6), new Dropout(6, 0.3), output));
    float[] x = randomAwayFromZero(ROWS * 4, 3);
    float[] r = randomAwayFromZero(ROWS * 3, 4);
    float[] out = new float[ROWS * 3];
    network.forward(x, ROWS, out, SplitMix64.fromState(MASK_STATE));
    network.backward(x, ROWS, r);
    ParameterSet parameters = network.parameters();
    assertThat(parameters.names()).containsExactly("h.weights", "h.bn.gamma", "h.bn.beta", "o.weights", "o.bias");
    float h = 1e-2f;
    for (int p = 0; p < parameters.size(); p++) {
      Parameter parameter = parameters.get(p);
      float[] analytic = parameter.gradient().data().clone();
      float[] value = parameter.value().data();
      for (int i = 0; i < value.length; i++) {
        float saved = value[i];
        value[i] = saved + h;
        double plus = networkObjective(network, x, r);
        value[i] = saved - h;
        double minus = networkObjective(network, x, r);
        value[i] = saved;
        double numeric = (plus - minus) / (2 * h);
        assertThat((double) analytic[i]).as("d/d %s[%d]", parameter.name(), i)
            .isCloseTo(numeric, within(3e-3 + 2e-2 * Math.abs(numeric)));
      }
    }
  }

  private static double networkObjective(Network network, float[] x, float[] r) {
    float[] out = new float[ROWS * network.outputDim()];
    network.forward(x, ROWS, out, SplitMix64.fromState(MASK_STATE));
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) r[i] * out[i];
    }
    return sum;
  }

  @Test
  void dropoutZeroesAboutItsRateAndScalesTheRest() {
    Dropout dropout = new Dropout(1000, 0.25);
    float[] in = new float[1000];
    Arrays.fill(in, 1f);
    float[] out = new float[1000];
    dropout.forward(in, 1, out, SplitMix64.seeded(3));
    int zeros = 0;
    for (float v : out) {
      if (v == 0f) {
        zeros++;
      } else {
        assertThat(v).isEqualTo(1f / 0.75f);
      }
    }
    assertThat(zeros).isBetween(200, 300);
    float[] inferred = new float[1000];
    dropout.infer(in, 0, 1, inferred, 0);
    assertThat(inferred).containsOnly(1f);
  }

  @Test
  void batchNormTrainsOnBatchStatisticsAndInfersWithRunningOnes() {
    BatchNorm bn = BatchNorm.create("", 2, 0.5);
    float[] in = {1, 10, 3, 20};
    float[] out = new float[4];
    bn.forward(in, 2, out, null);
    // Batch mean (2, 15), biased variance (1, 25): x̂ = ±1/sqrt(1 + 1e-5), ±5/sqrt(25 + 1e-5).
    assertThat(out).containsExactly(new float[] {-1, -1, 1, 1}, within(1e-4f));
    // Running: 0.5·(0, 1) + 0.5·(mean, unbiased variance (2, 50)).
    assertThat(bn.runningMean()).containsExactly(1f, 7.5f);
    assertThat(bn.runningVariance()).containsExactly(1.5f, 25.5f);
    float[] inferred = new float[2];
    bn.infer(new float[] {1, 7.5f}, 0, 1, inferred, 0);
    assertThat(inferred).containsExactly(new float[] {0, 0}, within(1e-6f));
  }

  @Test
  void initializersHaveTheirDocumentedScale() {
    Parameter w = Parameter.zeros("w", 200, 300, true);
    SplitMix64 rng = SplitMix64.seeded(1);
    WeightInit.HE_NORMAL.fill(w.value(), 300, 200, 0, rng);
    assertThat(variance(w.value().data())).isCloseTo(2.0 / 300, within(2e-4));
    WeightInit.GLOROT_NORMAL.fill(w.value(), 300, 200, 0, rng);
    assertThat(variance(w.value().data())).isCloseTo(2.0 / 500, within(2e-4));
    WeightInit.GLOROT_UNIFORM.fill(w.value(), 300, 200, 0, rng);
    assertThat(variance(w.value().data())).isCloseTo(2.0 / 500, within(2e-4));
    assertThat(maxAbs(w.value().data())).isLessThanOrEqualTo((float) Math.sqrt(6.0 / 500));
    WeightInit.UNIFORM.fill(w.value(), 300, 200, 0.05, rng);
    assertThat(maxAbs(w.value().data())).isLessThanOrEqualTo(0.05f).isGreaterThan(0.049f);
    WeightInit.ZEROS.fill(w.value(), 300, 200, 0, rng);
    assertThat(w.value().data()).containsOnly(0f);
  }

  private static double variance(float[] values) {
    double sum = 0;
    double squares = 0;
    for (float v : values) {
      sum += v;
      squares += (double) v * v;
    }
    double mean = sum / values.length;
    return squares / values.length - mean * mean;
  }

  private static float maxAbs(float[] values) {
    float max = 0;
    for (float v : values) {
      max = Math.max(max, Math.abs(v));
    }
    return max;
  }
}
