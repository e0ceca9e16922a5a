package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.io.BinaryState;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A variant whose predictions lag the others' (a newcomer whose trainer runs on another subtask, or one just revived)
 * pairs its losses on the examples the others completed before it came, up to {@link ChampionRace#MAX_COMPLETED}.
 */
class ChampionRaceLagTest {

  private static final PairedComparison.Settings FAST = new PairedComparison.Settings(20, 0.01, 0.005, 100);

  /** Variants a and b report e1..e{@code n}, equal losses (no change of champion), a first. */
  private static void bothReport(ChampionRace race, int from, int to) {
    for (int i = from; i <= to; i++) {
      race.record("e" + i, "a", 0.5, true, i);
      race.record("e" + i, "b", 0.5, true, i);
    }
  }

  private static void report(ChampionRace race, String variant, int from, int to, double loss) {
    for (int i = from; i <= to; i++) {
      race.record("e" + i, variant, loss, true, i);
    }
  }

  @Test
  void aNewcomerThatLagsPairsEveryLossOnTheExamplesTheOthersCompleted() {
    int n = ChampionRace.MAX_COMPLETED;
    ChampionRace race = new ChampionRace(FAST, 1_000);
    bothReport(race, 1, n);
    assertThat(race.pending()).as("complete, kept, not waiting").isZero();
    report(race, "c", 1, n, 0.5);
    assertThat(race.pairs("c")).as("each of c's losses against a's on the same example").isEqualTo(n);
    assertThat(race.pairs("b")).isEqualTo(n);
    assertThat(race.unpaired()).isZero();
    assertThat(race.pending()).isZero();
    race.record("e1", "c", 0.5, true, n + 1);
    assertThat(race.pairs("c")).as("c again on e1: a new occurrence, no pair").isEqualTo(n);
    assertThat(race.unpaired()).as("the first occurrence was complete").isZero();
    assertThat(race.pending()).as("the new occurrence waits for a and b").isEqualTo(1);
  }

  @Test
  void beyondTheBoundTheOldestCompletedAreGoneAndTheLagsLossesOnThemUnpaired() {
    int maxPending = 300;
    int kept = ChampionRace.MAX_COMPLETED;
    ChampionRace race = new ChampionRace(FAST, maxPending);
    bothReport(race, 1, maxPending);
    report(race, "c", 1, maxPending, 0.5);
    assertThat(race.pairs("c")).as("the last " + kept + " completed paired").isEqualTo(kept);
    assertThat(race.pending()).as("c's losses on e1..e44 wait for a and b, who reported them long ago")
        .isEqualTo(maxPending - kept);
    assertThat(race.unpaired()).isZero();
    bothReport(race, maxPending + 1, 2 * maxPending);
    assertThat(race.unpaired()).as("c's 44 lonely losses evicted first, exactly").isEqualTo(maxPending - kept);
    assertThat(race.pending()).as("e301..e600 wait for c").isEqualTo(maxPending);
    report(race, "c", maxPending + 1, 2 * maxPending, 0.5);
    assertThat(race.pairs("c")).isEqualTo(kept + maxPending);
    assertThat(race.pending()).isZero();
    assertThat(race.unpaired()).as("complete ids leaving the bound are no unpaired ids").isEqualTo(maxPending - kept);
  }

  @Test
  void theBoundIsMaxPendingWhenThatIsSmaller() {
    ChampionRace race = new ChampionRace(FAST, 10);
    bothReport(race, 1, 30);
    report(race, "c", 21, 30, 0.5);
    assertThat(race.pairs("c")).isEqualTo(10);
    report(race, "c", 11, 20, 0.5);
    assertThat(race.pairs("c")).as("e11..e20 completed before the 10 kept").isEqualTo(10);
    assertThat(race.pending()).isEqualTo(10);
    race.configure(FAST, 4);
    assertThat(race.unpaired()).as("six of c's lonely losses evicted; no kept id counted").isEqualTo(6);
  }

  @Test
  void aVariantRevivedAfterTheOthersCompletedExamplesPairsItsFirstLosses() {
    ChampionRace race = new ChampionRace(FAST, 1_000);
    race.record("e0", "a", 0.5, true, 0);
    race.record("e0", "b", 0.5, true, 0);
    race.record("e0", "c", 0.5, true, 0);
    race.retire("c");
    bothReport(race, 1, 50);
    assertThat(race.revive("c")).isEqualTo(new ChampionRace.Revival(true, null));
    report(race, "c", 1, 50, 0.5);
    assertThat(race.pairs("c")).as("its fresh model's losses on e1..e50, each against a's").isEqualTo(50);
    assertThat(race.unpaired()).isZero();
    assertThat(race.pending()).isZero();
  }

  @Test
  void idsARetirementCompletesAreKeptForAVariantThatComesLater() throws IOException {
    ChampionRace race = new ChampionRace(FAST, 1_000);
    race.record("e0", "c", 0.5, true, 0);
    bothReport(race, 0, 20);
    assertThat(race.pending()).as("e1..e20 wait for c").isEqualTo(20);
    race.retire("c");
    assertThat(race.pending()).isZero();
    report(race, "d", 1, 20, 0.5);
    assertThat(race.pairs("d")).isEqualTo(20);
    assertThat(race.unpaired()).isZero();
    race.retire("a");
    race.retire("b");
    race.retire("d");
    byte[] state = bytes(race);
    // The layout ends with the last variant's order of retirement (d, retired fourth) and the ids' count.
    assertThat(Arrays.copyOfRange(state, state.length - 12, state.length)).as("no live variant left: no id kept")
        .containsExactly(0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0);
    assertThat(race.unpaired()).isZero();
  }

  /** A lag cut by a restore (or a copy) decides as the race that ran through. */
  @Test
  void aRestoreInTheMiddleOfALagDecidesTheSame() throws IOException {
    List<ChampionRace> races = new ArrayList<>(List.of(new ChampionRace(FAST, 1_000)));
    bothReport(races.get(0), 1, 200);
    report(races.get(0), "c", 1, 10, 0.2);
    assertThat(races.get(0).pairs("c")).isEqualTo(10);
    byte[] bytes = bytes(races.get(0));
    races.add(ChampionRace.readFrom(new BinaryState.Bytes(bytes), FAST, 1_000));
    races.add(races.get(0).copy());
    assertThat(bytes(races.get(1))).isEqualTo(bytes);
    assertThat(bytes(races.get(2))).isEqualTo(bytes);
    List<List<ChampionRace.Change>> changes = new ArrayList<>();
    for (ChampionRace race : races) {
      List<ChampionRace.Change> changed = new ArrayList<>();
      for (int i = 11; i <= 200; i++) {
        race.record("e" + i, "c", 0.2, true, i).ifPresent(changed::add);
      }
      for (int i = 201; i <= 400; i++) {
        for (String variant : List.of("a", "b", "c")) {
          race.record("e" + i, variant, variant.equals("c") ? 0.2 : 0.5, true, i).ifPresent(changed::add);
        }
      }
      changes.add(changed);
    }
    assertThat(changes.get(0)).as("c wins at the first look, on e20, ten pairs of them made before the cut")
        .singleElement().satisfies(c -> {
          assertThat(c.previous()).isEqualTo("a");
          assertThat(c.champion()).isEqualTo("c");
          assertThat(c.evidence().pairedExamples()).isEqualTo(20);
        });
    assertThat(changes.get(1)).isEqualTo(changes.get(0));
    assertThat(changes.get(2)).isEqualTo(changes.get(0));
    for (ChampionRace race : races) {
      assertThat(race.unpaired()).isZero();
      assertThat(race.pending()).isZero();
      assertThat(race.standings()).isEqualTo(races.get(0).standings());
      assertThat(bytes(race)).isEqualTo(bytes(races.get(0)));
    }
  }

  /**
   * A race written by the code before the kept ids (session 36): a and b reported e1..e5, a e6; e5, completed last,
   * the only complete id it kept.
   */
  private static final String SESSION_36_STATE =
      "000000040100000001610000000000000000000000000000000000000000000000000001000000000200000001610000"
      + "000000000000063fe0000000000000000000000000000001000000000000000600000000000000060000000000000000"
      + "0000000000000000000000000000000000000000000001620100000000000000053fe000000000000000000000000000"
      + "000100000000000000050000000000000005010000000000000000000000000000000000000005000000000000000000"
      + "000000000000000000000000000000000000000000000000000000000000000000000000020000000265350000000200"
      + "000001613fe000000000000000000001623fe00000000000000000000265360000000100000001613fe0000000000000";

  @Test
  void aStateWithTheOneCompleteIdOfTheOldRuleRestoresAndGoesOnKeepingMore() throws IOException {
    byte[] old = HexFormat.of().parseHex(SESSION_36_STATE);
    ChampionRace race = ChampionRace.readFrom(new BinaryState.Bytes(old), FAST, 1_000);
    assertThat(bytes(race)).as("read and written unchanged").isEqualTo(old);
    assertThat(race.champion()).isEqualTo("a");
    assertThat(race.pairs("b")).isEqualTo(5);
    assertThat(race.pending()).as("e6 waits for b; e5 kept").isEqualTo(1);
    assertThat(race.unpaired()).isZero();
    race.record("e6", "b", 0.5, true, 6);
    bothReport(race, 7, 9);
    report(race, "c", 4, 9, 0.5);
    assertThat(race.pairs("c")).as("e5 kept by the old rule, e6..e9 by the new one").isEqualTo(5);
    assertThat(race.pending()).as("e4, gone before the restore: c's loss on it waits").isEqualTo(1);
    assertThat(race.unpaired()).isZero();
  }

  private static byte[] bytes(ChampionRace race) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    race.writeTo(new DataOutputStream(out));
    return out.toByteArray();
  }
}
