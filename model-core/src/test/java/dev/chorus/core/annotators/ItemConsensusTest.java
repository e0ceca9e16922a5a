package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.chorus.core.model.ModelSpec;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ItemConsensusTest {

  private static final int K = 3;

  @Test
  void thePosteriorIsThePriorTimesTheLabelsLikelihoodsNormalised() {
    // Two annotators: slot 0 right with 0.8, slot 1 right with 0.6, errors spread evenly.
    double[] confusions = new double[2 * K * K];
    ConfusionEstimates.fillPrior(confusions, 0, K, 0.8);
    ConfusionEstimates.fillPrior(confusions, K * K, K, 0.6);
    double[] posterior = new double[K];
    ItemConsensus.posterior(new double[] {0.5, 0.25, 0.25}, confusions, K, new int[] {0, 1}, new int[] {1, 2}, 2,
        posterior);
    // ∝ 0.5·0.1·0.2, 0.25·0.8·0.2, 0.25·0.1·0.6 = 0.01, 0.04, 0.015
    assertThat(posterior[0]).isCloseTo(0.01 / 0.065, within(1e-12));
    assertThat(posterior[1]).isCloseTo(0.04 / 0.065, within(1e-12));
    assertThat(posterior[2]).isCloseTo(0.015 / 0.065, within(1e-12));
  }

  @Test
  void extremeConfusionsStillGiveAPosteriorThatSumsToOne() {
    int labels = 16;
    double[] confusions = new double[labels * K * K];
    int[] slots = new int[labels];
    int[] given = new int[labels];
    for (int a = 0; a < labels; a++) {
      // Certain annotators, each contradicting the prior and the one before.
      for (int c = 0; c < K; c++) {
        confusions[a * K * K + c * K + (c + a) % K] = 1;
      }
      slots[a] = a;
      given[a] = a % K;
    }
    double[] posterior = new double[K];
    ItemConsensus.posterior(new double[] {1, 0, 0}, confusions, K, slots, given, labels, posterior);
    assertThat(Arrays.stream(posterior).sum()).isCloseTo(1, within(1e-12));
    assertThat(Arrays.stream(posterior).allMatch(p -> p >= 0 && p <= 1)).as(Arrays.toString(posterior)).isTrue();
  }

  @Test
  void aLabelOnlyDawidSkeneTaskGivesEachLabelledItemItsConsensus() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":0,\"numClasses\":3,"
        + "\"batchSize\":4,\"labelModel\":\"dawid-skene\"}");
    LabelModel model = LabelModels.create(spec);
    model.train(new float[0], new long[] {7, 7, 7, 8}, new String[] {"a", "b", "c", "a"}, new int[] {2, 2, 1, 0}, 4);
    ItemConsensus seven = model.consensus(7, null);
    assertThat(seven.labels()).isEqualTo(3);
    assertThat(seven.annotators()).containsExactly("a", "b", "c");
    assertThat(seven.mostLikely()).isEqualTo(2);
    assertThat(Arrays.stream(seven.posterior()).sum()).isCloseTo(1, within(1e-12));
    assertThat(model.consensus(8, null).annotators()).containsExactly("a");
    assertThat(model.consensus(9, null)).as("an item never labelled").isNull();
    // A relabel replaces: c now agrees, and the item still rests on three labels.
    model.train(new float[0], new long[] {7}, new String[] {"c"}, new int[] {2}, 1);
    assertThat(model.consensus(7, null).labels()).isEqualTo(3);
    assertThat(model.consensus(7, null).posterior()[2]).isGreaterThan(seven.posterior()[2]);
  }

  /**
   * A prior that is no class distribution (a classifier's prediction that overflowed: NaN, an infinity; or negative
   * or all zero) made the consensus NaN, or rested it on floors alone; the running class prior stands in for it, as for
   * an item seen without its features.
   */
  @Test
  void aPriorThatIsNoClassDistributionGivesWayToTheClassPrior() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":2,\"numClasses\":3,"
        + "\"batchSize\":4,\"labelModel\":\"dawid-skene\"}");
    LabelModel model = LabelModels.create(spec);
    model.train(new float[] {1, 0, 1, 0, 1, 0, 0, 1}, new long[] {7, 7, 7, 8}, new String[] {"a", "b", "c", "a"},
        new int[] {2, 2, 1, 0}, 4);
    ItemConsensus classPrior = model.consensus(7, null);
    float[][] notDistributions = {{Float.NaN, 0.5f, 0.5f}, {Float.POSITIVE_INFINITY, 0f, 0f},
        {-0.5f, 1f, 0.5f}, {0f, 0f, 0f}};
    for (float[] prior : notDistributions) {
      ItemConsensus consensus = model.consensus(7, prior);
      assertThat(consensus.posterior()).as("prior %s", Arrays.toString(prior)).containsExactly(classPrior.posterior());
      assertThat(consensus.mostLikely()).isEqualTo(classPrior.mostLikely());
    }
    assertThat(model.consensus(7, new float[] {0.98f, 0.01f, 0.01f}).posterior()).as("a class distribution is used")
        .isNotEqualTo(classPrior.posterior());
  }

  /** Every method built on one classifier remembers its items' labels, naive included, so every such task publishes. */
  @Test
  void aNaiveTaskGivesItsItemsConsensusToo() {
    ModelSpec spec = ModelSpec.parse("{\"algorithm\":\"softmax-regression\",\"inputDim\":2,\"numClasses\":3,"
        + "\"batchSize\":3,\"labelModel\":\"naive\"}");
    LabelModel model = LabelModels.create(spec);
    model.train(new float[] {1, 0, 1, 0, 0, 1}, new long[] {7, 7, 8}, new String[] {"a", "b", "a"}, new int[] {2, 2, 0},
        3);
    assertThat(model.history()).as("naive's item history").isNotNull();
    ItemConsensus seven = model.consensus(7, null);
    assertThat(seven).as("naive's consensus on item 7").isNotNull();
    assertThat(seven.annotators()).containsExactly("a", "b");
    assertThat(Arrays.stream(seven.posterior()).sum()).isCloseTo(1, within(1e-12));
  }
}
