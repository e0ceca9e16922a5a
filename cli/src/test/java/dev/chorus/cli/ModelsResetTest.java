package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code chorus models reset} of a key without a live model (a typo, or one already reset) says so. */
class ModelsResetTest {

    private static ModelsCommand.Newest topic(ModelsTopicRecords records) {
        return ModelsCommand.Newest.of(records.records(), null);
    }

    @Test
    void aKeyWithALiveModelGetsNoWarning() {
        var newest = topic(new ModelsTopicRecords().add(List.of(LiveModelsTest.snapshot("slow", 3))));

        assertThat(ModelsCommand.Reset.noModelWarning("clicks", "slow", newest, "chorus.models")).isNull();
    }

    @Test
    void aMistypedVariantIsWarnedOfWithTheTasksVariants() {
        var newest = topic(new ModelsTopicRecords()
                .add(List.of(LiveModelsTest.snapshot("default", 3), LiveModelsTest.snapshot("slow", 9))));

        assertThat(ModelsCommand.Reset.noModelWarning("clicks", "Slow", newest, "chorus.models")).isEqualTo(
                "warning: clicks/Slow has no model on chorus.models (task clicks has models of variants default, "
                        + "slow): tombstone written all the same, but check the name (chorus models)");
    }

    @Test
    void theVariantsNamedFromTheTopicAreSafeForATerminal() {
        var newest = topic(new ModelsTopicRecords().add(List.of(LiveModelsTest.snapshot("\u001b]0;x\u0007", 3),
                LiveModelsTest.snapshot("\u202eslow", 9))));

        assertThat(ModelsCommand.Reset.noModelWarning("clicks", "fast", newest, "chorus.models"))
                .doesNotContain("\u001b", "\u0007", "\u202e")
                .contains("(task clicks has models of variants \\u001B]0;x\\u0007, \\u202Eslow)");
    }

    @Test
    void aTaskWithoutModelsAndAKeyAlreadyResetAreWarnedOf() {
        var newest = topic(new ModelsTopicRecords().add(List.of(LiveModelsTest.snapshot("slow", 3)))
                .tombstone("clicks/slow"));

        assertThat(ModelsCommand.Reset.noModelWarning("clicks", "slow", newest, "chorus.models")).isEqualTo(
                "warning: clicks/slow has no model on chorus.models (task clicks has none): tombstone written all "
                        + "the same, but check the name (chorus models)");
        assertThat(ModelsCommand.Reset.noModelWarning("typo", "default", newest, "chorus.models")).startsWith(
                "warning: typo/default has no model on chorus.models (task typo has none)");
    }
}
