package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExampleValidatorTest {

    static final String SPEC_JSON = """
            {"algorithm":"softmax-regression","inputDim":4,"numClasses":3,"batchSize":8}""";
    static final TaskSpecs SPECS = TaskSpecs.ofDefault(SPEC_JSON);

    static Example.Builder valid() {
        return Example.newBuilder().setId("e1").setTask("t").setFeatures(Float32.pack(new float[] {1, 2, 3, 4}))
                .setLabel(2).setEventTime(0);
    }

    /** The train job's checks of an example of a task that trains {@code specs}' spec: at decoding, then routing. */
    static ExampleValidator.Rejection check(TaskSpecs specs, Example example) {
        ExampleValidator.Rejection decoding = specs.check().check(example);
        return decoding != null ? decoding : ExampleValidator.againstSpec(example, specs.specFor(example.getTask()));
    }

    static ExampleValidator.Rejection check(Example.Builder b) {
        return check(SPECS, b.build());
    }

    @Test
    void acceptsValidDenseSparseAndUnlabeledExamples() {
        assertThat(check(valid())).isNull();
        assertThat(check(valid().setLabel(null))).isNull();
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {5, 6})).setIndices(List.of(0, 3)))).isNull();
    }

    @Test
    void rejectionsNameTheFieldTheExpectedAndTheActualValue() {
        assertThat(check(valid().setId(""))).isEqualTo(
                new ExampleValidator.Rejection("id", "field 'id': expected a non-empty string, got \"\""));
        assertThat(check(valid().setTask("")).field()).isEqualTo("task");
        assertThat(check(valid().setFeatures(Float32.pack(new float[3]))).reason())
                .isEqualTo("field 'features': expected 4 float32 values, got 3");
        assertThat(check(valid().setFeatures(ByteBuffer.wrap(new byte[5]))).reason())
                .isEqualTo("field 'features': expected packed float32 values (a multiple of 4 bytes), got 5 bytes");
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {1, Float.POSITIVE_INFINITY, 3, 4}))).reason())
                .isEqualTo("field 'features': expected finite values, got Infinity at position 1");
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {1, 2, -Float.MAX_VALUE, 4}))).reason())
                .isEqualTo("field 'features': expected values of at most 1.8446743E19 in magnitude (a square must "
                        + "stay finite in float32, which training runs in), got -3.4028235E38 at position 2");
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {1, 2, 1.8e19f, 4})))).isNull();
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {0, -ExampleValidator.MAX_MAGNITUDE, 0, 0}))))
                .isNull();
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {0x1p64f, 0, 0, 0}))).field())
                .isEqualTo("features");
        assertThat(ExampleValidator.MAX_MAGNITUDE).isEqualTo((float) Math.sqrt(Float.MAX_VALUE));
        assertThat(Float.isFinite(ExampleValidator.MAX_MAGNITUDE * ExampleValidator.MAX_MAGNITUDE)).isTrue();
        assertThat(check(valid().setLabel(3)).reason()).isEqualTo("field 'label': expected a class index in [0, 3), got 3");
        assertThat(check(valid().setLabel(-1)).reason()).isEqualTo("field 'label': expected a class index >= 0, got -1");
        assertThat(check(valid().setWeight(Float.NaN)).reason())
                .isEqualTo("field 'weight': expected a finite number >= 0, got NaN");
        assertThat(check(valid().setAnnotator("a".repeat(300))).reason())
                .isEqualTo("field 'annotator': expected 1 to 256 characters, got 300");
    }

    /**
     * Half a surrogate pair (a JSON escape can write one; the JSON codec refuses it too) would become '?' in UTF-8:
     * two annotators distinct here would be one in a checkpoint, which the label model then refuses to restore.
     */
    @Test
    void idsAndNamesMustBeUnicodeText() {
        assertThat(check(valid().setAnnotator("a\uD800"))).isEqualTo(new ExampleValidator.Rejection("annotator",
                "field 'annotator': expected Unicode text, got an unpaired surrogate (U+D800 at position 1)"));
        assertThat(check(valid().setId("\uDC00x")).reason())
                .isEqualTo("field 'id': expected Unicode text, got an unpaired surrogate (U+DC00 at position 0)");
        assertThat(check(valid().setTask("t\uD800")).field()).isEqualTo("task");
        assertThat(check(valid().setAnnotator("a\uD83D\uDE00").setId("\uD83D\uDE00"))).isNull();
    }

    /**
     * An id is an item's key on the compacted consensus topic, where U+001F separates another variant's name: an id
     * holding it could compact another variant's record of another item away.
     */
    @Test
    void anIdHoldsNoVariantSeparator() {
        assertThat(check(valid().setId("x\u001Fb"))).isEqualTo(new ExampleValidator.Rejection("id", "field 'id': "
                + "expected no U+001F (it separates a variant's name in topic keys), got one at position 1"));
        assertThat(check(valid().setId("x\tb"))).as("other control characters stay the producer's").isNull();
    }

    @Test
    void sparseIndicesMustBeInRangeIncreasingAndMatchTheValues() {
        Example.Builder sparse = valid().setFeatures(Float32.pack(new float[] {5, 6}));
        assertThat(check(sparse.setIndices(List.of(0, 4))).reason())
                .isEqualTo("field 'indices': expected indices in [0, 4), got 4 at position 1");
        assertThat(check(sparse.setIndices(List.of(2, 1))).reason())
                .isEqualTo("field 'indices': expected strictly increasing indices, got 1 after 2 at position 1");
        assertThat(check(sparse.setIndices(List.of(1))).reason())
                .isEqualTo("field 'indices': expected one index per feature value (2), got 1");
    }

    @Test
    void aFeatureRangeRefusesEveryValueOutsideItNamingPositionAndIndex() {
        TaskSpecs pixels = TaskSpecs.ofDefault(SPEC_JSON.replace("}", ",\"featureRange\":{\"min\":0,\"max\":1}}"));
        Example.Builder dense = valid().setFeatures(Float32.pack(new float[] {0, 1, 0.5f, 0}));
        assertThat(check(pixels, dense.build())).as("both bounds are taken").isNull();
        // The poisoning value: finite, far below float's overflow, far beyond the feature's others.
        assertThat(check(pixels, dense.setFeatures(Float32.pack(new float[] {0, 1, 1e18f, 0})).build())).isEqualTo(
                new ExampleValidator.Rejection("features", "field 'features': expected values in [0.0, 1.0] (the "
                        + "spec's featureRange), got 9.9999998E17 at position 2"));
        assertThat(check(pixels, dense.setFeatures(Float32.pack(new float[] {0, Math.nextUp(1f), 0, -2})).build())
                .reason()).isEqualTo("field 'features': expected values in [0.0, 1.0] (the spec's featureRange), got "
                        + "1.0000001 at position 1");
        assertThat(check(pixels, dense.setFeatures(Float32.pack(new float[] {-0f, 0, 0, -Float.MIN_VALUE})).build())
                .reason()).endsWith("got -1.4E-45 at position 3");
        Example.Builder sparse = valid().setFeatures(Float32.pack(new float[] {0.5f, 7})).setIndices(List.of(1, 3));
        assertThat(check(pixels, sparse.build()).reason()).isEqualTo("field 'features': expected values in [0.0, 1.0] "
                + "(the spec's featureRange), got 7.0 at position 1 (index 3)");
        // The checks before it come first: a NaN is not finite, whatever the range.
        assertThat(check(pixels, dense.setFeatures(Float32.pack(new float[] {2, Float.NaN, 0, 0})).build()).reason())
                .isEqualTo("field 'features': expected finite values, got NaN at position 1");

        TaskSpecs atLeast = TaskSpecs.ofDefault(SPEC_JSON.replace("}", ",\"featureRange\":{\"min\":-1}}"));
        assertThat(check(atLeast, valid().setFeatures(Float32.pack(new float[] {-1, 1e18f, 0, 0})).build())).isNull();
        assertThat(check(atLeast, valid().setFeatures(Float32.pack(new float[] {0, 0, 0, -1.5f})).build()).reason())
                .isEqualTo("field 'features': expected values at least -1.0 (the spec's featureRange), got -1.5 at "
                        + "position 3");
        TaskSpecs atMost = TaskSpecs.ofDefault(SPEC_JSON.replace("}", ",\"featureRange\":{\"max\":255}}"));
        assertThat(check(atMost, valid().setFeatures(Float32.pack(new float[] {256, 0, 0, 0})).build()).reason())
                .isEqualTo("field 'features': expected values at most 255.0 (the spec's featureRange), got 256.0 at "
                        + "position 0");
        assertThat(check(valid().setFeatures(Float32.pack(new float[] {1e18f, 0, 0, 0})))).as("without a range")
                .isNull();
    }

    @Test
    void tasksWithoutASpecAreRejectedWhenThereIsNoDefault() {
        TaskSpecs only = TaskSpecs.of(null, Map.of("known", SPEC_JSON));
        assertThat(only.check().check(valid().setTask("other").build()).reason())
                .isEqualTo("field 'task': expected one of [known], got \"other\"");
    }

    @Test
    void regressionTasksTakeAFiniteTargetAndNoClassLabel() {
        TaskSpecs regression = TaskSpecs.ofDefault("{\"algorithm\":\"linear-regression\",\"inputDim\":4}");
        assertThat(check(regression, valid().setLabel(null).setTarget(1.5).build())).isNull();
        assertThat(check(regression, valid().setLabel(2).build()).reason()).isEqualTo(
                "field 'label': expected null for a regression task (its real target goes in 'target'), got 2");
        assertThat(check(regression, valid().setLabel(null).setTarget(Double.NaN).build()).reason())
                .isEqualTo("field 'target': expected a finite number, got NaN");
        assertThat(check(regression, valid().setLabel(null).setTarget(1e39).build()).reason())
                .isEqualTo("field 'target': expected a number of at most 1.8446743E19 in magnitude (a squared error "
                        + "must stay finite in float32, which training runs in), got 1.0E39");
        assertThat(check(regression, valid().setLabel(null).setTarget(1e18).build())).as("without a range").isNull();
    }

    @Test
    void aTargetRangeRefusesATargetOutsideIt() {
        TaskSpecs prices = TaskSpecs.ofDefault(
                "{\"algorithm\":\"linear-regression\",\"inputDim\":4,\"targetRange\":{\"min\":0,\"max\":1000}}");
        assertThat(check(prices, valid().setLabel(null).setTarget(0.0).build())).isNull();
        assertThat(check(prices, valid().setLabel(null).setTarget(1000.0).build())).isNull();
        assertThat(check(prices, valid().setLabel(null).build())).as("an unlabelled example").isNull();
        assertThat(check(prices, valid().setLabel(null).setTarget(1e18).build())).isEqualTo(
                new ExampleValidator.Rejection("target",
                        "field 'target': expected a number in [0.0, 1000.0] (the spec's targetRange), got 1.0E18"));
        assertThat(check(prices, valid().setLabel(null).setTarget(-0.5).build()).reason())
                .isEqualTo("field 'target': expected a number in [0.0, 1000.0] (the spec's targetRange), got -0.5");
        // Features are checked first, and a target range bounds no feature.
        assertThat(check(prices, valid().setLabel(null).setTarget(1.0).setFeatures(Float32.pack(new float[] {1e18f, 0,
                0, 0})).build())).isNull();
    }

    @Test
    void aLabelOnlyTaskTakesExamplesWithoutFeaturesAndRejectsFeatures() {
        TaskSpecs labelOnly = TaskSpecs.ofDefault("{\"algorithm\":\"softmax-regression\",\"inputDim\":0,"
                + "\"numClasses\":3,\"labelModel\":\"dawid-skene\"}");
        Example.Builder noFeatures = valid().setFeatures(Float32.pack(new float[0])).setAnnotator("a1");
        assertThat(check(labelOnly, noFeatures.build())).isNull();
        ExampleValidator.Rejection features = check(labelOnly, valid().setAnnotator("a1").build());
        assertThat(features.field()).isEqualTo("features");
        assertThat(features.reason()).isEqualTo("field 'features': expected 0 float32 values, got 4");
        assertThat(check(labelOnly, noFeatures.setLabel(3).build()).reason())
                .isEqualTo("field 'label': expected a class index in [0, 3), got 3");
    }
}
