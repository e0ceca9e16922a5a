package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.example;
import static dev.chorus.jobs.serve.ServeFunctionTest.record;
import static dev.chorus.jobs.serve.ServeFunctionTest.snapshot;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeFunctionTest.tombstone;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.schemas.Champion;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.ModelSnapshot;
import dev.chorus.schemas.Prediction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.co.CoBroadcastWithKeyedOperator;
import org.apache.flink.streaming.util.KeyedBroadcastOperatorTestHarness;
import org.junit.jupiter.api.Test;

/**
 * What the models topic holds of a variant its train job reset or revived: the old model's snapshots, the tombstone
 * of its key, then the fresh model's, from a low version again. Serving the variant, or following the champion
 * while it is the champion, the serve function answers with the fresh model once it arrives; the examples between
 * the tombstone and it wait, and none is lost or answered twice.
 */
class ServeResetVariantTest {

    private static ModelSnapshot of(String variant, long version) {
        ModelSnapshot s = snapshot("t", version);
        s.setVariant(variant);
        return s;
    }

    private static KeyedBroadcastOperatorTestHarness<String, Sourced<Example>, KafkaRecord, Prediction> harness(
            ServeSettings settings) throws Exception {
        return new KeyedBroadcastOperatorTestHarness<>(new CoBroadcastWithKeyedOperator<>(new ServeFunction(settings),
                ServeJob.BROADCAST_STATES), ServeFunctionTest::taskOf, Types.STRING, 1, 1, 0);
    }

    private static KafkaRecord champion(ServeSettings settings, String variant, long offset) {
        Champion c = Champion.newBuilder().setTask("t").setVariant(variant).setModelVersion(0L).setSince(0L)
                .setStandings(List.of()).setUpdatedAt(0L).build();
        return new KafkaRecord(settings.championsTopic().name(), 0, offset, 0, "t".getBytes(StandardCharsets.UTF_8),
                settings.championsTopic().codec().encode(c));
    }

    @Test
    void aFixedVariantIsServedByItsFreshModelAfterTheTombstone() throws Exception {
        try (var h = harness(ServeFunctionTest.settings().variant("a"))) {
            h.open();
            h.processBroadcastElement(record(of("a", 30), 0), 0);
            h.processElement(sourced(example(0)), 1);
            h.processBroadcastElement(tombstone("t/a", 1), 2);
            h.processElement(sourced(example(1)), 3);
            h.processBroadcastElement(record(of("a", 2), 2), 4);
            h.processElement(sourced(example(2)), 5);

            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getModelVersion)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(example(0).getId(), 30L),
                            org.assertj.core.groups.Tuple.tuple(example(1).getId(), 2L),
                            org.assertj.core.groups.Tuple.tuple(example(2).getId(), 2L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }

    @Test
    void followingTheChampionAResetChampionsFreshModelServesOnceItArrives() throws Exception {
        ServeSettings settings = ServeFunctionTest.settings().variant(ServeSettings.CHAMPION);
        try (var h = harness(settings)) {
            h.open();
            h.processBroadcastElement(record(of("a", 30), 0), 0);
            h.processBroadcastElement(record(of("b", 12), 1), 0);
            h.processBroadcastElement(champion(settings, "a", 0), 0);
            h.processElement(sourced(example(0)), 1);
            // a is reset: its tombstone, then b serves while its fresh model trains, then a wins again.
            h.processBroadcastElement(tombstone("t/a", 2), 2);
            h.processElement(sourced(example(1)), 3);
            h.processBroadcastElement(champion(settings, "b", 1), 4);
            h.processElement(sourced(example(2)), 5);
            h.processBroadcastElement(record(of("a", 3), 3), 6);
            h.processBroadcastElement(champion(settings, "a", 2), 7);
            h.processElement(sourced(example(3)), 8);

            assertThat(h.extractOutputValues()).extracting(Prediction::getId, Prediction::getVariant,
                    Prediction::getModelVersion).containsExactly(
                            org.assertj.core.groups.Tuple.tuple(example(0).getId(), "a", 30L),
                            org.assertj.core.groups.Tuple.tuple(example(1).getId(), "b", 12L),
                            org.assertj.core.groups.Tuple.tuple(example(2).getId(), "b", 12L),
                            org.assertj.core.groups.Tuple.tuple(example(3).getId(), "a", 3L));
            assertThat(ServeFunctionTest.deadLetters(h)).isEmpty();
        }
    }
}
