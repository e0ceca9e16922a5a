package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Dead letters are counted per field under labels that stay few, whatever names a producer writes. */
class LabelledMetricsTest {

    static final String FIELD = "flink_taskmanager_job_task_field_deadLetters";

    @Test
    void deadLettersAreCountedUnderTheirFieldsTopLevelName() {
        RegisteredMetrics metrics = new RegisteredMetrics();
        var counts = new LabelledMetrics.DeadLetterCounts(metrics.environment().getMetricGroup());
        for (int i = 0; i < 1_000; i++) {
            counts.count("fields.name" + i); // a map's keys are the producer's
        }
        counts.count("features[3]");
        counts.count("features");
        counts.count("label");
        counts.count("decode");

        assertThat(metrics.find(FIELD, Map.of())).extracting(r -> r.labels().get("field"))
                .containsExactlyInAnyOrder("fields", "features", "label", "decode");
        assertThat(metrics.find(FIELD, Map.of("field", "fields"))).singleElement()
                .satisfies(r -> assertThat(r.value()).isEqualTo(1_000));
        assertThat(metrics.find(FIELD, Map.of("field", "features"))).singleElement()
                .satisfies(r -> assertThat(r.value()).isEqualTo(2));
        assertThat(metrics.find("flink_taskmanager_job_task_deadLetters", Map.of())).singleElement()
                .satisfies(r -> assertThat(r.value()).isEqualTo(1_004));
    }
}
