package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.select.VariantSpec;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.VariantSpecRecord;
import dev.chorus.schemas.VariantStatus;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** A search on the control topic, as {@code check-specs} expands, bounds and retires it. */
class SpecSearchesTest {

    static final String BASE = SPEC.substring(0, SPEC.lastIndexOf('}'));
    static final String SEARCH = BASE + ",\"search\":{\"method\":\"successive-halving\",\"variants\":4,"
            + "\"budgetExamples\":60,\"space\":{\"optimizer.learningRate\":{\"logUniform\":[0.001,1.0]},"
            + "\"l2\":[0,0.001]}},\"drift\":{\"detector\":\"adwin\"}}";

    @Test
    void aSearchBecomesItsDrawnVariantsTheSameForTheSameSeed() throws Exception {
        List<SpecChange> first = expand(SEARCH);
        assertThat(first).extracting(c -> c.variant).containsExactly("hp", "hp-s0", "hp-s1", "hp-s2", "hp-s3");
        assertThat(first.get(0).spec).isEqualTo(SEARCH);
        VariantSpec drawn = VariantSpec.parse(SEARCH, 16);
        for (int i = 0; i < 4; i++) {
            VariantSpec variant = VariantSpecs.parseVariant(first.get(i + 1).spec, 16);
            assertThat(variant.model()).isEqualTo(drawn.variants().get(i).spec());
            assertThat(variant.search()).isEmpty();
            assertThat(variant.drift().detector()).as("the search's drift watches each variant").isEqualTo("adwin");
        }
        assertThat(first.stream().skip(1).map(c -> c.spec).distinct()).as("four different points").hasSize(4);
        assertThat(expand(SEARCH)).as("same seed, same variants").isEqualTo(first);
        List<SpecChange> reseeded = expand(SEARCH.replace("\"seed\":3", "\"seed\":4"));
        assertThat(reseeded.get(1).spec).isNotEqualTo(first.get(1).spec);
    }

    @Test
    void theSameSearchAgainChangesNothingAndItsRetirementRetiresItsLiveVariants() throws Exception {
        OperatorSubtaskState state;
        try (var h = unopened()) {
            h.open();
            h.processElement(record("t/hp", live("t", "hp", SEARCH)), 0);
            h.processElement(record("t/hp-s2", retired("t", "hp-s2")), 1);
            state = h.snapshot(1, 1);
        }
        try (var h = unopened()) {
            h.initializeState(state);
            h.open();
            h.processElement(record("t/hp", live("t", "hp", SEARCH)), 2);
            assertThat(h.extractOutputValues()).as("the restored search, put again").isEmpty();
            h.processElement(record("t/hp", retired("t", "hp")), 3);
            assertThat(h.extractOutputValues()).containsExactly(new SpecChange("t", "hp", null),
                    new SpecChange("t", "hp-s0", null), new SpecChange("t", "hp-s1", null),
                    new SpecChange("t", "hp-s3", null));
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
        }
    }

    @Test
    void aSearchOverTheBoundABadSpaceOrAChangedSearchIsOneDeadLetterEach() throws Exception {
        try (var h = CheckSpecsHarness.open(settings().maxVariantsPerTask(4))) {
            h.processElement(record("t/hp", live("t", "hp", SEARCH)), 0);
            h.processElement(record("t/empty", live("t", "empty", BASE + ",\"search\":{\"method\":\"random\",\"variants\":2,"
                    + "\"budgetExamples\":60,\"space\":{}}}")), 1);
            h.processElement(record("t/bad", live("t", "bad", SEARCH.replace("\"l2\"", "\"l9\""))), 2);
            assertThat(h.extractOutputValues()).isEmpty();
            List<DeadLetter> dead = h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue)
                    .toList();
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("spec", "spec", "spec");
            assertThat(dead.get(0).getReason()).isEqualTo("field 'spec': expected at most maxVariantsPerTask=4 live "
                    + "variants of task \"t\", got a search of 4 variants (4 new) beside 1");
            assertThat(dead.get(1).getReason()).contains("search.space").contains("expected at least one path");
            assertThat(dead.get(2).getReason()).contains("search.space").contains("'l9'");
        }
        try (var h = harness()) {
            h.processElement(record("t/hp", live("t", "hp", SEARCH)), 0);
            h.processElement(record("t/hp", live("t", "hp", SEARCH.replace("60", "61"))), 1);
            h.processElement(record("t/hp", live("t", "hp", SPEC)), 2);
            assertThat(h.extractOutputValues()).hasSize(5);
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList())
                    .extracting(DeadLetter::getReason).allMatch(r -> r.startsWith("field 'spec': expected the live "
                            + "search spec of \"t/hp\""));
        }
    }

    static List<SpecChange> expand(String search) throws Exception {
        try (var h = harness()) {
            h.processElement(record("t/hp", live("t", "hp", search)), 0);
            return h.extractOutputValues();
        }
    }

    static OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> harness() throws Exception {
        return CheckSpecsHarness.open(settings());
    }

    static OneInputStreamOperatorTestHarness<KafkaRecord, SpecChange> unopened() throws Exception {
        return CheckSpecsHarness.unopened(settings());
    }

    static VariantSpecRecord retired(String task, String variant) {
        return VariantSpecRecord.newBuilder().setTask(task).setVariant(variant).setStatus(VariantStatus.RETIRED)
                .setUpdatedAt(0L).setSource("search").setReason("rung 0").build();
    }
}
