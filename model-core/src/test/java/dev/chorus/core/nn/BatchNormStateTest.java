package dev.chorus.core.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIOException;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/**
 * Batch normalisation's saved running statistics are checked as they are read: a negative running variance made
 * {@code sqrt(σ² + ε)} NaN, and so every prediction. The state ends with the running variances, after the means.
 */
class BatchNormStateTest {

  private static byte[] state(BatchNorm layer) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    layer.writeState(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  private static DataInputStream forged(byte[] bytes, int fromEnd, float value) {
    byte[] forged = bytes.clone();
    ByteBuffer.wrap(forged).putFloat(forged.length - 4 * fromEnd, value);
    return new DataInputStream(new ByteArrayInputStream(forged));
  }

  @Test
  void aNegativeOrNonFiniteRunningStatisticIsRefusedNamingTheIndex() throws IOException {
    BatchNorm layer = BatchNorm.create("hidden0.batchNorm.", 3, BatchNorm.DEFAULT_MOMENTUM);
    byte[] saved = state(layer);
    BatchNorm read = BatchNorm.create("hidden0.batchNorm.", 3, BatchNorm.DEFAULT_MOMENTUM);
    read.readState(new DataInputStream(new ByteArrayInputStream(saved)));
    assertThat(state(read)).isEqualTo(saved);

    assertThatIOException().isThrownBy(() -> read.readState(forged(saved, 1, -0.5f)))
        .withMessage("batch-norm running variance of 'hidden0.batchNorm.gamma' at index 2: expected a finite number "
            + ">= 0, stream has -0.5");
    assertThatIOException().isThrownBy(() -> read.readState(forged(saved, 3, Float.NaN)))
        .withMessage("batch-norm running variance of 'hidden0.batchNorm.gamma' at index 0: expected a finite number "
            + ">= 0, stream has NaN");
    assertThatIOException().isThrownBy(() -> read.readState(forged(saved, 5, Float.NEGATIVE_INFINITY)))
        .withMessage("batch-norm running mean of 'hidden0.batchNorm.gamma' at index 2: expected a finite number, "
            + "stream has -Infinity");
    assertThat(state(read)).as("unchanged by a refused read").isEqualTo(saved);
  }
}
