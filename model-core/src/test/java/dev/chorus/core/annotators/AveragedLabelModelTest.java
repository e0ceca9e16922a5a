package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.optim.AveragingSpec;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A label model whose classifier averages its weights: what it predicts (and so what is evaluated and served) is the
 * averaged classifier's, and what training reads is the live classifier's, so annotators' confusions and the live
 * weights are those of the same label model without averaging, bit for bit. Dawid–Skene's E-step is the exception
 * after its warm-up (which these streams do not leave): it reads an average of the classifier in any case, the spec's
 * when there is one ({@link DawidSkeneTeacherTest}). The Doctor Net family's averaged body and heads:
 * {@link AveragedDoctorNetTest}.
 */
class AveragedLabelModelTest {

  /** The data and spec {@link AveragedDoctorNetTest} shares. */
  static final int DIM = 6;
  static final int K = 3;
  static final int BATCH = 32;
  static final GaussianBlobs DATA = GaussianBlobs.generate(300, DIM, K, 23);
  static final ModelSpec SPEC = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":6,\"numClasses\":3,"
      + "\"layers\":[{\"units\":5,\"activation\":\"relu\"}],\"optimizer\":{\"type\":\"adam\",\"learningRate\":0.05},"
      + "\"seed\":3}");

  static Stream<String> classifierMethods() {
    return LabelModels.NAMES.stream().filter(m -> LabelModels.create(SPEC, config(m)) instanceof ClassifierLabelModel);
  }

  private static LabelModelSpec config(String method) {
    return new LabelModelSpec(method, 8, 40, 400, 3);
  }

  @ParameterizedTest
  @MethodSource("classifierMethods")
  void trainingReadsTheLiveClassifierAndPredictionsTheAveragedOne(String method) {
    ClassifierLabelModel averaged = (ClassifierLabelModel) LabelModels.create(
        SPEC.withAveraging(new AveragingSpec(0.9)), config(method));
    ClassifierLabelModel plain = (ClassifierLabelModel) LabelModels.create(SPEC, config(method));
    AnnotatorPool pool = AnnotatorPool.corruption(K, 0.3);
    LabelStream stream = pool.label(DATA.labels(), new int[] {3}, 5);
    LabelEvents.train(averaged, DATA, pool, stream, 0, stream.size(), BATCH);
    LabelEvents.train(plain, DATA, pool, stream, 0, stream.size(), BATCH);
    assertThat(BinaryState.toBytes(averaged.estimates()::writeTo)).as("confusions from the live predictions")
        .isEqualTo(BinaryState.toBytes(plain.estimates()::writeTo));
    assertThat(BinaryState.toBytes(averaged.learner().network().parameters()::writeValues)).as("live weights")
        .isEqualTo(BinaryState.toBytes(plain.learner().network().parameters()::writeValues));

    float[] predicted = new float[K];
    float[] fromAverage = new float[K];
    float[] fromLive = new float[K];
    int differ = 0;
    for (int row = 0; row < 20; row++) {
      averaged.predictProba(DATA.x(), row * DIM, predicted);
      averaged.learner().servingModel().predictProba(DATA.x(), row * DIM, fromAverage);
      plain.predictProba(DATA.x(), row * DIM, fromLive);
      assertThat(predicted).isEqualTo(fromAverage);
      differ += Arrays.equals(predicted, fromLive) ? 0 : 1;
    }
    assertThat(differ).as("predictions from the average, not the live weights").isEqualTo(20);
  }
}
