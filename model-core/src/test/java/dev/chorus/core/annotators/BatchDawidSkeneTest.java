package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class BatchDawidSkeneTest {

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
}
