package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.saved.SavedModels;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Saved model bytes that declare sizes their own length cannot hold are refused before anything of that size is
 * allocated: each forged array below would take more than the 3 GiB test heap, so a reader that allocates first
 * fails with an {@link OutOfMemoryError} instead of the message asserted.
 */
class ForgedModelBytesTest {

  static final String SMALL_SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":2,\"numClasses\":2,\"standardize\":false}";

  /** Writes a forged stream field by field, in the big-endian layout of {@link java.io.DataOutput}. */
  interface Body {
    void write(DataOutputStream out) throws IOException;
  }

  static byte[] forge(Body body) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      body.write(out);
    }
    return bytes.toByteArray();
  }

  static void string(DataOutputStream out, String s) throws IOException {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    out.writeInt(b.length);
    out.write(b);
  }

  /** Label-model format 2's header: the registries forged below have format 2's layout (no eviction ticks). */
  static void labelModelHeader(DataOutputStream out, String name) throws IOException {
    out.writeInt(LabelModels.MAGIC);
    out.writeInt(2);
    string(out, name);
  }

  /** A registry of one annotator slot, none used, and its 2-class confusion estimates. */
  static void smallRegistryAndEstimates(DataOutputStream out) throws IOException {
    out.writeInt(1);
    out.writeInt(0);
    out.writeInt(2);
    out.writeInt(1);
    out.writeDouble(0.7);
    out.writeDouble(2);
    out.writeDouble(1e-3);
    out.writeInt(4);
    for (int i = 0; i < 4; i++) {
      out.writeDouble(0.5);
    }
    out.writeInt(2);
    out.writeDouble(0);
    out.writeDouble(0);
    out.writeInt(2);
    out.writeDouble(0);
    out.writeDouble(0);
  }

  @Test
  void aLearnerSpecDeclaringHugeDimensionsIsRefusedByItsSize() throws IOException {
    byte[] forged = forge(out -> {
      out.writeInt(OnlineLearner.MAGIC);
      out.writeInt(OnlineLearner.FORMAT_VERSION);
      string(out, "{\"algorithm\":\"softmax-regression\",\"inputDim\":1000000,\"numClasses\":2000}");
      out.writeLong(1);
    });
    assertThat(forged.length).isLessThan(300);
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model spec inputDim 1000000, numClasses 2000, hidden layers [] weights: expected at most 2 "
            + "(4 bytes each in the 8 bytes that remain), got 2000000000");
  }

  @Test
  void anMlpSpecDeclaringHugeLayersIsRefusedByItsSize() throws IOException {
    byte[] forged = forge(out -> {
      out.writeInt(OnlineLearner.MAGIC);
      out.writeInt(OnlineLearner.FORMAT_VERSION);
      string(out, "{\"algorithm\":\"mlp\",\"inputDim\":4,\"numClasses\":2,\"layers\":[{\"units\":2000000000}]}");
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("model spec inputDim 4, numClasses 2, hidden layers [2000000000] weights: expected at most 0 "
            + "(4 bytes each in the 0 bytes that remain), got ");
  }

  @Test
  void aStringLongerThanTheBytesLeftIsRefusedBeforeItIsRead() throws IOException {
    byte[] forged = forge(out -> {
      out.writeInt(OnlineLearner.MAGIC);
      out.writeInt(OnlineLearner.FORMAT_VERSION);
      out.writeInt(1_000_000);
      out.writeBytes("{}");
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("model spec: expected a string of at most the 2 bytes that remain, stream says 1000000");
  }

  @Test
  void aHugeMaxAnnotatorsIsRefusedByTheBytesLeft() throws IOException {
    byte[] forged = forge(out -> {
      labelModelHeader(out, "dawid-skene");
      out.writeInt(Integer.MAX_VALUE - 8);
      out.writeInt(0);
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("annotator registry maxAnnotators (a confusion matrix of 8 bytes or more follows for each): "
            + "expected at most 0 (8 bytes each in the 4 bytes that remain), got 2147483639");
  }

  @Test
  void confusionEstimatesDeclaringHugeMatricesAreRefusedByTheBytesLeft() throws IOException {
    byte[] forged = forge(out -> {
      labelModelHeader(out, "dawid-skene");
      out.writeInt(1);
      out.writeInt(0);
      out.writeInt(40_000);
      out.writeInt(1);
      out.writeDouble(0.7);
      out.writeDouble(2);
      out.writeDouble(1e-3);
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("confusion estimates numClasses 40000, maxAnnotators 1 values: expected at most 0 (8 bytes each in "
            + "the 0 bytes that remain), got 1600080000");
  }

  @Test
  void aHistoryDeclaringHugeItemsIsRefusedByTheBytesLeft() throws IOException {
    byte[] forged = forge(out -> {
      labelModelHeader(out, "dawid-skene");
      smallRegistryAndEstimates(out);
      out.writeBoolean(true);
      out.writeInt(1);
      out.writeLong(1);
      out.writeInt(Integer.MAX_VALUE - 8);
      out.writeLong(0);
      out.writeLong(0);
      out.writeInt(1);
      out.writeLong(7);
      out.writeLong(0);
      out.writeInt(Integer.MAX_VALUE - 8);
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("item label history labels of item 7: expected at most 0 (8 bytes each in the 0 bytes that "
            + "remain), got 2147483639");
  }

  @Test
  void aHistoryWithAHugeBoundButFewLabelsAllocatesOnlyWhatItHolds() throws IOException {
    byte[] forged = forge(out -> {
      labelModelHeader(out, "dawid-skene");
      smallRegistryAndEstimates(out);
      out.writeBoolean(true);
      out.writeInt(1_000_000);
      out.writeLong(1_000_000);
      out.writeInt(Integer.MAX_VALUE - 8);
      out.writeLong(0);
      out.writeLong(0);
      out.writeInt(200);
      for (int item = 0; item < 200; item++) {
        out.writeLong(item);
        out.writeLong(0);
        out.writeInt(1);
        out.writeInt(0);
        out.writeInt(1);
      }
    });
    // The bytes then end where the learner should start: reading got past 200 items declaring room for 2^31
    // labels each, which only works if each item holds just the label it has.
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
  }

  @Test
  void aDoctorNetDeclaringHugeHeadsIsRefused() throws IOException {
    byte[] forged = forge(out -> {
      labelModelHeader(out, "doctor-net");
      smallRegistryAndEstimates(out);
      string(out, SMALL_SPEC);
      out.writeInt(Integer.MAX_VALUE - 8);
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("doctor net maxHeads: expected the registry's maxAnnotators 1, got 2147483639");
  }

  @Test
  void aDoctorNetSpecDeclaringHugeDimensionsIsRefusedByItsSize() throws IOException {
    byte[] forged = forge(out -> {
      labelModelHeader(out, "doctor-net");
      smallRegistryAndEstimates(out);
      string(out, "{\"algorithm\":\"mlp\",\"inputDim\":1000000,\"numClasses\":2,\"standardize\":false,"
          + "\"layers\":[{\"units\":1000}]}");
      out.writeInt(1);
    });
    assertThatThrownBy(() -> SavedModels.read(forged))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("doctor net spec inputDim 1000000, numClasses 2, hidden layers [1000] weights: expected at most 0 "
            + "(4 bytes each in the 0 bytes that remain), got 1000000000");
  }

  @Test
  void realSavedModelsOfEveryKindStillRoundTrip() {
    ModelSpec mlp = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":3,\"numClasses\":2,"
        + "\"layers\":[{\"units\":4,\"batchNorm\":true,\"dropout\":0.1}]}");
    OnlineLearner learner = OnlineLearner.create(mlp);
    assertThat(SavedModels.read(learner.toBytes()).toBytes()).isEqualTo(learner.toBytes());
    ModelSpec softmax = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":3,\"numClasses\":3}");
    for (String method : LabelModels.NAMES) {
      LabelModel model = LabelModels.create(softmax, LabelModelSpec.withMaxAnnotators(method, 5));
      assertThat(SavedModels.read(model.toBytes()).toBytes()).as(method).isEqualTo(model.toBytes());
    }
  }
}
