package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.Random;
import org.junit.jupiter.api.Test;

class ValueRangeTest {

  @Test
  void firstOutsideFindsWhatContainsRefusesAndOnlyThat() {
    ValueRange unit = new ValueRange(0, 1);
    assertThat(unit.firstOutside(new float[] {0, 1, 0.5f, -0f}, 0, 4)).isEqualTo(-1);
    assertThat(unit.firstOutside(new float[] {0, 2, -1, 0}, 0, 4)).isEqualTo(1);
    assertThat(unit.firstOutside(new float[] {0, 2, -1, 0}, 2, 4)).isEqualTo(2);
    assertThat(unit.firstOutside(new float[] {0, 2, -1, 0}, 3, 4)).isEqualTo(-1);
    assertThat(unit.firstOutside(new float[] {0, 0, Float.NaN}, 0, 3)).isEqualTo(2);
    assertThat(unit.firstOutside(new float[] {Float.NEGATIVE_INFINITY}, 0, 1)).isZero();
    assertThat(unit.firstOutside(new float[0], 0, 0)).isEqualTo(-1);

    // Bounds between two floats: a float value is taken exactly when the double comparison takes it.
    double tenth = 0.1; // (float) 0.1 is above 0.1
    ValueRange fromTenth = new ValueRange(tenth, Double.POSITIVE_INFINITY);
    assertThat((double) 0.1f).isGreaterThan(tenth);
    assertThat(fromTenth.firstOutside(new float[] {0.1f}, 0, 1)).isEqualTo(-1);
    assertThat(fromTenth.firstOutside(new float[] {Math.nextDown(0.1f)}, 0, 1)).isZero();
    ValueRange toTenth = new ValueRange(Double.NEGATIVE_INFINITY, tenth);
    assertThat(toTenth.firstOutside(new float[] {0.1f}, 0, 1)).isZero();
    assertThat(toTenth.firstOutside(new float[] {Math.nextDown(0.1f)}, 0, 1)).isEqualTo(-1);
    // Bounds past float's range take every finite float on that side.
    ValueRange wide = new ValueRange(-1e300, 1e300);
    assertThat(wide.firstOutside(new float[] {-Float.MAX_VALUE, Float.MAX_VALUE}, 0, 2)).isEqualTo(-1);
    assertThat(wide.firstOutside(new float[] {0, Float.POSITIVE_INFINITY}, 0, 2)).isEqualTo(1);

    Random random = new Random(7);
    for (int trial = 0; trial < 2_000; trial++) {
      double a = random.nextGaussian() * 10;
      double b = a + Math.abs(random.nextGaussian() * 10);
      ValueRange range = new ValueRange(a, b);
      float[] values = new float[1 + random.nextInt(40)];
      for (int i = 0; i < values.length; i++) {
        values[i] = (float) (random.nextGaussian() * 10);
      }
      int expected = -1;
      for (int i = values.length - 1; i >= 0; i--) {
        expected = range.contains(values[i]) ? expected : i;
      }
      assertThat(range.firstOutside(values, 0, values.length)).as("trial %d", trial).isEqualTo(expected);
    }
  }

  @Test
  void boundsMustBeOrderedAndAtLeastOneGiven() {
    assertThatIllegalArgumentException().isThrownBy(() -> new ValueRange(1, 0))
        .withMessage("key 'max': expected a number at least 'min' (1.0), got 0.0");
    assertThatIllegalArgumentException().isThrownBy(
        () -> new ValueRange(Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY))
        .withMessage("expected 'min', 'max' or both, got neither");
    assertThatIllegalArgumentException().isThrownBy(() -> new ValueRange(Double.NaN, 1))
        .withMessage("key 'min': expected a finite number, got NaN");
    assertThat(new ValueRange(2, 2).contains(2)).isTrue();
  }
}
