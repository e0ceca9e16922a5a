package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.jobs.ExampleTensors;
import dev.chorus.jobs.kafka.Sourced;
import dev.chorus.jobs.train.SpecChange;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.TrainerHarness;
import dev.chorus.jobs.train.VariantExample;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.jobs.train.WarmStarts;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus fit} of a label-model spec on crowd labels (JSON lines of item, annotator, label and features): the
 * file holds what a snapshot of the variant carries, the label model trained as the train job trains it on the same
 * stream, and a label-model variant warm-starts from it: {@code chorus specs put}'s check accepts it, and the train
 * job's trainer predicts with it from its first example.
 */
class FitLabelModelTest {
    static final String SPEC = "{\"algorithm\":\"softmax-regression\",\"inputDim\":2,\"numClasses\":2,\"batchSize\":4,"
            + "\"optimizer\":{\"type\":\"sgd\",\"learningRate\":0.5},\"standardize\":false,"
            + "\"labelModel\":{\"method\":\"dawid-skene\",\"maxAnnotators\":3,\"protectedLabels\":1}}";
    static final String[] ANNOTATORS = {"a", "b", "c"};

    /** Event {@code k}: item {@code k / 2}, annotator a, b, c in turn, c always saying the other class. */
    private static int label(int k) {
        int truth = (k / 2) % 2;
        return ANNOTATORS[k % 3].equals("c") ? 1 - truth : truth;
    }

    private static float[] features(int k) {
        return new float[] {k / 2, 1 - 0.1f * (k / 2)};
    }

    private static String line(String item, String annotator, int label, float[] x) {
        return String.format(Locale.ROOT, "{\"item\":\"%s\",\"annotator\":\"%s\",\"label\":%d,\"features\":[%s,%s]}",
                item, annotator, label, x[0], x[1]);
    }

    /** Twelve events of a, b and c, and after the sixth one of d, for whom all three slots are taken. */
    private static List<String> lines() {
        List<String> lines = new ArrayList<>();
        for (int k = 0; k < 12; k++) {
            if (k == 6) {
                lines.add(line("i9", "d", 0, new float[] {9, 0.1f}));
            }
            lines.add(line("i" + k / 2, ANNOTATORS[k % 3], label(k), features(k)));
        }
        return lines;
    }

    /** The label model trained as the train job would: three minibatches of four, d's label not among them. */
    private static LabelModel reference() {
        LabelModel model = LabelModels.create(ModelSpec.parse(SPEC));
        for (int start = 0; start < 12; start += 4) {
            float[] x = new float[8];
            long[] items = new long[4];
            String[] annotators = new String[4];
            int[] labels = new int[4];
            for (int i = 0; i < 4; i++) {
                int k = start + i;
                System.arraycopy(features(k), 0, x, 2 * i, 2);
                items[i] = ExampleTensors.itemKey("i" + k / 2);
                annotators[i] = ANNOTATORS[k % 3];
                labels[i] = label(k);
            }
            model.train(x, items, annotators, labels, 4);
        }
        return model;
    }

    @Test
    void fitsTheLabelModelAsTheJobWouldAndALabelModelVariantWarmStartsFromIt(@TempDir Path dir) throws Exception {
        Path labels = Files.write(dir.resolve("crowd.jsonl"), lines());
        Path model = dir.resolve("crowd.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", labels.toString(), "--spec", SPEC, "--out", model.toString(),
                "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).startsWith("fit dawid-skene label model (softmax-regression) on 13 labels of 7 items by 4 "
                + "annotators of " + labels + " in ").contains("; 1 label from an annotator past maxAnnotators (3) "
                + "not trained, as the train job dead-letters it");
        byte[] bytes = Files.readAllBytes(model);
        LabelModel expected = reference();
        assertThat(bytes).as("what a snapshot of the variant carries").isEqualTo(expected.toSnapshotBytes());

        String warm = SPEC.substring(0, SPEC.lastIndexOf('}')) + ",\"warmStart\":{\"from\":\"file:crowd.model\"}}";
        assertThat(WarmStarts.check(VariantSpecs.parseVariant(warm, 16), ByteBuffer.wrap(bytes)))
                .as("what chorus specs put and the train job check of a warm start").isNull();
        LabelModel started = (LabelModel) ModelWarmStart.start(ModelSpec.parse(SPEC), bytes, true);
        float[] p = new float[2];
        float[] q = new float[2];
        started.predictProba(new float[] {2, 0.8f}, 0, p);
        expected.predictProba(new float[] {2, 0.8f}, 0, q);
        assertThat(p).containsExactly(q);
        assertThat(started.annotatorIds()).containsExactly("a", "b", "c");

        try (var trainer = new TrainerHarness(new TrainSettings().specs(TaskSpecs.ofDefault(SPEC)))) {
            trainer.open();
            trainer.processBroadcastElement(new SpecChange("t", "w", warm, bytes), 0);
            Example unlabelled = Example.newBuilder().setId("i20").setTask("t").setFeatures(Float32.pack(new float[] {2, 0.8f}))
                    .setEventTime(0L).build();
            trainer.processElement(new VariantExample("w", new Sourced<>(unlabelled, 0, 0), null), 1);

            assertThat(trainer.extractOutputValues()).singleElement().satisfies(prediction -> assertThat(
                    Float32.unpack(prediction.getProbabilities())).as("the train job's variant warm-started from it")
                    .containsExactly(q));
        }
    }

    @Test
    void aBadLabelOtherFilesAndMoreEpochsAreRefusedNamingWhy(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("crowd.model");
        Path outOfRange = Files.write(dir.resolve("bad.jsonl"), List.of(line("i0", "a", 0, new float[] {0, 1}),
                line("i1", "b", 2, new float[] {1, 1})));
        Path noAnnotator = Files.write(dir.resolve("anonymous.jsonl"),
                List.of("{\"item\":\"i0\",\"label\":1,\"features\":[0,1]}"));
        Path csv = Files.write(dir.resolve("rows.csv"), List.of("0,1,0"));

        CliRun bad = CliRun.run(CliRun.noConfig(), "fit", outOfRange.toString(), "--spec", SPEC, "--out",
                model.toString(), "--no-progress");
        CliRun anonymous = CliRun.run(CliRun.noConfig(), "fit", noAnnotator.toString(), "--spec", SPEC, "--out",
                model.toString(), "--no-progress");
        CliRun rows = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", SPEC, "--out", model.toString(),
                "--no-progress");
        CliRun twice = CliRun.run(CliRun.noConfig(), "fit", outOfRange.toString(), "--spec", SPEC, "--out",
                model.toString(), "--no-progress", "--epochs", "2");

        assertThat(bad.exitCode()).as(bad.err()).isEqualTo(2);
        assertThat(bad.err()).contains(outOfRange + ": label event 2 (item \"i1\", annotator \"b\"): field "
                + "'label': expected a class index in [0, 2), got 2");
        assertThat(anonymous.exitCode()).as("a file that does not read, as for named-field examples: " + anonymous.err())
                .isEqualTo(1);
        assertThat(anonymous.err()).contains(noAnnotator + ":1: field 'annotator': expected a string, got none");
        assertThat(rows.exitCode()).isEqualTo(2);
        assertThat(rows.err()).contains("--spec: a spec with 'labelModel' trains on JSON lines of crowd labels "
                + "(jsonl: item, annotator, label, features), got csv rows");
        CliRun doctorNet = CliRun.run(CliRun.noConfig(), "fit", outOfRange.toString(), "--spec",
                SPEC.replace("dawid-skene", "doctor-net"), "--out", model.toString(), "--no-progress");
        assertThat(doctorNet.exitCode()).isEqualTo(2);
        assertThat(doctorNet.err()).contains("--spec: field 'labelModel.method': expected one a variant warm-starts "
                + "from [naive, majority, soft, dawid-skene], got \"doctor-net\"");
        assertThat(twice.exitCode()).isEqualTo(2);
        assertThat(twice.err()).contains("--epochs: a label model trains on its labels once, as a stream, got 2");
        assertThat(model).doesNotExist();
    }
}
