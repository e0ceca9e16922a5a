package dev.chorus.core.optim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.spec.SpecReader;
import org.junit.jupiter.api.Test;

class FtrlTest {

  /**
   * Two steps by hand, alpha 1, beta 1, l1 0.5, l2 1, from w = z = n = 0. Step 1, g = 1: n = 1, σ = 1, z = 1,
   * w = −(1 − 0.5) / ((1 + 1) / 1 + 1) = −1/6. Step 2, g = −2: n = 5, σ = √5 − 1, z = 1 − 2 + (√5 − 1)/6 =
   * −0.79398867, w = (0.79398867 − 0.5) / (1 + √5 + 1) = 0.06940131.
   */
  @Test
  void twoStepsByHand() {
    FtrlSpec spec = new FtrlSpec(1, 1, 0.5, 1);
    float[] w = {0f};
    float[] z = {0f};
    float[] n = {0f};

    Ftrl.update(w, z, n, 0, 1f, spec.alpha(), spec);
    assertThat(z[0]).isEqualTo(1f);
    assertThat(n[0]).isEqualTo(1f);
    assertThat(w[0]).isCloseTo(-1f / 6, within(1e-7f));

    Ftrl.update(w, z, n, 0, -2f, spec.alpha(), spec);
    assertThat(n[0]).isEqualTo(5f);
    assertThat(z[0]).isCloseTo(-0.79398867f, within(1e-6f));
    assertThat(w[0]).isCloseTo(0.06940131f, within(1e-6f));
  }

  @Test
  void aCoordinateWithinL1IsExactlyZeroAndAZeroGradientMovesNothing() {
    FtrlSpec spec = new FtrlSpec(0.1, 1, 2, 0);
    float[] w = {0f, 0.3f};
    float[] z = {0f, 0.7f};
    float[] n = {0f, 4f};

    Ftrl.update(w, z, n, 0, 1.5f, spec.alpha(), spec);
    assertThat(w[0]).isEqualTo(0f);

    Ftrl.update(w, z, n, 1, 0f, spec.alpha(), spec);
    assertThat(z[1]).isEqualTo(0.7f);
    assertThat(n[1]).isEqualTo(4f);
    assertThat(w[1]).isEqualTo(0f);
  }

  /**
   * A weight FTRL did not put there (an initialiser's, or a warm start's with the optimizer reset) has z = n = 0: its
   * first step moves it from its value by −g / ((β + |g|)/α + λ2), and a zero gradient keeps it. Before, z = g − σ·w₀
   * gave w = (|g|·w₀ − α·g)/(β + |g|), all but 0 for a small gradient (a He-initialised −1.538 became −0.00025).
   */
  @Test
  void aWeightFtrlDidNotPutThereMovesFromItsValueAtItsFirstStep() {
    FtrlSpec spec = new FtrlSpec(0.1, 1, 0.01, 0.1);
    float[] w0 = {-1.538f, 0.4f, 2e-3f};
    float[] g = {1e-4f, 0f, -0.5f};
    float[] w = w0.clone();
    float[] z = new float[3];
    float[] n = new float[3];
    for (int i = 0; i < 3; i++) {
      Ftrl.update(w, z, n, i, g[i], spec.alpha(), spec);
      double expected = w0[i] - g[i] / ((spec.beta() + Math.abs(g[i])) / spec.alpha() + spec.l2());
      assertThat((double) w[i]).as("weight %d", i).isCloseTo(expected, within(1e-6));
    }
    assertThat(w[1]).as("a zero gradient").isCloseTo(0.4f, within(1e-7f));

    Ftrl.update(w, z, n, 1, 0f, spec.alpha(), spec);
    assertThat(w[1]).as("its z holds it from then on").isCloseTo(0.4f, within(1e-7f));

    FtrlSpec noBeta = new FtrlSpec(0.1, 0, 0.01, 0);
    float[] v = {0.5f};
    Ftrl.update(v, new float[1], new float[1], 0, 0.2f, noBeta.alpha(), noBeta);
    assertThat(v[0]).as("β = λ2 = 0: w₀ − α·sgn(g)").isCloseTo(0.4f, within(1e-7f));
  }

  /** The seed is the one z whose closed form at n = 0 is the weight, L1 threshold included. */
  @Test
  void theSeedsClosedFormIsTheWeight() {
    FtrlSpec spec = new FtrlSpec(0.3, 1, 0.5, 2);
    for (float w0 : new float[] {-3f, -1e-3f, 1e-3f, 0.7f}) {
      double z = Ftrl.seed(w0, spec.alpha(), spec);
      assertThat(Math.abs(z)).isGreaterThan(spec.l1());
      double closed = -(z - Math.signum(z) * spec.l1()) / (spec.beta() / spec.alpha() + spec.l2());
      assertThat(closed).isCloseTo(w0, within(1e-12));
    }
  }

  @Test
  void theSpecReadsAndWritesItsJsonAndIsRegistered() {
    OptimizerSpec spec = OptimizerSpecs.fromJson(SpecReader.document(
        "{\"type\":\"ftrl\",\"alpha\":0.1,\"beta\":1,\"l1\":1,\"l2\":1}"));
    assertThat(spec).isEqualTo(new FtrlSpec(0.1, 1, 1, 1));
    assertThat(spec.learningRate()).isEqualTo(0.1);
    var json = SpecReader.newObject();
    spec.writeJson(json);
    assertThat(json.toString()).isEqualTo("{\"type\":\"ftrl\",\"alpha\":0.1,\"beta\":1.0,\"l1\":1.0,\"l2\":1.0}");
    assertThat(OptimizerSpecs.types()).contains("ftrl");
  }
}
