package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.ModelSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Tasks without features: the label model does pure truth inference. */
class LabelOnlyTaskTest {

  static final String LABEL_ONLY = "{\"algorithm\":\"softmax-regression\",\"inputDim\":0,\"numClasses\":3,"
      + "\"batchSize\":16,\"labelModel\":\"dawid-skene\"}";

  @Test
  void aSpecWithALabelModelMayDeclareNoFeatures() {
    ModelSpec spec = ModelSpec.parse(LABEL_ONLY);
    assertThat(spec.inputDim()).isZero();
    assertThat(ModelSpec.parse(spec.toJson())).isEqualTo(spec);
  }

  @Test
  void aSpecWithoutALabelModelStillNeedsFeatures() {
    assertThatThrownBy(() -> ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":0,\"numClasses\":3}"))
        .hasMessage("ModelSpec key 'inputDim': expected an integer >= 1, got 0");
  }

  /**
   * 300 items of 3 classes (skewed 60/30/10), 20 annotators: 14 right 80% of the time, 6 spammers; 5 labels per item.
   * The streaming consensus after one pass agrees with batch MAP Dawid–Skene with the task's prior on at least 99% of
   * the items.
   */
  @Test
  void theStreamingConsensusAgreesWithBatchDawidSkene() {
    int items = 300;
    int k = 3;
    int annotators = 20;
    SplittableRandom random = new SplittableRandom(7);
    int[] truth = new int[items];
    for (int i = 0; i < items; i++) {
      double u = random.nextDouble();
      truth[i] = u < 0.6 ? 0 : u < 0.9 ? 1 : 2;
    }
    List<int[]> events = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      for (int i = 0; i < items; i++) {
        int a = (i * 7 + round * 3) % annotators;
        boolean spammer = a >= 14;
        int label = spammer || random.nextDouble() >= 0.8 ? random.nextInt(k) : truth[i];
        events.add(new int[] {i, a, label});
      }
    }
    LabelStream stream = new LabelStream(events.stream().mapToInt(e -> e[0]).toArray(),
        events.stream().mapToInt(e -> e[1]).toArray(), events.stream().mapToInt(e -> e[2]).toArray());

    LabelModel model = LabelModels.create(ModelSpec.parse(LABEL_ONLY));
    for (int from = 0; from < stream.size(); from += 16) {
      int n = Math.min(16, stream.size() - from);
      long[] itemKeys = new long[n];
      String[] ids = new String[n];
      int[] labels = new int[n];
      for (int e = 0; e < n; e++) {
        itemKeys[e] = stream.items()[from + e];
        ids[e] = "annotator-" + stream.annotators()[from + e];
        labels[e] = stream.labels()[from + e];
      }
      model.train(new float[0], itemKeys, ids, labels, n);
    }
    // MAP-EM with the task's own prior: the same model, run to convergence.
    int[] batch = BatchDawidSkene.fit(stream, items, annotators, k,
        BatchDawidSkene.Prior.of(((ClassifierLabelModel) model).estimates()), BatchDawidSkene.DEFAULT_MAX_ITERATIONS,
        BatchDawidSkene.DEFAULT_TOLERANCE).mostLikely();
    int agree = 0;
    for (int i = 0; i < items; i++) {
      ItemConsensus consensus = model.consensus(i, null);
      if (consensus.mostLikely() == batch[i]) {
        agree++;
      }
    }
    assertThat(agree).as("items whose streaming and batch most likely classes agree").isGreaterThanOrEqualTo(297);
  }

  /**
   * Batch EM credits every label with its item's posterior given all of the item's labels; a stream that credits a
   * label only with the posterior of when it came never revises it. So a later label of an item re-credits the
   * item's earlier labels with the change it makes to the item's posterior: item 0 is labelled 0 by "a", then 1 by
   * "b" and "c"; "a"'s confusion ends as the Dirichlet running average of its credit
   * {@code q1 + (q2 − q2 without b) + (q3 − q3 without c)} on label 0, where each posterior is the E-step with the
   * confusions and class prior of its time.
   */
  @Test
  void aLaterLabelOfAnItemReCreditsTheItemsEarlierLabels() {
    ClassifierLabelModel model = (ClassifierLabelModel) LabelModels.create(ModelSpec.parse(LABEL_ONLY));
    int k = 3;
    double[] alpha = new double[k * k];
    ConfusionEstimates.fillPrior(alpha, 0, k, ConfusionEstimates.LABEL_ONLY_PRIOR_DIAGONAL);
    for (int i = 0; i < alpha.length; i++) {
      alpha[i] *= ConfusionEstimates.LABEL_ONLY_PRIOR_COUNT;
    }
    // credits[annotator][true class][label]; the confusions are (alpha + credits) row-normalised.
    double[][][] credits = new double[3][k][k];
    double[] classMass = new double[k];
    String[] ids = {"a", "b", "c"};
    int[] given = {0, 1, 1};
    for (int e = 0; e < 3; e++) {
      double[] flat = new double[3 * k * k];
      for (int a = 0; a < 3; a++) {
        for (int c = 0; c < k; c++) {
          double total = 0;
          for (int j = 0; j < k; j++) {
            total += alpha[c * k + j] + credits[a][c][j];
          }
          for (int j = 0; j < k; j++) {
            flat[(a * k + c) * k + j] = (alpha[c * k + j] + credits[a][c][j]) / total;
          }
        }
      }
      double mass = classMass[0] + classMass[1] + classMass[2];
      double[] prior = new double[k];
      for (int c = 0; c < k; c++) {
        prior[c] = mass > 0 ? classMass[c] / mass : 1.0 / k;
      }
      int[] slots = {0, 1, 2};
      double[] with = new double[k];
      double[] without = new double[k];
      ItemConsensus.posterior(prior, flat, k, slots, given, e + 1, with);
      ItemConsensus.posterior(prior, flat, k, slots, given, e, without);
      for (int c = 0; c < k; c++) {
        credits[e][c][given[e]] += with[c];
        classMass[c] += with[c];
        for (int earlier = 0; earlier < e; earlier++) {
          credits[earlier][c][given[earlier]] += with[c] - without[c];
          classMass[c] += with[c] - without[c];
        }
      }
      model.train(new float[0], new long[] {0}, new String[] {ids[e]}, new int[] {given[e]}, 1);
    }
    double[][] a = model.annotator("a").confusion();
    for (int c = 0; c < k; c++) {
      double total = 0;
      for (int j = 0; j < k; j++) {
        total += alpha[c * k + j] + credits[0][c][j];
      }
      for (int j = 0; j < k; j++) {
        assertThat(a[c][j]).as("annotator a, true class %s, label %s", c, j)
            .isCloseTo((alpha[c * k + j] + credits[0][c][j]) / total, within(1e-5));
      }
    }
    // Two later labels say 1: item 0 is now more likely 1 than a's first credit had it, so a's row 1 says 0 more.
    assertThat(a[1][0]).isGreaterThan((alpha[k] + 0.25) / (10 + 0.25));
  }
}
