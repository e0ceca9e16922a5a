package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.select.ChampionRace.Status;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** A task's variants racing: pairing by example id, the first champion, changes, no flapping, retiring, state. */
class ChampionRaceTest {

  private static final PairedComparison.Settings FAST = new PairedComparison.Settings(20, 0.01, 0.005, 100);

  @Test
  void defaultIsTheFirstChampionEvenWhenAnotherVariantPredictsFirst() {
    ChampionRace race = new ChampionRace(FAST, 100);
    assertThat(race.record("e1", "wide", 0.5, true, 3)).isEmpty();
    assertThat(race.champion()).isEqualTo("wide");
    assertThat(race.record("e1", "default", 0.6, false, 4)).as("nothing named wide yet: no change").isEmpty();
    assertThat(race.champion()).isEqualTo("default");
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant).containsExactly("default", "wide");
    assertThat(race.standings().get(1).status()).isEqualTo(Status.CHALLENGER);
  }

  /**
   * Once standings named the first-seen variant, a default that only starts predicting then (added late) is an
   * untrained challenger: it must win the paired test like any other, however equal the record it meets.
   */
  @Test
  void aDefaultThatFirstPredictsAfterTheFirstStandingsWentOutIsAChallenger() {
    ChampionRace race = new ChampionRace(FAST, 100);
    for (int i = 0; i < 10_000; i++) {
      race.record("e" + i, "a", 0.5, true, i);
      race.record("e" + i, "b", 0.5, true, i);
    }
    race.standingsPublished();
    assertThat(race.record("e10000", "default", 2.0, false, 0)).isEmpty();
    assertThat(race.champion()).isEqualTo("a");
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant, ChampionRace.Standing::status)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", Status.CHAMPION),
            org.assertj.core.groups.Tuple.tuple("b", Status.CHALLENGER),
            org.assertj.core.groups.Tuple.tuple("default", Status.CHALLENGER));
    assertThat(race.copy().champion()).as("state").isEqualTo("a");
  }

  @Test
  void pairsLossesOfTheSameExampleOnlyAndCountsTheUnpaired() {
    ChampionRace race = new ChampionRace(FAST, 3);
    race.record("e1", "default", 1.0, true, 1);
    race.record("e2", "default", 1.0, true, 1);
    race.record("e1", "b", 0.0, true, 1);
    assertThat(race.pairs("b")).as("e1, complete before b came, kept for it: paired").isEqualTo(1);
    assertThat(race.pending()).as("e1 and e2 complete, kept (e2 awaiting b), none waiting").isZero();
    for (int i = 3; i <= 6; i++) {
      race.record("e" + i, "default", 1.0, true, 1);
    }
    assertThat(race.pending()).isEqualTo(3);
    assertThat(race.unpaired()).as("e3 evicted before b reported it").isEqualTo(1);
    race.record("e6", "b", 0.0, true, 2);
    assertThat(race.pairs("b")).isEqualTo(2);
    assertThat(race.pending()).as("e6 complete, no longer waiting").isEqualTo(2);
    race.record("e7", "default", 1.0, true, 2);
    race.record("e7", "default", 1.0, true, 2);
    assertThat(race.unpaired()).as("a second loss of default on e7 (relabelled) starts a new occurrence").isEqualTo(2);
  }

  /**
   * The first example two variants share pairs like any other: default's loss on it was complete (the only variant
   * then) when b's came, and it stays until another example completes, whichever variant predicted first.
   */
  @Test
  void theFirstExampleTwoVariantsShareIsPaired() {
    for (List<String> order : List.of(List.of("default", "b"), List.of("b", "default"))) {
      ChampionRace race = new ChampionRace(FAST, 100);
      List<ChampionRace.Change> changes = new ArrayList<>();
      for (int i = 1; i <= 20; i++) {
        for (String variant : order) {
          race.record("e" + i, variant, variant.equals("b") ? 0.1 : 1.0, true, i).ifPresent(changes::add);
        }
        if (i == 1) {
          assertThat(race.pairs("b")).as(order + ": e1 paired").isEqualTo(1);
        }
      }
      assertThat(changes).as(order + ": b wins at the first look, the 20 examples all paired").singleElement()
          .satisfies(c -> assertThat(c.evidence().pairedExamples()).isEqualTo(20));
      assertThat(race.unpaired()).as(order.toString()).isZero();
      assertThat(race.pending()).as(order.toString()).isZero();
    }
  }

  /**
   * The example kept for a newcomer is kept beyond the bound, is no unpaired id when it leaves, not even when a
   * variant reports it again (a relabelling), and a restored race keeps it for the newcomer too.
   */
  @Test
  void theExampleKeptForANewcomerIsNoPendingOrUnpairedIdAndSurvivesARestore() throws IOException {
    ChampionRace race = new ChampionRace(FAST, 1);
    race.record("e1", "default", 1.0, true, 1);
    race.record("e2", "default", 1.0, true, 2);
    race.record("e2", "default", 1.0, true, 3);
    assertThat(race.pending()).isZero();
    assertThat(race.unpaired()).as("e1 left when e2 completed; e2 again is a relabelling").isZero();
    ChampionRace restored = ChampionRace.readFrom(new BinaryState.Bytes(bytes(race)), FAST, 1);
    restored.record("e2", "b", 0.5, true, 1);
    assertThat(restored.pairs("b")).as("e2 kept across the restore").isEqualTo(1);
    restored.record("e3", "default", 1.0, true, 4);
    restored.record("e4", "default", 1.0, true, 5);
    assertThat(restored.pending()).isEqualTo(1);
    assertThat(restored.unpaired()).as("e3 evicted by the bound of 1, not the completed e2").isEqualTo(1);
    assertThat(bytes(restored.copy())).isEqualTo(bytes(restored));
  }

  @Test
  void aBetterChallengerBecomesChampionWithEvidence() {
    ChampionRace race = new ChampionRace(FAST, 100);
    SplittableRandom random = new SplittableRandom(3);
    List<ChampionRace.Change> changes = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      double base = random.nextDouble();
      race.record("e" + i, "default", base + 0.3, i % 2 == 0, i).ifPresent(changes::add);
      race.record("e" + i, "b", base, true, i + 1).ifPresent(changes::add);
    }
    assertThat(changes).hasSize(1);
    ChampionRace.Change change = changes.get(0);
    assertThat(change.previous()).isEqualTo("default");
    assertThat(change.champion()).isEqualTo("b");
    assertThat(change.evidence().pairedExamples()).isEqualTo(20);
    assertThat(change.evidence().meanDifference()).isCloseTo(0.3, org.assertj.core.api.Assertions.within(1e-9));
    assertThat(race.champion()).isEqualTo("b");
    List<ChampionRace.Standing> standings = race.standings();
    assertThat(standings.get(0)).extracting(ChampionRace.Standing::variant, ChampionRace.Standing::status,
        ChampionRace.Standing::labelled, ChampionRace.Standing::correct, ChampionRace.Standing::modelVersion)
        .containsExactly("b", Status.CHAMPION, 400L, 400L, 400L);
    assertThat(standings.get(1).correct()).isEqualTo(200);
  }

  @Test
  void twoEqualVariantsDoNotFlap() {
    ChampionRace race = new ChampionRace(PairedComparison.Settings.defaults(), 1000);
    SplittableRandom random = new SplittableRandom(11);
    int changes = 0;
    for (int i = 0; i < 200_000; i++) {
      changes += race.record("e" + i, "default", -Math.log(1 - random.nextDouble()) * 0.7, null, i).isPresent() ? 1 : 0;
      changes += race.record("e" + i, "b", -Math.log(1 - random.nextDouble()) * 0.7, null, i).isPresent() ? 1 : 0;
    }
    assertThat(changes).as("champion changes between two equally good variants over 200,000 examples").isZero();
    assertThat(race.unpaired()).isZero();
  }

  @Test
  void retiringTheChampionHandsOverToTheBestChallenger() {
    ChampionRace race = new ChampionRace(FAST, 100);
    race.record("e1", "default", 0.9, true, 1);
    race.record("e1", "b", 0.5, true, 1);
    race.record("e1", "c", 0.2, true, 1);
    assertThat(race.retire("b")).isEmpty();
    assertThat(race.retire("default")).contains(new ChampionRace.Change("default", "c", null));
    assertThat(race.record("e2", "b", 0.1, true, 2)).isEmpty();
    assertThat(race.ignored()).isEqualTo(1);
    assertThat(race.liveVariants()).isEqualTo(1);
    assertThat(race.standings()).extracting(ChampionRace.Standing::status)
        .containsExactly(Status.CHAMPION, Status.RETIRED, Status.RETIRED);
  }

  @Test
  void aChallengerJustRevivedDoesNotSucceedARetiredChampionOverOneWithARecord() {
    ChampionRace race = new ChampionRace(FAST, 100);
    for (int i = 0; i < 10; i++) {
      race.record("e" + i, "default", 1.0, true, i);
      race.record("e" + i, "a", 0.9, true, i);
      race.record("e" + i, "b", 0.5, true, i);
    }
    race.retire("a");
    assertThat(race.revive("a")).as("a reset: retired and revived, an empty record, first of the challengers")
        .isEqualTo(new ChampionRace.Revival(true, null));
    assertThat(race.retire("default")).contains(new ChampionRace.Change("default", "b", null));
    assertThat(race.standings()).filteredOn(s -> s.variant().equals("a")).extracting(ChampionRace.Standing::status)
        .containsExactly(Status.CHALLENGER);
    race.retire("b");
    assertThat(race.champion()).as("with no challenger of a record left, the first live one").isEqualTo("a");
  }

  @Test
  void stateRoundTripsExactlyAndGoesOnTheSame() throws IOException {
    ChampionRace race = new ChampionRace(FAST, 50);
    SplittableRandom random = new SplittableRandom(5);
    for (int i = 0; i < 300; i++) {
      race.record("e" + i, "default", random.nextDouble(), random.nextBoolean(), i);
      if (i % 3 != 0) {
        race.record("e" + i, "b", random.nextDouble() * 0.8, random.nextBoolean(), i);
      }
    }
    byte[] bytes = bytes(race);
    ChampionRace restored = ChampionRace.readFrom(new BinaryState.Bytes(bytes), FAST, 50);
    assertThat(bytes(restored)).isEqualTo(bytes);
    assertThat(bytes(race.copy())).isEqualTo(bytes);
    SplittableRandom a = new SplittableRandom(6);
    SplittableRandom b = new SplittableRandom(6);
    for (int i = 300; i < 1000; i++) {
      double l1 = a.nextDouble();
      double l2 = a.nextDouble() * 0.8;
      b.nextDouble();
      b.nextDouble();
      assertThat(restored.record("e" + i, "default", l1, true, i)).isEqualTo(race.record("e" + i, "default", l1, true, i));
      assertThat(restored.record("e" + i, "b", l2, true, i)).isEqualTo(race.record("e" + i, "b", l2, true, i));
    }
    assertThat(bytes(restored)).isEqualTo(bytes(race));
  }

  /**
   * Default champion, then {@code forks} challengers {@code default-f<n>} one after another, each predicting ten
   * examples beside the champion (worse by 0.1) and retired, as a fork's patience running out retires it.
   */
  private static ChampionRace forkedAndRetired(int forks) {
    ChampionRace race = new ChampionRace(FAST, 100);
    int id = 0;
    for (int n = 1; n <= forks; n++) {
      for (int i = 0; i < 10; i++, id++) {
        race.record("e" + id, "default", 0.5, true, id);
        race.record("e" + id, "default-f" + n, 0.6, true, i);
      }
      assertThat(race.retire("default-f" + n)).as("a challenger's retirement changes no champion").isEmpty();
    }
    return race;
  }

  @Test
  void aHundredRetiredForksLeaveTheStandingsAndTheStateBounded() throws IOException {
    ChampionRace twenty = forkedAndRetired(20);
    ChampionRace hundred = forkedAndRetired(100);
    assertThat(hundred.champion()).isEqualTo("default");
    assertThat(hundred.liveVariants()).isEqualTo(1);
    assertThat(hundred.standings()).as("the champion and the 16 retired last")
        .extracting(ChampionRace.Standing::variant)
        .containsExactlyElementsOf(java.util.stream.Stream.concat(java.util.stream.Stream.of("default"),
            java.util.stream.IntStream.rangeClosed(85, 100).mapToObj(n -> "default-f" + n)).toList());
    assertThat(hundred.standings().get(0).labelled()).isEqualTo(1000);
    assertThat(hundred.standings()).filteredOn(s -> s.status() == Status.RETIRED).hasSize(ChampionRace.MAX_RETIRED)
        .allSatisfy(s -> assertThat(s.labelled()).isEqualTo(10));
    assertThat(bytes(hundred).length).as("a hundred forks' state, twenty's but for longer names")
        .isLessThanOrEqualTo(bytes(twenty).length + 32);
    assertThat(hundred.pending()).as("each fork's ten losses paired, its first too").isZero();
    hundred.record("late", "default-f100", 0.1, true, 10);
    hundred.record("late", "default-f85", 0.1, true, 10);
    assertThat(hundred.ignored()).as("late predictions of retired forks still on record").isEqualTo(2);
    assertThat(hundred.liveVariants()).isEqualTo(1);
  }

  @Test
  void theVariantRetiredLongestAgoIsForgottenNotTheOneThatArrivedFirst() {
    ChampionRace race = new ChampionRace(FAST, 100);
    race.record("e0", "default", 0.5, true, 0);
    race.record("e0", "early", 0.6, true, 0);
    for (int n = 1; n <= ChampionRace.MAX_RETIRED; n++) {
      race.record("e" + n, "default", 0.5, true, n);
      race.record("e" + n, "default-f" + n, 0.6, true, 0);
      race.retire("default-f" + n);
    }
    race.retire("early");
    race.record("e99", "default", 0.5, true, 99);
    race.record("e99", "default-f99", 0.6, true, 0);
    race.retire("default-f99");
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant)
        .as("default-f1 forgotten; early, retired after it though arrived before, kept")
        .hasSize(1 + ChampionRace.MAX_RETIRED).contains("early").doesNotContain("default-f1");
    // early's predictions still on their way when its retirement was decided (the control topic has not said so yet)
    assertThat(race.record("e100", "early", 0.01, true, 1)).isEmpty();
    assertThat(race.ignored()).isEqualTo(1);
    assertThat(race.standings()).filteredOn(s -> s.variant().equals("early"))
        .extracting(ChampionRace.Standing::status, ChampionRace.Standing::labelled)
        .containsExactly(org.assertj.core.groups.Tuple.tuple(Status.RETIRED, 1L));
    assertThat(race.liveVariants()).as("early did not rejoin").isEqualTo(1);
    assertThat(race.revive("default-f1").revived()).as("a forgotten variant is unknown: left alone").isFalse();
    assertThat(race.revive("early").revived()).isTrue();
  }

  @Test
  void aPrunedStateRoundTripsExactlyAndForgetsTheSameNext() throws IOException {
    ChampionRace race = forkedAndRetired(40);
    race.record("p1", "default", 0.5, true, 500);
    race.record("p1", "x", 0.4, true, 1);
    byte[] bytes = bytes(race);
    ChampionRace restored = ChampionRace.readFrom(new BinaryState.Bytes(bytes), FAST, 100);
    assertThat(bytes(restored)).isEqualTo(bytes);
    assertThat(restored.standings()).isEqualTo(race.standings());
    ChampionRace.Revival revival = race.revive("default-f30");
    assertThat(revival.revived()).isTrue();
    assertThat(restored.revive("default-f30")).isEqualTo(revival);
    for (ChampionRace r : List.of(race, restored)) {
      r.retire("x");
      r.retire("default-f30");
    }
    assertThat(bytes(restored)).isEqualTo(bytes(race));
    assertThat(restored.standings()).extracting(ChampionRace.Standing::variant).as("f25 forgotten next, retired longest ago")
        .doesNotContain("default-f25").contains("default-f26", "x", "default-f30")
        .hasSize(1 + ChampionRace.MAX_RETIRED);
  }

  private static byte[] bytes(ChampionRace race) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    race.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }
}
