package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static dev.chorus.jobs.train.WarmStartTrainingTest.WARM;
import static dev.chorus.jobs.train.WarmStartTrainingTest.withModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/**
 * The control topic's job-wide bounds ({@link ControlTopicBudget}): live variants of all tasks together
 * ({@code --max-live-variants}) and the bytes of their warm-start models ({@code --max-warm-start-bytes}), which every
 * router and trainer instance holds in broadcast state. A record past either is a dead letter naming the bound; a
 * retirement frees its room; what the bounds count survives a restore.
 */
class ControlTopicBudgetTest {

    static String seeded(int seed) {
        assertThat(SPEC).contains("\"seed\":3");
        return SPEC.replace("\"seed\":3", "\"seed\":" + seed);
    }

    @Test
    void aNewVariantPastTheLiveBoundOfAllTasksIsADeadLetterUntilOneRetires() throws Exception {
        try (var h = CheckSpecsHarness.open(settings().maxLiveVariants(3))) {
            h.processElement(record("t/a", live("t", "a", SPEC)), 0);
            h.processElement(record("u/a", live("u", "a", SPEC)), 1);
            h.processElement(record("v/a", live("v", "a", SPEC)), 2);
            h.processElement(record("w/a", live("w", "a", SPEC)), 3);
            h.processElement(record("t/a", live("t", "a", SPEC)), 4); // the live spec again: no change, not refused
            assertThat(h.extractOutputValues()).extracting(c -> c.task).containsExactly("t", "u", "v");
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("variant");
                assertThat(d.getReason()).isEqualTo("field 'variant': expected at most --max-live-variants=3 live "
                        + "variants on the control topic (all tasks), got a new one, \"w/a\", beside 3");
            });

            h.processElement(new KafkaRecord("chorus.specs", 0, 5, 0, VariantsTest.bytes("u/a"), null), 5);
            h.processElement(record("w/a", live("w", "a", SPEC)), 6);
            assertThat(h.extractOutputValues()).as("u/a's retirement made room for w/a").extracting(c -> c.task + "/"
                    + c.variant + (c.retires() ? " retired" : "")).containsExactly("t/a", "u/a", "v/a", "u/a retired",
                    "w/a");

            String search = SPEC.substring(0, SPEC.lastIndexOf('}')) + ",\"search\":{\"method\":\"random\","
                    + "\"variants\":2,\"budgetExamples\":60,\"space\":{\"optimizer.learningRate\":[0.01,0.1]}}}";
            h.processElement(new KafkaRecord("chorus.specs", 0, 7, 0, VariantsTest.bytes("w/a"), null), 7);
            h.processElement(record("x/hp", live("x", "hp", search)), 8);
            assertThat(deadLetters(h)).hasSize(2).last().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("spec");
                assertThat(d.getReason()).isEqualTo("field 'spec': expected at most --max-live-variants=3 live "
                        + "variants on the control topic (all tasks), got a search \"x/hp\" of 2 variants (2 new) "
                        + "beside 2");
            });
        }
    }

    /**
     * A RETIRED record of a key never live is kept, as a retirement of a live one is (a later LIVE record of the key
     * must revive it: after compaction the topic may hold only the retirement of a variant that was live), but only up
     * to --max-retired-variants retired keys: past it, one more is a dead letter naming the bound. Before, each was kept
     * in check-specs' state and every router, trainer and selection instance's broadcast state for good, so a flood of
     * them grew state without bound. A live variant's retirement is never refused.
     */
    @Test
    void retirementsOfVariantsNeverLiveAreKeptUpToTheRetiredBound() throws Exception {
        try (var h = CheckSpecsHarness.open(settings().maxRetiredVariants(2))) {
            h.processElement(record("t/x1", retired("t", "x1")), 0);
            h.processElement(record("t/x2", retired("t", "x2")), 1);
            h.processElement(record("t/x3", retired("t", "x3")), 2);
            h.processElement(record("t/x1", retired("t", "x1")), 3); // retired already: no change, not refused
            h.processElement(record("t/a", live("t", "a", SPEC)), 4);
            h.processElement(record("t/a", retired("t", "a")), 5);
            h.processElement(record("t/x1", live("t", "x1", SPEC)), 6);

            assertThat(h.extractOutputValues()).extracting(c -> c.task + "/" + c.variant + (c.retires() ? " retired"
                    : "")).containsExactly("t/x1 retired", "t/x2 retired", "t/a", "t/a retired");
            assertThat(deadLetters(h)).extracting(DeadLetter::getField, DeadLetter::getReason).containsExactly(
                    org.assertj.core.groups.Tuple.tuple("variant", "field 'variant': expected a retirement of a variant "
                            + "the control topic has had live, or at most --max-retired-variants=2 retired variants kept"
                            + " (all tasks), got one of \"t/x3\", never live, beside 2"),
                    org.assertj.core.groups.Tuple.tuple("spec", "field 'spec': expected \"revive\":true to make "
                            + "retired variant \"t/x1\" live again (chorus specs put --revive), got a spec without it: "
                            + SpecControl.quotedSpec(SPEC)));
        }
    }

    private static VariantSpecRecord retired(String task, String variant) {
        VariantSpecRecord r = live(task, variant, null);
        r.setStatus(VariantStatus.RETIRED);
        return r;
    }

    /** A task's default written as --spec has it changes nothing, so the bound does not refuse it. */
    @Test
    void aTasksDefaultAsTheJobAlreadyTrainsItIsNoChangeAtTheBound() throws Exception {
        try (var h = CheckSpecsHarness.open(settings().maxLiveVariants(1))) {
            h.processElement(record("t/a", live("t", "a", SPEC)), 0);
            h.processElement(record("u/default", live("u", "default", SPEC)), 1);
            h.processElement(record("u/default", live("u", "default", seeded(9))), 2);
            assertThat(h.extractOutputValues()).extracting(c -> c.task + "/" + c.variant).containsExactly("t/a");
            assertThat(deadLetters(h)).singleElement().satisfies(d -> assertThat(d.getReason()).isEqualTo(
                    "field 'variant': expected at most --max-live-variants=1 live variants on the control topic (all "
                    + "tasks), got a new one, \"u/default\", beside 1"));
        }
    }

    @Test
    void warmStartsPastTheirBytesAreADeadLetterAndARetirementOrAPlainSpecFreesThem() throws Exception {
        byte[] model = WarmStartTrainingTest.source().toBytes();
        try (var h = CheckSpecsHarness.open(settings().maxWarmStartBytes(2L * model.length + 10))) {
            h.processElement(record("t/w1", withModel(live("t", "w1", WARM), model)), 0);
            h.processElement(record("t/w2", withModel(live("t", "w2", WARM), model)), 1);
            h.processElement(record("t/w3", withModel(live("t", "w3", WARM), model)), 2);
            assertThat(h.extractOutputValues()).extracting(c -> c.variant).containsExactly("w1", "w2");
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("initialModel");
                assertThat(d.getReason()).isEqualTo(String.format(java.util.Locale.ROOT, "field 'initialModel': "
                        + "expected warm-start models of at most --max-warm-start-bytes=%,d bytes for the control "
                        + "topic's live variants (every router and trainer instance holds them), got %,d more for "
                        + "\"t/w3\" beside %,d", 2L * model.length + 10, model.length, 2L * model.length));
            });

            var retired = live("t", "w1", null);
            retired.setStatus(VariantStatus.RETIRED);
            h.processElement(record("t/w1", retired), 3);
            h.processElement(record("t/w3", withModel(live("t", "w3", WARM), model)), 4);
            assertThat(h.extractOutputValues()).as("w1's retirement freed its model's bytes for w3")
                    .extracting(c -> c.variant + (c.initialModel == null ? "" : " warm")).containsExactly("w1 warm",
                            "w2 warm", "w1", "w3 warm");
        }
    }

    @Test
    void whatTheBoundsCountSurvivesARestoreAndIsReportedAsGauges() throws Exception {
        byte[] model = WarmStartTrainingTest.source().toBytes();
        TrainSettings settings = settings().maxLiveVariants(3).maxWarmStartBytes(model.length + 10L);
        OperatorSubtaskState state;
        try (var h = CheckSpecsHarness.open(settings)) {
            h.processElement(record("t/w", withModel(live("t", "w", WARM), model)), 0);
            h.processElement(record("t/a", live("t", "a", seeded(8))), 1);
            state = h.snapshot(1, 2);
        }
        var metrics = new RegisteredMetrics();
        try (var h = CheckSpecsHarness.unopened(settings, metrics.environment())) {
            h.initializeState(state);
            h.open();
            h.processElement(record("u/w", withModel(live("u", "w", WARM), model)), 2);
            h.processElement(record("u/a", live("u", "a", SPEC)), 3);
            h.processElement(record("v/a", live("v", "a", SPEC)), 4);
            assertThat(h.extractOutputValues()).as("room for one more variant, none for another warm start")
                    .extracting(c -> c.task + "/" + c.variant).containsExactly("u/a");
            assertThat(deadLetters(h)).extracting(DeadLetter::getField).containsExactly("initialModel", "variant");
            assertThat(gauge(metrics, "liveVariants")).isEqualTo(3);
            assertThat(gauge(metrics, "warmStartBytes")).isEqualTo(model.length);
        }
    }

    @Test
    void theBoundsAreOptionsWithDefaults() {
        TrainSettings defaults = TrainJobOptions.parse(new String[] {"--spec", SPEC});
        assertThat(defaults.maxLiveVariants()).isEqualTo(1024);
        assertThat(defaults.maxWarmStartBytes()).isEqualTo(256L << 20);
        assertThat(defaults.maxRetiredVariants()).isEqualTo(16_384);
        assertThat(TrainJobOptions.parse(new String[] {"--spec", SPEC, "--max-retired-variants", "7"})
                .maxRetiredVariants()).isEqualTo(7);
        TrainSettings set = TrainJobOptions.parse(new String[] {"--spec", SPEC, "--max-live-variants", "5",
                "--max-warm-start-bytes", "1000"});
        assertThat(set.maxLiveVariants()).isEqualTo(5);
        assertThat(set.maxWarmStartBytes()).isEqualTo(1000);
        assertThatThrownBy(() -> new TrainSettings().maxLiveVariants(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxLiveVariants");
    }

    private static double gauge(RegisteredMetrics metrics, String name) {
        return metrics.all().stream().filter(r -> r.name().endsWith("_" + name)).findFirst().orElseThrow().value();
    }

    private static List<DeadLetter> deadLetters(CheckSpecsHarness h) {
        var letters = h.getSideOutput(SpecControl.DEAD_LETTERS);
        return letters == null ? List.of() : letters.stream().map(StreamRecord::getValue).toList();
    }
}
