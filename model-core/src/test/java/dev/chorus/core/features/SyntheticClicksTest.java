package dev.chorus.core.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.metrics.ClassificationMetrics;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.tensor.SparseBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyntheticClicksTest {

  private static final HashingSpec HASHING = new HashingSpec(20, SyntheticClicks.FIELDS, List.of());
  /** How far below the true model's held-out AUC one pass of FTRL over 200,000 clicks may stay. */
  private static final double AUC_MARGIN = 0.03;
  private static final double LOG_LOSS_MARGIN = 0.04;

  @Test
  void oneFtrlPassOver200000ClicksComesWithinTheMarginOfTheTrueModelsAucAndLogLoss() {
    SyntheticClicks clicks = SyntheticClicks.seeded(7, HASHING);
    SparseLinearModel model = SparseLinearModel.create(ModelSpec.parse("{\"algorithm\":\"logistic-regression\","
        + "\"numClasses\":2,\"hashing\":" + hashingJson() + ",\"standardize\":false,\"batchSize\":32,"
        + "\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.3,\"beta\":1,\"l1\":0,\"l2\":2}}"));
    SparseBatch batch = new SparseBatch(HASHING.dimension());
    int[] labels = new int[32];
    for (int i = 0; i < 200_000; i++) {
      SyntheticClicks.Click click = clicks.next();
      labels[batch.rows()] = click.label();
      batch.add(click.features().indices(), click.features().values());
      if (batch.rows() == labels.length) {
        model.trainMinibatch(batch, labels, null);
        batch.clear();
      }
    }
    int heldOut = 20_000;
    double[] learned = new double[heldOut];
    double[] truth = new double[heldOut];
    boolean[] clicked = new boolean[heldOut];
    float[] learnedProba = new float[2 * heldOut];
    float[] trueProba = new float[2 * heldOut];
    int[] actual = new int[heldOut];
    float[] p = new float[2];
    for (int i = 0; i < heldOut; i++) {
      SyntheticClicks.Click click = clicks.next();
      model.predictProba(click.features(), p);
      learned[i] = p[1];
      learnedProba[2 * i] = p[0];
      learnedProba[2 * i + 1] = p[1];
      truth[i] = click.probability();
      trueProba[2 * i] = (float) (1 - click.probability());
      trueProba[2 * i + 1] = (float) click.probability();
      clicked[i] = click.label() == 1;
      actual[i] = click.label();
    }
    double bayesAuc = ClassificationMetrics.rocAuc(truth, clicked);
    double learnedAuc = ClassificationMetrics.rocAuc(learned, clicked);
    double bayesLogLoss = ClassificationMetrics.logLoss(trueProba, actual, 2);
    double learnedLogLoss = ClassificationMetrics.logLoss(learnedProba, actual, 2);
    // The task is neither trivial nor hopeless, or the comparison would say nothing.
    assertThat(bayesAuc).isBetween(0.7, 0.95);
    assertThat(learnedAuc).isGreaterThan(bayesAuc - AUC_MARGIN).isLessThanOrEqualTo(bayesAuc + 0.005);
    assertThat(learnedLogLoss).isLessThan(bayesLogLoss + LOG_LOSS_MARGIN);
  }

  @Test
  void aSeedGivesTheSameStreamAndTheLabelsFollowTheTrueModel() {
    SyntheticClicks a = SyntheticClicks.seeded(3, HASHING);
    SyntheticClicks b = SyntheticClicks.seeded(3, HASHING);
    FeatureHasher hasher = new FeatureHasher(HASHING);
    double probabilities = 0;
    int positives = 0;
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      SyntheticClicks.Click x = a.next();
      SyntheticClicks.Click y = b.next();
      assertThat(x.fields()).isEqualTo(y.fields());
      assertThat(x.label()).isEqualTo(y.label());
      SparseVector hashed = hasher.hash(x.fields());
      assertThat(x.features().indices()).isEqualTo(hashed.indices());
      assertThat(x.features().values()).isEqualTo(hashed.values());
      double z = a.trueBias();
      for (int e = 0; e < hashed.size(); e++) {
        z += hashed.values()[e] * a.trueWeight(hashed.indices()[e]);
      }
      assertThat(x.probability()).isCloseTo(1 / (1 + Math.exp(-z)), within(1e-12));
      assertThat((String) x.fields().get("user")).startsWith("u");
      assertThat((List<?>) x.fields().get("words")).isNotEmpty();
      probabilities += x.probability();
      positives += x.label();
    }
    // Labels are Bernoulli(probability): their count is within 5 standard deviations of the expected one.
    assertThat((double) positives).isCloseTo(probabilities, within(5 * Math.sqrt(n / 4.0)));
    assertThat(SyntheticClicks.seeded(4, HASHING).next().fields()).isNotEqualTo(SyntheticClicks.seeded(3, HASHING)
        .next().fields());
  }

  @Test
  void categoricalFieldsAreZipfDistributed() {
    SyntheticClicks clicks = SyntheticClicks.seeded(11, HASHING);
    int[] rank = new int[3];
    for (int i = 0; i < 50_000; i++) {
      String country = (String) clicks.next().fields().get("country");
      if (country.equals("c0")) {
        rank[0]++;
      } else if (country.equals("c1")) {
        rank[1]++;
      } else if (country.equals("c9")) {
        rank[2]++;
      }
    }
    // Zipf with exponent s: frequency ∝ 1 / (rank + 1)^s.
    double s = SyntheticClicks.ZIPF_EXPONENT;
    assertThat((double) rank[0] / rank[1]).isCloseTo(Math.pow(2, s), within(0.15));
    assertThat((double) rank[0] / rank[2]).isCloseTo(Math.pow(10, s), within(1.5));
  }

  private static String hashingJson() {
    return "{\"bits\":20,\"fields\":[\"" + String.join("\",\"", SyntheticClicks.FIELDS) + "\"]}";
  }
}
