package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.flink.api.common.JobID;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A bounded {@code chorus train} or {@code chorus serve} ends with one line: that it finished, and where its outputs went. */
class JobFinishedLineTest {

    private static final JobID JOB = JobID.fromHexString("0123456789abcdef0123456789abcdef");

    @Test
    void aTrainRunNamesItsPredictionsModelsAndDeadLetters() {
        TrainCommand train = new TrainCommand();
        new CommandLine(train).parseArgs("--bootstrap-servers", "localhost:9092", "--bounded", "--spec",
                "{\"algorithm\":\"logistic-regression\",\"inputDim\":4}", "--models-topic", "m.models",
                "--dead-letter-topic", "m.dlq");

        assertThat(train.finished(JOB, 12_345)).isEqualTo("chorus-train " + JOB + " finished after 12.3 s: predictions "
                + "on chorus.predictions, models on m.models, dead letters on m.dlq (chorus tail TOPIC reads them, "
                + "chorus models lists the models)");
    }

    @Test
    void aServeRunNamesItsPredictionsAndDeadLetters() {
        ServeCommand serve = new ServeCommand();
        new CommandLine(serve).parseArgs("--bootstrap-servers", "localhost:9092", "--bounded", "--predictions-topic",
                "s.predictions");

        assertThat(serve.finished(JOB, 999)).isEqualTo("chorus-serve " + JOB + " finished after 1.0 s: predictions on "
                + "s.predictions, dead letters on chorus.dead-letters (chorus tail TOPIC reads them)");
    }
}
