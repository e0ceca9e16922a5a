package dev.chorus.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.jobs.train.TaskSpecs;
import dev.chorus.schemas.Example;
import dev.chorus.schemas.Float32;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The train job's check of named fields against a hashed task's spec: bounds and kinds, each rejection naming field, expected, actual. */
class HashedFieldsTest {

    static final TaskSpecs SPECS = TaskSpecs.of(null, Map.of("clicks", ClickExamples.SPEC,
            "iris", ExampleValidatorTest.SPEC_JSON));

    static ExampleValidator.Rejection check(Map<String, Object> fields) {
        Example e = ClickExamples.example("clicks", 0, 1);
        e.setFields(fields);
        return ExampleValidatorTest.check(SPECS, e);
    }

    static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return fields;
    }

    @Test
    void acceptsNamedFieldsOfAHashedTask() {
        assertThat(ExampleValidatorTest.check(SPECS, ClickExamples.example("clicks", 3, 1))).isNull();
        assertThat(check(fields())).as("no fields: only the bias").isNull();
    }

    @Test
    void rejectsBadFieldsNamingTheFieldTheExpectedAndTheActualValue() {
        assertThat(check(fields("user", "u".repeat(70_000)))).isEqualTo(new ExampleValidator.Rejection("fields",
                "field 'fields.user': expected a string of at most 65536 characters, got 70000 characters"));
        assertThat(check(fields("words", Collections.nCopies(10_001, "w")))).isEqualTo(new ExampleValidator.Rejection(
                "fields", "field 'fields.words': expected at most 10000 tokens, got 10001"));
        assertThat(check(fields("words", List.of("ok", "x".repeat(65_537)))).reason()).isEqualTo(
                "field 'fields.words': expected strings of at most 65536 characters, got 65537 characters at position 1");
        assertThat(check(fields("amount", Double.NaN)).reason())
                .isEqualTo("field 'fields.amount': expected a number finite in float32, got NaN");
        assertThat(check(fields("amount", 1e39)).reason())
                .isEqualTo("field 'fields.amount': expected a number finite in float32, got 1.0E39");
        assertThat(check(fields("amount", 1e30)).reason()).isEqualTo("field 'fields.amount': expected a number of at "
                + "most 1.8446743E19 in magnitude (its square must stay finite in float32), got 1.0E30");
        assertThat(check(fields("amount", 1.8e19))).isNull();
        assertThat(check(fields("city", "Paris")).reason()).isEqualTo("field 'fields.city': expected one of the "
                + "spec's fields [user, country, words, amount], got \"city\"");
    }

    @Test
    void crossedFieldsAreBoundedToo() {
        List<String> many = Collections.nCopies(400, "x");
        assertThat(check(fields("user", "u", "country", "FR"))).isNull();
        TaskSpecs crossed = TaskSpecs.ofDefault(ClickExamples.SPEC.replace("[[\"user\",\"country\"]]",
                "[[\"words\",\"words\"]]"));
        Example e = ClickExamples.example("clicks", 0, 1);
        e.setFields(fields("words", many));
        assertThat(ExampleValidatorTest.check(crossed, e).reason()).isEqualTo("field 'fields': expected at most "
                + "100000 tokens with the spec's interactions, got 160400");
    }

    /**
     * A few long strings crossed with many short ones: 90,008 tokens, under the token bound, from a record of about
     * 560 KB, but over 5·10⁹ characters of tokens (before, hashing it ran out of heap and failed the job on the
     * record at every restart). A long string crossed with fewer tokens stays under the bound and hashes.
     */
    @Test
    void theCharactersOfCrossedTokensAreBounded() {
        Map<String, Object> hostile = fields("user", Collections.nCopies(8, "u".repeat(65_536)),
                "country", Collections.nCopies(10_000, "FR"));
        assertThat(check(hostile)).isEqualTo(new ExampleValidator.Rejection("fields", "field 'fields': expected tokens "
                + "of at most 8000000 characters in all with the spec's interactions, got 5244784328"));

        Map<String, Object> legal = fields("user", "u".repeat(65_536), "country", Collections.nCopies(100, "FR"));
        assertThat(check(legal)).isNull();
        Example e = ClickExamples.example("clicks", 0, 1);
        e.setFields(legal);
        assertThat(new FeatureHasher(ModelSpec.parse(ClickExamples.SPEC).hashing()).hash(e.getFields()).size())
                .isPositive();
    }

    /**
     * The trainer's own check of a hashed model ({@link ExampleValidator#againstModel}) checks the fields whole: an
     * example routed by a dense spec of the variant (its model retired and revived hashed meanwhile), or by a hashed
     * spec with fewer interactions, is refused there rather than reaching the hasher (before, the first threw a
     * NullPointerException in the trainer and the second could run it out of heap).
     */
    @Test
    void theTrainersCheckOfAHashedModelChecksTheFieldsWhole() {
        ModelSpec hashed = ModelSpec.parse(ClickExamples.SPEC);
        Example dense = ExampleValidatorTest.valid().setTask("clicks").build();
        assertThat(ExampleValidator.againstModel(dense, hashed)).isNotNull()
                .extracting(ExampleValidator.Rejection::field).isEqualTo("features");

        ModelSpec crossed = ModelSpec.parse(ClickExamples.SPEC.replace("[[\"user\",\"country\"]]",
                "[[\"words\",\"words\"]]"));
        Example many = ClickExamples.example("clicks", 0, 1);
        many.setFields(fields("words", Collections.nCopies(400, "x")));
        assertThat(ExampleValidator.againstModel(many, hashed)).isNull();
        assertThat(ExampleValidator.againstModel(many, crossed).reason()).isEqualTo("field 'fields': expected at "
                + "most 100000 tokens with the spec's interactions, got 160400");
    }

    @Test
    void aFeatureRangeBoundsTheNumericFieldsAndNotTheTokens() {
        TaskSpecs bounded = TaskSpecs.ofDefault(ClickExamples.SPEC.replace("\"standardize\":false,",
                "\"standardize\":false,\"featureRange\":{\"min\":0,\"max\":1000},"));
        Example e = ClickExamples.example("clicks", 0, 1);
        e.setFields(fields("user", "u1", "words", List.of("free", "money"), "amount", 1000.0));
        assertThat(ExampleValidatorTest.check(bounded, e)).isNull();
        e.setFields(fields("user", "u1", "amount", 1e18));
        assertThat(ExampleValidatorTest.check(bounded, e)).isEqualTo(new ExampleValidator.Rejection("fields",
                "field 'fields.amount': expected a number in [0.0, 1000.0] (the spec's featureRange), got 1.0E18"));
        e.setFields(fields("amount", -0.5));
        assertThat(ExampleValidatorTest.check(bounded, e).reason()).isEqualTo(
                "field 'fields.amount': expected a number in [0.0, 1000.0] (the spec's featureRange), got -0.5");
        e.setFields(fields("amount", 1e18));
        assertThat(ExampleValidatorTest.check(SPECS, e)).as("without a range").isNull();
    }

    @Test
    void aVectorToAHashedTaskAndFieldsToADenseTaskAreRejected() {
        Example vector = ClickExamples.example("clicks", 0, 1);
        vector.setFeatures(Float32.pack(new float[] {1, 2}));
        assertThat(ExampleValidatorTest.check(SPECS, vector)).isEqualTo(new ExampleValidator.Rejection("features",
                "field 'features': expected no values for a hashed task (spec key 'hashing': its features are the "
                        + "named 'fields'), got 2 float32 values"));
        vector.setFeatures(Float32.pack(new float[0]));
        vector.setIndices(List.of());
        assertThat(ExampleValidatorTest.check(SPECS, vector)).isEqualTo(new ExampleValidator.Rejection("indices",
                "field 'indices': expected null for a hashed task (spec key 'hashing': its features are the named "
                        + "'fields'), got an array of 0 indices"));
        vector.setIndices(List.of(3, 7));
        assertThat(ExampleValidatorTest.check(SPECS, vector).reason()).endsWith("got an array of 2 indices");
        vector.setIndices(null);
        vector.setFields(null);
        assertThat(ExampleValidatorTest.check(SPECS, vector)).isEqualTo(new ExampleValidator.Rejection("fields",
                "field 'fields': expected named fields for a hashed task (spec key 'hashing'), got null"));
        Example dense = ExampleValidatorTest.valid().setTask("iris").setFields(fields("user", "u1")).build();
        assertThat(ExampleValidatorTest.check(SPECS, dense)).isEqualTo(new ExampleValidator.Rejection("fields",
                "field 'fields': expected null for a task without a 'hashing' key (its features are 'features'), "
                        + "got 1 named fields"));
    }
}
