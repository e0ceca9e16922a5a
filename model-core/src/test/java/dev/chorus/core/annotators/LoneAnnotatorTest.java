package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.HiddenLayerSpec;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Dawid–Skene with an annotator whose every label is its item's only one (issue 18's corruption track, a crowd's long
 * tail) against one that shares items with others. The lone one's confusion used to take the classifier's own
 * mix-ups as its errors (session 11: a clean annotator's diagonal .75–.99 class by class, its off-diagonal entries
 * the classifier's confusions), which let the classifier overrule correct labels; it is now one-coin. The shared one
 * keeps the full confusion the items with several labels pin.
 */
class LoneAnnotatorTest {

  private static final int K = 10;
  private static final int DIM = 8;

  @Test
  void aCleanLoneAnnotatorIsEstimatedOneCoin() {
    GaussianBlobs train = GaussianBlobs.generate(20_000, DIM, K, 41);
    AnnotatorPool pool = AnnotatorPool.corruption(K, 0);
    LabelStream stream = pool.label(train.labels(), new int[] {1}, 43);
    LabelModel model = trained(train, pool, stream);
    double[][] confusion = model.annotator(pool.get(0).id()).confusion();
    for (int c = 0; c < K; c++) {
      assertThat(confusion[c][c]).as("row %d's diagonal against row 0's", c).isEqualTo(confusion[0][0]);
      for (int j = 0; j < K; j++) {
        if (j != c) {
          assertThat(confusion[c][j]).as("row %d's error on %d, spread evenly", c, j)
              .isEqualTo(confusion[c][c == 0 ? 1 : 0]);
        }
      }
    }
    assertThat(confusion[0][0]).as("the diagonal").isGreaterThan(confusion[0][1]);
  }

  @Test
  void anAnnotatorSharingItemsKeepsTheShapeOfItsErrors() {
    List<SimulatedAnnotator> people = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      people.add(new SimulatedAnnotator("expert-" + i, "expert", AnnotatorPool.uniformErrors(K, 0.9)));
    }
    double[][] flip = AnnotatorPool.uniformErrors(K, 1);
    flip[0][0] = 0.6;
    flip[0][6] = 0.4;
    people.add(new SimulatedAnnotator("pair-confuser", "pair-confuser", flip));
    AnnotatorPool pool = new AnnotatorPool(people);
    GaussianBlobs train = GaussianBlobs.generate(20_000, DIM, K, 51);
    LabelStream stream = pool.label(train.labels(), new int[] {3}, 53);
    LabelModel model = trained(train, pool, stream);
    double[][] confusion = model.annotator("pair-confuser").confusion();
    assertThat(confusion[0][6]).as("the pair-confuser's T-shirt→Shirt, true 0.4").isGreaterThan(0.3);
    assertThat(confusion[0][1]).as("its T-shirt→Trouser, true 0").isLessThan(0.05);
  }

  private static LabelModel trained(GaussianBlobs data, AnnotatorPool pool, LabelStream stream) {
    ModelSpec spec = ModelSpec.mlp(DIM, K, List.of(HiddenLayerSpec.of(64, ActivationFunction.RELU))).withSeed(7);
    LabelModel model = LabelModels.create(spec, LabelModelSpec.withMaxAnnotators(DawidSkeneLabelModel.NAME, 4));
    LabelEvents.train(model, data, pool, stream, 0, stream.size(), 64);
    return model;
  }
}
