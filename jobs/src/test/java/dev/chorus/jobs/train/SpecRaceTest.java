package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import dev.chorus.schemas.Prediction;
import java.util.List;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.junit.jupiter.api.Test;

/**
 * The router and the trainer read the control topic's changes on broadcast edges of their own, so an example may
 * reach the trainer judged by another spec than the model it meets there: a variant retired and revived with another
 * shape, the router ahead of the trainer or behind it. The trainer checks the example against its own model and
 * dead-letters one that does not fit, rather than failing on it; the rest train. The envelopes here carry no generation
 * (as from a router restored from a savepoint taken before generations, or records in flight from then): a stamped one
 * routed ahead of the trainer waits for the change instead ({@link EarlyEnvelopesTest}).
 */
class SpecRaceTest {

    static final String WIDE = SPEC.replace("\"inputDim\":4", "\"inputDim\":8").replace("\"numClasses\":3",
            "\"numClasses\":6");

    static Example wide(int row, int label) {
        Example e = example(row);
        e.setFeatures(Float32.pack(new float[] {1, 2, 3, 4, 5, 6, 7, 8}));
        e.setLabel(label);
        return e;
    }

    private static VariantExample routed(Example e, long offset, String announced) {
        return new VariantExample("w", new Sourced<>(e, 0, offset), announced);
    }

    @Test
    void anExampleRoutedByANewerSpecThanTheTrainersModelIsADeadLetter() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            for (int i = 0; i < 7; i++) {
                h.processElement(routed(example(i), i, i == 0 ? SPEC : null), i);
            }
            // The router has read the retire and the revival as 8 features and 6 classes; the trainer has not yet.
            h.processElement(routed(wide(7, 1), 7, WIDE), 7);
            Example label = example(8);
            label.setLabel(5);
            h.processElement(routed(label, 8, null), 8);
            h.processElement(routed(example(9), 9, null), 9);
            h.processWatermark(new Watermark(Long.MAX_VALUE));

            assertThat(deadLetters(h)).extracting(DeadLetter::getOffset, DeadLetter::getField)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(7L, "features"),
                            org.assertj.core.groups.Tuple.tuple(8L, "label"));
            assertThat(deadLetters(h).get(0).getReason()).startsWith("field 'features': expected 4 float32 values, "
                    + "got 8").contains("variant \"w\"");
            assertThat(deadLetters(h).get(1).getReason()).startsWith("field 'label': expected a class index in "
                    + "[0, 3), got 5");
            assertThat(h.extractOutputValues()).extracting(Prediction::getId).as("the rest, each once")
                    .containsExactly("x-0", "x-1", "x-2", "x-3", "x-4", "x-5", "x-6", "x-9");
        }
    }

    @Test
    void anExampleRoutedByAnOlderSpecThanTheTrainersModelIsADeadLetter() throws Exception {
        try (var h = new TrainerHarness(settings())) {
            h.open();
            h.processBroadcastElement(new SpecChange("t", "w", SPEC), 0);
            h.processElement(routed(example(0), 0, SPEC), 0);
            // The trainer has the retire and the revival; the router has not yet, and routes by the old spec.
            h.processBroadcastElement(new SpecChange("t", "w", null), 1);
            h.processBroadcastElement(new SpecChange("t", "w",
                    WIDE.substring(0, WIDE.lastIndexOf('}')) + ",\"revive\":true}"), 1);
            h.processElement(routed(example(1), 1, null), 1);
            h.processElement(routed(wide(2, 5), 2, null), 2);
            h.processWatermark(new Watermark(Long.MAX_VALUE));

            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).singleElement().satisfies(d -> {
                assertThat(d.getOffset()).isEqualTo(1L);
                assertThat(d.getReason()).startsWith("field 'features': expected 8 float32 values, got 4");
            });
            assertThat(h.extractOutputValues()).extracting(Prediction::getId).containsExactly("x-0", "x-2");
        }
    }
}
