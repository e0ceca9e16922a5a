package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static dev.chorus.jobs.serve.ServeStateFixture.champion;
import static dev.chorus.jobs.serve.ServeStateFixture.model;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.RegisteredMetrics;
import dev.chorus.jobs.TaskBound;
import dev.chorus.jobs.kafka.ExampleProducer;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.schemas.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The serve operator counts its dead letters by field as the other operators do
 * ({@code field_deadLetters{field="…"}}, docs/OPERATIONS.md, Monitor), beside the {@code deadLetters} total: those of
 * its models and champion records, and those of its examples.
 */
class ServeDeadLetterCountsTest {
    private static final String PREFIX = "flink_taskmanager_job_task_operator_";

    @Test
    void everyDeadLetterIsCountedUnderItsFieldAndInTheTotal() throws Exception {
        RegisteredMetrics metrics = new RegisteredMetrics();
        ServeSettings settings = ServeFunctionTest.settings().variant(ServeSettings.CHAMPION)
                .taskBound(new TaskBound(1, List.of()));
        try (var h = new ServeHarness(settings, metrics.environment())) {
            h.open();
            h.processBroadcastElement(model("t", "a", 5, 0), 0);
            h.processBroadcastElement(champion("t", "a", 1), 1);
            // Past --max-tasks: a champion record, a model and an example of other tasks.
            h.processBroadcastElement(champion("u", "a", 2), 2);
            h.processBroadcastElement(model("v", "a", 3, 3), 3);
            h.processElement(sourced(ExampleProducer.example(ServeFunctionTest.DATA, 0, "w", "x", 0)), 4);
            // No model record at all.
            h.processBroadcastElement(new KafkaRecord(settings.modelsTopic().name(), 0, 5, 0,
                    "t/a".getBytes(StandardCharsets.UTF_8), "not a model".getBytes(StandardCharsets.UTF_8)), 5);

            Map<String, Long> byField = new TreeMap<>();
            for (DeadLetter d : h.deadLetters()) {
                byField.merge(d.getField() == null ? "decode" : d.getField(), 1L, Long::sum);
            }
            assertThat(byField).as("the letters' fields").containsKeys("task").hasSizeGreaterThanOrEqualTo(2);
            assertThat(metrics.find(PREFIX + "deadLetters", Map.of()).get(0).value())
                    .isEqualTo(h.deadLetters().size());
            byField.forEach((field, letters) -> assertThat(
                    metrics.find(PREFIX + "field_deadLetters", Map.of("field", field)))
                    .as("field_deadLetters{field=\"" + field + "\"}").singleElement()
                    .satisfies(r -> assertThat(r.value()).isEqualTo(letters.doubleValue())));
        }
    }
}
