package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Drift detectors per variant in a task's race: fed 0/1 losses, the standing's last drift, the state layouts. */
class ChampionRaceDriftTest {

  private static final PairedComparison.Settings FAST = new PairedComparison.Settings(20, 0.01, 0.005, 100);
  private static final DriftSpec PAGE_HINKLEY = DriftSpec.defaults(DriftSpec.PAGE_HINKLEY);

  /**
   * {@code champion-race-v1.bin}, written by the first layout (no drift): default (13 labelled, 4 correct, loss
   * 0.9) champion, b (12, 12, 0.2) challenger, c (1, 1, 0.5) retired; 3 ids pending. Never regenerated.
   */
  @Test
  void theFirstLayoutStillReadsWithNoDetectorsAndNoDrift() throws IOException {
    byte[] saved;
    try (InputStream in = ChampionRaceDriftTest.class.getResourceAsStream("champion-race-v1.bin")) {
      assertThat(in).isNotNull();
      saved = in.readAllBytes();
    }
    ChampionRace race = ChampionRace.readFrom(new BinaryState.Bytes(saved), FAST, 100);
    assertThat(race.champion()).isEqualTo("default");
    assertThat(race.pending()).isEqualTo(3);
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant, ChampionRace.Standing::status,
        ChampionRace.Standing::labelled, ChampionRace.Standing::correct, ChampionRace.Standing::lossMean,
        ChampionRace.Standing::driftEvents, ChampionRace.Standing::lastDriftAt).containsExactly(
            org.assertj.core.groups.Tuple.tuple("default", ChampionRace.Status.CHAMPION, 13L, 4L, 0.9, 0L, null),
            org.assertj.core.groups.Tuple.tuple("b", ChampionRace.Status.CHALLENGER, 12L, 12L, 0.2, 0L, null),
            org.assertj.core.groups.Tuple.tuple("c", ChampionRace.Status.RETIRED, 1L, 1L, 0.5, 0L, null));
  }

  /**
   * {@code champion-race-v2.bin}, written by the second layout (detectors, no stale predictions): default (41
   * labelled, 33 correct, version 5) champion with a Page-Hinkley detector, b (41, 20, version 104, one drift event at
   * 2365) challenger with one, c (1, 1, version 3) retired; 4 ids pending. Never regenerated.
   */
  @Test
  void theSecondLayoutStillReadsWithItsDetectorsAndNothingStale() throws IOException {
    ChampionRace race = ChampionRace.readFrom(new BinaryState.Bytes(fixture("champion-race-v2.bin")), FAST, 100);
    assertThat(race.champion()).isEqualTo("default");
    assertThat(race.pending()).isEqualTo(4);
    assertThat(race.stale()).isZero();
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant, ChampionRace.Standing::status,
        ChampionRace.Standing::labelled, ChampionRace.Standing::correct, ChampionRace.Standing::modelVersion,
        ChampionRace.Standing::driftEvents, ChampionRace.Standing::lastDriftAt).containsExactly(
            org.assertj.core.groups.Tuple.tuple("default", ChampionRace.Status.CHAMPION, 41L, 33L, 5L, 0L, null),
            org.assertj.core.groups.Tuple.tuple("b", ChampionRace.Status.CHALLENGER, 41L, 20L, 104L, 1L, 2365L),
            org.assertj.core.groups.Tuple.tuple("c", ChampionRace.Status.RETIRED, 1L, 1L, 3L, 0L, null));
    race.record("e50", "b", 0.6, false, 105);
    assertThat(race.stale()).as("b was not revived").isZero();
    assertThat(race.standings().get(1).labelled()).isEqualTo(42);
  }

  /**
   * {@code champion-race-v3.bin}, written by the third layout: as v2, then b retired and revived, and two predictions
   * of its old model (version 104 and 105) since, stale. Never regenerated.
   */
  @Test
  void theThirdLayoutKeepsARevivedVariantsStaleCountAndWhatItAwaits() throws IOException {
    ChampionRace race = ChampionRace.readFrom(new BinaryState.Bytes(fixture("champion-race-v3.bin")), FAST, 100);
    assertThat(race.stale()).isEqualTo(2);
    assertThat(race.standings().get(1)).satisfies(b -> {
      assertThat(b.variant()).isEqualTo("b");
      assertThat(b.labelled()).isZero();
      assertThat(b.driftEvents()).isEqualTo(1);
    });
    race.record("e50", "b", 0.6, false, 106);
    assertThat(race.stale()).as("the old model's still").isEqualTo(3);
    race.record("e51", "b", 0.6, false, 0);
    assertThat(race.stale()).isEqualTo(3);
    assertThat(race.standings().get(1).labelled()).as("the fresh model's first").isEqualTo(1);
  }

  /**
   * {@code champion-race-v4.bin}, written by the fourth layout (each variant's order of retirement): default champion,
   * b challenger, v00..v19 arrived in that order and retired in the reverse one, so the race kept v15..v00 (retired
   * last) and forgot v19..v16. Never regenerated. Retiring b forgets v15, retired longest ago of those kept, not v00,
   * which arrived first: the order of retirement survived the restore.
   */
  @Test
  void theFourthLayoutKeepsTheOrderOfRetirement() throws IOException {
    ChampionRace race = ChampionRace.readFrom(new BinaryState.Bytes(fixture("champion-race-v4.bin")), FAST, 100);
    assertThat(race.champion()).isEqualTo("default");
    assertThat(race.standings()).hasSize(2 + ChampionRace.MAX_RETIRED);
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant).contains("v00", "v15")
        .doesNotContain("v16", "v19");
    race.retire("b");
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant).contains("b", "v00")
        .doesNotContain("v15");
  }

  private static byte[] fixture(String name) throws IOException {
    try (InputStream in = ChampionRaceDriftTest.class.getResourceAsStream(name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  /** Both variants right 80% of the time, then b only 20% from example 3000 (a planted jump in its 0/1 loss). */
  private static List<Long> run(ChampionRace race, int from, int to, SplittableRandom random) {
    List<Long> detections = new ArrayList<>();
    for (int i = from; i < to; i++) {
      boolean defaultRight = random.nextDouble() < 0.8;
      boolean bRight = random.nextDouble() < (i < 3000 ? 0.8 : 0.2);
      race.record("e" + i, "default", defaultRight ? 0.2 : 1.6, defaultRight, 1);
      race.observeDrift("default", PAGE_HINKLEY, defaultRight, 10_000L + i);
      race.record("e" + i, "b", bRight ? 0.2 : 1.6, bRight, 1);
      if (race.observeDrift("b", PAGE_HINKLEY, bRight, 10_000L + i)) {
        detections.add((long) i);
      }
    }
    return detections;
  }

  @Test
  void aPlantedJumpInOneVariantsLossSetsItsLastDriftAndNothingForTheOther() {
    ChampionRace race = new ChampionRace(FAST, 100);
    List<Long> detections = run(race, 0, 4000, new SplittableRandom(7));
    assertThat(detections).as("detected after the jump at 3000, within Page-Hinkley's usual delay").isNotEmpty();
    assertThat(detections.get(0)).isBetween(3000L, 3400L);
    ChampionRace.Standing b = race.standings().stream().filter(s -> s.variant().equals("b")).findFirst().get();
    ChampionRace.Standing d = race.standings().stream().filter(s -> s.variant().equals("default")).findFirst().get();
    assertThat(b.lastDriftAt()).isEqualTo(10_000L + detections.get(detections.size() - 1));
    assertThat(b.driftEvents()).isEqualTo(detections.size());
    assertThat(d.lastDriftAt()).as("default's loss never changed").isNull();
    assertThat(d.driftEvents()).isZero();
  }

  @Test
  void detectorsAreStateAndARestoredRaceDetectsAsAnUninterruptedOne() throws IOException {
    ChampionRace uninterrupted = new ChampionRace(FAST, 100);
    List<Long> expected = run(uninterrupted, 0, 4000, new SplittableRandom(7));

    ChampionRace before = new ChampionRace(FAST, 100);
    SplittableRandom random = new SplittableRandom(7);
    run(before, 0, 3100, random);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    before.writeTo(new DataOutputStream(bytes));
    ChampionRace restored = ChampionRace.readFrom(new BinaryState.Bytes(bytes.toByteArray()), FAST, 100);
    List<Long> after = run(restored, 3100, 4000, random);

    assertThat(after).isEqualTo(expected.stream().filter(i -> i >= 3100).toList());
    assertThat(restored.standings()).isEqualTo(uninterrupted.standings());
  }

  @Test
  void aRetiredOrUnknownVariantOrDetectorNoneIsNotWatched() {
    ChampionRace race = new ChampionRace(FAST, 100);
    assertThat(race.observeDrift("ghost", PAGE_HINKLEY, false, 1)).isFalse();
    race.record("e0", "default", 1.0, false, 1);
    for (int i = 0; i < 5000; i++) {
      assertThat(race.observeDrift("default", DriftSpec.NO_DRIFT, i > 100, i)).isFalse();
    }
    assertThat(race.standings().get(0).driftEvents()).isZero();
  }
}
