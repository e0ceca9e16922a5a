package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantRouterTest.received;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.chorus.jobs.kafka.Received;
import dev.chorus.schemas.Example;
import java.util.List;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithNonKeyedOperator;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * A fresh router holds its examples until check-specs' progress markers say the control topic has been read up to
 * where it ended at the start, then routes them in order with what it read; its state keeps them across a restore.
 */
class VariantRouterCatchUpTest {
    static final String FAST = SPEC.replace("0.05", "0.2");

    @Test
    void aFreshRouterHoldsItsExamplesUntilTheControlTopicIsReadUpToItsEndThenRoutesThemInOrder() throws Exception {
        try (var h = open(new VariantRouter(settings(), () -> 5), null)) {
            h.processElement(received(example(0), 0, 10), 0);
            h.processBroadcastElement(live("fast", 3), 1);
            h.processBroadcastElement(SpecChange.readUpTo(3), 1);
            h.processElement(received(example(1), 1, 20), 2);
            h.processBroadcastElement(live("gone", 4), 3);
            h.processBroadcastElement(SpecChange.readUpTo(4), 3);
            assertThat(h.extractOutputValues()).as("held until offset 5 is read").isEmpty();

            h.processBroadcastElement(retired("gone", 5), 4);
            h.processBroadcastElement(SpecChange.readUpTo(5), 4);
            h.processElement(received(example(2), 0, 11), 5);

            assertThat(h.extractOutputValues()).extracting(v -> v.input().offset(), VariantExample::variant)
                    .as("in arrival order, each with the variants live at offset 5")
                    .containsExactly(tuple(10L, "default"), tuple(10L, "fast"), tuple(20L, "default"),
                            tuple(20L, "fast"), tuple(11L, "default"), tuple(11L, "fast"));
        }
    }

    @Test
    void aControlTopicWithoutRecordsHoldsNothing() throws Exception {
        try (var h = open(new VariantRouter(settings(), () -> -1), null)) {
            h.processElement(received(example(0), 0, 10), 0);
            assertThat(h.extractOutputValues()).extracting(VariantExample::variant).containsExactly("default");
        }
    }

    @Test
    void heldExamplesAndTheOffsetToWaitForSurviveARestore() throws Exception {
        OperatorSubtaskState snapshot;
        try (var h = open(new VariantRouter(settings(), () -> 7), null)) {
            h.processElement(received(example(0), 0, 10), 0);
            h.processBroadcastElement(live("fast", 2), 1);
            h.processBroadcastElement(SpecChange.readUpTo(2), 1);
            h.processElement(received(example(1), 1, 20), 2);
            snapshot = h.snapshot(1, 3);
        }
        try (var h = open(new VariantRouter(settings(), () -> 7), snapshot)) {
            h.processBroadcastElement(SpecChange.readUpTo(6), 4);
            assertThat(h.extractOutputValues()).isEmpty();
            h.processBroadcastElement(SpecChange.readUpTo(7), 5);
            assertThat(h.extractOutputValues()).extracting(v -> v.input().value().getId(), VariantExample::variant)
                    .containsExactly(tuple(example(0).getId(), "default"), tuple(example(0).getId(), "fast"),
                            tuple(example(1).getId(), "default"), tuple(example(1).getId(), "fast"));
        }
        try (var h = open(new VariantRouter(settings(), () -> 0), snapshotAfterCatchUp())) {
            h.processElement(received(example(3), 0, 30), 0);
            assertThat(h.extractOutputValues()).as("nothing committed on the control topic since the checkpoint")
                    .extracting(VariantExample::variant).containsExactly("default");
        }
    }

    /**
     * A router restored from a checkpoint taken after it caught up waits again for what the control topic committed
     * since (a variant made live or retired while the job was down, a search decision written after the checkpoint)
     * before it routes what its examples source replays.
     */
    @Test
    void aRestoredRouterWaitsForTheControlRecordsCommittedSinceItsCheckpoint() throws Exception {
        try (var h = open(new VariantRouter(settings(), () -> 2), snapshotAfterCatchUp())) {
            h.processElement(received(example(3), 0, 30), 0);
            h.processBroadcastElement(live("fast", 1), 1);
            h.processBroadcastElement(SpecChange.readUpTo(1), 1);
            assertThat(h.extractOutputValues()).as("held until offset 2 is read").isEmpty();
            h.processBroadcastElement(retired("fast", 2), 2);
            h.processBroadcastElement(SpecChange.readUpTo(2), 2);
            h.processElement(received(example(4), 0, 31), 3);

            assertThat(h.extractOutputValues()).extracting(v -> v.input().offset(), VariantExample::variant)
                    .as("with the variants live at offset 2").containsExactly(tuple(30L, "default"),
                            tuple(31L, "default"));
        }
    }

    @Test
    void pastMaxHeldTheExamplesAreRoutedWithTheVariantsReadSoFar() throws Exception {
        try (var h = open(new VariantRouter(settings(), () -> 9), null)) {
            h.processBroadcastElement(live("fast", 1), 0);
            h.processBroadcastElement(SpecChange.readUpTo(1), 0);
            for (int i = 0; i < VariantRouter.MAX_HELD - 1; i++) {
                h.processElement(received(example(i % 100), 0, i), 1);
            }
            assertThat(h.extractOutputValues()).isEmpty();
            h.processElement(received(example(0), 0, VariantRouter.MAX_HELD), 2);
            assertThat(h.extractOutputValues()).hasSize(2 * VariantRouter.MAX_HELD);
            h.processElement(received(example(1), 0, VariantRouter.MAX_HELD + 1), 3);
            assertThat(h.extractOutputValues()).hasSize(2 * VariantRouter.MAX_HELD + 2);
        }
    }

    @Test
    void aBoundedJobThatEndsHoldingExamplesFailsRatherThanDropThem() throws Exception {
        var h = open(new VariantRouter(settings().bounded(true), () -> 4), null);
        h.processElement(received(example(0), 0, 10), 0);
        h.processBroadcastElement(SpecChange.readUpTo(3), 1);
        assertThatThrownBy(h::close).hasStackTraceContaining("ended holding 1 examples for control topic "
                + "chorus.specs, read up to offset 3 of 4");
    }

    private static OperatorSubtaskState snapshotAfterCatchUp() throws Exception {
        try (var h = open(new VariantRouter(settings(), () -> 0), null)) {
            h.processElement(received(example(0), 0, 10), 0);
            h.processBroadcastElement(SpecChange.readUpTo(0), 1);
            return h.snapshot(1, 2);
        }
    }

    private static SpecChange live(String variant, long offset) {
        SpecChange c = new SpecChange("t", variant, variant.equals("fast") ? FAST : SPEC.replace("0.05", "0.01"));
        c.generation = offset;
        return c;
    }

    private static SpecChange retired(String variant, long offset) {
        SpecChange c = new SpecChange("t", variant, null);
        c.generation = offset;
        return c;
    }

    private static BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> open(
            VariantRouter router, OperatorSubtaskState restored) throws Exception {
        var h = new BroadcastOperatorTestHarness<>(new CoBroadcastWithNonKeyedOperator<>(router,
                List.of(VariantSpecs.DESCRIPTOR, WarmStarts.DESCRIPTOR, ModelGenerations.DESCRIPTOR)), 1, 1, 0);
        h.setup();
        if (restored != null) {
            h.initializeState(restored);
        }
        h.open();
        return h;
    }
}
