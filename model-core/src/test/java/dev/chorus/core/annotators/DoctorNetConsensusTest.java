package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Doctor Net and the paper's Weighted Doctor Net remember each item's labels (format 4) and so publish consensus;
 * models saved before still read, without a history.
 */
class DoctorNetConsensusTest {

  /**
   * Weighted Doctor Net is not rebuilt: since session 9 a new one trains differently (an item's only label leaves its
   * annotator's confusion alone, whose prior diagonal is 0.8), so the builder no longer gives its v3 and v4 bytes; those
   * fixtures still load and predict as saved ({@link SavedLabelModelCompatibilityTest}).
   */
  @ParameterizedTest
  @ValueSource(strings = {"dawid-skene"})
  void theFixtureBuilderRebuildsTheFormat3FixturesButForTheFormatNumberAndTheSharedCounts(String method)
      throws IOException {
    byte[] v3 = resource(method + "-v3.bin");
    ClassifierLabelModel model = (ClassifierLabelModel) SavedLabelModelFixtures.build(method);
    byte[] rebuilt = model.toBytes();
    // Format 5 writes each slot's shared label count (BinaryState.writeDoubles) right after the confusions.
    int counts = dev.chorus.core.io.BinaryState.toBytes(out -> {
      LabelModels.writeHeader(out, method);
      model.registry.writeTo(out);
      model.estimates.writeTo(out);
    }).length;
    int block = Integer.BYTES + model.estimates.maxAnnotators() * Double.BYTES;
    // Format 6 writes the classifier's average, which Dawid–Skene's E-step reads, after the classifier.
    int teacher = dev.chorus.core.io.BinaryState.toBytes(model.learner()::writeTeacher).length;
    byte[] withoutCounts = new byte[rebuilt.length - block - teacher];
    System.arraycopy(rebuilt, 0, withoutCounts, 0, counts);
    System.arraycopy(rebuilt, counts + block, withoutCounts, counts, rebuilt.length - counts - block - teacher);
    withoutCounts[7] = 3;
    assertThat(withoutCounts).isEqualTo(v3);
  }

  @ParameterizedTest
  @ValueSource(strings = {"doctor-net", "weighted-doctor-net-paper"})
  void doctorNetsThatTrainOnEachLabelAlonePublishTheConsensusOfAnItemsLabels(String method) throws IOException {
    LabelModel model = SavedLabelModelFixtures.build(method);
    assertThat(model.history()).isNotNull();
    // Item 1's labels: events 2 and 3, from "c" (class 1 + 1 = 2) and "a" (class 1).
    ItemConsensus consensus = model.consensus(1, null);
    assertThat(consensus).isNotNull();
    assertThat(consensus.labels()).isEqualTo(2);
    assertThat(consensus.annotators()).containsExactly("c", "a");
    double sum = 0;
    for (double p : consensus.posterior()) {
      sum += p;
    }
    assertThat(sum).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-9));

    LabelModel read = LabelModels.fromBytes(model.toBytes());
    assertThat(read.consensus(1, null).posterior()).containsExactly(consensus.posterior());
    assertThat(read.toBytes()).isEqualTo(model.toBytes());
    assertThat(LabelModels.fromBytes(model.toSnapshotBytes()).consensus(1, null))
        .as("a snapshot carries no item history").isNull();
  }

  @Test
  void aDoctorNetSavedInFormat3ReadsWithoutAHistoryAndPredictsTheSame() throws IOException {
    DoctorNetLabelModel model = (DoctorNetLabelModel) SavedLabelModelFixtures.build(DoctorNetLabelModel.NAME);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeInt(LabelModels.MAGIC);
    out.writeInt(3);
    dev.chorus.core.io.BinaryState.writeString(out, DoctorNetLabelModel.NAME);
    model.registry.writeTo(out);
    model.estimates.writeTo(out);
    model.net.writeTo(out);
    out.flush();

    LabelModel read = LabelModels.fromBytes(bytes.toByteArray());
    assertThat(read.history()).isNull();
    assertThat(read.consensus(1, null)).isNull();
    float[] probe = {0.5f, -1f, 2f, 0.25f};
    float[] expected = new float[3];
    float[] actual = new float[3];
    model.predictProba(probe, 0, expected);
    read.predictProba(probe, 0, actual);
    assertThat(actual).containsExactly(expected);
  }

  private byte[] resource(String name) throws IOException {
    try (InputStream in = getClass().getResourceAsStream(name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return in.readAllBytes();
    }
  }
}
