package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.badinput.BadInputCorpus;
import dev.chorus.jobs.kafka.KafkaRecord;
import dev.chorus.jobs.kafka.Topic;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.codec.WireFormat;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.streaming.util.ProcessFunctionTestHarnesses;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Whatever one record makes the decoder or the check throw becomes that record's dead letter. */
class DecodeRecordsTest {

    static final Topic<Example> AVRO = new Topic<>("examples", Example.class, WireFormat.AVRO);
    static final Topic<Example> JSON = new Topic<>("examples", Example.class, WireFormat.JSON);

    @Test
    void anExceptionFromTheCheckBecomesThatRecordsDeadLetterWithTheNameEscaped() throws Exception {
        DecodeRecords.Check<Example> check = e -> {
            if (e.getId().equals("bad")) {
                throw new IllegalStateException("no spec for task \"" + e.getTask() + "\"");
            }
            return null;
        };
        var h = harness(DecodeRecords.of(AVRO, check, "examples", 1 << 20, 1024));
        h.processElement(record(AVRO, 0, BadInputCorpus.valid().setTask("evil\u001b[2Jtask").build()), 0);
        h.processElement(record(AVRO, 1, BadInputCorpus.valid().setId("ok").build()), 0);

        assertThat(h.extractOutputValues()).extracting(Example::getId).containsExactly("ok");
        assertThat(deadLetters(h)).singleElement().satisfies(d -> {
            assertThat(d.getOffset()).isZero();
            assertThat(d.getReason()).contains("IllegalStateException").contains("evil\\u001B[2Jtask")
                    .doesNotContain("\u001b");
        });
    }

    @Test
    void aStackOverflowWhileCheckingBecomesADeadLetter() throws Exception {
        DecodeRecords.Check<Example> check = e -> {
            throw new StackOverflowError();
        };
        var h = harness(DecodeRecords.of(AVRO, check, "examples", 1 << 20, 1024));
        h.processElement(record(AVRO, 0, BadInputCorpus.valid().build()), 0);

        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(deadLetters(h)).singleElement().satisfies(d ->
                assertThat(d.getReason()).contains("StackOverflowError"));
    }

    @Test
    void jsonNestedTenThousandDeepBecomesADeadLetter() throws Exception {
        String deep = "[".repeat(10_000) + "]".repeat(10_000);
        byte[] json = ("{\"id\":\"deep\",\"task\":\"corpus\",\"features\":" + deep + ",\"label\":1,\"eventTime\":1}")
                .getBytes(StandardCharsets.UTF_8);
        var h = harness(DecodeRecords.of(JSON, TaskSpecs.ofDefault(BadInputCorpus.SPEC).check(), "examples",
                1 << 20, 1024));
        h.processElement(new KafkaRecord("examples", 0, 0, 0, null, json), 0);

        assertThat(h.extractOutputValues()).isEmpty();
        assertThat(deadLetters(h)).singleElement().satisfies(d -> assertThat(d.getReason()).contains("depth"));
    }

    /** Seeded random and mutated records: each one is accepted or dead-lettered, exactly once, nothing thrown. */
    @ParameterizedTest
    @EnumSource(WireFormat.class)
    void fuzzedRecordsEachBecomeOneOutput(WireFormat format) throws Exception {
        Topic<Example> topic = format == WireFormat.AVRO ? AVRO : JSON;
        var h = harness(DecodeRecords.of(topic, TaskSpecs.ofDefault(BadInputCorpus.SPEC).check(), "examples",
                1 << 20, 1024));
        List<byte[]> inputs = DecodeFuzz.records(topic.codec(), new Random(format.ordinal()), 3_000);
        for (int i = 0; i < inputs.size(); i++) {
            h.processElement(new KafkaRecord("examples", 0, i, 0, null, inputs.get(i)), 0);
        }
        List<Long> offsets = new ArrayList<>();
        deadLetters(h).forEach(d -> offsets.add(d.getOffset()));
        assertThat(h.extractOutputValues().size() + offsets.size()).isEqualTo(inputs.size());
        assertThat(offsets).doesNotHaveDuplicates();
        assertThat(deadLetters(h)).allSatisfy(d -> assertThat(d.getReason()).isNotBlank());
        assertThat(h.extractOutputValues()).isNotEmpty();
        assertThat(offsets).isNotEmpty();
    }

    static OneInputStreamOperatorTestHarness<KafkaRecord, Example> harness(DecodeRecords<Example, Example> f)
            throws Exception {
        // Opened already: a second open() would register the function's accumulator twice.
        return ProcessFunctionTestHarnesses.forProcessFunction(f);
    }

    static List<DeadLetter> deadLetters(OneInputStreamOperatorTestHarness<KafkaRecord, Example> h) {
        var side = h.getSideOutput(DecodeRecords.DEAD_LETTERS);
        return side == null ? List.of() : side.stream().map(StreamRecord::getValue).toList();
    }

    static KafkaRecord record(Topic<Example> topic, long offset, Example example) {
        return new KafkaRecord(topic.name(), 0, offset, 0, null, topic.codec().encode(example));
    }
}
