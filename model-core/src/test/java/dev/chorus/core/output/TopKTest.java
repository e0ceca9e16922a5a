package dev.chorus.core.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * A top-k of any {@code k} a caller gives ({@code chorus inspect --nearest TOKEN --k 2000000000}) returns at most the
 * candidates there are, in order. Before, the heap (and the tree search's result list) was allocated at capacity k,
 * and {@code k = Integer.MAX_VALUE} was an {@link OutOfMemoryError}.
 */
class TopKTest {

  private static final int CLASSES = 7;
  private static final int DIM = 2;
  private static final float[] X = {0.5f, -1f};

  @Test
  void aSampledSoftmaxTopKOfTheLargestKIsEveryClassMostProbableFirst() {
    SampledSoftmax layer = new SampledSoftmax(new SampledSoftmaxSpec(CLASSES, 2,
        SampledSoftmaxSpec.Objective.SAMPLED_SOFTMAX), DIM, 1);
    layer.trainMinibatch(X, 1, new int[] {3}, 0.5f);

    List<Scored> all = layer.predictTopK(X, 0, Integer.MAX_VALUE);

    assertThat(all).hasSize(CLASSES);
    assertThat(all).isEqualTo(layer.predictTopK(X, 0, CLASSES));
    assertThat(all.get(0).id()).isEqualTo(3);
  }

  @Test
  void aHierarchicalSoftmaxTopKOfTheLargestKIsEveryClassMostProbableFirst() {
    HierarchicalSoftmax layer = new HierarchicalSoftmax(new HierarchicalSoftmaxSpec(CLASSES, 1), DIM,
        new long[] {7, 6, 5, 4, 3, 2, 1});
    layer.trainMinibatch(X, 1, new int[] {3}, 0.5f);

    List<Scored> all = layer.predictTopK(X, 0, Integer.MAX_VALUE);

    assertThat(all).hasSize(CLASSES);
    assertThat(all).isEqualTo(layer.predictTopK(X, 0, CLASSES));
    assertThat(all.get(0).id()).isEqualTo(3);
  }

  @Test
  void aSkipGramsNearestOfTheLargestKAreEveryShownBucketAndCandidate() {
    SkipGram model = new SkipGram(new SkipGramSpec(64, 4, 2, 2, 0, 0.05, 16), 5);
    List<String> tokens = IntStream.range(0, 6).mapToObj(i -> "w" + i).toList();
    model.train(tokens);
    long shown = tokens.stream().map(model::bucket).distinct().count();

    assertThat(model.nearest("w0", Integer.MAX_VALUE)).hasSize((int) shown - 1)
        .isEqualTo(model.nearest("w0", (int) shown - 1));
    assertThat(model.nearest("w0", Integer.MAX_VALUE, tokens)).isEqualTo(model.nearest("w0", tokens.size(), tokens));
  }
}
