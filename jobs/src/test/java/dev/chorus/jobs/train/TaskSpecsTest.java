package dev.chorus.jobs.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class TaskSpecsTest {

    private static final String REGRESSION_WITH_LABEL_MODEL =
            "{\"algorithm\":\"linear-regression\",\"inputDim\":4,\"labelModel\":\"dawid-skene\"}";

    @Test
    void refusesALabelModelThatDoesNotFitTheClassifierWhenTheJobIsBuilt() {
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TaskSpecs.ofDefault(REGRESSION_WITH_LABEL_MODEL))
                .withMessageStartingWith("ModelSpec key 'labelModel': a label model needs a classifier whose loss "
                        + "takes soft targets");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> TaskSpecs.of(null, Map.of("t", REGRESSION_WITH_LABEL_MODEL)))
                .withMessageStartingWith("ModelSpec key 'labelModel': a label model needs a classifier");
    }

    @Test
    void acceptsALabelModelThatFits() {
        String spec = "{\"algorithm\":\"softmax-regression\",\"inputDim\":4,\"numClasses\":3,"
                + "\"labelModel\":\"dawid-skene\"}";
        assertThat(TaskSpecs.ofDefault(spec).specFor("any").labelModel().method()).isEqualTo("dawid-skene");
    }

    @Test
    void acceptsAHashedSpec() {
        String hashed = "{\"algorithm\":\"logistic-regression\",\"hashing\":{\"bits\":10},"
                + "\"optimizer\":{\"type\":\"ftrl\"},\"standardize\":false}";
        assertThat(TaskSpecs.of(null, Map.of("clicks", hashed)).specFor("clicks").hashing().bits()).isEqualTo(10);
    }

    @Test
    void acceptsAWideAndDeepSpec() {
        String wideDeep = "{\"algorithm\":\"wide-deep\",\"numClasses\":2,\"hashing\":{\"bits\":10},"
                + "\"embeddings\":{\"dim\":4,\"buckets\":64,\"fields\":[\"user\"]},"
                + "\"layers\":[{\"units\":8,\"activation\":\"relu\"}],\"standardize\":false}";
        assertThat(TaskSpecs.of(null, Map.of("clicks", wideDeep)).specFor("clicks").embeddings().fields())
                .containsExactly("user");
    }
}
