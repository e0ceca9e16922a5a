package dev.chorus.core.annotators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
   * The streaming consensus after one pass agrees with batch Dawid–Skene on at least 97% of the items.
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
    int[] batch = BatchDawidSkene.fit(stream, items, annotators, k, BatchDawidSkene.DEFAULT_MAX_ITERATIONS,
        BatchDawidSkene.DEFAULT_TOLERANCE).mostLikely();
    int agree = 0;
    for (int i = 0; i < items; i++) {
      ItemConsensus consensus = model.consensus(i, null);
      if (consensus.mostLikely() == batch[i]) {
        agree++;
      }
    }
    assertThat(agree).as("items whose streaming and batch most likely classes agree").isGreaterThanOrEqualTo(291);
  }
}
