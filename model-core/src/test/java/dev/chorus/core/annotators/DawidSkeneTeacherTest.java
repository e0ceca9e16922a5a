package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.testing.GaussianBlobs;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/**
 * Dawid–Skene's E-step reads an average of its classifier's weights ({@link DawidSkeneLabelModel#TEACHER}), a mean
 * teacher: once the warm-up is over, two models that differ only in that average take different steps on the same
 * label events, while the model predicts with its live classifier.
 */
class DawidSkeneTeacherTest {

  static final int DIM = 5;
  static final int K = 3;
  static final int BATCH = 64;
  static final GaussianBlobs DATA = GaussianBlobs.generate(2600, DIM, K, 17);
  static final ModelSpec SPEC = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":5,\"numClasses\":3,"
      + "\"layers\":[{\"units\":6,\"activation\":\"tanh\"}],\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},"
      + "\"seed\":4}");

  @Test
  void afterTheWarmUpTheEStepReadsTheClassifiersAverageAndPredictionsTheLiveClassifier() throws IOException {
    AnnotatorPool pool = AnnotatorPool.corruption(K, 0.3);
    LabelStream stream = pool.label(DATA.labels(), new int[] {1}, 9);
    DawidSkeneLabelModel model = (DawidSkeneLabelModel) LabelModels.create(SPEC,
        LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME, 4));
    int warm = (int) DawidSkeneLabelModel.WARMUP_EXAMPLES + BATCH;
    LabelEvents.train(model, DATA, pool, stream, 0, warm, BATCH);
    assertThat(model.examplesSeen()).isGreaterThan(DawidSkeneLabelModel.WARMUP_EXAMPLES);

    DawidSkeneLabelModel same = model.copy();
    DawidSkeneLabelModel live = model.copy();
    // The same model but for its average, which now holds the live weights.
    live.learner().readTeacher(new DataInputStream(new ByteArrayInputStream(
        BinaryState.toBytes(live.learner().network().parameters()::writeValues))));
    for (DawidSkeneLabelModel m : new DawidSkeneLabelModel[] {model, same, live}) {
      LabelEvents.train(m, DATA, pool, stream, warm, warm + BATCH, BATCH);
    }
    assertThat(BinaryState.toBytes(same::writeTo)).as("a copy takes the same step").isEqualTo(
        BinaryState.toBytes(model::writeTo));
    assertThat(BinaryState.toBytes(live.estimates()::writeTo)).as("confusions moved against the average's view")
        .isNotEqualTo(BinaryState.toBytes(model.estimates()::writeTo));
    assertThat(BinaryState.toBytes(live.learner().network().parameters()::writeValues))
        .as("the classifier trained towards the average's posteriors")
        .isNotEqualTo(BinaryState.toBytes(model.learner().network().parameters()::writeValues));

    float[] predicted = new float[K];
    float[] fromLive = new float[K];
    float[] fromTeacher = new float[K];
    int differ = 0;
    for (int row = 0; row < 20; row++) {
      model.predictProba(DATA.x(), row * DIM, predicted);
      model.learner().model().predictProba(DATA.x(), row * DIM, fromLive);
      model.learner().teacherModel().predictProba(DATA.x(), row * DIM, fromTeacher);
      assertThat(predicted).isEqualTo(fromLive);
      differ += java.util.Arrays.equals(fromLive, fromTeacher) ? 0 : 1;
    }
    assertThat(differ).as("the average is not the live classifier").isEqualTo(20);
  }
}
