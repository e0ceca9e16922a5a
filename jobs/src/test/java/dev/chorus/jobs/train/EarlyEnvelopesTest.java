package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.deadLetters;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.kafka.Received;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.watermark.Watermark;
import org.apache.flink.streaming.util.BroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * The router and the trainer apply the control topic's changes on broadcast edges of their own, so the router may route
 * an example under a revival the trainer has not applied yet. The envelope carries the generation it was routed under;
 * the trainer holds it until it has that change ({@link EarlyEnvelopes}), then trains it with the revived model: it is
 * neither dead-lettered as retired (as it was before generations) nor trained by the model the change replaces.
 */
class EarlyEnvelopesTest {
    static final String REVIVED = revived(SPEC);

    static String revived(String spec) {
        return spec.substring(0, spec.lastIndexOf('}')) + ",\"revive\":true}";
    }

    /** The change of variant {@code w} of task {@code t} that the control record at {@code offset} caused. */
    static SpecChange change(String spec, long offset) {
        SpecChange change = new SpecChange("t", "w", spec);
        change.generation = offset;
        return change;
    }

    static Example unlabeled(int row) {
        Example e = example(row);
        e.setLabel(null);
        return e;
    }

    /**
     * The router has applied variant {@code w}'s create, retirement and revival (control records 1–3); the trainer,
     * reading its own edge, has the create and the retirement alone.
     */
    static void routerAheadOfTrainer(BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> router,
            TrainerHarness trainer) throws Exception {
        for (SpecChange c : List.of(change(SPEC, 1), change(null, 2), change(REVIVED, 3))) {
            router.processBroadcastElement(c, 0);
        }
        trainer.processBroadcastElement(change(SPEC, 1), 0);
        trainer.processBroadcastElement(change(null, 2), 0);
    }

    /** What the router sends variant {@code w} for {@code example}, read at {@code offset}. */
    static VariantExample routedToW(BroadcastOperatorTestHarness<Received<Example>, SpecChange, VariantExample> router,
            Example example, long offset) throws Exception {
        int before = router.extractOutputValues().size();
        router.processElement(VariantRouterTest.received(example, 0, offset), offset);
        List<VariantExample> out = router.extractOutputValues();
        return out.subList(before, out.size()).stream().filter(v -> v.variant().equals("w")).findFirst().orElseThrow();
    }

    @Test
    void anExampleRoutedUnderARevivalTheTrainerHasNotAppliedWaitsForItAndIsTrainedByTheRevivedModel() throws Exception {
        try (var router = VariantRouterTest.harness(); var trainer = new TrainerHarness(settings())) {
            trainer.open();
            routerAheadOfTrainer(router, trainer);

            router.processElement(VariantRouterTest.received(unlabeled(0), 0, 10), 10);
            assertThat(router.extractOutputValues()).extracting(VariantExample::variant, VariantExample::generation)
                    .as("stamped with the generation each was routed under, none for --spec's default")
                    .containsExactly(tuple("default", VariantExample.NO_GENERATION), tuple("w", 3L));
            trainer.processElement(router.extractOutputValues().get(1), 10);

            assertThat(deadLetters(trainer)).as("not dead-lettered as retired").isEmpty();
            assertThat(trainer.extractOutputValues()).as("not predicted before the trainer has the revival").isEmpty();

            trainer.processBroadcastElement(change(REVIVED, 3), 11);
            trainer.setProcessingTime(settings().batchTimeoutMs());

            assertThat(trainer.extractOutputValues()).singleElement().satisfies(p -> {
                assertThat(p.getId()).isEqualTo("x-0");
                assertThat(p.getVariant()).isEqualTo("w");
                assertThat(p.getModelVersion()).as("the revived model's").isZero();
            });
            assertThat(deadLetters(trainer)).isEmpty();
        }
    }

    @Test
    void theVariantsNextEnvelopeReleasesThoseThatWaitedFirstInArrivalOrder() throws Exception {
        try (var router = VariantRouterTest.harness(); var trainer = new TrainerHarness(settings().batchTimeoutMs(0))) {
            trainer.open();
            routerAheadOfTrainer(router, trainer);
            trainer.processElement(routedToW(router, unlabeled(0), 10), 10);
            trainer.processElement(routedToW(router, unlabeled(1), 11), 11);
            assertThat(trainer.extractOutputValues()).isEmpty();

            trainer.processBroadcastElement(change(REVIVED, 3), 12);
            trainer.processElement(routedToW(router, unlabeled(2), 12), 12);

            assertThat(trainer.extractOutputValues()).extracting(Prediction::getId)
                    .containsExactly("x-0", "x-1", "x-2");
            assertThat(trainer.numKeyedStateEntries()).as("nothing waits: the variant's trainer state alone")
                    .isEqualTo(1);
        }
    }

    /**
     * The end of a burst: the last envelopes wait, no later one comes to release them, and the batch timeout is 0
     * (never). The trainer's check while envelopes wait releases them once the change is there, so they do not wait
     * for the end of the input (a search's rung that needs them would wait with them).
     */
    @Test
    void envelopesThatWaitAtTheEndOfABurstGoOnOnceTheChangeIsThereWithNoBatchTimeout() throws Exception {
        try (var router = VariantRouterTest.harness(); var trainer = new TrainerHarness(settings().batchTimeoutMs(0))) {
            trainer.open();
            routerAheadOfTrainer(router, trainer);
            trainer.setProcessingTime(1_000);
            trainer.processElement(routedToW(router, unlabeled(0), 10), 10);
            trainer.processElement(routedToW(router, unlabeled(1), 11), 11);
            trainer.setProcessingTime(1_000 + EarlyEnvelopes.CHECK_MS);
            assertThat(trainer.extractOutputValues()).as("the change is not there yet: they still wait").isEmpty();

            trainer.processBroadcastElement(change(REVIVED, 3), 12);
            trainer.setProcessingTime(1_000 + 2 * EarlyEnvelopes.CHECK_MS);

            assertThat(trainer.extractOutputValues()).extracting(Prediction::getId).containsExactly("x-0", "x-1");
            assertThat(deadLetters(trainer)).isEmpty();
            assertThat(trainer.numKeyedStateEntries()).as("nothing waits: the variant's trainer state alone")
                    .isEqualTo(1);
        }
    }

    /**
     * The trainer has not applied the retirement either: it still holds the model the revival replaces (another shape
     * here), which would have refused the example as a misfit or trained on it; it waits instead, and the revived model
     * trains it.
     */
    @Test
    void anExampleRoutedUnderARevivalIsNotTrainedByTheModelTheRevivalReplaces() throws Exception {
        String wide = revived(SpecRaceTest.WIDE);
        try (var router = VariantRouterTest.harness(); var trainer = new TrainerHarness(settings())) {
            trainer.open();
            for (SpecChange c : List.of(change(SPEC, 1), change(null, 2), change(wide, 3))) {
                router.processBroadcastElement(c, 0);
            }
            trainer.processBroadcastElement(change(SPEC, 1), 0);
            trainer.processElement(new VariantExample("w", new Sourced<>(example(0), 0, 0), SPEC, null, 1), 0);

            Example widened = SpecRaceTest.wide(1, 5);
            widened.setLabel(null);
            trainer.processElement(routedToW(router, widened, 1), 1);
            assertThat(deadLetters(trainer)).as("not refused by the old model's shape").isEmpty();

            trainer.processBroadcastElement(change(null, 2), 2);
            trainer.processBroadcastElement(change(wide, 3), 2);
            trainer.processWatermark(new Watermark(Long.MAX_VALUE));

            assertThat(trainer.extractOutputValues()).extracting(Prediction::getId, Prediction::getModelVersion)
                    .as("the old model's example at its retirement, the wide one by the revived model")
                    .containsExactly(tuple("x-0", 0L), tuple("x-1", 0L));
            assertThat(trainer.extractOutputValues().get(1).getProbabilities().remaining() / Float.BYTES)
                    .as("six classes, the revived spec's").isEqualTo(6);
            assertThat(deadLetters(trainer)).isEmpty();
        }
    }

    /** The envelopes that wait are keyed state: a restore from a checkpoint taken while they wait still trains them. */
    @Test
    void envelopesWaitingAtACheckpointAreTrainedAfterItsRestore() throws Exception {
        OperatorSubtaskState saved;
        VariantExample early;
        try (var router = VariantRouterTest.harness(); var trainer = new TrainerHarness(settings())) {
            trainer.open();
            routerAheadOfTrainer(router, trainer);
            early = routedToW(router, unlabeled(0), 10);
            trainer.processElement(early, 10);
            saved = trainer.snapshot(1, 11);
        }
        try (var trainer = new TrainerHarness(settings())) {
            trainer.initializeState(saved);
            trainer.open();
            trainer.processBroadcastElement(change(REVIVED, 3), 12);
            trainer.setProcessingTime(settings().batchTimeoutMs());

            assertThat(trainer.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactly(tuple("x-0", "w", 0L));
            assertThat(deadLetters(trainer)).isEmpty();
        }
    }

    @Test
    void pastTheBoundAnEarlyEnvelopeIsADeadLetterNamingBothGenerationsAndCounted() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        try (var trainer = new TrainerHarness(settings(), metrics.environment())) {
            trainer.open();
            trainer.processBroadcastElement(change(SPEC, 1), 0);
            trainer.processBroadcastElement(change(null, 2), 0);
            for (int i = 0; i <= EarlyEnvelopes.MAX_PER_VARIANT; i++) {
                trainer.processElement(new VariantExample("w", new Sourced<>(unlabeled(i % 200), 0, i), null, null,
                        3), i);
            }

            assertThat(deadLetters(trainer)).singleElement().satisfies(d -> {
                assertThat(d.getOffset()).isEqualTo((long) EarlyEnvelopes.MAX_PER_VARIANT);
                assertThat(d.getField()).isEqualTo("variant");
                assertThat(d.getReason()).isEqualTo("field 'variant': expected variant \"w\" of task \"t\" at the "
                        + "generation the example was routed under, control record 3, got the trainer at control "
                        + "record 1, with 10000 of the variant's examples already waiting for that change (at most "
                        + "10000)");
            });
            assertThat(metrics.find("flink_taskmanager_job_task_operator_earlyEnvelopes", Map.of())).singleElement()
                    .satisfies(r -> assertThat(r.value()).isEqualTo(EarlyEnvelopes.MAX_PER_VARIANT));

            trainer.processBroadcastElement(change(REVIVED, 3), 1);
            trainer.processWatermark(new Watermark(Long.MAX_VALUE));
            assertThat(trainer.extractOutputValues()).as("those that waited, at the end of input")
                    .hasSize(EarlyEnvelopes.MAX_PER_VARIANT);
        }
    }

    /** A bounded input that ends before the change (no job does: both edges carry every change first) drops nothing. */
    @Test
    void anEnvelopeStillWaitingWhenTheInputEndsIsADeadLetter() throws Exception {
        try (var trainer = new TrainerHarness(settings())) {
            trainer.open();
            trainer.processElement(new VariantExample("w", new Sourced<>(unlabeled(0), 0, 5), REVIVED, null, 3), 0);
            trainer.processWatermark(new Watermark(Long.MAX_VALUE));

            assertThat(trainer.extractOutputValues()).isEmpty();
            assertThat(deadLetters(trainer)).extracting(DeadLetter::getOffset, DeadLetter::getReason)
                    .containsExactly(tuple(5L, "field 'variant': expected variant \"w\" of task \"t\" at the "
                            + "generation the example was routed under, control record 3, got the trainer at no "
                            + "generation of it, when the input ended"));
        }
    }
}
