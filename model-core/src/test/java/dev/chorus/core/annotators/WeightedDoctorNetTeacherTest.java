package dev.chorus.core.annotators;

import static dev.chorus.core.annotators.DawidSkeneTeacherTest.BATCH;
import static dev.chorus.core.annotators.DawidSkeneTeacherTest.DATA;
import static dev.chorus.core.annotators.DawidSkeneTeacherTest.DIM;
import static dev.chorus.core.annotators.DawidSkeneTeacherTest.K;
import static dev.chorus.core.annotators.DawidSkeneTeacherTest.SPEC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * The weighted Doctor Net's E-step, and a lone label's head prior, read an average of its body and heads
 * ({@link WeightedDoctorNetLabelModel#TEACHER}), as Dawid–Skene's read its classifier's ({@link DawidSkeneTeacherTest}):
 * once the warm-up is over, two models that differ only in that average take different steps on the same label
 * events, while the model predicts with its live body and heads.
 */
class WeightedDoctorNetTeacherTest {

  /** {@code labelsPerItem} labels of a 30%-corrupting annotator pool per item, past the warm-up. */
  private static void trainsAgainstTheAverage(int labelsPerItem) {
    AnnotatorPool pool = AnnotatorPool.corruption(K, 0.3);
    LabelStream stream = pool.label(DATA.labels(), new int[] {labelsPerItem}, 9);
    WeightedDoctorNetLabelModel model = (WeightedDoctorNetLabelModel) LabelModels.create(SPEC,
        LabelModelSpec.withMaxAnnotators(WeightedDoctorNetLabelModel.NAME, 4));
    int warm = (int) DawidSkeneLabelModel.WARMUP_EXAMPLES + BATCH;
    LabelEvents.train(model, DATA, pool, stream, 0, warm, BATCH);
    assertThat(model.examplesSeen()).isGreaterThan(DawidSkeneLabelModel.WARMUP_EXAMPLES);

    WeightedDoctorNetLabelModel same = model.copy();
    WeightedDoctorNetLabelModel live = model.copy();
    // The same model but for its average, which now holds the live weights.
    live.net.restartAverage();
    for (WeightedDoctorNetLabelModel m : new WeightedDoctorNetLabelModel[] {model, same, live}) {
      LabelEvents.train(m, DATA, pool, stream, warm, warm + BATCH, BATCH);
    }
    assertThat(BinaryState.toBytes(same::writeTo)).as("a copy takes the same step").isEqualTo(
        BinaryState.toBytes(model::writeTo));
    assertThat(BinaryState.toBytes(live.estimates::writeTo)).as("confusions moved against the average's view")
        .isNotEqualTo(BinaryState.toBytes(model.estimates::writeTo));
    assertThat(BinaryState.toBytes(live.net.body.parameters()::writeValues))
        .as("the body trained towards the average's posteriors")
        .isNotEqualTo(BinaryState.toBytes(model.net.body.parameters()::writeValues));

    DoctorNetView teacher = model.net.teacher();
    assertThat(model.net.serving()).isSameAs(model.net.live());
    float[] fromLive = new float[K];
    float[] fromTeacher = new float[K];
    int differ = 0;
    for (int row = 0; row < 20; row++) {
      model.net.live().headProba(0, model.net.live().features(DATA.x(), row * DIM), fromLive);
      teacher.headProba(0, teacher.features(DATA.x(), row * DIM), fromTeacher);
      differ += Arrays.equals(fromLive, fromTeacher) ? 0 : 1;
    }
    assertThat(differ).as("the average is not the live network").isEqualTo(20);
  }

  @Test
  void itemsWithSeveralLabelsTakeTheirPriorFromTheAverage() {
    trainsAgainstTheAverage(3);
  }

  /** Every item has one label: only the lone-label path reads the teacher. */
  @Test
  void aLoneLabelsHeadPriorComesFromTheAverage() {
    trainsAgainstTheAverage(1);
  }
}
