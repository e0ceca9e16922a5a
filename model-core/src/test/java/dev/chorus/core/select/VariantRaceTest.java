package dev.chorus.core.select;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.metrics.ClassificationMetrics;
import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.testing.GaussianBlobs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class VariantRaceTest {

  private static final int DIM = 20;
  private static final int CLASSES = 3;
  private static final int BATCH = 20;
  private static final String SOFTMAX = """
      {"algorithm":"softmax-regression","inputDim":20,"numClasses":3,
       "batchSize":20,"optimizer":{"type":"adam","learningRate":0.01},"seed":5""";
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

  /**
   * A minibatch whose features overflow the model predicts rows that are not finite: each scores the worst loss and is
   * not correct, as the job's selection scores it, though a NaN row's arg max is class 0, the label here.
   */
  @Test
  void aPredictionThatIsNotFiniteScoresTheWorstLossAndIsNeverCorrect() {
    VariantRace race = new VariantRace(VariantSpec.parse(SOFTMAX + "}", 16));
    float[] x = new float[BATCH * DIM];
    Arrays.fill(x, Float.MAX_VALUE);
    VariantRace.Step step = race.step(x, new int[BATCH], BATCH);

    assertThat(step.servedLoss()).as("0/1 loss of each NaN row").containsOnly(1.0);
    ChampionRace.Standing standing = race.standings().get(0);
    assertThat(standing.correct()).isZero();
    assertThat(standing.lossMean()).isEqualTo(ClassificationMetrics.WORST_LOG_LOSS);
  }

  @Test
  void everyVariantPredictsEachExampleBeforeAnyLearnsAndTrainsOnTheSameExamplesInOrder() {
    VariantSpec spec = search(SearchSpec.RANDOM, 4, 300);
    GaussianBlobs data = GaussianBlobs.generate(400, DIM, CLASSES, 1);
    VariantRace race = new VariantRace(spec);
    List<RaceEvent> events = events(run(race, data, Integer.MAX_VALUE));

    // Each variant alone, on the same minibatches in the same order, predicting each batch before training on it;
    // the rung's means are of the log loss of the true class, as the job's rungs take it.
    Map<String, Double> firstRungLoss = new HashMap<>();
    long firstRung = SuccessiveHalving.rungLengths(4, 300)[0];
    for (DrawnVariant variant : spec.variants()) {
      OnlineLearner alone = OnlineLearner.create(variant.spec());
      double loss = 0;
      for (int start = 0; start < data.rows(); start += BATCH) {
        float[] x = Arrays.copyOfRange(data.x(), start * DIM, (start + BATCH) * DIM);
        int[] y = Arrays.copyOfRange(data.labels(), start, start + BATCH);
        if (start < firstRung) {
          float[] p = new float[BATCH * CLASSES];
          alone.predictProbaBatch(x, BATCH, p);
          for (int i = 0; i < BATCH; i++) {
            loss += ClassificationMetrics.exampleLogLoss(p, i * CLASSES, CLASSES, y[i]);
          }
        }
        alone.trainMinibatch(x, y, null, BATCH);
      }
      assertThat(race.learner(variant.name()).toBytes()).as(variant.name())
          .isEqualTo(alone.toBytes());
      firstRungLoss.put(variant.name(), loss / firstRung);
    }
    RaceEvent.RungDecided rung0 = (RaceEvent.RungDecided) events.get(0);
    assertThat(rung0.decision().rung()).isZero();
    assertThat(rung0.decision().meanLoss()).isEqualTo(new java.util.TreeMap<>(firstRungLoss));
    assertThat(race.live()).hasSize(4);
  }

  /**
   * As the job's trainer, each variant closes a minibatch at its own spec's batch size, whatever the stream's steps:
   * every example is predicted by the model it meets on arrival (the model changes only when a minibatch closes), and
   * a partial minibatch waits for the next step, or for {@link VariantRace#trainOpenMinibatches}.
   */
  @Test
  void eachVariantTrainsInMinibatchesOfItsOwnBatchSizeAcrossTheStreamsSteps() {
    VariantSpec spec = VariantSpec.parse(SOFTMAX + ",\"search\":{\"method\":\"random\",\"variants\":2,"
        + "\"budgetExamples\":300,\"seed\":9,\"space\":{\"batchSize\":[8,32]}}}", 16);
    GaussianBlobs data = GaussianBlobs.generate(400, DIM, CLASSES, 3);
    VariantRace race = new VariantRace(spec);
    List<RaceEvent> events = events(run(race, data, Integer.MAX_VALUE));
    race.trainOpenMinibatches();

    assertThat(spec.variants()).extracting(v -> v.spec().batchSize()).containsExactlyInAnyOrder(8, 32);
    Map<String, Double> rungLoss = new HashMap<>();
    for (DrawnVariant variant : spec.variants()) {
      int batch = variant.spec().batchSize();
      OnlineLearner alone = OnlineLearner.create(variant.spec());
      double loss = 0;
      for (int start = 0; start < data.rows(); start += batch) {
        int n = Math.min(batch, data.rows() - start);
        float[] x = Arrays.copyOfRange(data.x(), start * DIM, (start + n) * DIM);
        int[] y = Arrays.copyOfRange(data.labels(), start, start + n);
        float[] p = new float[n * CLASSES];
        alone.predictProbaBatch(x, n, p);
        for (int i = 0; i < n && start + i < 300; i++) {
          loss += ClassificationMetrics.exampleLogLoss(p, i * CLASSES, CLASSES, y[i]);
        }
        alone.trainMinibatch(x, y, null, n);
      }
      assertThat(race.learner(variant.name()).steps()).as(variant.name()).isEqualTo((400 + batch - 1) / batch);
      assertThat(race.learner(variant.name()).toBytes()).as(variant.name()).isEqualTo(alone.toBytes());
      assertThat(race.examplesTrained(variant.name())).isEqualTo(400);
      rungLoss.put(variant.name(), loss / 300);
    }
    List<RaceEvent.RungDecided> rungs = events.stream().filter(RaceEvent.RungDecided.class::isInstance)
        .map(RaceEvent.RungDecided.class::cast).toList();
    assertThat(rungs).hasSize(1);
    assertThat(rungs.get(0).decision().meanLoss()).isEqualTo(new java.util.TreeMap<>(rungLoss));
  }

  /**
   * The train job's rungs, replayed by hand: each variant's log loss of the true class on each example, as the job's
   * selection scores it, goes into a {@link SearchRun} (what the job's selection holds per search) example by example;
   * a variant stops predicting once a rung retires it. Rungs of 103 and 207 examples end inside minibatches of 20.
   * The bench's race must decide the same rungs, after the same example, on the same means.
   */
  @Test
  void theSearchsRungsAreDecidedOnTheSameLossesAndExamplesAsTheJobsRungs() {
    VariantSpec spec = search(SearchSpec.SUCCESSIVE_HALVING, 4, 310);
    GaussianBlobs data = GaussianBlobs.generate(600, DIM, CLASSES, 6);
    List<RaceEvent.RungDecided> bench = events(run(new VariantRace(spec), data, Integer.MAX_VALUE)).stream()
        .filter(RaceEvent.RungDecided.class::isInstance).map(RaceEvent.RungDecided.class::cast).toList();

    Map<String, OnlineLearner> learners = new LinkedHashMap<>();
    spec.variants().forEach(v -> learners.put(v.name(), OnlineLearner.create(v.spec())));
    SearchRun job = SearchRun.start("hp", spec.search().orElseThrow(), List.copyOf(learners.keySet()));
    List<Decision> decisions = new ArrayList<>();
    List<Long> decidedAt = new ArrayList<>();
    for (int start = 0; start < data.rows(); start += BATCH) {
      float[] x = Arrays.copyOfRange(data.x(), start * DIM, (start + BATCH) * DIM);
      int[] y = Arrays.copyOfRange(data.labels(), start, start + BATCH);
      Map<String, float[]> probabilities = new HashMap<>();
      learners.forEach((name, learner) -> {
        float[] p = new float[BATCH * CLASSES];
        learner.predictProbaBatch(x, BATCH, p);
        probabilities.put(name, p);
      });
      for (int i = 0; i < BATCH; i++) {
        for (String name : List.copyOf(learners.keySet())) {
          Optional<Decision> d = job.record("" + (start + i), name,
              ClassificationMetrics.exampleLogLoss(probabilities.get(name), i * CLASSES, CLASSES, y[i]), 1000);
          if (d.isPresent()) {
            decisions.add(d.get());
            decidedAt.add((long) start + i + 1);
          }
        }
      }
      learners.values().forEach(learner -> learner.trainMinibatch(x, y, null, BATCH));
      decisions.forEach(d -> d.retired().forEach(learners::remove));
    }
    assertThat(decisions).extracting(Decision::examples).containsExactly(103L, 207L);
    assertThat(decidedAt).containsExactly(103L, 310L);

    assertThat(bench).extracting(RaceEvent.RungDecided::decision).isEqualTo(decisions);
    // Each decided after the minibatch holding the example that ended its rung.
    assertThat(bench).extracting(RaceEvent.RungDecided::atExample).containsExactly(120L, 320L);
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
        assertThat(race.status(retired)).isEqualTo(ChampionRace.Status.RETIRED);
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

  /**
   * A reset variant and a fork's challenger are fresh variants: their learning-rate schedule and optimizer start
   * again from the first step, so each ends exactly as a fresh learner of its spec trained on the minibatches since
   * it started.
   */
  @Test
  void aResetOrForkedVariantStartsItsScheduleFromItsFirstStep() {
    String scheduled = SOFTMAX + ",\"schedule\":{\"type\":\"inverse\",\"decay\":0.5}";
    GaussianBlobs data = GaussianBlobs.generate(4000, DIM, CLASSES, 3);
    for (String reaction : List.of(DriftSpec.RESET, DriftSpec.FORK)) {
      VariantSpec spec = VariantSpec.parse(scheduled + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,"
          + "\"reaction\":\"" + reaction + "\"" + (reaction.equals(DriftSpec.FORK) ? ",\"forkVariants\":1" : "") + "}}",
          16);
      VariantRace race = new VariantRace(spec);
      List<VariantRace.Step> steps = run(race, data, 2000);
      RaceEvent.DriftDetected first = events(steps).stream().filter(RaceEvent.DriftDetected.class::isInstance)
          .map(RaceEvent.DriftDetected.class::cast).filter(d -> d.reaction().equals(reaction)).findFirst()
          .orElseThrow();
      String fresh = reaction.equals(DriftSpec.RESET) ? VariantRace.DEFAULT_VARIANT : first.challengers().get(0);
      if (reaction.equals(DriftSpec.RESET)) {
        assertThat(events(steps).stream().filter(e -> e instanceof RaceEvent.DriftDetected d
            && d.reaction().equals(DriftSpec.RESET))).as("one reset").hasSize(1);
      }
      long from = first.atExample();
      long to = from + race.examplesTrained(fresh) - (reaction.equals(DriftSpec.RESET) ? from : 0);
      OnlineLearner alone = OnlineLearner.create(race.spec(fresh));
      int[] labels = new int[BATCH];
      for (int start = (int) from; start < to; start += BATCH) {
        int n = (int) Math.min(BATCH, to - start);
        for (int i = 0; i < n; i++) {
          int label = data.labels()[start + i];
          labels[i] = start + i >= 2000 ? (label + 1) % CLASSES : label;
        }
        alone.trainMinibatch(Arrays.copyOfRange(data.x(), start * DIM, (start + n) * DIM), labels, null, n);
      }
      assertThat(race.learner(fresh).steps()).as(reaction).isEqualTo((to - from + BATCH - 1) / BATCH).isPositive();
      assertThat(race.learner(fresh).toBytes()).as(reaction).isEqualTo(alone.toBytes());
    }
  }

  /**
   * A rewarm keeps the variant's weights and starts its optimizer and schedule again: right after the event its
   * learner predicts exactly as the one it replaces did after the minibatch that fired the detector, and its optimizer
   * steps, model version and examples count from 0.
   */
  @Test
  void aRewarmedVariantKeepsItsWeightsAndRestartsItsOptimizerAndVersions() {
    String scheduled = SOFTMAX + ",\"schedule\":{\"type\":\"inverse\",\"decay\":0.5}";
    VariantRace race = new VariantRace(VariantSpec.parse(scheduled + ",\"drift\":{\"detector\":\"page-hinkley\","
        + "\"lambda\":20,\"reaction\":\"rewarm\"}}", 16));
    GaussianBlobs data = GaussianBlobs.generate(4000, DIM, CLASSES, 3);
    String v = VariantRace.DEFAULT_VARIANT;
    int[] labels = new int[BATCH];
    List<RaceEvent.DriftDetected> drifts = new ArrayList<>();
    for (int start = 0; start < data.rows() && drifts.isEmpty(); start += BATCH) {
      for (int i = 0; i < BATCH; i++) {
        labels[i] = start + i >= 2000 ? (data.labels()[start + i] + 1) % CLASSES : data.labels()[start + i];
      }
      OnlineLearner before = race.learner(v);
      VariantRace.Step step = race.step(Arrays.copyOfRange(data.x(), start * DIM, (start + BATCH) * DIM), labels,
          BATCH);
      step.events().stream().filter(RaceEvent.DriftDetected.class::isInstance).map(RaceEvent.DriftDetected.class::cast)
          .forEach(drifts::add);
      if (!drifts.isEmpty()) {
        OnlineLearner after = race.learner(v);
        assertThat(drifts.get(0).reaction()).isEqualTo(DriftSpec.REWARM);
        assertThat(drifts.get(0).variant()).isEqualTo(v);
        assertThat(drifts.get(0).challengers()).isEmpty();
        assertThat(after).as("a new learner").isNotSameAs(before);
        assertThat(before.steps()).as("the learner it replaces had trained").isEqualTo(start / BATCH + 1);
        float[] was = new float[data.rows() * CLASSES];
        float[] is = new float[data.rows() * CLASSES];
        before.predictProbaBatch(data.x(), data.rows(), was);
        after.predictProbaBatch(data.x(), data.rows(), is);
        assertThat(is).as("the weights it had when the detector fired").containsExactly(was);
        assertThat(after.toBytes()).as("optimizer and schedule from step 0")
            .isEqualTo(LearnerWarmStart.startFrom(race.spec(v), before, false).toBytes())
            .isNotEqualTo(LearnerWarmStart.startFrom(race.spec(v), before, true).toBytes());
        assertThat(after.steps()).as("model version").isZero();
        assertThat(after.examplesSeen()).isZero();
        assertThat(race.status(v)).isNotEqualTo(ChampionRace.Status.RETIRED);
        assertThat(race.examplesTrained(v)).as("counted across the rewarm").isEqualTo(start + BATCH);
      }
    }
    assertThat(drifts).as("the change was detected").hasSize(1);
  }

  @Test
  void aForksPromotionCarriesThePairedTestsEvidenceAndTheOldChampionServedUntilThen() {
    GaussianBlobs data = GaussianBlobs.generate(8000, DIM, CLASSES, 4);
    PairedComparison.Settings test = PairedComparison.Settings.defaults();
    VariantRace race = new VariantRace(withDrift(DriftSpec.FORK), test);
    List<VariantRace.Step> steps = run(race, data, 2000);

    RaceEvent.Promoted promoted = events(steps).stream().filter(RaceEvent.Promoted.class::isInstance)
        .map(RaceEvent.Promoted.class::cast).findFirst().orElseThrow();
    assertThat(promoted.previous()).isEqualTo(VariantRace.DEFAULT_VARIANT);
    PairedComparison.Evidence evidence = promoted.evidence();
    assertThat(evidence.test()).isEqualTo(PairedComparison.TEST);
    assertThat(evidence.lowerBound()).isGreaterThan(test.margin());
    // Looks happen only at minExamples * 2^k pairs.
    assertThat(evidence.pairedExamples() % test.minExamples()).isZero();
    assertThat(Long.bitCount(evidence.pairedExamples() / test.minExamples())).isOne();
    assertThat(race.champion()).isEqualTo(promoted.champion());
    assertThat(steps.stream().filter(s -> s.atExample() < promoted.atExample()).map(VariantRace.Step::servedBy))
        .containsOnly(VariantRace.DEFAULT_VARIANT);
    assertThat(steps.stream().filter(s -> s.atExample() >= promoted.atExample()).map(VariantRace.Step::servedBy))
        .containsOnly(promoted.champion());
    assertThat(servedAccuracy(steps, 7500, 8000)).isGreaterThan(0.9);
  }

  /**
   * The train job's selection, replayed by hand: the champion predicts each example and its 0/1 loss feeds its drift
   * detector in a {@link ChampionRace} under the job's default settings; after the minibatch in which it fires, the
   * fork's challengers ({@code default-f1}, {@code default-f2}: the champion's spec with seeds seed + 1 and seed + 2,
   * as the job's drift reaction names and seeds them) start, and every variant's log loss of the true class goes
   * into the race by example id, champion first, as the job's selection scores it. The bench's race must fork after
   * the same minibatch and promote the same challenger after the same minibatch as the job's race.
   */
  @Test
  void aForksChallengerIsPromotedUnderThePairedTestAfterTheExampleTheJobsRaceWouldPromoteIt() {
    GaussianBlobs data = GaussianBlobs.generate(8000, DIM, CLASSES, 4);
    VariantSpec spec = withDrift(DriftSpec.FORK);
    VariantRace race = new VariantRace(spec);
    List<RaceEvent> events = events(run(race, data, 2000));

    ModelSpec model = spec.model();
    Map<String, OnlineLearner> learners = new LinkedHashMap<>();
    learners.put(VariantRace.DEFAULT_VARIANT, OnlineLearner.create(model));
    ChampionRace job = new ChampionRace(PairedComparison.Settings.defaults(), 10_000);
    long forkedAfter = -1;
    long promotedAfter = -1;
    String winner = null;
    for (int start = 0; start < data.rows() && promotedAfter < 0; start += BATCH) {
      float[] x = Arrays.copyOfRange(data.x(), start * DIM, (start + BATCH) * DIM);
      int[] y = new int[BATCH];
      for (int i = 0; i < BATCH; i++) {
        int label = data.labels()[start + i];
        y[i] = start + i >= 2000 ? (label + 1) % CLASSES : label;
      }
      Map<String, float[]> probabilities = new HashMap<>();
      learners.forEach((name, learner) -> {
        float[] p = new float[BATCH * CLASSES];
        learner.predictProbaBatch(x, BATCH, p);
        probabilities.put(name, p);
      });
      boolean fired = false;
      for (int i = 0; i < BATCH; i++) {
        for (String name : learners.keySet()) {
          float[] p = probabilities.get(name);
          int predicted = 0;
          for (int c = 1; c < CLASSES; c++) {
            predicted = p[i * CLASSES + c] > p[i * CLASSES + predicted] ? c : predicted;
          }
          boolean correct = predicted == y[i];
          Optional<ChampionRace.Change> change = job.record("" + (start + i), name,
              ClassificationMetrics.exampleLogLoss(p, i * CLASSES, CLASSES, y[i]), correct, 0);
          if (change.isPresent() && winner == null) {
            winner = change.get().champion();
            promotedAfter = start + BATCH;
          }
          fired |= job.observeDrift(name, spec.drift(), correct, start + i) && name.equals(job.champion())
              && forkedAfter < 0;
        }
      }
      learners.values().forEach(learner -> learner.trainMinibatch(x, y, null, BATCH));
      if (fired) {
        forkedAfter = start + BATCH;
        for (int n = 1; n <= 2; n++) {
          learners.put(VariantRace.DEFAULT_VARIANT + "-f" + n, OnlineLearner.create(model.withSeed(model.seed() + n)));
        }
      }
    }
    assertThat(forkedAfter).as("the job's race forks").isBetween(2000L, 3000L);
    assertThat(winner).as("the job's race promotes a fork's challenger").isIn("default-f1", "default-f2");

    RaceEvent.DriftDetected drift = events.stream().filter(RaceEvent.DriftDetected.class::isInstance)
        .map(RaceEvent.DriftDetected.class::cast).findFirst().orElseThrow();
    assertThat(drift.atExample()).isEqualTo(forkedAfter);
    assertThat(drift.challengers()).containsExactly("default-f1", "default-f2");
    RaceEvent.Promoted promoted = events.stream().filter(RaceEvent.Promoted.class::isInstance)
        .map(RaceEvent.Promoted.class::cast).findFirst().orElseThrow();
    assertThat(promoted.atExample()).isEqualTo(promotedAfter);
    assertThat(promoted.champion()).isEqualTo(winner);
    // As in the job, the old champion and the other challenger race on (well within the fork's patience).
    assertThat(race.status(VariantRace.DEFAULT_VARIANT)).isEqualTo(ChampionRace.Status.CHALLENGER);
    assertThat(race.live()).containsExactly("default", "default-f1", "default-f2");
  }

  /**
   * A reset as the job's drift reaction does it (retire, then revive with fresh weights): a champion's successor is
   * the live challenger, and the reset variant serves again only once a paired test promotes it.
   */
  @Test
  void aResetChampionHandsOverToTheChallengerAndServesAgainOnlyWhenPromoted() {
    VariantSpec spec = VariantSpec.parse(SOFTMAX + ",\"search\":{\"method\":\"random\",\"variants\":2,"
        + "\"budgetExamples\":200,\"seed\":9," + SPACE + "},\"drift\":{\"detector\":\"page-hinkley\","
        + "\"lambda\":20,\"reaction\":\"reset\"}}", 16);
    VariantRace race = new VariantRace(spec);
    List<VariantRace.Step> steps = run(race, GaussianBlobs.generate(6000, DIM, CLASSES, 3), 2000);

    int at = -1;
    String reset = null;
    for (int k = 0; k < steps.size() && reset == null; k++) {
      for (RaceEvent e : steps.get(k).events()) {
        if (e instanceof RaceEvent.DriftDetected d && d.reaction().equals(DriftSpec.RESET)
            && d.variant().equals(steps.get(k).servedBy())) {
          at = k;
          reset = d.variant();
        }
      }
    }
    assertThat(reset).as("the champion was reset").isNotNull();
    assertThat(steps.get(at + 1).servedBy()).as("its successor serves").isNotEqualTo(reset);
    boolean promoted = false;
    for (VariantRace.Step step : steps.subList(at + 1, steps.size())) {
      assertThat(promoted || !step.servedBy().equals(reset))
          .as("%s serves at %d only after a promotion", reset, step.atExample()).isTrue();
      for (RaceEvent e : step.events()) {
        promoted |= e instanceof RaceEvent.Promoted p && p.champion().equals(reset);
      }
    }
  }

  @Test
  void aForkWhoseChallengersDoNotWinLeavesTheChampionServingAndTheChallengersRacing() {
    GaussianBlobs data = GaussianBlobs.generate(4000, DIM, CLASSES, 4);
    // Class 0 becomes class 1: the champion still knows the other two classes, and fresh challengers that catch up
    // are not better by the paired test's margin.
    VariantRace race = new VariantRace(withDrift(DriftSpec.FORK));
    List<RaceEvent> events = events(run(race, data, 2000, label -> label == 0 ? 1 : label));

    RaceEvent.DriftDetected drift = events.stream().filter(RaceEvent.DriftDetected.class::isInstance)
        .map(RaceEvent.DriftDetected.class::cast).findFirst().orElseThrow();
    assertThat(drift.reaction()).isEqualTo(DriftSpec.FORK);
    assertThat(events).noneMatch(RaceEvent.Promoted.class::isInstance);
    assertThat(race.champion()).isEqualTo(VariantRace.DEFAULT_VARIANT);
    for (String challenger : drift.challengers()) {
      assertThat(race.status(challenger)).isEqualTo(ChampionRace.Status.CHALLENGER);
      assertThat(race.examplesTrained(challenger)).isEqualTo(4000 - drift.atExample());
    }
    // The race's standings, champion first: each challenger scored on every example since the fork.
    assertThat(race.standings()).extracting(ChampionRace.Standing::variant, ChampionRace.Standing::labelled)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("default", 4000L),
            org.assertj.core.groups.Tuple.tuple("default-f1", 4000 - drift.atExample()),
            org.assertj.core.groups.Tuple.tuple("default-f2", 4000 - drift.atExample()));
    // While its challengers race, the champion's later drift events start no second fork.
    events.stream().filter(RaceEvent.DriftDetected.class::isInstance).map(RaceEvent.DriftDetected.class::cast)
        .filter(d -> d != drift && d.variant().equals(VariantRace.DEFAULT_VARIANT))
        .forEach(d -> assertThat(d.note()).startsWith("fork not started: a fork of default is live"));
  }

  /**
   * A fork whose challengers the paired test never promotes: once each has been paired with the champion for the
   * spec's {@code forkPatienceExamples}, it is retired (it stops training), and the champion's next drift event
   * forks again under new names.
   */
  @Test
  void aForksChallengersThatNeverWinRetireAfterThePatienceAndTheChampionForksAgain() {
    VariantSpec spec = VariantSpec.parse(SOFTMAX + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,"
        + "\"reaction\":\"fork\",\"forkVariants\":2,\"forkPatienceExamples\":1000}}", 16);
    GaussianBlobs data = GaussianBlobs.generate(8000, DIM, CLASSES, 4);
    VariantRace race = new VariantRace(spec);
    // Class 0 becomes class 1 at 2000 (the challengers do not win: see the test above), then every class shifts
    // by one at 5000, long after the first fork's patience ran out.
    List<VariantRace.Step> steps = new ArrayList<>();
    int[] labels = new int[BATCH];
    for (int start = 0; start < data.rows(); start += BATCH) {
      for (int i = 0; i < BATCH; i++) {
        int label = data.labels()[start + i];
        labels[i] = start + i < 2000 ? label : start + i < 5000 ? (label == 0 ? 1 : label) : (label + 1) % CLASSES;
      }
      steps.add(race.step(Arrays.copyOfRange(data.x(), start * DIM, (start + BATCH) * DIM), labels, BATCH));
    }
    List<RaceEvent> events = events(steps);

    List<RaceEvent.DriftDetected> forks = events.stream().filter(RaceEvent.DriftDetected.class::isInstance)
        .map(RaceEvent.DriftDetected.class::cast).filter(d -> d.reaction().equals(DriftSpec.FORK)).toList();
    assertThat(forks).hasSizeGreaterThanOrEqualTo(2);
    RaceEvent.DriftDetected first = forks.get(0);
    assertThat(first.challengers()).containsExactly("default-f1", "default-f2");
    assertThat(first.atExample()).isLessThan(3000);
    assertThat(events).noneMatch(e -> e instanceof RaceEvent.Promoted p && p.evidence() == null);
    for (String challenger : first.challengers()) {
      assertThat(race.status(challenger)).isEqualTo(ChampionRace.Status.RETIRED);
      // Paired on every example from the fork on (the champion predicts them all), retired within the minibatch
      // of its 1000th pair.
      assertThat(race.examplesTrained(challenger)).isBetween(1000L, 1000L + BATCH);
    }
    List<RaceEvent.ForkRetired> retired = events.stream().filter(RaceEvent.ForkRetired.class::isInstance)
        .map(RaceEvent.ForkRetired.class::cast).toList();
    // The second fork's challengers run out of patience as well, before the stream ends.
    assertThat(retired).extracting(RaceEvent.ForkRetired::variant)
        .containsExactly("default-f1", "default-f2", "default-f3", "default-f4");
    assertThat(retired).allSatisfy(r -> {
      assertThat(r.forkOf()).isEqualTo(VariantRace.DEFAULT_VARIANT);
      assertThat(r.reason()).isEqualTo("fork patience: " + r.variant() + " (a fork of default) was paired with "
          + "champion default for 1000 examples (drift.forkPatienceExamples) without being promoted");
    });
    RaceEvent.DriftDetected second = forks.get(1);
    assertThat(second.variant()).isEqualTo(VariantRace.DEFAULT_VARIANT);
    assertThat(second.atExample()).isGreaterThan(5000);
    assertThat(second.challengers()).containsExactly("default-f3", "default-f4");
  }

  /** With a {@code forkSpace}, the race's fork trains the points {@link DriftSpec#fork} draws, as the job's does. */
  @Test
  void aForkWithASpaceRacesChallengersAtThePointsDrawnAroundTheChampion() {
    VariantSpec spec = VariantSpec.parse(SOFTMAX + ",\"drift\":{\"detector\":\"page-hinkley\",\"lambda\":20,"
        + "\"reaction\":\"fork\",\"forkVariants\":2,"
        + "\"forkSpace\":{\"optimizer.learningRate\":{\"logUniform\":[0.02,0.2]}}}}", 16);
    VariantRace race = new VariantRace(spec);
    List<RaceEvent.DriftDetected> forks = events(run(race, GaussianBlobs.generate(4000, DIM, CLASSES, 4), 2000))
        .stream().filter(RaceEvent.DriftDetected.class::isInstance).map(RaceEvent.DriftDetected.class::cast)
        .filter(d -> d.reaction().equals(DriftSpec.FORK)).toList();
    assertThat(forks).isNotEmpty();
    assertThat(forks.get(0).challengers()).containsExactly("default-f1", "default-f2");
    List<DriftSpec.ForkChallenger> drawn = spec.drift().fork(VariantRace.DEFAULT_VARIANT, spec.model(), 1);
    for (DriftSpec.ForkChallenger challenger : drawn) {
      ModelSpec trained = race.spec(challenger.name());
      assertThat(trained).isEqualTo(challenger.spec());
      assertThat(trained.optimizer().learningRate()).as("drawn from the fork's space, not the champion's")
          .isBetween(0.02, 0.2).isEqualTo(challenger.hyperparameters().get("optimizer.learningRate"));
    }
  }

  @Test
  void decisionsAndModelsAreReproducibleForASeed() {
    GaussianBlobs data = GaussianBlobs.generate(3000, DIM, CLASSES, 5);
    VariantSpec spec = VariantSpec.parse(SOFTMAX + ",\"search\":{\"method\":\"successive-halving\",\"variants\":4,"
        + "\"budgetExamples\":600,\"seed\":9," + SPACE + "},\"drift\":{\"detector\":\"adwin\",\"reaction\":\"fork\"}}",
        16);
    PairedComparison.Settings quick = new PairedComparison.Settings(100, 0.05, 0.005, 100);
    VariantRace first = new VariantRace(spec, quick);
    VariantRace second = new VariantRace(spec, quick);
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
