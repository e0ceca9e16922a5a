package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.random.SplitMix64;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BatchDawidSkeneTest {

  /**
   * The label-only track's kind of crowd at 300 annotators (the default pool's kinds and the two adversaries, 20–50
   * labels each to distinct items, 3 labels per item on average) over items of uniform true classes.
   */
  static LabelStream sparseCrowd(AnnotatorPool pool, long seed) {
    SplitMix64 rng = SplitMix64.seeded(seed);
    int[] counts = new int[pool.size()];
    int total = 0;
    for (int a = 0; a < counts.length; a++) {
      double u = rng.nextDouble();
      counts[a] = 20 + Math.min(30, (int) (31 * u * u * u));
      total += counts[a];
    }
    int numItems = total / 3;
    int[] truth = new int[numItems];
    for (int i = 0; i < numItems; i++) {
      truth[i] = (int) Long.remainderUnsigned(rng.nextLong(), pool.numClasses());
    }
    int[] items = new int[total];
    int[] annotators = new int[total];
    int[] labels = new int[total];
    for (int a = 0, e = 0; a < counts.length; a++) {
      Set<Integer> seen = new HashSet<>();
      while (seen.size() < counts[a]) {
        int item = (int) Long.remainderUnsigned(rng.nextLong(), numItems);
        if (seen.add(item)) {
          items[e] = item;
          annotators[e] = a;
          labels[e++] = pool.get(a).label(truth[item], rng);
        }
      }
    }
    return new LabelStream(items, annotators, labels);
  }

  /**
   * On this crowd MAP-EM's posteriors still moved by more than 1e-7 at the old cap of 200 iterations; its objective
   * stops moving at 208, where the fit now stops, converged, with the objective it climbed to.
   */
  @Test
  void mapEmReachesItsStoppingRuleWhereTheOldCapStoppedIt() {
    AnnotatorPool pool = AnnotatorPool.fashionMnist(3, 74, 99, 74, 51);
    LabelStream crowd = sparseCrowd(pool, 3);
    int items = crowd.size() / 3;
    BatchDawidSkene.Prior prior = BatchDawidSkene.Prior.of(ConfusionEstimates.labelOnly(10, pool.size()));
    BatchDawidSkene.Result fit = BatchDawidSkene.fit(crowd, items, pool.size(), 10, prior,
        BatchDawidSkene.DEFAULT_MAX_ITERATIONS, BatchDawidSkene.DEFAULT_TOLERANCE);
    assertThat(fit.iterations()).as("iterations to the stopping rule").isGreaterThan(200)
        .isLessThan(BatchDawidSkene.DEFAULT_MAX_ITERATIONS);
    assertThat(fit.converged()).isTrue();
    BatchDawidSkene.Result capped = BatchDawidSkene.fit(crowd, items, pool.size(), 10, prior, 200,
        BatchDawidSkene.DEFAULT_TOLERANCE);
    assertThat(capped.converged()).as("at the old cap").isFalse();
    assertThat(fit.objective()).as("EM climbs").isGreaterThan(capped.objective());
    BatchDawidSkene.Result further = BatchDawidSkene.fit(crowd, items, pool.size(), 10, prior,
        BatchDawidSkene.DEFAULT_MAX_ITERATIONS, 0);
    assertThat(further.iterations()).as("the objective's rule alone").isEqualTo(fit.iterations());
  }

  /**
   * Annotators 0 and 1 always agree and annotator 2 always says the other class, on items 0–5 (three of each class);
   * item 6 has one label, from annotator 2, who says 1. Majority vote follows 0 and 1 on items 0–5 and annotator 2 on
   * item 6; Dawid–Skene learns that annotator 2 flips the classes and reads item 6 as class 0.
   */
  @Test
  void learnsThatAnAnnotatorFlipsTheClassesAndReadsItsLoneLabelBackwards() {
    int[] truth = {0, 0, 0, 1, 1, 1};
    int n = 3 * truth.length + 1;
    int[] items = new int[n];
    int[] annotators = new int[n];
    int[] labels = new int[n];
    int e = 0;
    for (int i = 0; i < truth.length; i++) {
      for (int a = 0; a < 3; a++) {
        items[e] = i;
        annotators[e] = a;
        labels[e++] = a < 2 ? truth[i] : 1 - truth[i];
      }
    }
    items[e] = 6;
    annotators[e] = 2;
    labels[e] = 1;

    BatchDawidSkene.Result result = BatchDawidSkene.fit(new LabelStream(items, annotators, labels), 7, 3, 2,
        BatchDawidSkene.DEFAULT_MAX_ITERATIONS, BatchDawidSkene.DEFAULT_TOLERANCE);

    assertThat(result.mostLikely()).containsExactly(0, 0, 0, 1, 1, 1, 0);
    assertThat(BatchDawidSkene.majority(new LabelStream(items, annotators, labels), 7, 2))
        .containsExactly(0, 0, 0, 1, 1, 1, 1);
    // The fixed point: items 0–5 certain, so annotator 2's confusion is the flip and annotator 0's the identity.
    assertThat(result.confusions()[2][0][1]).isCloseTo(1, within(1e-4));
    assertThat(result.confusions()[2][1][0]).isCloseTo(1, within(1e-4));
    assertThat(result.confusions()[0][0][0]).isCloseTo(1, within(1e-4));
    assertThat(result.posteriors()[6][0]).isCloseTo(1, within(1e-4));
    // Class prior: (3 + 3 + item 6's class 0) over 7 items.
    assertThat(result.classPrior()[0]).isCloseTo(4.0 / 7, within(1e-4));
    assertThat(result.iterations()).isLessThan(BatchDawidSkene.DEFAULT_MAX_ITERATIONS);
  }

  @Test
  void anAnnotatorsLaterLabelOfAnItemReplacesItsEarlierOne() {
    // Counted three times, annotator 0's label 1 would outvote the two 0s; counted once, it does not.
    LabelStream stream = new LabelStream(new int[] {0, 0, 0, 0, 0}, new int[] {0, 0, 0, 1, 2},
        new int[] {1, 1, 1, 0, 0});
    assertThat(BatchDawidSkene.majority(stream, 1, 2)).containsExactly(0);
    BatchDawidSkene.Result result = BatchDawidSkene.fit(stream, 1, 3, 2, 50, 1e-9);
    assertThat(result.mostLikely()).containsExactly(0);
  }

  /** 60 items of 3 classes, 8 annotators (5 right 80% of the time, 3 spammers), 3 labels each: a few labels each. */
  static LabelStream smallCrowd() {
    SplittableRandom random = new SplittableRandom(11);
    int n = 60 * 3;
    int[] items = new int[n];
    int[] annotators = new int[n];
    int[] labels = new int[n];
    for (int e = 0; e < n; e++) {
      int item = e / 3;
      int truth = item % 3;
      items[e] = item;
      annotators[e] = (item + 3 * (e % 3)) % 8;
      labels[e] = annotators[e] < 5 && random.nextDouble() < 0.8 ? truth : random.nextInt(3);
    }
    return new LabelStream(items, annotators, labels);
  }

  @Test
  void mapEmWithZeroPseudoCountsIsTheMaximumLikelihoodFitExactly() {
    BatchDawidSkene.Result mle = BatchDawidSkene.fit(smallCrowd(), 60, 8, 3, 200, 1e-9);
    BatchDawidSkene.Result map = BatchDawidSkene.fit(smallCrowd(), 60, 8, 3, BatchDawidSkene.Prior.none(3), 200, 1e-9);
    assertThat(map.posteriors()).isDeepEqualTo(mle.posteriors());
    assertThat(map.confusions()).isDeepEqualTo(mle.confusions());
    assertThat(map.classPrior()).isEqualTo(mle.classPrior());
    assertThat(map.iterations()).isEqualTo(mle.iterations());
  }

  /**
   * One iteration's M-step starts from the vote shares: row {@code c} of annotator {@code a} is
   * {@code (α_cj + Σ_i share_ic·[label_ia = j]) / (Σ_j α_cj + Σ_i share_ic)}, and the class prior
   * {@code (β_c + Σ_i share_ic) / (Σ β + items)}.
   */
  @Test
  void mapEmsFirstMStepIsTheClosedFormWithThePseudoCounts() {
    // Item 0: annotators 0, 1 say 0; item 1: annotator 0 says 1, annotator 1 says 0; item 2: annotator 0 says 1.
    LabelStream stream = new LabelStream(new int[] {0, 0, 1, 1, 2}, new int[] {0, 1, 0, 1, 0},
        new int[] {0, 0, 1, 0, 1});
    double[][] alpha = {{3, 1}, {0.5, 2}};
    double[] beta = {1, 2};
    BatchDawidSkene.Result one = BatchDawidSkene.fit(stream, 3, 2, 2, new BatchDawidSkene.Prior(alpha, beta), 1, 0);
    // Vote shares: item 0 (1, 0), item 1 (½, ½), item 2 (0, 1).
    // Annotator 0 said 0 on item 0 and 1 on items 1 and 2: class-0 mass 1 on label 0 and ½ on label 1; class-1
    // mass ½ + 1 on label 1.
    assertThat(one.confusions()[0][0]).containsExactly(new double[] {(3 + 1) / 5.5, (1 + 0.5) / 5.5}, within(1e-12));
    assertThat(one.confusions()[0][1]).containsExactly(new double[] {0.5 / 4, (2 + 1.5) / 4}, within(1e-12));
    // Annotator 1 said 0 on items 0 and 1: class-0 mass 1.5, class-1 mass 0.5, all on label 0.
    assertThat(one.confusions()[1][0]).containsExactly(new double[] {(3 + 1.5) / 5.5, 1 / 5.5}, within(1e-12));
    assertThat(one.confusions()[1][1]).containsExactly(new double[] {(0.5 + 0.5) / 3, 2 / 3.0}, within(1e-12));
    assertThat(one.classPrior()).containsExactly(new double[] {(1 + 1.5) / 6, (2 + 1.5) / 6}, within(1e-12));
    assertThat(one.iterations()).isEqualTo(1);
  }

  /** At convergence the confusions are the MAP M-step of the final posteriors, and a second fit gives the same bits. */
  @Test
  void mapEmConvergesToAFixedPointAndIsReproducible() {
    BatchDawidSkene.Prior prior = BatchDawidSkene.Prior.of(ConfusionEstimates.labelOnly(3, 8));
    BatchDawidSkene.Result fit = BatchDawidSkene.fit(smallCrowd(), 60, 8, 3, prior, 500, 1e-10);
    assertThat(fit.iterations()).isLessThan(500);
    double[][][] counts = new double[8][3][3];
    LabelStream stream = smallCrowd();
    for (int e = 0; e < stream.size(); e++) {
      for (int c = 0; c < 3; c++) {
        counts[stream.annotators()[e]][c][stream.labels()[e]] += fit.posteriors()[stream.items()[e]][c];
      }
    }
    for (int a = 0; a < 8; a++) {
      for (int c = 0; c < 3; c++) {
        double total = 0;
        for (int j = 0; j < 3; j++) {
          total += counts[a][c][j] + prior.confusion()[c][j];
        }
        for (int j = 0; j < 3; j++) {
          assertThat(fit.confusions()[a][c][j]).as("annotator %s row %s label %s", a, c, j)
              .isCloseTo((counts[a][c][j] + prior.confusion()[c][j]) / total, within(1e-6));
        }
      }
    }
    BatchDawidSkene.Result again = BatchDawidSkene.fit(smallCrowd(), 60, 8, 3, prior, 500, 1e-10);
    assertThat(again.posteriors()).isDeepEqualTo(fit.posteriors());
    assertThat(again.confusions()).isDeepEqualTo(fit.confusions());
  }

  /**
   * The pseudo-counts are the streaming label model's: a label-only task's fresh confusion row, after M-steps with
   * posteriors q_1 … q_n, is the MAP M-step's {@code (α + Σ q·onehot) / (Σ α + Σ q)} with
   * {@link BatchDawidSkene.Prior#of}.
   */
  @Test
  void thePriorIsTheStreamingLabelOnlyModelsOwn() {
    ConfusionEstimates estimates = ConfusionEstimates.labelOnly(3, 1);
    BatchDawidSkene.Prior prior = BatchDawidSkene.Prior.of(estimates);
    assertThat(prior.confusion()[0]).containsExactly(new double[] {
        ConfusionEstimates.LABEL_ONLY_PRIOR_COUNT * ConfusionEstimates.LABEL_ONLY_PRIOR_DIAGONAL,
        ConfusionEstimates.LABEL_ONLY_PRIOR_COUNT * (1 - ConfusionEstimates.LABEL_ONLY_PRIOR_DIAGONAL) / 2,
        ConfusionEstimates.LABEL_ONLY_PRIOR_COUNT * (1 - ConfusionEstimates.LABEL_ONLY_PRIOR_DIAGONAL) / 2},
        within(1e-12));
    assertThat(prior.classes()).containsOnly(0.0);
    float[][] posteriors = {{0.7f, 0.2f, 0.1f}, {0.1f, 0.8f, 0.1f}, {0.5f, 0.25f, 0.25f}};
    int[] labels = {0, 1, 2};
    double[][] counts = new double[3][3];
    for (int e = 0; e < labels.length; e++) {
      estimates.mStep(0, labels[e], posteriors[e]);
      for (int c = 0; c < 3; c++) {
        counts[c][labels[e]] += posteriors[e][c];
      }
    }
    for (int c = 0; c < 3; c++) {
      double total = 0;
      for (int j = 0; j < 3; j++) {
        total += prior.confusion()[c][j] + counts[c][j];
      }
      for (int j = 0; j < 3; j++) {
        assertThat(estimates.matrix(0)[c][j]).isCloseTo((prior.confusion()[c][j] + counts[c][j]) / total,
            within(1e-9));
      }
    }
  }
}
