package dev.chorus.jobs.select;

import static dev.chorus.jobs.select.ChampionSelectionFunctionTest.prediction;
import static dev.chorus.jobs.select.DriftReactionsTest.decisions;
import static dev.chorus.jobs.select.DriftReactionsTest.jump;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.StandingStatus;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStanding;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import org.apache.flink.runtime.state.KeyedStateBackend;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.junit.jupiter.api.Test;

/**
 * A revived variant races again from an empty record; a drift under {@code reset} resets its variant in place: one
 * LIVE record with {@code revive}, which takes it out of the race and back in from an empty record, which the old
 * model's predictions still on their way do not reach.
 */
class DriftResetTest {

    static final String PLAIN = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,\"seed\":5}";
    static final String RESETTING = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":2,\"seed\":5,"
            + "\"drift\":{\"detector\":\"page-hinkley\",\"reaction\":\"reset\"}}";
    static final String RESET = RESETTING.substring(0, RESETTING.length() - 1) + ",\"revive\":true}";

    @Test
    void aRetiredVariantRevivedOnTheControlTopicRacesAgainFromAnEmptyRecord() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.setProcessingTime(0);
            // b is better than default by ln 2 on every example, and had nearly won when it was retired.
            ChampionSelectionFunctionTest.pairs(h, 0, 15);
            h.processBroadcastElement(new SpecChange("t", "b", null), 0);
            ChampionSelectionFunctionTest.pairs(h, 15, 30);
            h.processBroadcastElement(new SpecChange("t", "b", PLAIN), 0);
            for (int i = 30; i < 80; i++) {
                h.processElement(prediction("t", "e" + i, "default", 0.4f, i), 0);
                h.processElement(prediction("t", "e" + i, "b", 0.8f, i - 30), 0);
            }
            h.setProcessingTime(1000);
            List<Champion> out = h.extractOutputValues();
            Champion last = out.get(out.size() - 1);
            assertThat(last.getVariant()).as("the revived b races, and wins").isEqualTo("b");
            assertThat(last.getEvidence().getPairedExamples()).as("paired only since its revival").isEqualTo(20);
            VariantStanding b = last.getStandings().get(0);
            assertThat(b.getLabelledExamples()).as("its record starts empty at the revival").isEqualTo(50);
            assertThat(b.getModelVersion()).as("its model versions count from 0 again").isEqualTo(49);
        }
    }

    /**
     * Every record names the generation of each variant's model, the control topic's offset of the record that
     * started it, from the broadcast the trainer reads too; a reset's records, its succession first, name the new one,
     * so a serve job holding the reset variant's version 0 can tell them from records written before it.
     */
    @Test
    void everyRecordNamesEachVariantsGenerationAndAResetsRecordsTheNewOne() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(generation(new SpecChange("t", "default", PLAIN), 1), 0);
            h.processBroadcastElement(generation(new SpecChange("t", "b", PLAIN), 2), 0);
            ChampionSelectionFunctionTest.pairs(h, 0, 80);
            h.setProcessingTime(100_000);
            List<Champion> before = h.extractOutputValues();
            assertThat(before).isNotEmpty().extracting(Champion::getGenerations)
                    .containsOnly(java.util.Map.of("default", 1L, "b", 2L));

            h.processBroadcastElement(generation(new SpecChange("t", "b", PLAIN), 9), 0);

            List<Champion> after = h.extractOutputValues().subList(before.size(), h.extractOutputValues().size());
            assertThat(after).isNotEmpty().extracting(Champion::getGenerations)
                    .containsOnly(java.util.Map.of("default", 1L, "b", 9L));
        }
    }

    static SpecChange generation(SpecChange change, long generation) {
        change.generation = generation;
        return change;
    }

    @Test
    void aDriftUnderResetResetsItsVariantInPlaceOnceUntilTheResetComesBack() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "default", RESETTING), 0);
            h.processBroadcastElement(new SpecChange("t", "b", PLAIN), 0);
            jump(h, 0, 4000);

            List<VariantSpecRecord> reset = decisions(h);
            assertThat(reset).singleElement().satisfies(r -> {
                assertThat(r.getVariant()).isEqualTo("default");
                assertThat(r.getStatus()).isEqualTo(VariantStatus.LIVE);
                assertThat(r.getSource()).isEqualTo("drift");
                assertThat(r.getReason()).startsWith("drift event 1 of champion default at 10")
                        .contains("page-hinkley").endsWith("reset to fresh weights");
            });
            VariantSpec revived = VariantSpecs.parseVariant(reset.get(0).getSpec(), 16);
            assertThat(revived.revive()).isTrue();
            assertThat(revived.model()).isEqualTo(VariantSpecs.parseVariant(RESETTING, 16).model());
            assertThat(revived.drift()).isEqualTo(VariantSpecs.parseVariant(RESETTING, 16).drift());

            // Until the reset is back on the broadcast, another drift resets nothing.
            jump(h, 4000, 8000);
            assertThat(decisions(h)).hasSize(1);

            int published = h.extractOutputValues().size();
            h.processBroadcastElement(new SpecChange("t", "default", reset.get(0).getSpec()), 0);
            List<Champion> out = h.extractOutputValues();
            assertThat(out).as("the succession, then default back in the race").hasSize(published + 2);
            Champion succession = out.get(published);
            assertThat(succession.getVariant()).as("the best live challenger serves meanwhile").isEqualTo("b");
            VariantStanding retired = succession.getStandings().get(1);
            assertThat(retired.getStatus()).isEqualTo(StandingStatus.RETIRED);
            assertThat(retired.getRetiredReason()).isEqualTo(reset.get(0).getReason());
            VariantStanding back = out.get(published + 1).getStandings().stream()
                    .filter(s -> s.getVariant().equals("default")).findFirst().orElseThrow();
            assertThat(back.getStatus()).isEqualTo(StandingStatus.CHALLENGER);
            assertThat(back.getLabelledExamples()).as("an empty record").isZero();

            jump(h, 8000, 12000, 0);
            h.setProcessingTime(200_000);
            out = h.extractOutputValues();
            VariantStanding again = out.get(out.size() - 1).getStandings().stream()
                    .filter(s -> s.getVariant().equals("default")).findFirst().orElseThrow();
            assertThat(again.getStatus()).isNotEqualTo(StandingStatus.RETIRED);
            assertThat(again.getRetiredReason()).isNull();
            assertThat(again.getLastDriftAt()).isNotNull();
            // Event 2 came while the first reset was pending (counted, not reacted to); the fresh detector's event 3,
            // of a challenger now, resets it again.
            assertThat(decisions(h)).as("a second reset once the first came back")
                    .hasSize(2).extracting(VariantSpecRecord::getReason).last().asString()
                    .startsWith("drift event 3 of variant default at ");
        }
    }

    /**
     * After a reset, the old model's predictions still on their way from the trainer (made before it applied the
     * reset, at versions from the newest the race saw on) are not raced: the fresh record and the fresh detector start
     * at the fresh model's first prediction, version 0, so its wrong first predictions are no rise over the old
     * model's right ones.
     */
    @Test
    void theOldModelsPredictionsAfterAResetDoNotReachTheFreshRecordNorItsDetector() throws Exception {
        try (var h = ChampionSelectionFunctionTest.harness()) {
            h.open();
            h.setProcessingTime(0);
            h.processBroadcastElement(new SpecChange("t", "default", RESETTING), 0);
            h.processBroadcastElement(new SpecChange("t", "b", PLAIN), 0);
            for (int i = 0; i < 200; i++) {
                h.processElement(prediction("t", "e" + i, "default", i % 2 == 0 ? 0.7f : 0.3f, i / 16), 0);
                h.processElement(prediction("t", "e" + i, "b", 0.6f, i / 16), 0);
            }
            h.processBroadcastElement(new SpecChange("t", "default", RESET), 0);
            // 300 of the old model (versions 12 on), right every time; then 300 of the fresh one, wrong 2 times in 3.
            for (int i = 200; i < 800; i++) {
                boolean old = i < 500;
                long version = old ? 12 + (i - 200) / 16 : (i - 500) / 16;
                h.processElement(prediction("t", "e" + i, "default", old || i % 3 == 0 ? 0.7f : 0.3f, version), 0);
                h.processElement(prediction("t", "e" + i, "b", 0.6f, 12 + (i - 200) / 16), 0);
            }
            h.setProcessingTime(200_000);

            List<Champion> out = h.extractOutputValues();
            VariantStanding fresh = out.get(out.size() - 1).getStandings().stream()
                    .filter(s -> s.getVariant().equals("default")).findFirst().orElseThrow();
            assertThat(fresh.getLabelledExamples()).as("the fresh model's predictions only").isEqualTo(300);
            assertThat(fresh.getModelVersion()).isEqualTo(18);
            assertThat(decisions(h)).as("its fresh detector saw no rise, so no reset of its own").isEmpty();
            KeyedStateBackend<String> backend = h.getOperator().getKeyedStateBackend();
            backend.setCurrentKey("t");
            assertThat(backend.getPartitionedState(VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE,
                    ChampionSelectionFunction.RACE).value().stale()).as("counted stale").isEqualTo(300);
        }
    }
}
