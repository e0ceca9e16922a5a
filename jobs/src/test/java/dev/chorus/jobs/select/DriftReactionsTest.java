package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.DriftSpec;
import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.select.WarmStart;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.ParameterizedTest;

/** A drift event's reaction in the selection operator: the champion forks, a challenger does not. */
class DriftReactionsTest {

    static final String FORKING = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,\"seed\":5,"
            + "\"drift\":{\"detector\":\"page-hinkley\",\"reaction\":\"fork\",\"forkVariants\":2}}";

    @Test
    void aDriftOfTheChampionForksItsSpecWithOtherSeedsAndAChallengersDriftDoesNot() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            List<VariantSpecRecord> forks = forkOnAJump(h, FORKING);
            assertThat(forks).allSatisfy(f -> {
                assertThat(f.getTask()).isEqualTo("t");
                assertThat(f.getStatus()).isEqualTo(VariantStatus.LIVE);
                assertThat(f.getSource()).isEqualTo("drift");
                assertThat(f.getReason()).startsWith("drift event 1 of champion default at 10").contains("page-hinkley");
                assertThat(VariantSpecs.parseVariant(f.getSpec(), 16).drift())
                        .isEqualTo(VariantSpecs.parseVariant(FORKING, 16).drift());
            });
            assertThat(VariantSpecs.parseVariant(forks.get(0).getSpec(), 16).model())
                    .isEqualTo(VariantSpecs.parseVariant(FORKING, 16).model().withSeed(6));
            assertThat(VariantSpecs.parseVariant(forks.get(1).getSpec(), 16).model().seed()).isEqualTo(7);

            // While a fork is live (its records not yet back on the broadcast, or live there), the champion's next
            // drift forks no more.
            jump(h, 4000, 8000);
            h.processBroadcastElement(new SpecChange("t", "default-f1", forks.get(0).getSpec()), 0);
            h.processBroadcastElement(new SpecChange("t", "default-f1", null), 0);
            jump(h, 8000, 12000);
            assertThat(decisions(h)).hasSize(2);

            // Once both of its challengers are retired, a drift forks again, under new names.
            h.processBroadcastElement(new SpecChange("t", "default-f2", null), 0);
            jump(h, 12000, 16000);
            assertThat(decisions(h)).hasSize(4).extracting(VariantSpecRecord::getVariant).doesNotHaveDuplicates()
                    .allMatch(v -> v.startsWith("default-f"));
        }
    }

    /**
     * A job started afresh counts its drift events from 1, so its fork may name a challenger an earlier run retired
     * (here {@code default-f1}, RETIRED on the control topic the job read): that record says {@code "revive":true},
     * which the job asks of a retired key, and one of a challenger that is live ({@code default-f2}) does not, as
     * revive there would reset it.
     */
    @Test
    void aForkChallengerWhoseNameIsRetiredComesBackWithReviveAndALiveOneWithout() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default-f1", FORKING), 0);
            h.processBroadcastElement(new SpecChange("t", "default-f1", null), 0);
            h.processBroadcastElement(new SpecChange("t", "default-f2", FORKING.replace("\"seed\":5", "\"seed\":7")),
                    0);
            h.processBroadcastElement(new SpecChange("t", "default", FORKING), 0);
            h.processBroadcastElement(new SpecChange("t", "b", FORKING), 0);
            jump(h, 0, 4000);

            List<VariantSpecRecord> forks = decisions(h).stream()
                    .filter(r -> r.getStatus() == VariantStatus.LIVE).toList();
            assertThat(forks).extracting(VariantSpecRecord::getVariant).containsExactly("default-f1", "default-f2");
            assertThat(VariantSpecs.parseVariant(forks.get(0).getSpec(), 16).revive()).as("retired: revived").isTrue();
            assertThat(VariantSpecs.parseVariant(forks.get(1).getSpec(), 16).revive()).as("live: as it is").isFalse();
            assertThat(VariantSpecs.parseVariant(forks.get(0).getSpec(), 16).model())
                    .isEqualTo(VariantSpecs.parseVariant(FORKING, 16).model().withSeed(6));
        }
    }

    /**
     * With {@code forkSpace}, each challenger's record carries the point drawn for it around the champion's spec (its
     * drift kept, so its own fork draws from the same space), and its reason names the point.
     */
    @Test
    void aForkWithASpaceWritesChallengersAtPointsDrawnAroundTheChampion() throws Exception {
        String spaced = FORKING.replace("\"forkVariants\":2", "\"forkVariants\":2,\"forkSpace\":"
                + "{\"optimizer.learningRate\":{\"logUniform\":[1e-4,1e-2]},\"l2\":[0,1e-4]}");
        VariantSpec champion = VariantSpecs.parseVariant(spaced, 16);
        try (var h = ChampionSelectionFunctionTest.harness()) {
            List<VariantSpecRecord> forks = forkOnAJump(h, spaced);
            List<DriftSpec.ForkChallenger> drawn = champion.drift().fork("default", champion.model(), 1);
            for (int i = 0; i < 2; i++) {
                VariantSpec fork = VariantSpecs.parseVariant(forks.get(i).getSpec(), 16);
                assertThat(fork.model()).isEqualTo(drawn.get(i).spec());
                assertThat(fork.model().optimizer().learningRate()).isBetween(1e-4, 1e-2)
                        .isNotEqualTo(champion.model().optimizer().learningRate());
                assertThat(fork.model().seed()).isEqualTo(5 + i + 1);
                assertThat(fork.drift()).isEqualTo(champion.drift());
                assertThat(forks.get(i).getReason()).startsWith("drift event 1 of champion default at 10")
                        .endsWith("fork " + (i + 1) + " of 2, drawn from drift.forkSpace: "
                                + drawn.get(i).hyperparameters());
            }
        }
    }

    @Test
    void aForksChallengersThatAreNotPromotedWithinThePatienceAreRetiredAndTheChampionForksAgain() throws Exception {
        String patient = FORKING.replace("\"forkVariants\":2", "\"forkVariants\":2,\"forkPatienceExamples\":500");
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default", patient), 0);
            feed(h, 0, 4000, List.of("default"));
            List<VariantSpecRecord> forks = decisions(h);
            assertThat(forks).extracting(VariantSpecRecord::getVariant).containsExactly("default-f1", "default-f2");
            for (VariantSpecRecord fork : forks) {
                h.processBroadcastElement(new SpecChange("t", fork.getVariant(), fork.getSpec()), 0);
            }

            // The challengers predict exactly what the champion does: the paired test never promotes them. Their
            // first example pairs too (the champion's loss on it, complete before they came, is kept for them), so
            // their 500th pair is example 4499.
            feed(h, 4000, 4499, List.of("default", "default-f1", "default-f2"));
            assertThat(decisions(h)).hasSize(2);
            feed(h, 4499, 5500, List.of("default", "default-f1", "default-f2"));
            List<VariantSpecRecord> retired = decisions(h).subList(2, decisions(h).size());
            assertThat(retired).extracting(VariantSpecRecord::getVariant).containsExactly("default-f1", "default-f2");
            assertThat(retired).allSatisfy(r -> {
                assertThat(r.getStatus()).isEqualTo(VariantStatus.RETIRED);
                assertThat(r.getSpec()).isNull();
                assertThat(r.getSource()).isEqualTo("drift");
                assertThat(r.getUpdatedAt()).isEqualTo(100_000 + 4499);
                assertThat(r.getReason()).isEqualTo("fork patience: " + r.getVariant() + " (a fork of default) was "
                        + "paired with champion default for 500 examples (drift.forkPatienceExamples) without being "
                        + "promoted");
            });
            // Out of the race at once: their standings say RETIRED before the records come back.
            List<Champion> out = h.extractOutputValues();
            assertThat(out.get(out.size() - 1).getStandings()).filteredOn(s -> s.getVariant().startsWith("default-f"))
                    .extracting(VariantStanding::getStatus).containsOnly(StandingStatus.RETIRED);

            // Back on the broadcast, the retirements free the champion: its next drift forks again, under new names.
            h.processBroadcastElement(new SpecChange("t", "default-f1", null), 0);
            h.processBroadcastElement(new SpecChange("t", "default-f2", null), 0);
            feed(h, 5500, 9500, List.of("default"));
            assertThat(decisions(h).subList(4, decisions(h).size())).extracting(VariantSpecRecord::getVariant)
                    .containsExactly("default-f3", "default-f4");
        }
    }

    /**
     * A fork's challenger whose record the job refused (the task's {@code maxVariantsPerTask} was reached, say, so it
     * went to the dead-letter topic) never comes back on the broadcast. It holds the fork live while it may still be
     * on its way, and no longer once the champion has labelled {@code forkPatienceExamples} examples since the fork:
     * then the champion's next drift forks again.
     */
    @ParameterizedTest
    @CsvSource({"500, true", "20000, false"})
    void aForkChallengerTheJobRefusedHoldsTheForkOnlyForThePatience(long patience, boolean forksAgain)
            throws Exception {
        String patient = FORKING.replace("\"forkVariants\":2",
                "\"forkVariants\":2,\"forkPatienceExamples\":" + patience);
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default", patient), 0);
            feed(h, 0, 4000, List.of("default"));
            List<VariantSpecRecord> forks = decisions(h);
            assertThat(forks).extracting(VariantSpecRecord::getVariant).containsExactly("default-f1", "default-f2");
            // default-f1 comes back and is retired; default-f2 was refused: it never comes.
            h.processBroadcastElement(new SpecChange("t", "default-f1", forks.get(0).getSpec()), 0);
            h.processBroadcastElement(new SpecChange("t", "default-f1", null), 0);

            // About 4,000 labelled examples after the fork, the champion drifts again.
            feed(h, 4000, 8000, List.of("default"));
            List<Champion> out = h.extractOutputValues();
            if (forksAgain) {
                assertThat(decisions(h).subList(2, decisions(h).size())).extracting(VariantSpecRecord::getVariant)
                        .containsExactly("default-f3", "default-f4");
            } else {
                assertThat(decisions(h)).hasSize(2);
                assertThat(out.get(out.size() - 1).getStandings()).filteredOn(s -> s.getVariant().equals("default"))
                        .singleElement().satisfies(d -> assertThat(d.getLastDriftAt()).isGreaterThan(100_000L + 7000));
            }
        }
    }

    /**
     * A drift under {@code rewarm} writes the record of a reset in place, but for its spec's warm start from the
     * variant itself, its optimizer reset, with no model: the trainer that owns the variant starts it from its own
     * weights. Like a reset, it is remembered until it is back on the broadcast, which takes the variant out of the race
     * and back in from an empty record.
     */
    @Test
    void aDriftUnderRewarmWritesAResetThatStartsTheVariantFromItsOwnWeights() throws Exception {
        String rewarming = DriftResetTest.RESETTING.replace("\"reset\"", "\"rewarm\"");
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default", rewarming), 0);
            h.processBroadcastElement(new SpecChange("t", "b", DriftResetTest.PLAIN), 0);
            jump(h, 0, 4000);

            List<VariantSpecRecord> rewarm = decisions(h);
            assertThat(rewarm).singleElement().satisfies(r -> {
                assertThat(r.getVariant()).isEqualTo("default");
                assertThat(r.getStatus()).isEqualTo(VariantStatus.LIVE);
                assertThat(r.getSource()).isEqualTo("drift");
                assertThat(r.getInitialModel()).as("the trainer has the weights; the selection has none").isNull();
                assertThat(r.getReason()).startsWith("drift event 1 of champion default at 10")
                        .contains("page-hinkley").endsWith("rewarm: its own weights, optimizer and schedule restarted");
            });
            VariantSpec revived = VariantSpecs.parseVariant(rewarm.get(0).getSpec(), 16);
            assertThat(revived.revive()).isTrue();
            assertThat(revived.model()).isEqualTo(VariantSpecs.parseVariant(rewarming, 16).model());
            assertThat(revived.drift()).isEqualTo(VariantSpecs.parseVariant(rewarming, 16).drift());
            assertThat(revived.warmStart()).contains(new WarmStart("default", null, false));

            jump(h, 4000, 8000);
            assertThat(decisions(h)).as("none while the first is not back").hasSize(1);

            int published = h.extractOutputValues().size();
            SpecChange back = new SpecChange("t", "default", rewarm.get(0).getSpec());
            back.reset = true;
            h.processBroadcastElement(back, 0);
            List<Champion> out = h.extractOutputValues();
            Champion succession = out.get(published);
            assertThat(succession.getVariant()).as("the best live challenger serves meanwhile").isEqualTo("b");
            assertThat(succession.getStandings()).filteredOn(s -> s.getVariant().equals("default")).singleElement()
                    .satisfies(d -> assertThat(d.getRetiredReason()).isEqualTo(rewarm.get(0).getReason()));
            assertThat(out.get(published + 1).getStandings()).filteredOn(s -> s.getVariant().equals("default"))
                    .singleElement().satisfies(d -> {
                        assertThat(d.getStatus()).isEqualTo(StandingStatus.CHALLENGER);
                        assertThat(d.getLabelledExamples()).as("an empty record").isZero();
                    });
        }
    }

    /**
     * Each of {@code variants} predicts example {@code i} as the others do: right 80% of the time until
     * {@code from + 3000} (if {@code to} goes that far), then 20%.
     */
    static void feed(KeyedBroadcastOperatorTestHarness<String, dev.chorus.schemas.Prediction, SpecChange, ?> h,
            int from, int to, List<String> variants) throws Exception {
        SplittableRandom random = new SplittableRandom(from);
        for (int i = from; i < to; i++) {
            h.setProcessingTime(100_000 + i);
            float p = random.nextDouble() < (i < from + 3000 ? 0.8 : 0.2) ? 0.7f : 0.3f;
            for (String v : variants) {
                h.processElement(prediction("t", "e" + i, v, p, i), 0);
            }
        }
    }

    /** Both variants right 80% of the time until {@code from + 3000}, then 20%. */
    static void jump(KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> h, int from, int to) throws Exception {
        jump(h, from, to, from);
    }

    /** As {@link #jump(KeyedBroadcastOperatorTestHarness, int, int)}, model versions from {@code firstVersion}. */
    static void jump(KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> h, int from, int to, long firstVersion)
            throws Exception {
        @SuppressWarnings("unchecked")
        var typed = (KeyedBroadcastOperatorTestHarness<String, dev.chorus.schemas.Prediction, SpecChange, ?>) h;
        SplittableRandom random = new SplittableRandom(from);
        for (int i = from; i < to; i++) {
            typed.setProcessingTime(100_000 + i);
            double right = i < from + 3000 ? 0.8 : 0.2;
            for (String v : List.of("default", "b")) {
                typed.processElement(prediction("t", "e" + i, v, random.nextDouble() < right ? 0.7f : 0.3f,
                        firstVersion + i - from), 0);
            }
        }
    }

    /**
     * Opens {@code h} with champion {@code default} of spec {@code champion} and challenger {@code b} of
     * {@link #FORKING}; both jump at 3000 (b, a challenger that never beat the champion, drifts alike): returns the
     * decisions, the champion's fork {@code default-f1}, {@code default-f2}.
     */
    private static List<VariantSpecRecord> forkOnAJump(
            KeyedBroadcastOperatorTestHarness<String, dev.chorus.schemas.Prediction, SpecChange, Champion> h,
            String champion) throws Exception {
        h.open();
        h.processBroadcastElement(new SpecChange("t", "default", champion), 0);
        h.processBroadcastElement(new SpecChange("t", "b", FORKING), 0);
        jump(h, 0, 4000);
        List<VariantSpecRecord> forks = decisions(h);
        assertThat(forks).extracting(VariantSpecRecord::getVariant).containsExactly("default-f1", "default-f2");
        return forks;
    }

    static List<VariantSpecRecord> decisions(KeyedBroadcastOperatorTestHarness<String, ?, ?, ?> h) {
        return SearchRungsTest.decisions(h);
    }
}
