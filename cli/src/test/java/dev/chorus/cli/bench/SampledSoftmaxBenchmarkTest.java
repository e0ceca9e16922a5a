package dev.chorus.cli.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sampled-softmax track's figures: what issue 17 targets, on counts that do not depend on the machine. */
class SampledSoftmaxBenchmarkTest {

  @Test
  void trainingCostPerExampleAtAMillionClassesIsWithinTwiceThatAtAThousand() {
    Map<String, Object> small = SampledSoftmaxBenchmark.cost(1_000);
    Map<String, Object> large = SampledSoftmaxBenchmark.cost(1_000_000);
    double ratio = (double) large.get("multiply_adds_per_example") / (double) small.get("multiply_adds_per_example");
    System.out.println("sampled softmax cost 10^6/10^3: " + ratio + " " + small + " " + large);
    assertThat(ratio).isBetween(0.5, 2.0);
  }

  @Test
  void sampledSoftmaxLearnsAThousandClassesAlmostAsWellAsTheFullSoftmax() {
    Map<String, Object> figures = SampledSoftmaxBenchmark.accuracy(1_000);
    System.out.println("1,000 classes: " + figures);
    assertThat((double) figures.get("full_top5")).isGreaterThan(0.5);
    assertThat((double) figures.get("sampled_top5")).isGreaterThan(0.8 * (double) figures.get("full_top5"));
  }
}
