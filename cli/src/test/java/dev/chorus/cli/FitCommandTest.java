package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.saved.SavedModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
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
        double lossSum = 0;
        for (int i = 0; i < rows.size(); i++) {
            try {
                lossSum += reference.trainMinibatch(new float[] {1000 * (i % 3 + 1)}, new float[] {i + 1}, null, 1);
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
        assertThat(fit.out()).as("the mean over the rows trained: a refused minibatch has no loss to count")
                .contains(String.format(Locale.ROOT, "mean loss of the last epoch %.4f:",
                        lossSum / (rows.size() - refused)));
        assertThat(Files.readAllBytes(model)).as("the last good weights, trained on every minibatch not refused")
                .isEqualTo(reference.toBytes());
    }

    /**
     * A learning rate so high that the numeric guard refuses every minibatch trains nothing: the fit says so and fails
     * (exit 1), and the model file that was there stays as it was.
     */
    @Test
    void aFitWhoseEveryMinibatchIsRefusedFailsAndWritesNothing(@TempDir Path dir) throws Exception {
        String exploding = "{\"algorithm\":\"linear-regression\",\"inputDim\":1,\"batchSize\":1,"
                + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":1e30},\"standardize\":false}";
        Path csv = Files.write(dir.resolve("huge.csv"), List.of("1e15,1e15", "2e15,1e15", "3e15,1e15"));
        Path model = Files.write(dir.resolve("huge.model"), new byte[] {1, 2, 3});

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", exploding, "--out",
                model.toString(), "--epochs", "2", "--no-progress");

        assertThat(fit.exitCode()).isEqualTo(1);
        assertThat(fit.err()).contains(csv + ": the numeric guard refused every minibatch (6): each update would have "
                + "made a parameter non-finite, so nothing trained and no model was written to " + model);
        assertThat(fit.out()).doesNotContain("mean loss");
        assertThat(Files.readAllBytes(model)).as("the file that was there").containsExactly(1, 2, 3);
    }

    /** A spec that does not parse is a bad argument (exit 2), as the same spec given to specs put is. */
    @Test
    void aSpecThatIsNoJsonIsAUsageError(@TempDir Path dir) throws Exception {
        Path csv = Files.write(dir.resolve("pairs.csv"), ROWS);

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", "{bad", "--out",
                dir.resolve("pairs.model").toString(), "--no-progress");

        assertThat(fit.exitCode()).isEqualTo(2);
        assertThat(fit.err()).startsWith("chorus fit: --spec: VariantSpec: not valid JSON: ")
                .endsWith("(see 'chorus fit --help')\n");
    }

    /**
     * The job refuses a feature or a target of 2^64 or more in magnitude (a square would overflow float32): so does
     * fit, naming the row, rather than train a model on rows the job would never see, or a target cast to infinity.
     */
    @Test
    void featuresAndTargetsPastTheJobsMagnitudeAreRefusedNamingTheRow(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("big.model");
        Path wide = Files.write(dir.resolve("wide.csv"), List.of("0,1,0", "1,1,1e20"));
        CliRun features = CliRun.run(CliRun.noConfig(), "fit", wide.toString(), "--spec", SPEC, "--out",
                model.toString(), "--no-progress");
        assertThat(features.exitCode()).isEqualTo(2);
        assertThat(features.err()).contains(wide + ": expected feature values of at most 1.8446743E19 in magnitude (a "
                + "square must stay finite in float32, which training runs in), got 1.0E20 in row 2, feature 1");

        String regression = "{\"algorithm\":\"linear-regression\",\"inputDim\":2,\"batchSize\":2}";
        Path far = Files.write(dir.resolve("far.csv"), List.of("1,0,1", "2,1,0", "-1e25,0,0"));
        CliRun targets = CliRun.run(CliRun.noConfig(), "fit", far.toString(), "--spec", regression, "--out",
                model.toString(), "--no-progress");
        assertThat(targets.exitCode()).isEqualTo(2);
        assertThat(targets.err()).contains(far + ": expected targets of at most 1.8446743E19 in magnitude (a squared "
                + "error must stay finite in float32, which training runs in), got -1.0E25 in row 3");
        assertThat(model).doesNotExist();
    }

    /**
     * The model file is written whole: into a new file beside it, moved over the old one, nothing else left. The old
     * file is never written into (a hard link to it still reads its bytes), so a fit that fails or is stopped while it
     * writes leaves it whole.
     */
    @Test
    void theModelFileIsReplacedWholeAndNothingElseIsLeftBeside(@TempDir Path dir) throws Exception {
        Path model = Files.write(dir.resolve("m.model"), new byte[] {9, 9, 9, 9, 9});
        Path old = Files.createLink(dir.resolve("old.model"), model);
        byte[] bytes = new byte[100_000];
        new java.util.Random(1).nextBytes(bytes);

        FitCommand.writeWhole(model, bytes);

        assertThat(Files.readAllBytes(model)).isEqualTo(bytes);
        assertThat(Files.readAllBytes(old)).as("the old file, untouched").containsExactly(9, 9, 9, 9, 9);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactlyInAnyOrder(model, old);
        }

        // A move that fails (here onto a directory, which no file replaces) leaves what was there, and no part file.
        Path taken = Files.createDirectory(dir.resolve("taken.model"));
        Path inside = Files.write(taken.resolve("keep"), new byte[] {7});
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> FitCommand.writeWhole(taken, bytes))
                .isInstanceOf(java.io.IOException.class);
        assertThat(Files.readAllBytes(inside)).containsExactly(7);
        try (var files = Files.list(dir)) {
            assertThat(files).containsExactlyInAnyOrder(model, old, taken);
        }
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
