package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.io.BinaryState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SearchRunTest {

  private static final List<String> FOUR = List.of("hp-s0", "hp-s1", "hp-s2", "hp-s3");
  /** 4 variants, 6 examples: rungs of 2 and 4 examples. */
  private static final SearchSpec SPEC = new SearchSpec(SearchSpec.SUCCESSIVE_HALVING, 4, 6, 7, null);

  @Test
  void aRungIsDecidedOnExamplesEveryLiveVariantReportedWhateverTheOrder() {
    SearchRun run = SearchRun.start("hp", SPEC, FOUR);
    // Example e1: three variants report, then e2 arrives whole before e1's last loss.
    assertThat(run.record("e1", "hp-s2", 0.9, 100)).isEmpty();
    assertThat(run.record("e1", "hp-s0", 0.1, 100)).isEmpty();
    assertThat(run.record("e1", "hp-s3", 0.5, 100)).isEmpty();
    for (String v : FOUR) {
      assertThat(run.record("e2", v, lossOf(v), 100)).isEmpty();
    }
    assertThat(run.record("x", "default", 0.0, 100)).as("not a variant of the search").isEmpty();
    assertThat(run.pending()).isEqualTo(1);

    Optional<Decision> decision = run.record("e1", "hp-s1", 0.3, 100);

    assertThat(decision).hasValueSatisfying(d -> {
      assertThat(d.rung()).isZero();
      assertThat(d.examples()).isEqualTo(2);
      assertThat(d.survivors()).containsExactly("hp-s0", "hp-s1");
      assertThat(d.retired()).containsExactly("hp-s3", "hp-s2");
      assertThat(d.meanLoss()).containsEntry("hp-s2", (0.9 + 0.8) / 2);
    });
    assertThat(run.live()).containsExactly("hp-s0", "hp-s1");
    assertThat(run.retiredBecause()).containsOnlyKeys("hp-s2", "hp-s3");
    assertThat(run.retiredBecause().get("hp-s2")).isEqualTo("search hp rung 0 of 2 over 2 examples: mean "
        + "prequential loss hp-s0 0.100000 (kept), hp-s1 0.250000 (kept), hp-s3 0.450000 (retired), hp-s2 0.850000 "
        + "(retired)");
    assertThat(run.record("e3", "hp-s2", 0.0, 100)).as("a retired variant's late loss").isEmpty();
    assertThat(run.running()).isTrue();
    assertThat(run.decisions()).as("the rung's decision, with its evidence").containsExactly(
        run.retiredBecause().get("hp-s2"));
  }

  /**
   * The first layout (before the decisions were kept) still reads, with none: built here from a fresh run's bytes,
   * whose last 16 are the decisions' count, the unpaired count and the pending ids' count.
   */
  @Test
  void theFirstLayoutReadsWithoutDecisionsAndGoesOnAlike() throws IOException {
    SearchRun fresh = SearchRun.start("hp", SPEC, FOUR);
    byte[] current = bytes(fresh);
    byte[] first = new byte[current.length - 4];
    System.arraycopy(current, 0, first, 0, current.length - 16);
    System.arraycopy(current, current.length - 12, first, current.length - 16, 12);
    first[0] = 1;

    SearchRun read = SearchRun.readFrom(new BinaryState.Bytes(first));

    assertThat(bytes(read)).isEqualTo(current);
    for (SearchRun r : List.of(fresh, read)) {
      for (String v : FOUR) {
        r.record("e1", v, lossOf(v), 100);
        r.record("e2", v, lossOf(v), 100);
      }
      assertThat(r.decisions()).hasSize(1);
    }
    assertThat(bytes(read)).isEqualTo(bytes(fresh));
    first[0] = 3;
    assertThatThrownBy(() -> SearchRun.readFrom(new BinaryState.Bytes(first))).isInstanceOf(IOException.class)
        .hasMessage("SearchRun state: expected version 1 or 2, stream has 3");
  }

  @Test
  void theStateRoundTripsExactlyAndGoesOnAlike() throws IOException {
    SearchRun run = SearchRun.start("hp", SPEC, FOUR);
    for (String v : FOUR) {
      run.record("e1", v, lossOf(v), 100);
    }
    run.record("e2", "hp-s1", 0.4, 100);
    SearchRun read = SearchRun.readFrom(new BinaryState.Bytes(bytes(run)));
    assertThat(bytes(read)).isEqualTo(bytes(run));
    for (SearchRun r : List.of(run, read)) {
      r.record("e2", "hp-s0", 0.2, 100);
      r.record("e2", "hp-s3", 0.6, 100);
      assertThat(r.record("e2", "hp-s2", 0.8, 100)).hasValueSatisfying(
          d -> assertThat(d.retired()).containsExactly("hp-s3", "hp-s2"));
    }
    assertThat(bytes(read)).isEqualTo(bytes(run));
  }

  @Test
  void aRandomSearchKeepsEveryVariantAndABoundedBufferEvictsTheOldest() {
    SearchRun run = SearchRun.start("hp", new SearchSpec(SearchSpec.RANDOM, 4, 6, 7, null), FOUR);
    run.record("old", "hp-s0", 0.1, 1);
    run.record("new", "hp-s0", 0.1, 1);
    assertThat(run.unpaired()).isEqualTo(1);
    assertThat(run.pending()).isEqualTo(1);
    run.record("new", "hp-s1", 0.1, 1);
    run.record("new", "hp-s2", 0.1, 1);
    run.record("new", "hp-s3", 0.1, 1);
    for (String v : FOUR) {
      run.record("next", v, lossOf(v), 1);
    }
    assertThat(run.live()).containsExactlyElementsOf(FOUR);
    assertThat(run.retiredBecause()).isEmpty();
    assertThat(run.decisions()).as("a random rung retires nobody, and says so with its evidence").singleElement()
        .asString().startsWith("search hp rung 0 of 2 over 2 examples: mean prequential loss hp-s0 0.100000 (kept), "
            + "hp-s1 0.150000 (kept)").doesNotContain("retired");
  }

  /**
   * The last rung decided while the retired variant is ahead of the survivor: its losses on the examples the
   * survivor has not reported yet would wait for good, as a finished run reads no loss; they go with the decision.
   */
  @Test
  void aFinishedSearchKeepsNoWaitingLosses() throws IOException {
    SearchRun run = SearchRun.start("hp", new SearchSpec(SearchSpec.SUCCESSIVE_HALVING, 2, 2, 7, null),
        List.of("hp-s0", "hp-s1"));
    for (int e = 0; e < 5; e++) {
      run.record("e" + e, "hp-s1", 0.9, 100);
    }
    assertThat(run.record("e0", "hp-s0", 0.1, 100)).isEmpty();
    assertThat(run.record("e1", "hp-s0", 0.1, 100)).hasValueSatisfying(
        d -> assertThat(d.retired()).containsExactly("hp-s1"));
    assertThat(run.finished()).isTrue();
    assertThat(run.pending()).as("e2 to e4, hp-s1's alone").isZero();
    assertThat(run.unpaired()).isZero();
    assertThat(run.record("e2", "hp-s0", 0.1, 100)).isEmpty();
    assertThat(run.pending()).isZero();
    assertThat(SearchRun.readFrom(new BinaryState.Bytes(bytes(run))).pending()).isZero();
  }

  @Test
  void aVariantRetiredFromOutsideEndsTheSearch() {
    SearchRun run = SearchRun.start("hp", SPEC, FOUR);
    run.record("e1", "hp-s0", 0.1, 100);
    run.withdraw("hp-s3");
    assertThat(run.running()).isFalse();
    assertThat(run.abandoned()).isEqualTo("variant hp-s3 was retired outside the search at rung 0");
    for (String v : FOUR) {
      assertThat(run.record("e2", v, lossOf(v), 100)).isEmpty();
    }
  }

  @Test
  void aRunResumedAfterItsFirstRungsRetirementsDecidesItsSecondRungOnTheSurvivors() {
    SearchRun run = SearchRun.resume("hp", SPEC, FOUR, java.util.Set.of("hp-s2", "hp-s3"));
    assertThat(run.running()).isTrue();
    assertThat(run.live()).containsExactly("hp-s0", "hp-s1");
    List<Optional<Decision>> decisions = new java.util.ArrayList<>();
    for (int e = 0; e < 4; e++) {
      decisions.add(run.record("e" + e, "hp-s0", 0.1, 100));
      decisions.add(run.record("e" + e, "hp-s1", 0.2, 100));
    }
    assertThat(decisions.subList(0, 7)).as("rung 1 takes 4 examples").allMatch(Optional::isEmpty);
    assertThat(decisions.get(7)).hasValueSatisfying(d -> {
      assertThat(d.rung()).isEqualTo(1);
      assertThat(d.retired()).containsExactly("hp-s1");
    });
  }

  @Test
  void retirementsNoRungMakesEndTheResumedRunAndNoneLeaveItAtTheStart() {
    SearchRun outside = SearchRun.resume("hp", SPEC, FOUR, java.util.Set.of("hp-s3"));
    assertThat(outside.running()).isFalse();
    assertThat(outside.abandoned()).isEqualTo("variants [hp-s3] were retired before this run of the search, not as "
        + "its rungs retire");
    SearchRun fresh = SearchRun.resume("hp", SPEC, FOUR, java.util.Set.of());
    assertThat(fresh.running()).isTrue();
    assertThat(fresh.live()).containsExactlyElementsOf(FOUR);
  }

  /**
   * A restored run reads back the decision of its rung that an earlier attempt made: it adopts it once every
   * retirement of the rung is in (the state between round-trips), then decides its next rung itself.
   */
  @Test
  void aDecisionOfItsRungReadBackIsAdoptedOnceEveryRetirementOfItIsIn() throws IOException {
    SearchRun run = SearchRun.start("hp", SPEC, FOUR);
    run.record("e1", "hp-s1", 0.2, 100);
    String earlier = "search hp rung 0 of 2 over 2 examples: mean prequential loss hp-s1 0.1 (kept), hp-s3 0.2 "
        + "(kept), hp-s0 0.3 (retired), hp-s2 0.4 (retired)";

    assertThat(run.adopt("hp-s2", earlier)).isTrue();
    assertThat(run.rung()).as("half of the decision is in").isZero();
    SearchRun read = SearchRun.readFrom(new BinaryState.Bytes(bytes(run)));
    assertThat(bytes(read)).isEqualTo(bytes(run));
    for (SearchRun r : List.of(run, read)) {
      assertThat(r.adopt("hp-s0", earlier)).isTrue();
      assertThat(r.rung()).isEqualTo(1);
      assertThat(r.live()).containsExactly("hp-s1", "hp-s3");
      assertThat(r.decisions()).containsExactly(earlier);
      assertThat(r.retiredBecause()).containsOnlyKeys("hp-s0", "hp-s2").containsValue(earlier);
      assertThat(r.pending()).as("e1 awaits hp-s3, for rung 1").isEqualTo(1);
      List<Optional<Decision>> decisions = new java.util.ArrayList<>();
      for (int e = 2; e < 6; e++) {
        decisions.add(r.record("e" + e, "hp-s1", 0.2, 100));
        decisions.add(r.record("e" + e, "hp-s3", 0.1, 100));
      }
      assertThat(decisions.subList(0, 7)).allMatch(Optional::isEmpty);
      assertThat(decisions.get(7)).hasValueSatisfying(d -> assertThat(d.retired()).containsExactly("hp-s1"));
      assertThat(r.finished()).isTrue();
    }
    assertThat(bytes(read)).isEqualTo(bytes(run));
  }

  /**
   * Half of an earlier attempt's decision in (the rest never written), the run completes the rung itself: the
   * adopted variant reports no loss, and is retired with the worst of the others whatever its losses were.
   */
  @Test
  void aRungEndedWhileItsAdoptedDecisionIsIncompleteRetiresTheAdoptedAndTheWorstOfTheRest() {
    SearchRun run = SearchRun.start("hp", SPEC, FOUR);
    run.record("e1", "hp-s0", 0.1, 100);
    assertThat(run.adopt("hp-s0", "search hp rung 0 of 2 over 2 examples: an earlier attempt's evidence")).isTrue();
    assertThat(run.record("e1", "hp-s0", 0.1, 100)).as("an adopted variant's late loss").isEmpty();
    List<Optional<Decision>> decisions = new java.util.ArrayList<>();
    for (String e : List.of("e1", "e2")) {
      for (String v : List.of("hp-s1", "hp-s2", "hp-s3")) {
        decisions.add(run.record(e, v, lossOf(v), 100));
      }
    }
    assertThat(decisions.subList(0, 5)).allMatch(Optional::isEmpty);
    assertThat(decisions.get(5)).hasValueSatisfying(d -> {
      assertThat(d.survivors()).containsExactly("hp-s1", "hp-s3");
      assertThat(d.retired()).containsExactly("hp-s2", "hp-s0");
    });
    assertThat(run.decisions()).containsExactly("search hp rung 0 of 2 over 2 examples: mean prequential loss hp-s1 "
        + "0.200000 (kept), hp-s3 0.400000 (kept), hp-s2 0.800000 (retired), hp-s0 (retired by this rung's decision "
        + "of an earlier attempt)");
    assertThat(run.retiredBecause().get("hp-s0")).isEqualTo(run.decisions().get(0));
    assertThat(run.running()).isTrue();
  }

  @Test
  void onlyARetirementOfTheRungTheRunStandsAtIsAdopted() {
    SearchRun run = SearchRun.start("hp", SPEC, FOUR);
    assertThat(run.adopt("hp-s1", "search hp rung 1 of 2 over 4 examples: ...")).as("a later rung").isFalse();
    assertThat(run.adopt("hp-s1", "search other rung 0 of 2 over 2 examples: ...")).as("another search").isFalse();
    assertThat(run.adopt("hp-s1", null)).isFalse();
    assertThat(run.adopt("default", "search hp rung 0 of 2 over 2 examples: ...")).as("not its variant").isFalse();
    SearchRun random = SearchRun.start("hp", new SearchSpec(SearchSpec.RANDOM, 4, 6, 7, null), FOUR);
    assertThat(random.adopt("hp-s1", "search hp rung 0 of 2 over 2 examples: ...")).as("retires nobody").isFalse();
    assertThat(run.live()).containsExactlyElementsOf(FOUR);
    assertThat(run.retiredBecause()).isEmpty();
    assertThat(random.retiredBecause()).isEmpty();
  }

  private static double lossOf(String variant) {
    return switch (variant) {
      case "hp-s0" -> 0.1;
      case "hp-s1" -> 0.2;
      case "hp-s2" -> 0.8;
      default -> 0.4;
    };
  }

  private static byte[] bytes(SearchRun run) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    run.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }
}
