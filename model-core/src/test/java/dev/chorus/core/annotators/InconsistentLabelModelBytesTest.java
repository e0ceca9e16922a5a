package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.core.testing.GaussianBlobs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A label model's parts are read one after another and each is well formed alone; bytes whose parts disagree (a
 * saved model spliced by hand, or corrupted) are refused when read, not when the model next trains and indexes one
 * part by another.
 */
class InconsistentLabelModelBytesTest {

  static final int K = 3;
  static final int DIM = 4;
  static final int SLOTS = 4;

  /** A trained Dawid–Skene model that remembers its items' labels. */
  static ClassifierLabelModel trained() {
    ModelSpec spec = ModelSpec.softmaxRegression(DIM, K).withSeed(3);
    ClassifierLabelModel model = (ClassifierLabelModel) LabelModels.create(spec,
        LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME, SLOTS));
    GaussianBlobs data = GaussianBlobs.generate(200, DIM, K, 5);
    List<SimulatedAnnotator> people = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      people.add(new SimulatedAnnotator("a" + i, "expert", AnnotatorPool.uniformErrors(K, 0.8)));
    }
    AnnotatorPool pool = new AnnotatorPool(people);
    LabelStream stream = pool.label(data.labels(), new int[] {2}, 9);
    LabelEvents.train(model, data, pool, stream, 0, stream.size(), 16);
    return model;
  }

  /** The model's bytes as its own writer lays them out, with {@code estimates} and {@code history} in its parts'. */
  static byte[] spliced(ClassifierLabelModel model, ConfusionEstimates estimates, ItemLabelHistory history)
      throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    LabelModels.writeHeader(out, model.name());
    model.registry.writeTo(out);
    estimates.writeTo(out);
    estimates.writeSharedLabels(out);
    out.writeBoolean(history != null);
    if (history != null) {
      history.writeTo(out);
    }
    model.learner.writeTo(out);
    model.writeAfterClassifier(out);
    return bytes.toByteArray();
  }

  static LabelModel read(byte[] bytes) throws IOException {
    return LabelModels.readFrom(new DataInputStream(new ByteArrayInputStream(bytes)));
  }

  @Test
  void theModelsOwnPartsReadBack() throws IOException {
    ClassifierLabelModel model = trained();
    assertThat(model.history()).isNotNull();
    assertThat(read(spliced(model, model.estimates, model.history())).annotatorCount()).isEqualTo(3);
  }

  @Test
  void confusionsOverOtherClassesOrSlotsAreRefused() {
    ClassifierLabelModel model = trained();
    assertThatThrownBy(() -> read(spliced(model, new ConfusionEstimates(2, SLOTS), model.history())))
        .isInstanceOf(IOException.class)
        .hasMessage("label model: expected confusions over the spec's 3 classes, stream has 2");
    assertThatThrownBy(() -> read(spliced(model, new ConfusionEstimates(K, 1), model.history())))
        .isInstanceOf(IOException.class)
        .hasMessage("label model: expected confusions for the registry's 4 annotator slots, stream has 1");
  }

  @Test
  void aRememberedLabelOrSlotOutOfRangeIsRefused() {
    ClassifierLabelModel model = trained();
    ItemLabelHistory label = new ItemLabelHistory(10, 100, 3);
    label.add(1L, 0, K);
    assertThatThrownBy(() -> read(spliced(model, model.estimates, label)))
        .isInstanceOf(IOException.class)
        .hasMessage("item label history: item 1: expected labels in [0, 3), got 3");
    ItemLabelHistory slot = new ItemLabelHistory(10, 100, 3);
    slot.add(7L, SLOTS, 0);
    assertThatThrownBy(() -> read(spliced(model, model.estimates, slot)))
        .isInstanceOf(IOException.class)
        .hasMessage("item label history: item 7: expected annotator slots in [0, 3), got 4");
  }

  /**
   * The registry holds 3 of its 4 slots: a label remembered for the fourth names no annotator, and the item's
   * consensus would look its id up past the registry's end.
   */
  @Test
  void aRememberedLabelOfASlotNoAnnotatorHoldsIsRefused() {
    ClassifierLabelModel model = trained();
    assertThat(model.annotatorCount()).isEqualTo(3);
    ItemLabelHistory free = new ItemLabelHistory(10, 100, 3);
    free.add(5L, 3, 0);
    assertThatThrownBy(() -> read(spliced(model, model.estimates, free)))
        .isInstanceOf(IOException.class)
        .hasMessage("item label history: item 5: expected annotator slots in [0, 3), got 3");
  }

  /**
   * A Doctor Net's bytes as its own writer lays them out, with {@code registry} in its registry's place and the item
   * history a snapshot writes (empty).
   */
  static byte[] splicedNet(DoctorNetModel model, AnnotatorRegistry registry) {
    return BinaryState.toBytes(out -> {
      LabelModels.writeHeader(out, model.name());
      registry.writeTo(out);
      model.estimates.writeTo(out);
      model.writeHistory(out, true);
      model.net.writeTo(out);
      model.writeAfterNet(out);
    });
  }

  /** A registry of {@code model}'s bounds holding {@code ids}. */
  static AnnotatorRegistry registryOf(DoctorNetModel model, String... ids) {
    AnnotatorRegistry registry = new AnnotatorRegistry(model.registry.maxAnnotators(),
        model.registry.protectedLabels());
    for (String id : ids) {
      registry.register(id);
    }
    return registry;
  }

  /**
   * Each annotator a Doctor Net has registered has its head, and no head is without an annotator; a weighted one
   * indexes its averaging weights, one per registered annotator, by head. Bytes whose network has more heads than
   * the registry annotators would read, then fail every prediction (a serve job restarting on them for good); fewer,
   * and the heads of the registry's last annotators are missing when their items next train.
   */
  @ParameterizedTest
  @ValueSource(strings = {DoctorNetLabelModel.NAME, WeightedDoctorNetLabelModel.NAME,
      WeightedDoctorNetPaperLabelModel.NAME})
  void aDoctorNetWhoseHeadsAreNotItsAnnotatorsIsRefused(String method) {
    DoctorNetModel model = (DoctorNetModel) SavedLabelModelFixtures.build(method);
    assertThat(model.annotatorIds()).containsExactly("a", "b", "c");
    float[] x = {0.5f, -1f, 2f, 0f};
    float[] p = new float[K];
    SavedModels.read(splicedNet(model, model.registry)).predictProba(x, 0, p);
    byte[] oneAnnotator = splicedNet(model, registryOf(model, "a"));
    assertThatThrownBy(() -> SavedModels.read(oneAnnotator).predictProba(x, 0, p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label model: expected a head for each of the registry's 1 annotators, stream has 3 heads");
    byte[] fourAnnotators = splicedNet(model, registryOf(model, "a", "b", "c", "d"));
    assertThatThrownBy(() -> SavedModels.read(fourAnnotators).predictProba(x, 0, p))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("label model: expected a head for each of the registry's 4 annotators, stream has 3 heads");
  }
}
