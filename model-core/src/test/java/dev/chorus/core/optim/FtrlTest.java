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
