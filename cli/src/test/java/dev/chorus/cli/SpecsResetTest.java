package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.core.select.WarmStart;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.SpecControl;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;

/**
 * {@code chorus specs reset} writes the record a drift reset writes: LIVE, the live variant's model spec and drift
 * with {@code "revive":true} and no warm start, source {@code cli}, the reason; it refuses a key that is not live.
 */
class SpecsResetTest {
    static final String LIVE = "{" + SpecsPutTest.MODEL + ",\"batchSize\":4,\"seed\":3,"
            + "\"drift\":{\"detector\":\"adwin\",\"delta\":0.002},\"warmStart\":{\"from\":\"variant:default\"}}";

    @Test
    void theResetRecordIsTheLiveModelSpecWithReviveAndNoWarmStart() {
        VariantSpecRecord record = SpecsCommand.resetRecord("iris", "fast",
                SpecsCommand.record("iris", "fast", LIVE, "kcat", new byte[] {1, 2}), "labels changed on Monday",
                false);

        assertThat(record.getTask()).isEqualTo("iris");
        assertThat(record.getVariant()).isEqualTo("fast");
        assertThat(record.getStatus()).isEqualTo(VariantStatus.LIVE);
        assertThat(record.getSource()).isEqualTo("cli");
        assertThat(record.getReason()).isEqualTo("labels changed on Monday");
        assertThat(record.getInitialModel()).isNull();
        VariantSpec reset = VariantSpecs.parseVariant(record.getSpec(), 16);
        VariantSpec live = VariantSpecs.parseVariant(LIVE, 16);
        assertThat(reset.revive()).isTrue();
        assertThat(reset.warmStart()).isEmpty();
        assertThat(reset.model()).isEqualTo(live.model());
        assertThat(reset.drift()).isEqualTo(live.drift());
        assertThat(record.getSpec()).as("what a drift reset writes").isEqualTo(VariantSpecs.resetSpec(LIVE));
    }

    @Test
    void withoutAReasonTheRecordSaysItCameFromTheCommandLine() {
        VariantSpecRecord record = SpecsCommand.resetRecord("iris", "fast",
                SpecsCommand.record("iris", "fast", LIVE, "cli"), null, false);

        assertThat(record.getReason()).isEqualTo("chorus specs reset: fresh weights");
    }

    /**
     * With {@code --rewarm}, the record a drift rewarm writes: the reset's, warm-started from the variant itself with
     * the optimizer reset and no model, so the job restarts it from its own weights; a label model cannot be
     * rewarmed.
     */
    @Test
    void withRewarmTheRecordIsADriftRewarmsAndALabelModelIsRefused() {
        VariantSpecRecord record = SpecsCommand.resetRecord("iris", "fast",
                SpecsCommand.record("iris", "fast", LIVE, "cli"), null, true);

        assertThat(record.getSpec()).as("what a drift rewarm writes").isEqualTo(VariantSpecs.rewarmSpec(LIVE, "fast"));
        assertThat(VariantSpecs.parseVariant(record.getSpec(), 16).warmStart())
                .contains(new WarmStart("fast", null, false));
        assertThat(record.getInitialModel()).isNull();
        assertThat(record.getReason())
                .isEqualTo("chorus specs reset --rewarm: its own weights, optimizer and schedule restarted");
        String crowd = "{" + SpecsPutTest.MODEL + ",\"labelModel\":{\"method\":\"dawid-skene\"}}";
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "crowd",
                SpecsCommand.record("iris", "crowd", crowd, "cli"), null, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/crowd cannot restart from its own weights (its spec has labelModel): only a dense "
                        + "learner, a hashed linear, a wide and deep or a large-softmax model can be rewarmed; without "
                        + "--rewarm it restarts from fresh weights");
    }

    @Test
    void anUnknownARetiredOrASearchKeyIsRefusedWithTheReason() {
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "fast", null, null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/fast is not on the control topic (no record the train job took): only a live "
                        + "variant can be reset");
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "fast",
                SpecsCommand.record("iris", "fast", null, "cli"), null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/fast is retired: only a live variant can be reset (chorus specs put --revive "
                        + "makes it live again, from scratch)");
        String search = "{" + SpecsPutTest.MODEL + ",\"search\":{\"method\":\"random\",\"variants\":2,"
                + "\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}}}";
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "hp",
                SpecsCommand.record("iris", "hp", search, "cli"), null, false))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/hp is a search, not a variant: only a variant put under its own key can be reset");
    }

    /**
     * A variant a live search draws has no key of its own on the control topic (the search's key holds the search),
     * yet the job takes a reset of it, as a drift reset writes one: the command resets it with the spec the search
     * draws for it, and check-specs passes the record on as a reset.
     */
    @Test
    void aVariantALiveSearchDrawsIsResetWithItsDrawnSpecAndTheJobTakesTheRecord() throws Exception {
        String search = "{" + SpecsPutTest.MODEL + ",\"batchSize\":4,\"search\":{\"method\":\"random\","
                + "\"variants\":2,\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}},"
                + "\"drift\":{\"detector\":\"adwin\",\"delta\":0.002}}";
        VariantSpecRecord searchRecord = SpecsCommand.record("iris", "hp", search, "cli");
        Map<String, VariantSpecRecord> latest = Map.of("iris/hp", searchRecord);

        VariantSpecRecord reset = SpecsCommand.resetRecord("iris", "hp-s1", SpecsCommand.current("iris", "hp-s1",
                latest), "labels fixed", false);

        assertThat(reset.getStatus()).isEqualTo(VariantStatus.LIVE);
        assertThat(VariantSpecs.parseVariant(reset.getSpec(), 16).revive()).isTrue();
        assertThat(VariantSpecs.parseVariant(reset.getSpec(), 16).drift())
                .as("the search's drift, as the drawn variant has it").isEqualTo(
                        VariantSpecs.parseVariant(search, 16).drift());
        TrainSettings settings = new TrainSettings().specs(TaskSpecs.of(null, Map.of()));
        var codec = settings.specsTopic().codec();
        try (OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> job =
                ProcessFunctionTestHarnesses.forProcessFunction(new SpecControl(settings))) {
            job.processElement(new KafkaRecord("chorus.specs", 0, 0, 0, bytes("iris/hp"), codec.encode(searchRecord)),
                    0);
            job.processElement(new KafkaRecord("chorus.specs", 0, 1, 0, bytes("iris/hp-s1"), codec.encode(reset)), 1);

            List<SpecChange> changes = job.extractOutputValues().stream().filter(c -> !c.marksProgress()).toList();
            SpecChange drawn = changes.stream().filter(c -> c.variant.equals("hp-s1")).findFirst().orElseThrow();
            assertThat(changes.get(changes.size() - 1)).as("a reset in place of the drawn variant")
                    .isEqualTo(new SpecChange("iris", "hp-s1", reset.getSpec()));
            assertThat(reset.getSpec()).isEqualTo(VariantSpecs.resetSpec(drawn.spec));
            assertThat(job.getSideOutput(SpecControl.DEAD_LETTERS)).as("dead letters").isNullOrEmpty();
        }
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "hp-s9", SpecsCommand.current("iris", "hp-s9",
                latest), null, false)).hasMessage("iris/hp-s9 is not on the control topic (no record the train job took): "
                        + "only a live variant can be reset");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
