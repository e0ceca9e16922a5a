package dev.chorus.core.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.output.SampledSoftmaxSpec.Objective;
import dev.chorus.core.spec.SpecReader;
import org.junit.jupiter.api.Test;

/** The output layers' config records read and write their JSON, and refuse bad values naming key, expected, got. */
class OutputSpecsTest {

  private static SpecReader json(String text) {
    return SpecReader.document("{\"output\":" + text + "}").at("output");
  }

  @Test
  void sampledSoftmaxRoundTripsAndDefaults() {
    SampledSoftmaxSpec spec = SampledSoftmaxSpec.fromJson(json("{\"classes\":1000000}"));
    assertThat(spec).isEqualTo(new SampledSoftmaxSpec(1_000_000, SampledSoftmaxSpec.DEFAULT_NEGATIVES,
        Objective.SAMPLED_SOFTMAX));
    ObjectNode written = SpecReader.newObject();
    new SampledSoftmaxSpec(5000, 20, Objective.NEGATIVE_SAMPLING).writeJson(written);
    assertThat(written.toString()).isEqualTo("{\"classes\":5000,\"negatives\":20,\"objective\":\"negative-sampling\"}");
    assertThat(SampledSoftmaxSpec.fromJson(json(written.toString())))
        .isEqualTo(new SampledSoftmaxSpec(5000, 20, Objective.NEGATIVE_SAMPLING));
  }

  @Test
  void sampledSoftmaxRefusesBadValues() {
    assertThatThrownBy(() -> SampledSoftmaxSpec.fromJson(json("{\"classes\":1}")))
        .hasMessage("ModelSpec key 'output.classes': expected an integer >= 2, got 1");
    assertThatThrownBy(() -> SampledSoftmaxSpec.fromJson(json("{\"classes\":100,\"negatives\":0}")))
        .hasMessage("ModelSpec key 'output.negatives': expected an integer in [1, 100000], got 0");
    assertThatThrownBy(() -> SampledSoftmaxSpec.fromJson(json("{\"classes\":100,\"objective\":\"nce\"}")))
        .hasMessage("ModelSpec key 'output.objective': expected one of [\"sampled-softmax\", \"negative-sampling\"],"
            + " got \"nce\"");
    assertThatThrownBy(() -> SampledSoftmaxSpec.fromJson(json("{\"classes\":100,\"k\":3}")))
        .hasMessageStartingWith("ModelSpec: unknown key 'output.k'");
  }

  @Test
  void hierarchicalSoftmaxRoundTripsAndRefusesBadValues() {
    ObjectNode written = SpecReader.newObject();
    new HierarchicalSoftmaxSpec(300, 7).writeJson(written);
    assertThat(HierarchicalSoftmaxSpec.fromJson(json(written.toString()))).isEqualTo(new HierarchicalSoftmaxSpec(300, 7));
    assertThatThrownBy(() -> HierarchicalSoftmaxSpec.fromJson(json("{\"classes\":10,\"countPrefix\":-1}")))
        .hasMessage("ModelSpec key 'output.countPrefix': expected an integer >= 1, got -1");
    assertThatThrownBy(() -> new HierarchicalSoftmax(new HierarchicalSoftmaxSpec(3, 10), 2, new long[] {1, 2}))
        .hasMessage("counts: expected one count per class, 3, got 2");
    assertThatThrownBy(() -> new HierarchicalSoftmax(new HierarchicalSoftmaxSpec(3, 10), 2, new long[] {1, 0, 2}))
        .hasMessage("counts[1]: expected a count >= 1, got 0");
  }

  @Test
  void skipGramRoundTripsAndRefusesBadValues() {
    SkipGramSpec spec = new SkipGramSpec(1 << 16, 50, 5, 5, 1e-4, 0.025, 1000);
    ObjectNode written = SpecReader.newObject();
    spec.writeJson(written);
    assertThat(SkipGramSpec.fromJson(json(written.toString()))).isEqualTo(spec);
    assertThat(SkipGramSpec.fromJson(json("{\"buckets\":65536,\"dim\":50}"))).isEqualTo(new SkipGramSpec(65536, 50,
        SkipGramSpec.DEFAULT_WINDOW, SkipGramSpec.DEFAULT_NEGATIVES, SkipGramSpec.DEFAULT_SUBSAMPLE,
        SkipGramSpec.DEFAULT_LEARNING_RATE, SkipGramSpec.DEFAULT_MAX_TOKENS));
    assertThatThrownBy(() -> SkipGramSpec.fromJson(json("{\"buckets\":0,\"dim\":50}")))
        .hasMessage("ModelSpec key 'output.buckets': expected an integer in [2, 16777216], got 0");
    assertThatThrownBy(() -> SkipGramSpec.fromJson(json("{\"buckets\":1024,\"dim\":50,\"window\":0}")))
        .hasMessage("ModelSpec key 'output.window': expected an integer in [1, 100], got 0");
    assertThatThrownBy(() -> SkipGramSpec.fromJson(json("{\"buckets\":1024,\"dim\":50,\"subsample\":-1}")))
        .hasMessage("ModelSpec key 'output.subsample': expected a number in [0, 1), got -1.0");
    assertThatThrownBy(() -> SkipGramSpec.fromJson(json("{\"buckets\":1024,\"dim\":50,\"learningRate\":\"x\"}")))
        .hasMessage("ModelSpec key 'output.learningRate': expected a number, got \"x\"");
  }

  /** A label out of range anywhere in a minibatch is refused, naming it, before any row of the layer moves. */
  @Test
  void labelsOutOfRangeAreRefusedBeforeAnyUpdate() {
    float[] x = {1f, 2f, 3f, 4f};
    SampledSoftmax sampled = new SampledSoftmax(new SampledSoftmaxSpec(5, 3, Objective.SAMPLED_SOFTMAX), 2, 1);
    assertThatThrownBy(() -> sampled.trainMinibatch(x, 2, new int[] {1, 5}, 0.1f))
        .hasMessage("labels[1]: expected a class in [0, 5), got 5");
    assertThat(sampled.bias()).containsOnly(0f);
    HierarchicalSoftmax tree = new HierarchicalSoftmax(new HierarchicalSoftmaxSpec(5, 10), 2, new long[] {5, 4, 3, 2, 1});
    assertThatThrownBy(() -> tree.trainMinibatch(x, 2, new int[] {0, -1}, 0.1f))
        .hasMessage("labels[1]: expected a class in [0, 5), got -1");
    assertThat(tree.nodeBias()).containsOnly(0f);
  }
}
