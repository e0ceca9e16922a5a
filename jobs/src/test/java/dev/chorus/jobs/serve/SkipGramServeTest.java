package dev.chorus.jobs.serve;

import static dev.chorus.jobs.serve.ServeFunctionTest.deadLetters;
import static dev.chorus.jobs.serve.ServeFunctionTest.harness;
import static dev.chorus.jobs.serve.ServeFunctionTest.record;
import static dev.chorus.jobs.serve.ServeFunctionTest.settings;
import static dev.chorus.jobs.serve.ServeFunctionTest.snapshot;
import static dev.chorus.jobs.serve.ServeFunctionTest.sourced;
import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.output.SkipGram;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.schemas.ModelSnapshot;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

/** The serve job answers examples; a skip-gram snapshot on the models topic is refused, saying why. */
class SkipGramServeTest {

    @Test
    void aSkipGramSnapshotIsADeadLetterNamingItsAlgorithmAndTheServedModelStays() throws Exception {
        SkipGram model = TokenSequences.reference(TokenSequences.SPEC, TokenSequences.stream("t", 5, 1));
        ModelSnapshot skipGram = snapshot("t", 9);
        skipGram.setAlgorithm("skip-gram");
        skipGram.setSpec(TokenSequences.SPEC);
        skipGram.setParametersFormat(SkipGram.FORMAT_VERSION);
        skipGram.setParameters(ByteBuffer.wrap(model.toBytes()));
        try (var h = harness(settings())) {
            h.open();
            h.processBroadcastElement(record(snapshot("t", 2), 0), 0);
            h.processBroadcastElement(record(skipGram, 1), 1);
            h.processElement(sourced(ServeFunctionTest.example(0)), 2);
            assertThat(h.extractOutputValues()).extracting(p -> p.getModelVersion()).containsExactly(2L);
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("algorithm");
                assertThat(d.getReason()).isEqualTo("model \"t/default\" version 9: field 'algorithm': expected a model "
                        + "that predicts, got \"skip-gram\" (its vectors answer chorus inspect --nearest) (at "
                        + "chorus.models-0@1)");
            });
        }
    }
}
