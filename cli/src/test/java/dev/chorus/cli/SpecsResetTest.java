package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
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
                SpecsCommand.record("iris", "fast", LIVE, "kcat", new byte[] {1, 2}), "labels changed on Monday");

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
                SpecsCommand.record("iris", "fast", LIVE, "cli"), null);

        assertThat(record.getReason()).isEqualTo("chorus specs reset: fresh weights");
    }

    @Test
    void anUnknownARetiredOrASearchKeyIsRefusedWithTheReason() {
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "fast", null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/fast is not on the control topic: only a live variant can be reset");
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "fast",
                SpecsCommand.record("iris", "fast", null, "cli"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/fast is retired: only a live variant can be reset (chorus specs put --revive "
                        + "makes it live again, from scratch)");
        String search = "{" + SpecsPutTest.MODEL + ",\"search\":{\"method\":\"random\",\"variants\":2,"
                + "\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}}}";
        assertThatThrownBy(() -> SpecsCommand.resetRecord("iris", "hp",
                SpecsCommand.record("iris", "hp", search, "cli"), null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("iris/hp is a search, not a variant: only a variant put under its own key can be reset");
    }
}
