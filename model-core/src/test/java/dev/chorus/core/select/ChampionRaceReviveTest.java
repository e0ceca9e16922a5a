package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.ChampionRace.Status;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A variant made live again after it was retired races again from an empty record. */
class ChampionRaceReviveTest {

  private static final PairedComparison.Settings FAST = new PairedComparison.Settings(20, 0.01, 0.005, 100);
  private static final DriftSpec PAGE_HINKLEY = DriftSpec.defaults(DriftSpec.PAGE_HINKLEY);

  private static ChampionRace.Standing standing(ChampionRace race, String variant) {
    return race.standings().stream().filter(s -> s.variant().equals(variant)).findFirst().orElseThrow();
  }

  @Test
  void aRevivedChallengerStartsAnEmptyRecordAndMustPairAFullTestAgain() {
    ChampionRace race = new ChampionRace(FAST, 100);
    for (int i = 0; i < 15; i++) {
      race.record("e" + i, "default", 1.0, false, i);
      race.record("e" + i, "b", 0.1, true, 100 + i);
    }
    race.record("e15", "b", 0.1, true, 115); // pending when b is retired: dropped with its record
    for (int i = 0; i < 1000; i++) {
      race.observeDrift("b", PAGE_HINKLEY, i < 100, 5_000 + i);
    }
    long events = standing(race, "b").driftEvents();
    assertThat(events).as("b drifted before it was retired").isPositive();
    race.retire("b");
    assertThat(race.record("e16", "b", 0.1, true, 116)).isEmpty();
    assertThat(race.ignored()).isEqualTo(1);

    assertThat(race.revive("b").revived()).isTrue();
    assertThat(race.champion()).as("default is still champion").isEqualTo("default");
    ChampionRace.Standing b = standing(race, "b");
    assertThat(b.status()).isEqualTo(Status.CHALLENGER);
    assertThat(b.labelled()).isZero();
    assertThat(b.correct()).isZero();
    assertThat(b.modelVersion()).isZero();
    assertThat(b.driftEvents()).as("its drift history stays on record").isEqualTo(events);
    assertThat(b.lastDriftAt()).isNotNull();

    race.record("e15", "default", 1.0, false, 15);
    assertThat(race.pending()).as("e15 waits for the revived b's own loss").isEqualTo(1);
    Optional<ChampionRace.Change> change = Optional.empty();
    int pairs = 0;
    for (int i = 20; change.isEmpty() && i < 100; i++, pairs++) {
      race.record("e" + i, "default", 1.0, false, i);
      change = race.record("e" + i, "b", 0.1, true, i - 20);
    }
    assertThat(pairs).as("the 15 pairs before its retirement do not count").isEqualTo(20);
    assertThat(change.get().champion()).isEqualTo("b");
    assertThat(change.get().evidence().pairedExamples()).isEqualTo(20);
    assertThat(standing(race, "b").modelVersion()).isEqualTo(19);
    assertThat(race.observeDrift("b", PAGE_HINKLEY, true, 9_000)).isFalse();
    assertThat(race.copy().standings()).isEqualTo(race.standings());
  }

  @Test
  void aRevivedSoleVariantIsChampionAgainAndALiveOrUnknownOneIsLeftAlone() {
    ChampionRace race = new ChampionRace(FAST, 100);
    race.record("e0", "default", 1.0, false, 7);
    race.retire("default");
    assertThat(race.champion()).isNull();
    assertThat(race.revive("default")).as("champion again, after itself")
        .isEqualTo(new ChampionRace.Revival(true, new ChampionRace.Change("default", "default", null)));
    assertThat(race.champion()).isEqualTo("default");
    assertThat(standing(race, "default").status()).isEqualTo(Status.CHAMPION);
    assertThat(standing(race, "default").labelled()).isZero();

    race.record("e1", "default", 1.0, false, 1);
    assertThat(race.revive("default").revived()).isFalse();
    assertThat(race.revive("ghost").revived()).isFalse();
    assertThat(standing(race, "default").labelled()).as("a live variant keeps its record").isEqualTo(1);
    assertThat(race.standings()).hasSize(1);
  }

  /**
   * A task whose last live variant was retired has no champion; the variant that comes next, or comes back, is one,
   * and that is a change from the variant retired last (the champion), so its record says since when and after whom.
   */
  @Test
  void aVariantThatComesOrComesBackAfterTheLastLiveOneWasRetiredIsAChangeFromIt() {
    ChampionRace race = new ChampionRace(FAST, 100);
    race.record("e0", "a", 1.0, false, 3);
    race.record("e0", "c", 1.0, false, 3);
    race.retire("c");
    race.retire("a");
    assertThat(race.champion()).isNull();
    assertThat(race.record("e1", "b", 0.5, true, 0)).as("a new variant")
        .contains(new ChampionRace.Change("a", "b", null));
    assertThat(race.champion()).isEqualTo("b");
    assertThat(race.record("e2", "b", 0.5, true, 1)).isEmpty();

    race.retire("b");
    assertThat(race.copy().revive("c")).as("a revived one, across the state")
        .isEqualTo(new ChampionRace.Revival(true, new ChampionRace.Change("b", "c", null)));
    assertThat(race.revive("c").change()).isEqualTo(new ChampionRace.Change("b", "c", null));
    assertThat(race.record("e3", "default", 0.5, true, 0)).as("a champion: default is a challenger")
        .isEmpty();
    assertThat(race.champion()).isEqualTo("c");
  }

  /**
   * A reset variant's old model still has predictions on their way, right ones (it had partly relearned the changed
   * concept): they are counted stale, not raced, until the version goes down to the fresh model's first, so the fresh
   * record and the fresh detector start there, and the fresh model's wrong first predictions are no rise over them.
   */
  @Test
  void theOldModelsPredictionsAfterARevivalAreStaleUntilTheVersionGoesDown() {
    ChampionRace race = new ChampionRace(FAST, 1000);
    for (int i = 0; i < 200; i++) {
      race.record("e" + i, "default", 0.5, i % 2 == 0, i / 16);
      race.observeDrift("default", PAGE_HINKLEY, i % 2 == 0, i);
      race.record("e" + i, "b", 0.4, true, i / 16);
    }
    race.retire("default");
    assertThat(race.revive("default").revived()).isTrue();
    int detections = 0;
    for (int i = 200; i < 500; i++) {
      race.record("e" + i, "default", 0.1, true, 12 + (i - 200) / 16);
      detections += race.observeDrift("default", PAGE_HINKLEY, true, i) ? 1 : 0;
      race.record("e" + i, "b", 0.4, true, 12 + (i - 200) / 16);
    }
    assertThat(race.stale()).as("the old model's, from its last version seen on").isEqualTo(300);
    assertThat(standing(race, "default").labelled()).isZero();
    assertThat(race.copy().stale()).as("state").isEqualTo(300);
    for (int i = 500; i < 800; i++) {
      boolean right = i % 3 == 0;
      race.record("e" + i, "default", right ? 0.3 : 1.5, right, (i - 500) / 16);
      detections += race.observeDrift("default", PAGE_HINKLEY, right, i) ? 1 : 0;
      race.record("e" + i, "b", 0.4, true, 30 + (i - 500) / 16);
    }
    assertThat(detections).as("the fresh detector saw the fresh model only").isZero();
    ChampionRace.Standing fresh = standing(race, "default");
    assertThat(fresh.labelled()).as("its fresh record").isEqualTo(300);
    assertThat(fresh.correct()).isEqualTo(100);
    assertThat(fresh.modelVersion()).isEqualTo(18);
    assertThat(race.stale()).isEqualTo(300);
  }

  @Test
  void aRevivedVariantWhoseOldModelNeverPassedVersion0AwaitsNothing() {
    ChampionRace race = new ChampionRace(FAST, 100);
    race.record("e0", "default", 1.0, false, 0);
    race.retire("default");
    race.revive("default");
    race.record("e1", "default", 0.5, true, 0);
    assertThat(race.stale()).isZero();
    assertThat(standing(race, "default").labelled()).isEqualTo(1);
  }

  /**
   * The revival reached the race after the fresh model's first predictions (they overtook it): its versions went
   * down before the revival, so nothing of the old model is still to come, and the fresh model's later predictions,
   * past the old model's versions, race.
   */
  @Test
  void aRevivalThatComesAfterTheFreshModelsFirstPredictionsAwaitsNothing() {
    ChampionRace race = new ChampionRace(FAST, 100);
    for (int i = 0; i < 4; i++) {
      race.record("e" + i, "default", 1.0, false, i);
    }
    for (int i = 4; i < 10; i++) {
      race.record("e" + i, "default", 1.0, false, i - 4);
    }
    race.retire("default");
    race.revive("default");
    for (int i = 10; i < 20; i++) {
      race.record("e" + i, "default", 0.5, true, i - 4);
    }
    assertThat(race.stale()).isZero();
    assertThat(standing(race, "default").labelled()).isEqualTo(10);
    assertThat(standing(race, "default").modelVersion()).isEqualTo(15);
  }
}
