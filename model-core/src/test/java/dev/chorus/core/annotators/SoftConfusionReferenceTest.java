package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Naive, majority, soft and Doctor Net estimate an annotator's confusion from the model's soft prediction for the
 * item, not from its argmax: one label moves every row of the confusion by that row's share of the prediction
 * ({@link ConfusionEstimates#mStep}), where a one-hot argmax would move a single row and leave the others at the prior.
 */
class SoftConfusionReferenceTest {

  private static final int K = 4;
  private static final int DIM = 6;

  @ParameterizedTest
  @ValueSource(strings = {NaiveLabelModel.NAME, MajorityLabelModel.NAME, SoftLabelModel.NAME, DoctorNetLabelModel.NAME})
  void oneLabelMovesEveryRowByItsShareOfThePrediction(String name) {
    ModelSpec spec = ModelSpec.softmaxRegression(DIM, K).withSeed(11);
    LabelModel model = LabelModels.create(spec, LabelModelSpec.withMaxAnnotators(name, 3));
    float[] x = {0.9f, -1.2f, 0.4f, 2.0f, -0.3f, 0.7f};
    float[] predicted = new float[K];
    model.predictProba(x, 0, predicted);
    int label = 2;
    model.train(x, new long[] {7}, new String[] {"ann"}, new int[] {label}, 1);

    double[][] prior = new ConfusionEstimates(K, 1).matrix(0);
    double[] expected = new double[K * K];
    for (int c = 0; c < K; c++) {
      System.arraycopy(prior[c], 0, expected, c * K, K);
    }
    ConfusionEstimates.mStep(expected, 0, new double[K], 0, K, label, predicted,
        ConfusionEstimates.DEFAULT_PRIOR_COUNT, ConfusionEstimates.DEFAULT_MIN_STEP);
    double[][] learned = model.annotator("ann").confusion();
    // Doctor Net adds the annotator's head before predicting, so its prediction is only known from inside.
    boolean exact = !name.equals(DoctorNetLabelModel.NAME);
    for (int c = 0; c < K; c++) {
      for (int j = 0; j < K && exact; j++) {
        assertThat(learned[c][j]).as("row %d, label %d", c, j).isCloseTo(expected[c * K + j], within(1e-6));
      }
      assertThat(learned[c][label]).as("row %d moved towards the label", c).isGreaterThan(prior[c][label]);
      assertThat(learned[c][label]).as("row %d moved by a share, not all of one step", c)
          .isLessThan(prior[c][label] + (1 - prior[c][label]) / (1 + ConfusionEstimates.DEFAULT_PRIOR_COUNT));
    }
  }
}
