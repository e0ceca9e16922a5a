package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.random.SplitMix64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AnnotatorPoolTest {

  private static int[] trueLabels(int n, int k) {
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % k;
    }
    return labels;
  }

  @Test
  void sameSeedGivesSamePoolAndStream() {
    AnnotatorPool a = AnnotatorPool.fashionMnist(7);
    AnnotatorPool b = AnnotatorPool.fashionMnist(7);
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.get(i).confusion()).isDeepEqualTo(b.get(i).confusion());
    }
    int[] truth = trueLabels(500, 10);
    LabelStream s = a.label(truth, 3);
    LabelStream t = b.label(truth, 3);
    assertThat(s.items()).isEqualTo(t.items());
    assertThat(s.annotators()).isEqualTo(t.annotators());
    assertThat(s.labels()).isEqualTo(t.labels());
    assertThat(a.label(truth, 4).labels()).isNotEqualTo(s.labels());
    assertThat(AnnotatorPool.fashionMnist(8).get(0).accuracy()).isNotEqualTo(a.get(0).accuracy());
  }

  @Test
  void poolHasTheProtocolsKinds() {
    AnnotatorPool pool = AnnotatorPool.fashionMnist(1);
    assertThat(pool.size()).isEqualTo(14);
    for (SimulatedAnnotator a : pool.annotators()) {
      switch (a.kind()) {
        case "expert" -> assertThat(a.accuracy()).isBetween(0.92, 0.98);
        case "competent" -> assertThat(a.accuracy()).isBetween(0.60, 0.85);
        case "spammer" -> assertThat(a.accuracy()).isCloseTo(0.1, within(1e-12));
        case "adversary-constant" -> assertThat(a.accuracy()).isCloseTo(0.1, within(1e-12));
        case "adversary-shift" -> assertThat(a.confusion()[3][4]).isEqualTo(0.7);
        case "pair-confuser" -> {
          assertThat(a.confusion()[0][6]).isBetween(0.3, 0.5);
          assertThat(a.confusion()[5][7]).isEqualTo(a.confusion()[5][9]);
          assertThat(a.confusion()[1][1]).isEqualTo(AnnotatorPool.PAIR_CONFUSER_OTHER_ACCURACY);
        }
        default -> throw new AssertionError("unexpected kind " + a.kind());
      }
    }
    assertThat(AnnotatorPool.corruption(10, 0.4).get(0).accuracy()).isCloseTo(0.6, within(1e-12));
  }

  @Test
  void labelFrequenciesMatchTheTrueConfusionRows() {
    AnnotatorPool pool = AnnotatorPool.fashionMnist(2);
    SplitMix64 rng = SplitMix64.seeded(9);
    int draws = 20_000;
    for (SimulatedAnnotator a : pool.annotators()) {
      for (int c = 0; c < 10; c++) {
        int[] counts = new int[10];
        for (int i = 0; i < draws; i++) {
          counts[a.label(c, rng)]++;
        }
        for (int j = 0; j < 10; j++) {
          assertThat((double) counts[j] / draws).as("%s row %d column %d", a.id(), c, j)
              .isCloseTo(a.confusion()[c][j], within(0.015));
        }
      }
    }
  }

  @Test
  void workloadGivesOneThreeOrFiveDistinctSkewedAnnotatorsPerItem() {
    AnnotatorPool pool = AnnotatorPool.fashionMnist(3);
    int items = 3000;
    LabelStream stream = pool.label(trueLabels(items, 10), 5);
    @SuppressWarnings("unchecked")
    Set<Integer>[] who = new Set[items];
    int[] perAnnotator = new int[pool.size()];
    for (int e = 0; e < stream.size(); e++) {
      int item = stream.items()[e];
      if (who[item] == null) {
        who[item] = new HashSet<>();
      }
      assertThat(who[item].add(stream.annotators()[e])).as("annotator repeated on item %d", item).isTrue();
      perAnnotator[stream.annotators()[e]]++;
    }
    Set<Integer> sizes = new HashSet<>();
    for (Set<Integer> s : who) {
      sizes.add(s.size());
    }
    assertThat(sizes).containsExactlyInAnyOrder(1, 3, 5);
    int max = 0;
    int min = Integer.MAX_VALUE;
    for (int count : perAnnotator) {
      max = Math.max(max, count);
      min = Math.min(min, count);
    }
    assertThat(max).isGreaterThan(3 * min);
    // Shuffled: the first events do not come item by item.
    assertThat(stream.items()[0] == 0 && stream.items()[1] == 0).isFalse();
  }

  @Test
  void corruptionTrackGivesOneLabelPerItem() {
    LabelStream stream = AnnotatorPool.corruption(10, 0.5).label(trueLabels(1000, 10), 1);
    assertThat(stream.size()).isEqualTo(1000);
  }
}
