package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code chorus specs retire} retires any key (a search-drawn variant and an unlisted {@code default} have no record of
 * their own) but warns about one that neither the control topic nor the models topic has ever had: likely a typo.
 */
class SpecsRetireTest {
    private static final String SEARCH = "{" + SpecsPutTest.MODEL + ",\"batchSize\":4,\"search\":{\"method\":\"random\","
            + "\"variants\":2,\"budgetExamples\":100,\"space\":{\"l2\":[0,0.0001]}}}";

    @Test
    void aKeyOnNeitherTopicGetsAWarning() {
        assertThat(SpecsCommand.unknownKeyWarning("iris", "fsat", Map.of("iris/fast",
                SpecsCommand.record("iris", "fast", "{" + SpecsPutTest.MODEL + "}", "cli")), Set.of("iris/default"),
                "chorus.specs", "chorus.models"))
                .isEqualTo("warning: iris/fsat is on neither chorus.specs nor chorus.models (no spec, no variant a live "
                        + "search draws, no model): retired all the same, but check the name (chorus specs list, "
                        + "chorus models)");
    }

    @Test
    void aKeyWithASpecASearchsDrawOrAModelGetsNone() {
        var latest = Map.of("iris/fast", SpecsCommand.record("iris", "fast", "{" + SpecsPutTest.MODEL + "}", "cli"),
                "iris/hp", SpecsCommand.record("iris", "hp", SEARCH, "cli"));
        Set<String> modelKeys = Set.of("iris/default", "iris/big#0", "iris/gone");

        assertThat(SpecsCommand.unknownKeyWarning("iris", "fast", latest, modelKeys, "s", "m")).as("own spec").isNull();
        assertThat(SpecsCommand.unknownKeyWarning("iris", "hp-s1", latest, modelKeys, "s", "m")).as("drawn").isNull();
        assertThat(SpecsCommand.unknownKeyWarning("iris", "default", latest, modelKeys, "s", "m")).as("model").isNull();
        assertThat(SpecsCommand.unknownKeyWarning("iris", "big", latest, modelKeys, "s", "m")).as("chunk").isNull();
        assertThat(SpecsCommand.unknownKeyWarning("iris", "gone", latest, modelKeys, "s", "m")).as("tombstone").isNull();
    }
}
