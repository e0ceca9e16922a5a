package dev.chorus.jobs.train;

import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.SPEC;
import static dev.chorus.jobs.train.MinibatchSgdFunctionTest.settings;
import static dev.chorus.jobs.train.VariantsTest.live;
import static dev.chorus.jobs.train.VariantsTest.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.schemas.DeadLetter;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.junit.jupiter.api.Test;

/** A spec asking for a model larger than {@code --max-model-parameters}, refused before anything is built. */
class ModelSizeBoundTest {

    /** 4 inputs to 64 units to 3 classes: 4 × 64 + 64 + 65 × 3 = 515 parameters. */
    static final String MLP_64 = SPEC.replace("\"softmax-regression\"", "\"mlp\"")
            .replace("\"numClasses\":3,", "\"numClasses\":3,\"layers\":[{\"units\":64}],");
    /** 784 → 1,000,000 → 10: what one put of a hand-typed spec can ask for. */
    static final String MILLION_UNITS = "{\"algorithm\":\"mlp\",\"inputDim\":784,\"numClasses\":10,"
            + "\"layers\":[{\"units\":1000000}]}";

    @Test
    void aControlRecordWhoseModelIsTooLargeIsADeadLetterNamingTheBoundTheCountAndTheShape() throws Exception {
        try (var h = CheckSpecsHarness.open(settings().maxModelParameters(100))) {
            h.processElement(record("t/big", live("t", "big", MLP_64)), 0);
            h.processElement(record("t/small", live("t", "small", SPEC)), 1);
            assertThat(h.extractOutputValues()).as("the small one taken, the big one not")
                    .containsExactly(new SpecChange("t", "small", SPEC));
            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).extracting(DeadLetter::getField).containsExactly("spec");
            assertThat(dead.get(0).getReason()).isEqualTo("field 'spec': expected a model of at most "
                    + "--max-model-parameters=100 parameters, got 515 (mlp: inputDim 4, numClasses 3, hidden layers [64])");
        }
        try (var h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/big", live("t", "big", MLP_64)), 0);
            h.processElement(record("t/huge", live("t", "huge", MILLION_UNITS)), 1);
            assertThat(h.extractOutputValues()).as("the default bound takes 515 parameters")
                    .containsExactly(new SpecChange("t", "big", MLP_64));
            assertThat(deadLetters(h)).extracting(DeadLetter::getReason).containsExactly("field 'spec': expected a "
                    + "model of at most --max-model-parameters=100,000,000 parameters, got 795,000,010 (mlp: inputDim "
                    + "784, numClasses 10, hidden layers [1000000])");
        }
    }

    @Test
    void aSearchWithADrawnVariantTooLargeIsOneDeadLetterNamingThatVariant() throws Exception {
        String search = SPEC.substring(0, SPEC.lastIndexOf('}')).replace("\"softmax-regression\"", "\"mlp\"")
                .replace("\"numClasses\":3,", "\"numClasses\":3,\"layers\":[{\"units\":2}],")
                + ",\"search\":{\"method\":\"random\",\"variants\":3,\"budgetExamples\":60,"
                + "\"space\":{\"layers[0].units\":[32,64]}}}";
        try (var h = CheckSpecsHarness.open(settings().maxModelParameters(100))) {
            h.processElement(record("t/hp", live("t", "hp", search)), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            List<DeadLetter> dead = deadLetters(h);
            assertThat(dead).hasSize(1);
            assertThat(dead.get(0).getReason()).startsWith("field 'spec': expected a model of at most "
                    + "--max-model-parameters=100 parameters, got ").contains(" for the search's variant 'hp-s0' (mlp: ");
        }
        try (var h = CheckSpecsHarness.open(settings().maxModelParameters(600))) {
            h.processElement(record("t/hp", live("t", "hp", search)), 0);
            assertThat(h.extractOutputValues()).as("the search and its 3 variants, at 259 or 515 parameters each, "
                    + "minibatches of 8 × 39 or 8 × 71 floats")
                    .hasSize(4);
            assertThat(h.getSideOutput(SpecControl.DEAD_LETTERS)).isNull();
        }
    }

    @Test
    void aTooLargeSpecOrTaskSpecIsRefusedAtSubmissionWithTheBound() {
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", MILLION_UNITS}).validate())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("--spec: field 'spec': expected a model of at most --max-model-parameters=100,000,000 "
                        + "parameters, got 795,000,010 (mlp: inputDim 784, numClasses 10, hidden layers [1000000])");
        assertThat(TrainJobOptions.parse(new String[] {"--spec", MILLION_UNITS, "--max-model-parameters",
                "795000010"}).validate().modelSizeBound().maxParameters()).isEqualTo(795_000_010L);
        assertThatThrownBy(() -> settings().specs(TaskSpecs.of(SPEC, Map.of("a", SPEC, "b", MLP_64)))
                .maxModelParameters(100).validate())
                .hasMessageStartingWith("the spec of task 'b': field 'spec': expected a model of at most "
                        + "--max-model-parameters=100 parameters, got 515");
        assertThatThrownBy(() -> TrainJobOptions.parse(new String[] {"--spec", SPEC, "--max-model-parameters", "0"}))
                .hasMessageContaining("maxModelParameters: expected a value >= 1, got 0");
    }

    @Test
    void aSpecNoJvmCouldHoldSaysSoRatherThanOverflowing() {
        ModelSpec absurd = ModelSpec.parse("{\"algorithm\":\"mlp\",\"inputDim\":2000000000,\"numClasses\":10,"
                + "\"layers\":[{\"units\":2000000000},{\"units\":2000000000},{\"units\":2000000000}]}");
        assertThat(new ModelSizeBound(Long.MAX_VALUE - 1).problem(absurd)).contains("got more than "
                + "9,223,372,036,854,775,806 (mlp: ");
        ModelSpec skipGram = ModelSpec.parse("{\"algorithm\":\"skip-gram\",\"skipGram\":{\"buckets\":1000000,"
                + "\"dim\":100}}");
        assertThat(new ModelSizeBound(ModelSizeBound.DEFAULT_MAX_PARAMETERS).problem(skipGram)).isEqualTo("field "
                + "'spec': expected a model of at most --max-model-parameters=100,000,000 parameters, got 200,000,000 "
                + "(skip-gram: skipGram.buckets 1000000, skipGram.dim 100)");
    }

    @Test
    void aMinibatchTooLargeForTheBoundOrForAJavaArrayIsRefusedToo() throws Exception {
        String bigBatch = SPEC.replace("\"batchSize\":8", "\"batchSize\":10000000");
        try (var h = CheckSpecsHarness.open(settings().maxModelParameters(1_000_000))) {
            h.processElement(record("t/big-batch", live("t", "big-batch", bigBatch)), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(deadLetters(h)).extracting(DeadLetter::getReason).containsExactly("field 'spec': expected a "
                    + "minibatch of at most --max-model-parameters=1,000,000 floats (batchSize × (inputs + hidden units "
                    + "+ outputs)), got 70,000,000 (softmax-regression: batchSize 10000000, inputDim 4, numClasses 3, "
                    + "hidden layers [])");
        }
        String wrapping = "{\"algorithm\":\"softmax-regression\",\"inputDim\":784,\"numClasses\":10,"
                + "\"batchSize\":10000000}";
        assertThat(new ModelSizeBound(Long.MAX_VALUE).problem(ModelSpec.parse(wrapping))).isEqualTo("field 'spec': "
                + "expected a minibatch of at most a Java array's 2,147,483,639 floats (batchSize × (inputs + hidden "
                + "units + outputs)), got 7,940,000,000 (softmax-regression: batchSize 10000000, inputDim 784, "
                + "numClasses 10, hidden layers [])");
    }

    /**
     * A warm start's model bytes are read by check-specs to see that they fit: a hashed model's header declaring 2^29
     * rows of 3 classes (the few bytes of a real one's head, its spec swapped) would make the reader allocate 19 GB
     * before it found the rest missing; held to the bound, it is a dead letter.
     */
    @Test
    void aWarmStartModelWhoseEmbeddedSpecDeclaresTooMuchIsRefusedBeforeItIsRead() throws Exception {
        String hashed = "{\"algorithm\":\"softmax-regression\",\"numClasses\":3,\"hashing\":{\"bits\":29},"
                + "\"standardize\":false,\"optimizer\":{\"type\":\"ftrl\"}}";
        byte[] json = ModelSpec.parse(hashed).toJson().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer forged = java.nio.ByteBuffer.allocate(12 + json.length + 16)
                .putInt(dev.chorus.core.model.SparseLinearModel.MAGIC)
                .putInt(dev.chorus.core.model.SparseLinearModel.FORMAT_VERSION).putInt(json.length).put(json)
                .putLong(0).putLong(0).flip();
        String warm = hashed.replace("29", "10").replace("}}", "},\"warmStart\":{\"from\":\"file:/models/t.chorus\"}}");
        var record = live("t", "warm", warm);
        record.setInitialModel(forged);
        try (var h = CheckSpecsHarness.open(settings())) {
            h.processElement(record("t/warm", record), 0);
            assertThat(h.extractOutputValues()).isEmpty();
            assertThat(deadLetters(h)).singleElement().satisfies(d -> {
                assertThat(d.getField()).isEqualTo("initialModel");
                assertThat(d.getReason()).contains("expected a saved model that fits the variant's spec").contains(
                        "its spec: field 'spec': expected a model of at most --max-model-parameters=100,000,000 "
                        + "parameters, got 1,610,612,739 (softmax-regression: inputDim 536870912, numClasses 3");
            });
        }
    }

    private static List<DeadLetter> deadLetters(CheckSpecsHarness h) {
        return h.getSideOutput(SpecControl.DEAD_LETTERS).stream().map(StreamRecord::getValue).toList();
    }
}
