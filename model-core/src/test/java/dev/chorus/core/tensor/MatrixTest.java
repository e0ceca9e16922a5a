package dev.chorus.core.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MatrixTest {

  @Test
  void ofStoresRowMajorAndCopiesItsInput() {
    float[] values = {1, 2, 3, 4, 5, 6};
    Matrix m = Matrix.of(2, 3, values);
    values[0] = 99;
    assertThat(m.rows()).isEqualTo(2);
    assertThat(m.cols()).isEqualTo(3);
    assertThat(m.get(0, 0)).isEqualTo(1f);
    assertThat(m.get(1, 0)).isEqualTo(4f);
    assertThat(m.get(0, 2)).isEqualTo(3f);
    assertThat(m.data()).containsExactly(1, 2, 3, 4, 5, 6);
  }

  @Test
  void zerosAndWrap() {
    assertThat(Matrix.zeros(3, 2).data()).containsExactly(0, 0, 0, 0, 0, 0);
    float[] storage = new float[4];
    Matrix wrapped = Matrix.wrap(2, 2, storage);
    wrapped.set(1, 0, 7f);
    assertThat(storage[2]).isEqualTo(7f);
  }

  @Test
  void shapeErrorsNameBothSizes() {
    assertThatIllegalArgumentException().isThrownBy(() -> Matrix.of(2, 3, 1, 2, 3))
        .withMessage("Matrix.of(2, 3): expected 6 values, got 3");
    assertThatIllegalArgumentException().isThrownBy(() -> Matrix.zeros(-1, 3))
        .withMessage("Matrix shape must be non-negative, got -1 × 3");
    assertThatIllegalArgumentException().isThrownBy(() -> Matrix.zeros(2, 3).copyFrom(Matrix.zeros(3, 2)))
        .withMessage("copyFrom: shape mismatch, expected 2 × 3, got 3 × 2");
    assertThatThrownBy(() -> Matrix.zeros(2, 3).get(2, 0)).isInstanceOf(IndexOutOfBoundsException.class)
        .hasMessage("element (2, 0) is outside a 2 × 3 matrix");
  }

  @Test
  void copyIsDeepAndEqualityIsBitwise() {
    Matrix m = Matrix.of(1, 2, 1, Float.NaN);
    Matrix copy = m.copy();
    assertThat(copy).isEqualTo(m).hasSameHashCodeAs(m);
    copy.set(0, 0, 2f);
    assertThat(m.get(0, 0)).isEqualTo(1f);
    assertThat(copy).isNotEqualTo(m);
    assertThat(Matrix.zeros(1, 2)).isNotEqualTo(Matrix.zeros(2, 1));
  }
}
