package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code chorus specs retire} retires any key (a search-drawn variant and an unlisted {@code default} have no record of
 * their own) but warns about one that neither the control topic nor the models topic has ever had: likely a typo; and
 * it refuses, as the train job would, a key never live once the topic holds {@code --max-retired-variants} retired.
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

    /**
     * The control topic, judged: {@code fast} live then retired, {@code old} retired never live, a search {@code hp}
     * live, {@code gone} only a tombstone, and a retirement of {@code nope} the job refused (not counted): two retired.
     */
    private static JudgedSpecs twoRetired() {
        List<ConsumerRecord<byte[], byte[]>> control = new ArrayList<>();
        add(control, "fast", SpecsCommand.record("iris", "fast", "{" + SpecsPutTest.MODEL + "}", "cli"));
        add(control, "fast", SpecsCommand.record("iris", "fast", null, "cli"));
        add(control, "old", SpecsCommand.record("iris", "old", null, "cli"));
        add(control, "hp", SpecsCommand.record("iris", "hp", SEARCH, "cli"));
        control.add(new ConsumerRecord<>("chorus.specs", 0, control.size(), "iris/gone".getBytes(StandardCharsets.UTF_8),
                null));
        add(control, "nope", SpecsCommand.record("iris", "nope", null, "cli"));
        ConsumerRecord<byte[], byte[]> refused = control.get(control.size() - 1);
        var deadLetter = DeadLetters.of(new KafkaRecord("chorus.specs", 0, refused.offset(), 0L, refused.key(),
                refused.value()), "variant", "beside the bound", 0L, 1024);
        return JudgedSpecs.of(control, List.of(deadLetter), "chorus.specs", List.of());
    }

    private static void add(List<ConsumerRecord<byte[], byte[]>> control, String variant, VariantSpecRecord record) {
        control.add(new ConsumerRecord<>("chorus.specs", 0, control.size(), ("iris/" + variant)
                .getBytes(StandardCharsets.UTF_8), WireFormat.JSON.codec(VariantSpecRecord.class).encode(record)));
    }

    private static String problem(JudgedSpecs judged, String variant, int maxRetiredVariants) {
        return SpecsCommand.neverLiveRetirementProblem("iris", variant, judged.states(), judged.tombstoned(),
                maxRetiredVariants);
    }

    @Test
    void aKeyNeverLiveIsRefusedOnceTheTopicHoldsTheBoundsRetiredVariants() {
        JudgedSpecs judged = twoRetired();

        assertThat(problem(judged, "new", 2)).isEqualTo("iris/new was never live on the control topic, which holds 2 "
                + "retired variants (all tasks): the train job keeps at most --max-retired-variants=2 and would refuse "
                + "this retirement (a dead letter, field 'variant'); a live or once-live variant's retirement is never "
                + "refused");
        assertThat(problem(judged, "nope", 2)).as("a key whose only retirement the job refused").isNotNull();
        assertThat(problem(judged, "new", 3)).as("below the bound: the refused retirement is not counted").isNull();
        assertThat(problem(judged, "new", 16_384)).isNull();
    }

    @Test
    void aLiveOrOnceLiveOrRetiredKeyIsNeverRefused() {
        JudgedSpecs judged = twoRetired();

        assertThat(problem(judged, "fast", 1)).as("retired, once live").isNull();
        assertThat(problem(judged, "old", 1)).as("retired before").isNull();
        assertThat(problem(judged, "hp", 1)).as("a live search").isNull();
        assertThat(problem(judged, "hp-s1", 1)).as("a variant the live search draws").isNull();
        assertThat(problem(judged, "gone", 1)).as("a tombstone: its live record may be compacted away").isNull();
        assertThat(problem(judged, "default", 1)).as("a task's --spec default, live without a record").isNull();
    }

    @Test
    void theBoundIsAnOptionOfRetire() {
        String broker = CliRun.unreachableBroker();
        CliRun run = CliRun.run("specs", "retire", "iris", "fast", "--max-retired-variants", "5",
                "--bootstrap-servers", broker, "--kafka-check-timeout-ms", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).as("the option was taken: only the broker is missing").contains("cannot reach Kafka");
        assertThat(CliRun.run("specs", "retire", "--help").out()).contains("--max-retired-variants")
                .contains("Default: 16384");
    }
}
