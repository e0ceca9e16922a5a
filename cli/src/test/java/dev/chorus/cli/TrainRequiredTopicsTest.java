package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The topics whose absence stops {@code chorus train} before its job starts: a label model writes the annotators and
 * consensus topics, whose absence would otherwise make the job restart forever, each time after its annotators sink
 * waited a minute for metadata.
 */
class TrainRequiredTopicsTest {

    private static TrainCommand train(String spec, String... more) {
        TrainCommand train = new TrainCommand();
        String[] args = new String[more.length + 2];
        args[0] = "--spec";
        args[1] = spec;
        System.arraycopy(more, 0, args, 2, more.length);
        new CommandLine(train).parseArgs(args);
        return train;
    }

    @Test
    void aLabelModelSpecRequiresTheAnnotatorsAndConsensusTopics() {
        TrainCommand train = train("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
                + "\"labelModel\":\"dawid-skene\"}", "--annotators-topic", "a.annotators", "--consensus-topic",
                "a.consensus");

        assertThat(train.requiredTopics()).contains("a.annotators", "a.consensus", "chorus.examples",
                "chorus.champions");
    }

    @Test
    void aSpecWithoutALabelModelDoesNot() {
        TrainCommand train = train("{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}");

        assertThat(train.requiredTopics()).doesNotContain("chorus.annotators", "chorus.consensus")
                .contains("chorus.examples", "chorus.champions");
    }
}
