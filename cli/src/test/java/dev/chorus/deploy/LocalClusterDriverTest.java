package dev.chorus.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.DeadLetters;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.schemas.DeadLetter;
import dev.chorus.schemas.Prediction;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The serve check of {@code deploy/local-cluster e2e} ({@link LocalClusterDriver#serveProblems}). */
class LocalClusterDriverTest {

    static final String NO_MODEL = "no model yet for task \"fashion-mnist\" (variant \"default\"): expected at most"
            + " 10000 examples waiting for it, got one more";

    @Test
    void aServeJobThatDeadLettersEverythingFails() {
        List<DeadLetter> all = IntStream.range(0, 10).mapToObj(i -> deadLetter("r0-" + i, "task", NO_MODEL)).toList();

        assertThat(LocalClusterDriver.serveProblems(List.of(), all, Set.of(1L, 2L), 5))
                .containsExactly("only 0 real predictions, expected at least 5");
    }

    @Test
    void predictionsByPublishedVersionsAndDeadLettersForWantOfAModelPass() {
        List<Prediction> served = IntStream.range(2, 10).mapToObj(i -> prediction("r0-" + i, 1 + i % 2)).toList();
        List<DeadLetter> early = List.of(deadLetter("r0-0", "task", NO_MODEL), deadLetter("r0-1", "task", NO_MODEL));

        assertThat(LocalClusterDriver.serveProblems(served, early, Set.of(1L, 2L), 5)).isEmpty();
    }

    @Test
    void aPredictionByAnUnpublishedVersionOrAnyOtherDeadLetterFails() {
        List<Prediction> served = List.of(prediction("r0-0", 1), prediction("r0-1", 7));
        List<DeadLetter> other = List.of(deadLetter("r0-2", "features",
                "field 'features': expected 784 values, got 3 (model \"fashion-mnist/default\" version 1)"));

        assertThat(LocalClusterDriver.serveProblems(served, other, Set.of(1L), 2)).satisfiesExactly(
                p -> assertThat(p).startsWith("1 predictions name a model version the train job never published")
                        .contains("r0-1 with version 7"),
                p -> assertThat(p).startsWith("1 dead letters are not for want of a first model")
                        .contains("field features"));
    }

    private static Prediction prediction(String id, long version) {
        return ExampleTensors.prediction(id, "fashion-mnist", 3, null, null, 0L, "default", version,
                new float[] {0.1f, 0.2f, 0.1f, 0.6f}, 0L);
    }

    private static DeadLetter deadLetter(String id, String field, String reason) {
        return DeadLetters.ofExample("chorus.examples", id, 0, 0, new byte[] {1}, field, reason, 0L, 1024);
    }
}
