package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.saved.SavedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code chorus fit}: a model file model-core reads as the learner it trained; rows that do not fit the spec refused. */
class FitCommandTest {
    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":2,\"numClasses\":2,\"batchSize\":2,"
            + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.5},\"standardize\":false}";
    static final List<String> ROWS = List.of("0,1,0", "1,0,1", "0,2,0", "1,0,2", "0,1,0.5");

    @Test
    void writesTheLearnerItTrainedInTheFilesOrder(@TempDir Path dir) throws Exception {
        Path csv = Files.write(dir.resolve("pairs.csv"), ROWS);
        Path model = dir.resolve("pairs.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", SPEC, "--out", model.toString(),
                "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).startsWith("fit softmax-regression on 5 examples of " + csv + " (1 epoch) in ");
        OnlineLearner reference = OnlineLearner.create(dev.chorus.core.model.ModelSpec.parse(SPEC));
        reference.trainMinibatch(new float[] {1, 0, 0, 1}, new int[] {0, 1}, null, 2);
        reference.trainMinibatch(new float[] {2, 0, 0, 2}, new int[] {0, 1}, null, 2);
        reference.trainMinibatch(new float[] {1, 0.5f}, new int[] {0}, null, 1);
        byte[] bytes = Files.readAllBytes(model);
        Predictor read = SavedModels.read(bytes);
        assertThat(read.steps()).isEqualTo(3);
        assertThat(read.examplesSeen()).isEqualTo(5);
        assertThat(bytes).as("the bytes of the learner trained on the rows in order").isEqualTo(reference.toBytes());
    }

    /**
     * A learning rate far too high for the rows diverges: a minibatch whose update would make a weight non-finite is
     * refused by the numeric guard and counted, and the fit goes on from the last good weights, as the train job does.
     */
    @Test
    void aMinibatchTheNumericGuardRefusesIsCountedAndTheFitGoesOn(@TempDir Path dir) throws Exception {
        String diverging = "{\"algorithm\":\"linear-regression\",\"inputDim\":1,\"batchSize\":1,"
                + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":10},\"standardize\":false}";
        List<String> rows = java.util.stream.IntStream.range(0, 12).mapToObj(i -> (i + 1) + "," + 1000 * (i % 3 + 1))
                .toList();
        Path csv = Files.write(dir.resolve("steep.csv"), rows);
        Path model = dir.resolve("steep.model");
        OnlineLearner reference = OnlineLearner.create(dev.chorus.core.model.ModelSpec.parse(diverging));
        int refused = 0;
        for (int i = 0; i < rows.size(); i++) {
            try {
                reference.trainMinibatch(new float[] {1000 * (i % 3 + 1)}, new float[] {i + 1}, null, 1);
            } catch (dev.chorus.core.model.NonFiniteUpdateException e) {
                refused++;
            }
        }
        assertThat(refused).as("the rows make some minibatches diverge, not all").isBetween(1, rows.size() - 1);

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", diverging, "--out",
                model.toString(), "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).contains("; " + refused + " minibatches refused by the numeric guard (non-finite), the "
                + "model kept as it was");
        assertThat(Files.readAllBytes(model)).as("the last good weights, trained on every minibatch not refused")
                .isEqualTo(reference.toBytes());
    }

    @Test
    void rowsOfAnotherWidthOrClassesBeyondTheSpecAreRefusedNamingBoth(@TempDir Path dir) throws Exception {
        Path csv = Files.write(dir.resolve("pairs.csv"), ROWS);
        Path model = dir.resolve("pairs.model");

        CliRun wider = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", SPEC.replace("\"inputDim\":2",
                "\"inputDim\":3"), "--out", model.toString(), "--no-progress");
        CliRun classes = CliRun.run(CliRun.noConfig(), "fit", Files.write(dir.resolve("three.csv"),
                List.of("2,1,1")).toString(), "--spec", SPEC, "--out", model.toString(), "--no-progress");

        assertThat(wider.exitCode()).isEqualTo(2);
        assertThat(wider.err()).contains(csv + ": expected rows of the spec's inputDim 3 features, got 2");
        assertThat(classes.exitCode()).isEqualTo(2);
        assertThat(classes.err()).contains("expected class labels in [0, 2) (the spec's numClasses), got 2");
        assertThat(model).doesNotExist();
    }

    /** A spec's featureRange and targetRange hold offline as in the job: a file with a value outside is refused. */
    @Test
    void valuesOutsideTheSpecsRangesAreRefusedNamingRowAndFeature(@TempDir Path dir) throws Exception {
        Path csv = Files.write(dir.resolve("pairs.csv"), ROWS);
        Path model = dir.resolve("pairs.model");
        String upToOne = SPEC.substring(0, SPEC.length() - 1) + ",\"featureRange\":{\"min\":0,\"max\":1}}";
        CliRun features = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", upToOne, "--out",
                model.toString(), "--no-progress");
        assertThat(features.exitCode()).isEqualTo(2);
        assertThat(features.err()).contains(csv + ": expected feature values in [0.0, 1.0] (the spec's featureRange), "
                + "got 2.0 in row 3, feature 0");
        assertThat(model).doesNotExist();

        String regression = "{\"algorithm\":\"linear-regression\",\"inputDim\":2,\"batchSize\":2,"
                + "\"targetRange\":{\"max\":0.5}}";
        CliRun targets = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", regression, "--out",
                model.toString(), "--no-progress");
        assertThat(targets.exitCode()).isEqualTo(2);
        assertThat(targets.err()).contains(csv + ": expected targets at most 0.5 (the spec's targetRange), got 1.0 in "
                + "row 2");
        assertThat(model).doesNotExist();

        CliRun within = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec",
                SPEC.substring(0, SPEC.length() - 1) + ",\"featureRange\":{\"min\":0,\"max\":2}}", "--out",
                model.toString(), "--no-progress");
        assertThat(within.exitCode()).as(within.err()).isZero();
        assertThat(model).exists();
    }
}
