package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.example;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.kafka.Sourced;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.junit.jupiter.api.Test;

/** The router → trainer edge's format of a {@link VariantExample}. */
class VariantExampleSerializerTest {

    /**
     * A variant name of any length crosses the edge: before, it went by {@code writeUTF}, whose 64 KiB limit made a
     * name of more UTF-8 bytes fail every example of its task (and, from restored broadcast state, every restart).
     */
    @Test
    void aVariantNameOfAnyLengthRoundTrips() throws Exception {
        for (String variant : new String[] {"w", "\u00e9".repeat(40_000), "x".repeat(70_000), "\uD83D\uDE00".repeat(20_000)}) {
            VariantExample sent = new VariantExample(variant, new Sourced<>(example(3), 1, 7), SPEC, new byte[] {1, 2});
            DataOutputSerializer out = new DataOutputSerializer(64);
            VariantExampleSerializer.INSTANCE.serialize(sent, out);
            VariantExample got = VariantExampleSerializer.INSTANCE.deserialize(
                    new DataInputDeserializer(out.getCopyOfBuffer()));

            assertThat(got.variant()).isEqualTo(variant);
            assertThat(got.spec()).isEqualTo(SPEC);
            assertThat(got.initialModel()).containsExactly(1, 2);
            assertThat(got.input().value()).isEqualTo(sent.input().value());
            assertThat(got.input().offset()).isEqualTo(7L);
        }
    }
}
