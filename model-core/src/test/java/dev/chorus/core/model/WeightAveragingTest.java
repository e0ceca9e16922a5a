package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.optim.ParameterAverage;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A spec's {@code averaging}: the learner trains its live weights exactly as without it, keeps an exponential moving
 * average of them with TensorFlow's warm-up decay, predicts from the average with the live running statistics, and
 * saves and restores the average bit for bit. Without it, nothing changes.
 */
class WeightAveragingTest {

  private static final int DIM = 6;
  private static final int BATCH = 16;
  private static final GaussianBlobs DATA = GaussianBlobs.generate(40 * BATCH, DIM, 3, 5);
  private static final String MLP = "{\"algorithm\":\"mlp\",\"inputDim\":6,\"numClasses\":3,"
      + "\"layers\":[{\"units\":8,\"activation\":\"relu\",\"batchNorm\":true,\"dropout\":0.25}],"
      + "\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},\"seed\":3";
  private static final String AVERAGED = MLP + ",\"averaging\":{\"decay\":0.9}}";

  @Test
  void theDecayWarmsUpLikeTensorFlowsNumUpdatesThenStaysAtTheSetting() {
    assertThat(ParameterAverage.decayAt(0.99, 1)).isEqualTo(2.0 / 11);
    assertThat(ParameterAverage.decayAt(0.99, 10)).isEqualTo(11.0 / 20);
    assertThat(ParameterAverage.decayAt(0.99, 891)).isEqualTo(0.99);
    assertThat(ParameterAverage.decayAt(0.9, 81)).isEqualTo(0.9);
  }

  @Test
  void liveWeightsTrainAsWithoutAveragingAndTheAverageFollowsTheRecurrence() {
    OnlineLearner averaged = OnlineLearner.create(ModelSpec.parse(AVERAGED));
    OnlineLearner plain = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    ParameterSet live = plain.network().parameters();
    ReferenceAverage expected = new ReferenceAverage(live, 0.9);
    for (int step = 1; step <= 30; step++) {
      train(averaged, step - 1);
      train(plain, step - 1);
      expected.step(step);
    }
    assertThat(averaged.model().network().parameters().get(0).value().data())
        .as("training reads the live weights only").isEqualTo(live.get(0).value().data());
    expected.assertMatches(averaged.servingModel().network().parameters());
    assertThat(averaged.servingModel().network().runningStatistics()).as("batch norm's statistics are the live ones")
        .containsExactlyElementsOf(averaged.model().network().runningStatistics());
    assertThat(averaged.servingModel().steps()).isEqualTo(30);
    assertThat(averaged.servingModel().examplesSeen()).isEqualTo(30L * BATCH);
  }

  @Test
  void predictionsComeFromTheAverageAndTrainingFromTheLiveWeights() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(AVERAGED));
    for (int b = 0; b < 20; b++) {
      train(learner, b);
    }
    float[] fromLearner = new float[BATCH * 3];
    float[] fromAverage = new float[BATCH * 3];
    float[] fromLive = new float[BATCH * 3];
    learner.predictProbaBatch(DATA.x(), BATCH, fromLearner);
    learner.servingModel().predictProbaBatch(DATA.x(), BATCH, fromAverage);
    learner.model().predictProbaBatch(DATA.x(), BATCH, fromLive);
    assertThat(fromLearner).isEqualTo(fromAverage).isNotEqualTo(fromLive);
    float[] one = new float[3];
    learner.predictProba(DATA.x(), DIM, one);
    assertThat(one).isEqualTo(Arrays.copyOfRange(fromAverage, 3, 6));
    assertThat(learner.predict(DATA.x(), DIM)).isEqualTo(learner.servingModel().predict(DATA.x(), DIM));
  }

  @Test
  void withoutAveragingTheServingModelIsTheModel() {
    OnlineLearner learner = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    assertThat(learner.servingModel()).isSameAs(learner.model());
    OnlineLearner copy = learner.copy();
    assertThat(copy.servingModel()).isSameAs(copy.model());
  }

  @Test
  void aSavedAverageRestoresExactlyAndTrainsOnIdentically() {
    OnlineLearner original = OnlineLearner.create(ModelSpec.parse(AVERAGED));
    for (int b = 0; b < 12; b++) {
      train(original, b);
    }
    byte[] saved = original.toBytes();
    OnlineLearner restored = OnlineLearner.fromBytes(saved);
    assertThat(restored.toBytes()).isEqualTo(saved);
    OnlineLearner copy = original.copy();
    for (int b = 12; b < 24; b++) {
      train(original, b);
      train(restored, b);
      train(copy, b);
    }
    float[] expected = new float[BATCH * 3];
    float[] actual = new float[BATCH * 3];
    float[] copied = new float[BATCH * 3];
    original.predictProbaBatch(DATA.x(), BATCH, expected);
    restored.predictProbaBatch(DATA.x(), BATCH, actual);
    copy.predictProbaBatch(DATA.x(), BATCH, copied);
    assertThat(actual).isEqualTo(expected);
    assertThat(copied).isEqualTo(expected);
    assertThat(restored.toBytes()).isEqualTo(original.toBytes());
  }

  @Test
  void aWarmStartRestartsTheAverageAtTheLoadedWeights() {
    OnlineLearner source = OnlineLearner.create(ModelSpec.parse(MLP + "}"));
    for (int b = 0; b < 10; b++) {
      train(source, b);
    }
    OnlineLearner started = LearnerWarmStart.start(ModelSpec.parse(AVERAGED), source.toBytes(), false);
    float[] expected = new float[BATCH * 3];
    float[] actual = new float[BATCH * 3];
    source.predictProbaBatch(DATA.x(), BATCH, expected);
    started.predictProbaBatch(DATA.x(), BATCH, actual);
    assertThat(actual).isEqualTo(expected);
  }

  @Test
  void theSpecCarriesAveragingThroughJsonAndLeavesItOutWhenAbsent() {
    ModelSpec spec = ModelSpec.parse(AVERAGED);
    assertThat(spec.averaging()).isEqualTo(new AveragingSpec(0.9));
    assertThat(spec.toJson()).endsWith(",\"seed\":3,\"averaging\":{\"decay\":0.9}}");
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec);
    ModelSpec plain = ModelSpec.parse(MLP + "}");
    assertThat(plain.averaging()).isNull();
    assertThat(plain.toJson()).doesNotContain("averaging").endsWith(",\"seed\":3}");
    assertThat(plain.withAveraging(new AveragingSpec(0.9))).isEqualTo(spec);
    assertThat(spec.withAveraging(null)).isEqualTo(plain);
  }

  @Test
  void aBadAveragingIsRefusedNamingTheKeyTheExpectedAndTheActualValue() {
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(MLP + ",\"averaging\":{\"decay\":1}}"))
        .withMessage("ModelSpec key 'averaging.decay': expected a number in (0, 1), got 1.0");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(MLP + ",\"averaging\":{\"decay\":0}}"))
        .withMessage("ModelSpec key 'averaging.decay': expected a number in (0, 1), got 0.0");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(MLP + ",\"averaging\":{}}"))
        .withMessage("ModelSpec key 'averaging.decay': expected a number, got nothing (key missing)");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse(MLP + ",\"averaging\":0.99}"))
        .withMessage("ModelSpec key 'averaging': expected an object like {\"decay\":0.99}, got 0.99");
    assertThatIllegalArgumentException().isThrownBy(
            () -> ModelSpec.parse(MLP + ",\"averaging\":{\"decay\":0.9,\"start\":5}}"))
        .withMessageContaining("unknown key 'averaging.start'");
  }

  @Test
  void modelsThatAreNotDenseLearnersRefuseAveraging() {
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":10},"
            + "\"standardize\":false,"
            + "\"optimizer\":{\"type\":\"ftrl\"},\"averaging\":{\"decay\":0.99}}"))
        .withMessage("ModelSpec key 'averaging': expected none with hashing (only dense models average their "
            + "weights), got {\"decay\":0.99}");
    assertThatIllegalArgumentException().isThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"skip-gram\","
            + "\"skipGram\":{},\"averaging\":{\"decay\":0.99}}"))
        .withMessageContaining("key 'averaging': expected none for algorithm \"skip-gram\"");
  }

  private static void train(OnlineLearner learner, int batch) {
    int from = (batch % 40) * BATCH;
    learner.trainMinibatch(Arrays.copyOfRange(DATA.x(), from * DIM, (from + BATCH) * DIM),
        Arrays.copyOfRange(DATA.labels(), from, from + BATCH), null, BATCH);
  }
}
