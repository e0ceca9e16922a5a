package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.cli.data.PackageCatalogue;
import dev.chorus.core.features.HashingSpec;
import dev.chorus.core.features.SyntheticClicks;
import dev.chorus.core.saved.SavedModels;
import dev.chorus.jobs.ClickExamples;
import dev.chorus.jobs.WideDeepClicks;
import dev.chorus.schemas.Example;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code chorus fit} on JSON lines of named-field examples (what {@code chorus produce} reads) for a hashed spec:
 * the model file is the bytes of the model model-core trains on the same examples, hashed by the same
 * {@code FeatureHasher}, in the file's order, in minibatches of the spec's size; a wide and deep spec alike.
 */
class FitFieldsTest {
    /** Hashes every field SyntheticClicks writes (no field list), FTRL, minibatches of 8. */
    static final String HASHED = "{\"algorithm\":\"logistic-regression\",\"batchSize\":8,\"standardize\":false,"
            + "\"hashing\":{\"bits\":12,\"interactions\":[[\"user\",\"country\"]]},"
            + "\"optimizer\":{\"type\":\"ftrl\",\"alpha\":0.1,\"l1\":0.01}}";
    /** WideDeepClicks.SPEC's model over every field SyntheticClicks writes. */
    static final String WIDE_DEEP = WideDeepClicks.SPEC.replace(
            "\"fields\":[\"user\",\"country\",\"words\",\"amount\"],", "");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code n} clicks of the seeded stream, as examples of task clicks, and as JSON lines in {@code file}. */
    static List<Example> clicks(Path file, int n, long seed) throws Exception {
        SyntheticClicks stream = SyntheticClicks.seeded(seed, new HashingSpec(12, List.of(), List.of()));
        List<Example> examples = new ArrayList<>();
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SyntheticClicks.Click click = stream.next();
            ObjectNode line = JSON.createObjectNode().put("id", "click-" + i);
            line.set("fields", JSON.valueToTree(click.fields()));
            line.put("label", click.label());
            lines.add(JSON.writeValueAsString(line));
            examples.add(Example.newBuilder().setId("click-" + i).setTask("clicks").setFeatures(ByteBuffer.allocate(0))
                    .setFields(new LinkedHashMap<>(click.fields())).setLabel(click.label())
                    .setEventTime(0).build());
        }
        Files.write(file, lines);
        return examples;
    }

    @Test
    void aHashedSpecFitsTheModelModelCoreTrainsOnTheSameExamples(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("clicks.jsonl");
        List<Example> examples = clicks(file, 203, 5);
        Path model = dir.resolve("clicks.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", HASHED, "--out",
                model.toString(), "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).startsWith("fit logistic-regression on 203 examples of " + file + " (1 epoch) in ");
        byte[] bytes = Files.readAllBytes(model);
        assertThat(SavedModels.read(bytes).steps()).as("25 full minibatches and the last 3 rows").isEqualTo(26);
        assertThat(bytes).as("the reference's model: same hashing, same minibatches")
                .isEqualTo(ClickExamples.reference(HASHED, examples, true).model().toBytes());
    }

    @Test
    void aWideAndDeepSpecFitsTheModelModelCoreTrainsOnTheSameExamples(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("clicks.jsonl");
        List<Example> examples = clicks(file, 43, 6);
        Path model = dir.resolve("clicks.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", WIDE_DEEP, "--out",
                model.toString(), "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).startsWith("fit wide-deep on 43 examples of " + file + " (1 epoch) in ");
        assertThat(Files.readAllBytes(model)).isEqualTo(WideDeepClicks.reference(WIDE_DEEP, examples, true).model()
                .toBytes());
    }

    @Test
    void theCatalogueFitsTheModelModelCoreTrainsOnThePackagesProduceSends(@TempDir Path dir) throws Exception {
        Path list = Path.of(FitFieldsTest.class.getResource("data/packages-v1/Packages-300-linked.lz4").toURI());
        PackageCatalogue catalogue = PackageCatalogue.read(list, PackageCatalogue.DEFAULT_MIN_SECTION_PACKAGES);
        String spec = "{\"algorithm\":\"softmax-regression\",\"numClasses\":" + catalogue.sections().size()
                + ",\"batchSize\":16,\"standardize\":false,\"hashing\":{\"bits\":14,\"fields\":"
                + "[\"name\",\"description\",\"depends\",\"maintainer\"]},\"optimizer\":{\"type\":\"ftrl\"}}";
        Path model = dir.resolve("packages.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", "--package-catalogue", list.toString(), "--seed", "3",
                "--spec", spec, "--out", model.toString(), "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        List<Example> sent = catalogue.examples(3, PackageCatalogue.TASK, 0);
        assertThat(fit.out()).startsWith("fit softmax-regression on " + sent.size() + " examples of " + list);
        assertThat(Files.readAllBytes(model)).as("the packages in the order produce --package-catalogue sends them")
                .isEqualTo(ClickExamples.reference(spec, sent, true).model().toBytes());
        CliRun header = CliRun.run(CliRun.noConfig(), "fit", "--package-catalogue", list.toString(), "--header",
                "--spec", spec, "--out", model.toString());
        assertThat(header.err()).contains("--header does not apply to --package-catalogue");
    }

    @Test
    void aLineTheTrainJobWouldRefuseIsRefusedNamingItsExampleAndField(@TempDir Path dir) throws Exception {
        Path file = Files.write(dir.resolve("bad.jsonl"), List.of(
                "{\"id\":\"ok\",\"fields\":{\"user\":\"u1\"},\"label\":1}",
                "{\"id\":\"three\",\"fields\":{\"user\":\"u2\"},\"label\":3}"));
        Path model = dir.resolve("bad.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", HASHED, "--out",
                model.toString(), "--no-progress");

        assertThat(fit.exitCode()).isEqualTo(2);
        assertThat(fit.err()).contains(file + ": example \"three\": field 'label'");
        assertThat(model).doesNotExist();
    }

    @Test
    void aDenseSpecOnJsonLinesOrAHashedSpecOnRowsIsRefused(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("clicks.jsonl");
        clicks(file, 4, 1);
        Path csv = Files.write(dir.resolve("pairs.csv"), FitCommandTest.ROWS);

        CliRun dense = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", FitCommandTest.SPEC, "--out",
                dir.resolve("a.model").toString(), "--no-progress");
        CliRun hashed = CliRun.run(CliRun.noConfig(), "fit", csv.toString(), "--spec", HASHED, "--out",
                dir.resolve("b.model").toString(), "--no-progress");

        assertThat(dense.exitCode()).isEqualTo(2);
        assertThat(dense.err())
                .contains("named-field examples (jsonl, --package-catalogue) train a spec with 'hashing'");
        assertThat(hashed.exitCode()).isEqualTo(2);
        assertThat(hashed.err()).contains("a spec with 'hashing' trains on JSON lines of named fields");
    }

    /** A hashed fit whose every minibatch the numeric guard refuses trained nothing: it fails and writes no file. */
    @Test
    void aFitWhoseEveryMinibatchIsRefusedFailsAndWritesNothing(@TempDir Path dir) throws Exception {
        String exploding = "{\"algorithm\":\"linear-regression\",\"batchSize\":1,\"standardize\":false,"
                + "\"hashing\":{\"bits\":4},\"optimizer\":{\"type\":\"sgd\",\"learningRate\":1e30}}";
        Path file = Files.write(dir.resolve("huge.jsonl"), List.of(
                "{\"id\":\"a\",\"fields\":{\"amount\":1e15},\"target\":1e15}",
                "{\"id\":\"b\",\"fields\":{\"amount\":2e15},\"target\":1e15}"));
        Path model = dir.resolve("huge.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", exploding, "--out",
                model.toString(), "--no-progress");

        assertThat(fit.exitCode()).as(fit.out()).isEqualTo(1);
        assertThat(fit.err()).contains(file + ": the numeric guard refused every minibatch (2)");
        assertThat(model).doesNotExist();
    }
}
