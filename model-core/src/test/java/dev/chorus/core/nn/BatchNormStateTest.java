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
        .withMessage("stream's batch-norm running variance of 'hidden0.batchNorm.gamma' is -0.5 at index 2 "
            + "(expected a number >= 0)");
    assertThatIOException().isThrownBy(() -> read.readState(forged(saved, 3, Float.NaN)))
        .withMessage("stream's batch-norm running variance of 'hidden0.batchNorm.gamma' is NaN at index 0 "
            + "(expected a number >= 0)");
    assertThatIOException().isThrownBy(() -> read.readState(forged(saved, 5, Float.NEGATIVE_INFINITY)))
        .withMessage("stream's batch-norm running mean of 'hidden0.batchNorm.gamma' is -Infinity at index 2 "
            + "(expected a finite number)");
    assertThat(state(read)).as("unchanged by a refused read").isEqualTo(saved);
  }

  /**
   * Training can leave a running variance of +Infinity (squared deviations past float's range: the step is accepted,
   * the column then outputs β), and its checkpoint must restore, bit for bit; refusing it crash-looped the job.
   */
  @Test
  void aRunningVarianceThatOverflowedInTrainingReadsBack() throws IOException {
    dev.chorus.core.model.OnlineLearner learner = dev.chorus.core.model.OnlineLearner.create(
        dev.chorus.core.model.ModelSpec.parse("""
            {"algorithm":"mlp","inputDim":2,"numClasses":2,"batchSize":4,"standardize":false,"seed":3,
             "layers":[{"units":4,"batchNorm":true}]}"""));
    float[] x = {1e30f, -1e30f, -1e30f, 1e30f, 2e30f, 0, 0, -2e30f};
    learner.trainMinibatch(x, new int[] {0, 1, 0, 1}, new float[] {1, 1, 1, 1}, 4);
    assertThat(learner.steps()).as("the step is accepted").isEqualTo(1);
    byte[] saved = learner.toBytes();
    assertThat(java.util.HexFormat.of().formatHex(saved)).as("a float +Infinity in the saved state")
        .contains("7f800000");
    assertThat(dev.chorus.core.model.OnlineLearner.fromBytes(saved).toBytes()).isEqualTo(saved);

    BatchNorm layer = BatchNorm.create("hidden0.batchNorm.", 3, BatchNorm.DEFAULT_MOMENTUM);
    layer.readState(forged(state(layer), 2, Float.POSITIVE_INFINITY));
    byte[] read = state(layer);
    assertThat(ByteBuffer.wrap(read).getFloat(read.length - 8)).isEqualTo(Float.POSITIVE_INFINITY);
  }
}
