package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class VariantRaceTest {

  private static final int DIM = 20;
  private static final int CLASSES = 3;
  private static final int BATCH = 20;
  private static final String SOFTMAX = """
      {"algorithm":"softmax-regression","inputDim":20,"numClasses":3,
       "optimizer":{"type":"adam","learningRate":0.01},"seed":5""";
  private static final String SPACE = """
      "space":{"optimizer.learningRate":{"logUniform":[1e-4,1e-1]},"l2":[0,1e-5,1e-4]}""";

  private static VariantSpec search(String method, int variants, long budget) {
    return VariantSpec.parse(SOFTMAX + ",\"search\":{\"method\":\"" + method + "\",\"variants\":" + variants
        + ",\"budgetExamples\":" + budget + ",\"seed\":9," + SPACE + "}}", 16);
  }

  private static VariantSpec withDrift(String reaction) {
    return VariantSpec.parse(SOFTMAX + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,\"reaction\":\""
        + reaction + "\"" + (reaction.equals("fork") ? ",\"forkVariants\":2" : "") + "}}", 16);
  }

  /** Feeds {@code data} in minibatches; labels of rows from {@code changeAt} on are shifted by one class. */
  private static List<VariantRace.Step> run(VariantRace race, GaussianBlobs data, int changeAt) {
    return run(race, data, changeAt, label -> (label + 1) % CLASSES);
  }

  /** Feeds {@code data} in minibatches; labels of rows from {@code changeAt} on are {@code relabel}led. */
  private static List<VariantRace.Step> run(VariantRace race, GaussianBlobs data, int changeAt,
      IntUnaryOperator relabel) {
    List<VariantRace.Step> steps = new ArrayList<>();
    int[] labels = new int[BATCH];
    for (int start = 0; start < data.rows(); start += BATCH) {
      int n = Math.min(BATCH, data.rows() - start);
      for (int i = 0; i < n; i++) {
        int label = data.labels()[start + i];
        labels[i] = start + i >= changeAt ? relabel.applyAsInt(label) : label;
      }
      steps.add(race.step(Arrays.copyOfRange(data.x(), start * DIM, (start + n) * DIM), labels, n));
    }
    return steps;
  }

  private static List<RaceEvent> events(List<VariantRace.Step> steps) {
    return steps.stream().flatMap(s -> s.events().stream()).toList();
  }

  @Test
  void everyVariantPredictsEachExampleBeforeAnyLearnsAndTrainsOnTheSameExamplesInOrder() {
    VariantSpec spec = search(SearchSpec.RANDOM, 4, 300);
    GaussianBlobs data = GaussianBlobs.generate(400, DIM, CLASSES, 1);
    VariantRace race = new VariantRace(spec);
    List<RaceEvent> events = events(run(race, data, Integer.MAX_VALUE));

    // Each variant alone, on the same minibatches in the same order, predicting each batch before training on it.
    Map<String, Double> firstRungLoss = new HashMap<>();
    long firstRung = SuccessiveHalving.rungLengths(4, 300)[0];
    for (DrawnVariant variant : spec.variants()) {
      OnlineLearner alone = OnlineLearner.create(variant.spec());
      double errors = 0;
      for (int start = 0; start < data.rows(); start += BATCH) {
        float[] x = Arrays.copyOfRange(data.x(), start * DIM, (start + BATCH) * DIM);
        int[] y = Arrays.copyOfRange(data.labels(), start, start + BATCH);
        if (start < firstRung) {
          for (int i = 0; i < BATCH; i++) {
            errors += alone.predict(x, i * DIM) == y[i] ? 0 : 1;
          }
        }
        alone.trainMinibatch(x, y, null, BATCH);
      }
      assertThat(race.learner(variant.name()).toBytes()).as(variant.name())
          .isEqualTo(alone.toBytes());
      firstRungLoss.put(variant.name(), errors / firstRung);
    }
    RaceEvent.RungDecided rung0 = (RaceEvent.RungDecided) events.get(0);
    assertThat(rung0.decision().rung()).isZero();
    assertThat(rung0.decision().meanLoss()).isEqualTo(new java.util.TreeMap<>(firstRungLoss));
    assertThat(race.live()).hasSize(4);
  }

  @Test
  void retiredVariantsStopTrainingAndTheLastSurvivorIsTheChampion() {
    VariantSpec spec = search(SearchSpec.SUCCESSIVE_HALVING, 4, 300);
    VariantRace race = new VariantRace(spec);
    List<RaceEvent> events = events(run(race, GaussianBlobs.generate(1000, DIM, CLASSES, 2), Integer.MAX_VALUE));

    List<RaceEvent.RungDecided> rungs = events.stream().filter(RaceEvent.RungDecided.class::isInstance)
        .map(RaceEvent.RungDecided.class::cast).toList();
    assertThat(rungs).hasSize(2);
    // Rungs of 100 and 200 examples: batches of 20 end them exactly at 100 and 300.
    assertThat(rungs).extracting(RaceEvent.RungDecided::atExample).containsExactly(100L, 300L);
    for (RaceEvent.RungDecided rung : rungs) {
      for (String retired : rung.decision().retired()) {
        assertThat(race.examplesTrained(retired)).as(retired).isEqualTo(rung.atExample());
        assertThat(race.status(retired)).isEqualTo(VariantRace.Status.RETIRED);
      }
    }
    String survivor = rungs.get(1).decision().survivors().get(0);
    assertThat(race.live()).containsExactly(survivor);
    assertThat(race.champion()).isEqualTo(survivor);
    assertThat(race.examplesTrained(survivor)).isEqualTo(1000);
    assertThat(race.variantExamplesTrained()).isEqualTo(1000 + 3 * 100 + 1 * 200);
  }

  @Test
  void anAbruptDriftResetsTheVariantAndItsAccuracyRecovers() {
    GaussianBlobs data = GaussianBlobs.generate(4000, DIM, CLASSES, 3);
    VariantRace race = new VariantRace(withDrift(DriftSpec.RESET));
    List<VariantRace.Step> steps = run(race, data, 2000);

    List<RaceEvent.DriftDetected> drifts = events(steps).stream().filter(RaceEvent.DriftDetected.class::isInstance)
        .map(RaceEvent.DriftDetected.class::cast).toList();
    assertThat(drifts).isNotEmpty();
    assertThat(drifts.get(0).atExample()).isBetween(2000L, 2600L);
    assertThat(drifts.get(0).reaction()).isEqualTo(DriftSpec.RESET);
    assertThat(drifts.get(0).variant()).isEqualTo(VariantRace.DEFAULT_VARIANT);
    assertThat(race.learner(VariantRace.DEFAULT_VARIANT).examplesSeen()).isLessThan(2000);
    assertThat(race.examplesTrained(VariantRace.DEFAULT_VARIANT)).isEqualTo(4000);
    assertThat(servedAccuracy(steps, 3500, 4000)).isGreaterThan(0.9);
    assertThat(servedAccuracy(steps, 1500, 2000)).isGreaterThan(0.9);
  }

  @Test
  void aForkOnTheChampionPromotesAChallengerOnlyOnceItIsBetterOnTheSameExamples() {
    GaussianBlobs data = GaussianBlobs.generate(6000, DIM, CLASSES, 4);
    VariantRace race = new VariantRace(withDrift(DriftSpec.FORK), 200, 3000);
    List<VariantRace.Step> steps = run(race, data, 2000);

    List<RaceEvent> events = events(steps);
    RaceEvent.DriftDetected drift = events.stream().filter(RaceEvent.DriftDetected.class::isInstance)
        .map(RaceEvent.DriftDetected.class::cast).findFirst().orElseThrow();
    assertThat(drift.reaction()).isEqualTo(DriftSpec.FORK);
    assertThat(drift.challengers()).containsExactly("f1-0", "f1-1");
    RaceEvent.Promoted promoted = events.stream().filter(RaceEvent.Promoted.class::isInstance)
        .map(RaceEvent.Promoted.class::cast).findFirst().orElseThrow();
    assertThat(promoted.previous()).isEqualTo(VariantRace.DEFAULT_VARIANT);
    assertThat(promoted.champion()).isIn("f1-0", "f1-1");
    assertThat(promoted.pairedExamples()).isGreaterThanOrEqualTo(200);
    assertThat(promoted.challengerMeanLoss()).isLessThan(promoted.championMeanLoss());
    assertThat(race.champion()).isEqualTo(promoted.champion());
    assertThat(race.status(VariantRace.DEFAULT_VARIANT)).isEqualTo(VariantRace.Status.RETIRED);
    // The old champion served every example until the promotion.
    assertThat(steps.stream().filter(s -> s.atExample() < promoted.atExample()).map(VariantRace.Step::servedBy))
        .containsOnly(VariantRace.DEFAULT_VARIANT);
    assertThat(servedAccuracy(steps, 5500, 6000)).isGreaterThan(0.9);
  }

  @Test
  void aForkWhoseChallengersDoNotWinWithinItsPatienceRetiresThemAndTheChampionStays() {
    GaussianBlobs data = GaussianBlobs.generate(4000, DIM, CLASSES, 4);
    // Class 0 becomes class 1: the champion still knows the other two classes, fresh challengers know nothing, and
    // two minibatches are too few for them to catch up.
    VariantRace race = new VariantRace(withDrift(DriftSpec.FORK), 2 * BATCH, 2 * BATCH);
    List<RaceEvent> events = events(run(race, data, 2000, label -> label == 0 ? 1 : label));

    RaceEvent.DriftDetected drift = events.stream().filter(RaceEvent.DriftDetected.class::isInstance)
        .map(RaceEvent.DriftDetected.class::cast).findFirst().orElseThrow();
    RaceEvent.ForkExpired expired = events.stream().filter(RaceEvent.ForkExpired.class::isInstance)
        .map(RaceEvent.ForkExpired.class::cast).findFirst().orElseThrow();
    assertThat(events).noneMatch(RaceEvent.Promoted.class::isInstance);
    assertThat(expired.atExample()).isEqualTo(drift.atExample() + 2 * BATCH);
    assertThat(expired.pairedExamples()).isEqualTo(2 * BATCH);
    assertThat(expired.retired()).isEqualTo(drift.challengers());
    for (String challenger : drift.challengers()) {
      assertThat(race.status(challenger)).isEqualTo(VariantRace.Status.RETIRED);
      assertThat(race.examplesTrained(challenger)).isEqualTo(2 * BATCH);
    }
    assertThat(race.champion()).isEqualTo(VariantRace.DEFAULT_VARIANT);
  }

  @Test
  void theBetterRuleNeedsEnoughPairedExamplesAndALowerMean() {
    assertThat(VariantRace.challengerIsBetter(new VariantRace.Paired(199, 100, 10), 200)).isFalse();
    assertThat(VariantRace.challengerIsBetter(new VariantRace.Paired(200, 100, 99.5), 200)).isTrue();
    assertThat(VariantRace.challengerIsBetter(new VariantRace.Paired(200, 100, 100), 200)).isFalse();
  }

  @Test
  void decisionsAndModelsAreReproducibleForASeed() {
    GaussianBlobs data = GaussianBlobs.generate(3000, DIM, CLASSES, 5);
    VariantSpec spec = VariantSpec.parse(SOFTMAX + ",\"search\":{\"method\":\"successive-halving\",\"variants\":4,"
        + "\"budgetExamples\":600,\"seed\":9," + SPACE + "},\"drift\":{\"detector\":\"adwin\",\"reaction\":\"fork\"}}",
        16);
    VariantRace first = new VariantRace(spec, 100, 1000);
    VariantRace second = new VariantRace(spec, 100, 1000);
    List<RaceEvent> a = events(run(first, data, 1500));
    List<RaceEvent> b = events(run(second, data, 1500));
    assertThat(a).isNotEmpty().isEqualTo(b);
    assertThat(first.champion()).isEqualTo(second.champion());
    assertThat(first.learner(first.champion()).toBytes()).isEqualTo(second.learner(second.champion()).toBytes());
  }

  @Test
  void refusesARegressorAndBadMinibatches() {
    assertThatIllegalArgumentException().isThrownBy(() -> new VariantRace(VariantSpec.parse(
        "{\"algorithm\":\"linear-regression\",\"inputDim\":3,\"seed\":1}", 16)))
        .withMessageContaining("classifier");
    VariantRace race = new VariantRace(withDrift(DriftSpec.NONE));
    assertThatIllegalArgumentException().isThrownBy(() -> race.step(new float[DIM], new int[] {7}, 1))
        .withMessageContaining("label of example 0");
    assertThat(race.examples()).isZero();
  }

  /** The accuracy of the predictions served (the champion's at the time) over examples {@code [from, to)}. */
  private static double servedAccuracy(List<VariantRace.Step> steps, long from, long to) {
    long correct = 0;
    long seen = 0;
    for (VariantRace.Step step : steps) {
      for (int i = 0; i < step.servedLoss().length; i++) {
        long position = step.atExample() + i;
        if (position >= from && position < to) {
          seen++;
          correct += step.servedLoss()[i] == 0 ? 1 : 0;
        }
      }
    }
    return (double) correct / seen;
  }
}
