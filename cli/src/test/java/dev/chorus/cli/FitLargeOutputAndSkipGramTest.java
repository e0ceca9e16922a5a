package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.output.SkipGram;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.jobs.LargeOutputExamples;
import dev.chorus.jobs.TokenSequences;
import dev.chorus.jobs.train.TrainSettings;
import dev.chorus.jobs.train.VariantSpecs;
import dev.chorus.jobs.train.WarmStarts;
import dev.chorus.schemas.Example;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code chorus fit} for a large-softmax spec (hashed named fields) and a skip-gram spec (token sequences): the model
 * file is the model model-core trains on the same examples in the file's order, it passes the check
 * {@code chorus specs put --warm-start-file} makes, and as the warm start of such a variant (the loading path the
 * trainer takes, {@link ModelWarmStart}) it predicts, or gives neighbours, as the fitted model does.
 */
class FitLargeOutputAndSkipGramTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CLASSES = 5_000;
    private static final String SAMPLED = LargeOutputExamples.spec(CLASSES);
    private static final String HIERARCHICAL = SAMPLED.replace("\"type\":\"sampled-softmax\",\"samples\":16,",
            "\"type\":\"hierarchical-softmax\",");

    /** {@code examples} as JSON lines in {@code file}: id, fields, label and weight, as {@code chorus produce} reads. */
    private static void write(Path file, List<Example> examples) throws Exception {
        List<String> lines = new ArrayList<>();
        for (Example e : examples) {
            ObjectNode line = JSON.createObjectNode().put("id", e.getId());
            line.set("fields", JSON.valueToTree(e.getFields()));
            if (e.getLabel() != null) {
                line.put("label", e.getLabel());
                line.put("weight", e.getWeight());
            }
            lines.add(JSON.writeValueAsString(line));
        }
        Files.write(file, lines);
    }

    /** The check {@code chorus specs put --warm-start-file MODEL} makes: null when the model fits the spec. */
    private static String putCheck(String spec, Path model, byte[] bytes) {
        String json = WarmStartModels.withWarmStart(spec, model, null, "carry");
        return WarmStarts.check(VariantSpecs.parseVariant(json, TrainSettings.DEFAULT_MAX_VARIANTS_PER_TASK),
                ByteBuffer.wrap(bytes));
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aLargeSoftmaxSpecFitsAModelThatWarmStartsSuchAVariant(boolean hierarchical, @TempDir Path dir)
            throws Exception {
        String spec = hierarchical ? HIERARCHICAL : SAMPLED;
        List<Example> examples = new ArrayList<>(LargeOutputExamples.stream("many", 96, CLASSES, 9));
        // Every fifth example counts half, and the fit honours it as the train job does.
        examples.replaceAll(e -> e.getId().endsWith("0") || e.getId().endsWith("5")
                ? Example.newBuilder(e).setWeight(0.5f).build() : e);
        Path file = dir.resolve("many.jsonl");
        write(file, examples);
        Path model = dir.resolve("many.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", spec, "--out", model.toString(),
                "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).startsWith("fit large-softmax on 96 examples of " + file + " (1 epoch) in ");
        byte[] bytes = Files.readAllBytes(model);
        LargeOutputModel reference = LargeOutputExamples.reference(spec, examples).model();
        assertThat(bytes).as("model-core's model: same hashing, minibatches and weights")
                .isEqualTo(reference.toBytes());
        assertThat(putCheck(spec, model, bytes)).as("chorus specs put's check").isNull();
        ModelSpec parsed = ModelSpec.parse(spec);
        LargeOutputModel started = (LargeOutputModel) ModelWarmStart.start(parsed, bytes, true);
        FeatureHasher hasher = new FeatureHasher(parsed.hashing());
        for (Example e : LargeOutputExamples.stream("many", 20, CLASSES, 10)) {
            SparseVector x = hasher.hash(e.getFields());
            assertThat(started.predictTopK(x)).as(e.getId()).isEqualTo(reference.predictTopK(x));
        }
    }

    /**
     * At a learning rate that drives vectors past float32, the sequences model-core rolls back are refused, counted
     * and said, as the train job counts them, and the model file is model-core's skip-gram after the others (before,
     * the fit failed on model-core's exception).
     */
    @Test
    void aSkipGramFitCountsTheSequencesTheNumericGuardRefuses(@TempDir Path dir) throws Exception {
        String spec = TokenSequences.SPEC.replace("\"learningRate\":0.05", "\"learningRate\":10");
        List<Example> sequences = TokenSequences.stream("tokens", 80, 3);
        Path file = dir.resolve("tokens.jsonl");
        write(file, sequences);
        Path model = dir.resolve("tokens.model");
        TokenSequences.Trained expected = TokenSequences.referenceRollingBack(spec, sequences);
        SkipGram reference = expected.model();
        int refused = expected.rolledBack();
        assertThat(refused).isPositive();

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", spec, "--out", model.toString(),
                "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).contains("; " + refused + " sequence" + (refused == 1 ? "" : "s")
                + " refused by the numeric guard (non-finite), the model kept as it was");
        assertThat(Files.readAllBytes(model)).isEqualTo(reference.toBytes());
    }

    @Test
    void aSkipGramSpecFitsAModelThatWarmStartsSuchAVariant(@TempDir Path dir) throws Exception {
        List<Example> sequences = TokenSequences.stream("tokens", 300, 4);
        Path file = dir.resolve("tokens.jsonl");
        write(file, sequences);
        Path model = dir.resolve("tokens.model");

        CliRun fit = CliRun.run(CliRun.noConfig(), "fit", file.toString(), "--spec", TokenSequences.SPEC, "--out",
                model.toString(), "--no-progress");

        assertThat(fit.exitCode()).as(fit.err()).isZero();
        assertThat(fit.out()).startsWith("fit skip-gram on 300 sequences of " + file + " (1 epoch) in ");
        byte[] bytes = Files.readAllBytes(model);
        SkipGram reference = TokenSequences.reference(TokenSequences.SPEC, sequences);
        assertThat(bytes).as("model-core's skip-gram trained on the same sequences in order")
                .isEqualTo(reference.toBytes());
        assertThat(putCheck(TokenSequences.SPEC, model, bytes)).as("chorus specs put's check").isNull();
        SkipGram started = ModelWarmStart.startSkipGram(ModelSpec.parse(TokenSequences.SPEC), bytes, false);
        for (String token : TokenSequences.vocabulary()) {
            assertThat(started.nearest(token, 5, TokenSequences.vocabulary()))
                    .as("neighbours of %s", token).isEqualTo(reference.nearest(token, 5, TokenSequences.vocabulary()));
        }
        assertThat(started.nearest("a1", 5, TokenSequences.vocabulary())).extracting(SkipGram.Neighbour::token)
                .as("a1's group, learned").allMatch(t -> t.startsWith("a"));
    }
}
