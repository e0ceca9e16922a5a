package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each model of a task whose rows may be kept apart encodes its spec's JSON once (the spec is immutable), not with
 * every rowless write: with {@code --hashed-state rows} that is every record.
 */
class SpecJsonOnceTest {

  static Stream<Arguments> models() {
    Function<Object, byte[]> sparse = m -> ((SparseLinearModel) m).specJson();
    Function<Object, byte[]> wideDeep = m -> ((WideDeepModel) m).specJson();
    Function<Object, byte[]> large = m -> ((LargeOutputModel) m).specJson();
    String hashed = "{\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":8},\"optimizer\":{\"type\":\"ftrl\"},"
        + "\"standardize\":false,\"batchSize\":4}";
    return Stream.of(
        Arguments.of(SparseLinearModel.create(ModelSpec.parse(hashed)), sparse),
        Arguments.of(WideDeepModel.create(ModelSpec.parse(WideDeepRowsTest.SPEC)), wideDeep),
        Arguments.of(LargeOutputModel.create(ModelSpec.parse(LargeOutputModelTest.spec(50,
            LargeOutputModelTest.HIERARCHICAL))), large));
  }

  @ParameterizedTest
  @MethodSource("models")
  void theSpecsJsonIsEncodedOncePerModel(Predictor model, Function<Object, byte[]> specJson) {
    byte[] json = specJson.apply(model);
    assertThat(json).isEqualTo(model.spec().toJson().getBytes(StandardCharsets.UTF_8));
    assertThat(specJson.apply(model)).as("the same bytes, not encoded again").isSameAs(json);
  }
}
