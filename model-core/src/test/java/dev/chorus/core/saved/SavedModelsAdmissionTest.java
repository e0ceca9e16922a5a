package dev.chorus.core.saved;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.SparseLinearModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link SavedModels#read(byte[], java.util.function.Consumer)}: each embedded spec checked before it is built. */
class SavedModelsAdmissionTest {

  static final String HASHED = "{\"algorithm\":\"softmax-regression\",\"numClasses\":3,\"hashing\":{\"bits\":8},"
      + "\"standardize\":false,\"optimizer\":{\"type\":\"ftrl\"}}";

  @Test
  void theAdmissionSeesTheEmbeddedSpecAndItsRefusalIsTheReadersAndNothingOfItIsLeftBehind() {
    byte[] bytes = SparseLinearModel.create(ModelSpec.parse(HASHED)).toBytes();
    List<ModelSpec> seen = new ArrayList<>();
    assertThat(SavedModels.read(bytes, seen::add).spec()).isEqualTo(ModelSpec.parse(HASHED));
    assertThat(seen).containsExactly(ModelSpec.parse(HASHED));

    assertThatThrownBy(() -> SavedModels.read(bytes, spec -> {
      throw new IllegalArgumentException("too large: " + spec.inputDim());
    })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("too large: 256");
    // The refusal was scoped to that read: a parse after it is admitted as any other.
    assertThat(ModelSpec.parse(HASHED).inputDim()).isEqualTo(256);
  }

  @Test
  void anInnerAdmissionGivesTheOuterOneBackWhenItEnds() {
    String dense = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3}";
    byte[] bytes = OnlineLearner.create(ModelSpec.parse(dense)).toBytes();
    List<String> order = new ArrayList<>();
    ModelSpec.parsingWith(outer -> order.add("outer " + outer.inputDim()), () -> {
      SavedModels.read(bytes, inner -> order.add("inner " + inner.inputDim()));
      return ModelSpec.parse(HASHED);
    });
    assertThat(order).containsExactly("inner 4", "outer 256");
  }
}
