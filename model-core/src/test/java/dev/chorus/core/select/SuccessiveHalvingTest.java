package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class SuccessiveHalvingTest {

  private static final List<String> EIGHT = List.of("s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7");

  @Test
  void rungsAreGeometricAndSumToTheBudget() {
    assertThat(SuccessiveHalving.rungLengths(8, 70_000)).containsExactly(10_000, 20_000, 40_000);
    // 60000 / 7 is not whole: the last rung takes the remainder.
    assertThat(SuccessiveHalving.rungLengths(8, 60_000)).containsExactly(8571, 17142, 34287);
    assertThat(SuccessiveHalving.rungLengths(5, 700)).containsExactly(100, 200, 400);
    assertThat(SuccessiveHalving.rungLengths(2, 50)).containsExactly(50);
    assertThat(SuccessiveHalving.rungLengths(1, 50)).isEmpty();
    assertThat(new SuccessiveHalving(List.of("only"), 50, true).finished()).isTrue();
  }

  /** The cost formula of the Javadoc, checked by running the schedule: N + 7 r0 + 3 r1 + r2 ~ N + 17 B / 7 for 8. */
  @Test
  void trainingCostOfOnePassIsNearTwiceOneVariant() {
    long n = 60_000;
    long budget = n / 3;
    SuccessiveHalving halving = new SuccessiveHalving(EIGHT, budget, true);
    long work = 0;
    long seen = 0;
    while (!halving.finished()) {
      Map<String, Double> sums = new TreeMap<>();
      halving.live().forEach(v -> sums.put(v, (double) v.charAt(1)));
      work += halving.live().size();
      seen++;
      halving.record(sums, 1);
    }
    assertThat(seen).isEqualTo(budget);
    assertThat(halving.live()).containsExactly("s0");
    // The survivor trains alone on the rest of the stream.
    work += n - seen;
    long[] rungs = SuccessiveHalving.rungLengths(8, budget);
    assertThat(work).isEqualTo(n + 7 * rungs[0] + 3 * rungs[1] + rungs[2]);
    assertThat((double) work / n).isBetween(1.8, 1.82);
  }

  @Test
  void eachRungRetiresTheWorseHalfWithItsEvidence() {
    SuccessiveHalving halving = new SuccessiveHalving(EIGHT, 70, true);
    assertThat(halving.rungLength(0)).isEqualTo(10);
    // Loss per example: s7 best ... s0 worst, except s3 and s4 tie.
    Map<String, Double> perExample = new LinkedHashMap<>();
    double[] loss = {0.9, 0.8, 0.7, 0.5, 0.5, 0.3, 0.2, 0.1};
    for (int i = 0; i < 8; i++) {
      perExample.put(EIGHT.get(i), loss[i]);
    }
    assertThat(halving.record(scaled(perExample, halving.live(), 4), 4)).isEmpty();
    assertThat(halving.examplesInRung()).isEqualTo(4);
    Decision first = halving.record(scaled(perExample, halving.live(), 6), 6).orElseThrow();
    assertThat(first.rung()).isZero();
    assertThat(first.examples()).isEqualTo(10);
    // s3 and s4 tie at 0.5: the name decides, s3 stays.
    assertThat(first.survivors()).containsExactly("s7", "s6", "s5", "s3");
    assertThat(first.retired()).containsExactly("s4", "s2", "s1", "s0");
    assertThat(first.meanLoss()).containsOnlyKeys(EIGHT);
    assertThat(first.meanLoss().get("s5")).isCloseTo(0.3, org.assertj.core.api.Assertions.within(1e-12));
    assertThat(halving.live()).containsExactly("s3", "s5", "s6", "s7");
    assertThat(halving.rung()).isEqualTo(1);
    assertThat(halving.examplesInRung()).isZero();

    Decision second = halving.record(scaled(perExample, halving.live(), 20), 20).orElseThrow();
    assertThat(second.survivors()).containsExactly("s7", "s6");
    assertThat(second.meanLoss()).containsOnlyKeys("s3", "s5", "s6", "s7");
    Decision third = halving.record(scaled(perExample, halving.live(), 40), 40).orElseThrow();
    assertThat(third.rung()).isEqualTo(2);
    assertThat(third.survivors()).containsExactly("s7");
    assertThat(third.retired()).containsExactly("s6");
    assertThat(halving.finished()).isTrue();
    assertThatThrownBy(() -> halving.record(Map.of("s7", 1.0), 1)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void startsFromTheSearchOfAVariantSpec() {
    VariantSpec spec = VariantSpec.parse("""
        {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,
         "search":{"method":"successive-halving","variants":8,"budgetExamples":70,
                   "space":{"optimizer.learningRate":{"logUniform":[1e-4,1e-1]}}}}""", 8);
    SuccessiveHalving halving = SuccessiveHalving.start(spec.search().orElseThrow(), spec.variants());
    assertThat(halving.live()).isEqualTo(EIGHT);
    assertThat(halving.rungs()).isEqualTo(3);
    assertThat(halving.rungLength(0)).isEqualTo(10);
    SuccessiveHalving random = SuccessiveHalving.start(
        VariantSpec.parse(spec.toJson().replace("successive-halving", "random"), 8).search().orElseThrow(),
        spec.variants());
    Map<String, Double> sums = new TreeMap<>();
    EIGHT.forEach(v -> sums.put(v, 1.0));
    assertThat(random.record(sums, 10).orElseThrow().retired()).isEmpty();
  }

  @Test
  void aDivergedVariantRanksLast() {
    SuccessiveHalving halving = new SuccessiveHalving(List.of("a", "b"), 1, true);
    Decision decision = halving.record(Map.of("a", Double.NaN, "b", 5.0), 1).orElseThrow();
    assertThat(decision.survivors()).containsExactly("b");
  }

  @Test
  void randomSearchKeepsEveryVariantButStillPublishesEvidence() {
    SuccessiveHalving random = new SuccessiveHalving(List.of("s0", "s1", "s2"), 3, false);
    Decision decision = random.record(Map.of("s0", 3.0, "s1", 1.0, "s2", 2.0), 1).orElseThrow();
    // Best first.
    assertThat(decision.survivors()).containsExactly("s1", "s2", "s0");
    assertThat(decision.retired()).isEmpty();
    assertThat(decision.meanLoss()).containsEntry("s1", 1.0);
    assertThat(random.live()).hasSize(3);
  }

  @Test
  void aRungDecidedElsewhereMustRetireAsManyLiveVariantsAsTheRungRetires() {
    SuccessiveHalving halving = new SuccessiveHalving(List.of("a", "b", "c"), 7, true);
    assertThat(halving.retiring()).isEqualTo(1);
    assertThat(halving.decided(List.of("a", "b"))).as("too many").isFalse();
    assertThat(halving.decided(List.of("x"))).as("not live").isFalse();
    assertThat(halving.rung()).isZero();
    assertThat(halving.live()).containsExactly("a", "b", "c");

    assertThat(halving.decided(List.of("b"))).isTrue();

    assertThat(halving.rung()).isEqualTo(1);
    assertThat(halving.live()).containsExactly("a", "c");
    assertThat(halving.retiring()).isEqualTo(1);
    assertThat(halving.decided(List.of("a"))).isTrue();
    assertThat(halving.finished()).isTrue();
    assertThat(halving.retiring()).isZero();
    assertThat(new SuccessiveHalving(List.of("a", "b"), 1, false).retiring()).as("a random search").isZero();
  }

  @Test
  void refusesSumsForOtherVariants() {
    SuccessiveHalving halving = new SuccessiveHalving(List.of("a", "b"), 10, true);
    assertThatIllegalArgumentException().isThrownBy(() -> halving.record(Map.of("a", 1.0), 1))
        .withMessage("loss sums: expected one for each live variant [a, b], got [a]");
    assertThatIllegalArgumentException().isThrownBy(() -> halving.record(Map.of("a", 1.0, "b", 1.0), 0))
        .withMessage("examples: expected at least 1, got 0");
  }

  @Test
  void stateRoundTripsExactlyAndDecidesTheSame() throws IOException {
    SuccessiveHalving original = new SuccessiveHalving(EIGHT, 700, true);
    SplitLosses losses = new SplitLosses();
    SuccessiveHalving copy = null;
    List<Decision> originalAfterSave = new ArrayList<>();
    List<Decision> copyAfterSave = new ArrayList<>();
    for (int step = 0; !original.finished(); step++) {
      if (step == 150) {
        // Mid-rung (rung 1 spans examples 100..299), with sums that are not round numbers.
        byte[] saved = bytes(original);
        copy = SuccessiveHalving.readFrom(new BinaryState.Bytes(saved));
        assertThat(bytes(copy)).isEqualTo(saved);
        assertThat(copy.rung()).isEqualTo(1);
        assertThat(copy.examplesInRung()).isEqualTo(50);
      }
      Map<String, Double> sums = losses.next(original.live());
      Optional<Decision> decision = original.record(sums, 1);
      if (copy != null) {
        decision.ifPresent(originalAfterSave::add);
        copy.record(sums, 1).ifPresent(copyAfterSave::add);
      }
    }
    assertThat(originalAfterSave).hasSize(2);
    assertThat(copyAfterSave).isEqualTo(originalAfterSave);
    assertThat(copy.finished()).isTrue();
    assertThat(copy.live()).isEqualTo(original.live());
  }

  @Test
  void refusesCorruptState() throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(9);
    assertThatThrownBy(() -> SuccessiveHalving.readFrom(new BinaryState.Bytes(bytes.toByteArray())))
        .isInstanceOf(IOException.class).hasMessage("SuccessiveHalving state: expected version 1, stream has 9");
  }

  private static Map<String, Double> scaled(Map<String, Double> perExample, List<String> live, int examples) {
    Map<String, Double> sums = new TreeMap<>();
    live.forEach(v -> sums.put(v, perExample.get(v) * examples));
    return sums;
  }

  private static byte[] bytes(SuccessiveHalving halving) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    halving.writeTo(new DataOutputStream(bytes));
    return bytes.toByteArray();
  }

  /** Seeded per-variant losses whose means differ by variant. */
  private static final class SplitLosses {
    private final java.util.SplittableRandom random = new java.util.SplittableRandom(11);

    Map<String, Double> next(List<String> live) {
      Map<String, Double> sums = new TreeMap<>();
      for (String v : live) {
        sums.put(v, random.nextDouble() + 0.05 * v.charAt(1));
      }
      return sums;
    }
  }
}
