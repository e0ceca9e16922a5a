package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.ParameterAverage;
import dev.chorus.core.testing.GaussianBlobs;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link OnlineLearner#keepTeacher}: an average of the weights that its owner reads ({@link OnlineLearner#teacherModel})
 * and nothing else does. The learner trains, predicts and saves exactly as without it; the average follows
 * {@link ParameterAverage}'s recurrence, with the live running statistics; copies carry it, and its owner saves and
 * restores it bit for bit. A spec that averages already has its teacher: its serving average.
 */
class TeacherAverageTest {

  private static final int DIM = 6;
  private static final int BATCH = 16;
  private static final GaussianBlobs DATA = GaussianBlobs.generate(40 * BATCH, DIM, 3, 5);
  private static final String MLP = "{\"algorithm\":\"mlp\",\"inputDim\":6,\"numClasses\":3,"
      + "\"layers\":[{\"units\":8,\"activation\":\"relu\",\"batchNorm\":true}],"
      + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},\"standardize\":true,\"seed\":3";
  private static final AveragingSpec TEACHER = new AveragingSpec(0.9);

  @Test
  void theLearnerTrainsPredictsAndSavesAsWithoutTheTeacherWhichFollowsTheRecurrence() {
    OnlineLearner taught = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    taught.keepTeacher(TEACHER);
    OnlineLearner plain = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    ReferenceAverage expected = new ReferenceAverage(plain.network().parameters(), 0.9);
    for (int step = 1; step <= 30; step++) {
      train(taught, step - 1);
      train(plain, step - 1);
      expected.step(step);
    }
    assertThat(BinaryState.toBytes(taught::writeTo)).as("trains and saves as without the teacher")
        .isEqualTo(BinaryState.toBytes(plain::writeTo));
    assertThat(predictions(taught.servingModel())).as("predicts from the live weights")
        .isEqualTo(predictions(plain.model()));
    expected.assertMatches(taught.teacherModel().network().parameters());
    assertThat(predictions(taught.teacherModel())).as("the teacher is not the live model")
        .isNotEqualTo(predictions(plain.model()));
    assertThat(taught.teacherModel().network().runningStatistics().get(0))
        .as("the live batch-norm statistics").isEqualTo(plain.network().runningStatistics().get(0));
  }

  @Test
  void copiesCarryTheTeacherAndItsOwnerRestoresItBitForBit() throws IOException {
    OnlineLearner taught = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    taught.keepTeacher(TEACHER);
    for (int batch = 0; batch < 12; batch++) {
      train(taught, batch);
    }
    OnlineLearner copy = taught.copy();
    assertThat(predictions(copy.teacherModel())).isEqualTo(predictions(taught.teacherModel()));

    byte[] learner = BinaryState.toBytes(taught::writeTo);
    byte[] teacher = BinaryState.toBytes(taught::writeTeacher);
    OnlineLearner restored = OnlineLearner.fromBytes(learner);
    restored.keepTeacher(TEACHER);
    assertThat(predictions(restored.teacherModel())).as("a kept teacher starts at the live weights")
        .isEqualTo(predictions(restored.model()));
    restored.readTeacher(new DataInputStream(new ByteArrayInputStream(teacher)));
    assertThat(predictions(restored.teacherModel())).isEqualTo(predictions(taught.teacherModel()));
    for (int batch = 12; batch < 30; batch++) {
      train(taught, batch);
      train(restored, batch);
      train(copy, batch);
    }
    assertThat(BinaryState.toBytes(restored::writeTeacher)).as("restored, trains on identically")
        .isEqualTo(BinaryState.toBytes(taught::writeTeacher));
    assertThat(BinaryState.toBytes(copy::writeTeacher)).as("the copy's teacher is its own and moves identically")
        .isEqualTo(BinaryState.toBytes(taught::writeTeacher));
  }

  @Test
  void aSpecThatAveragesTeachesWithItsAverageAndALearnerWithoutATeacherWithItsLiveWeights() {
    OnlineLearner averaged = OnlineLearner.create(ModelSpec.parse(MLP + ",\"averaging\":{\"decay\":0.99}}"));
    averaged.keepTeacher(TEACHER);
    assertThat(averaged.teacherModel()).isSameAs(averaged.servingModel());
    assertThat(BinaryState.toBytes(averaged::writeTeacher)).as("nothing of its own to save").isEmpty();
    OnlineLearner plain = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    assertThat(plain.teacherModel()).isSameAs(plain.model());
  }

  @Test
  void aWarmStartRestartsTheTeacherAtTheLoadedWeights() {
    OnlineLearner taught = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    taught.keepTeacher(TEACHER);
    for (int batch = 0; batch < 12; batch++) {
      train(taught, batch);
    }
    assertThat(predictions(taught.teacherModel())).isNotEqualTo(predictions(taught.model()));
    taught.restartAverage();
    assertThat(predictions(taught.teacherModel())).isEqualTo(predictions(taught.model()));
  }

  private static float[] predictions(TrainedModel model) {
    float[] out = new float[8 * 3];
    model.predictProbaBatch(DATA.x(), 8, out);
    return out;
  }

  private static void train(OnlineLearner learner, int batch) {
    int from = (batch % 40) * BATCH;
    learner.trainMinibatch(Arrays.copyOfRange(DATA.x(), from * DIM, (from + BATCH) * DIM),
        Arrays.copyOfRange(DATA.labels(), from, from + BATCH), null, BATCH);
  }
}
