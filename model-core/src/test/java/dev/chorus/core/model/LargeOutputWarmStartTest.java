package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.output.SyntheticManyClasses;
import dev.chorus.core.saved.ModelWarmStart;
import dev.chorus.core.tensor.SparseBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A {@code large-softmax} spec's warm start ({@link ModelWarmStart}): the saved model's embedding table and output
 * layer always, the table's AdaGrad accumulators with carry (the output rows step by plain SGD, which has no state),
 * counts from 0; a saved model of another shape refused naming the key.
 */
class LargeOutputWarmStartTest {
    static final String SPEC = LargeOutputModelTest.spec(50, LargeOutputModelTest.SAMPLED);

    /** Probabilities of 20 examples of another stream, all classes each. */
    private static List<float[]> predictions(LargeOutputModel model) {
        SyntheticManyClasses stream = new SyntheticManyClasses(50, 99);
        FeatureHasher hasher = new FeatureHasher(model.spec().hashing());
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            SparseVector x = hasher.hash(stream.next().fields());
            float[] p = new float[50];
            model.predictProba(x, p);
            out.add(p);
        }
        return out;
    }

    /** One more minibatch, the same for any model of the spec. */
    private static void step(LargeOutputModel model) {
        int[][] labels = new int[1][];
        SparseBatch[] batches = LargeOutputModelTest.batches(model.spec(), 1, 12, labels);
        model.trainMinibatch(batches[0], labels[0], null);
    }

    @Test
    void aLargeSoftmaxSpecCarriesTheTableTheOutputLayerAndTheAccumulatorsAndCountsFromVersionZero() {
        LargeOutputModel source = LargeOutputModelTest.trained(SPEC, 6);
        var started = ModelWarmStart.start(ModelSpec.parse(SPEC), source.toBytes(), true);

        assertThat(started).isInstanceOf(LargeOutputModel.class);
        LargeOutputModel warm = (LargeOutputModel) started;
        assertThat(warm.steps()).isZero();
        assertThat(warm.examplesSeen()).isZero();
        assertThat(predictions(warm)).containsExactlyElementsOf(predictions(source));
        step(source);
        step(warm);
        assertThat(predictions(warm)).as("the carried accumulators (and sampler) take the step the saved ones would")
                .containsExactlyElementsOf(predictions(source));
    }

    @Test
    void aLargeSoftmaxResetKeepsTheWeightsAndStartsTheAccumulatorsAtZero() {
        byte[] saved = LargeOutputModelTest.trained(SPEC, 6).toBytes();
        LargeOutputModel carried = (LargeOutputModel) ModelWarmStart.start(ModelSpec.parse(SPEC), saved, true);
        LargeOutputModel reset = (LargeOutputModel) ModelWarmStart.start(ModelSpec.parse(SPEC), saved, false);

        assertThat(predictions(reset)).containsExactlyElementsOf(predictions(carried));
        step(carried);
        step(reset);
        assertThat(predictions(reset)).as("AdaGrad's accumulators start at 0: the step is not the carried one")
                .isNotEqualTo(predictions(carried));
        assertThat(LargeOutputModel.fromBytes(reset.toBytes()).toBytes()).isEqualTo(reset.toBytes());
    }

    /**
     * The table rows no step changed are drawn from the spec's seed, not saved: a start under the saved model's seed
     * answers as it does on a feature it never stepped; one under another seed is refused naming {@code seed}, where
     * before it drew those rows anew and answered otherwise.
     */
    @Test
    void aLargeSoftmaxStartAnswersAsTheSavedModelOnAnUnseenFeatureAndAnotherSeedIsRefused() {
        ModelSpec other = ModelSpec.parse(SPEC).withSeed(99);
        LargeOutputModel source = LargeOutputModelTest.trained(other.toJson(), 3);
        SparseVector unseen = new FeatureHasher(other.hashing()).hash(java.util.Map.of("key", "never-seen"));
        float[] expected = new float[50];
        source.predictProba(unseen, expected);
        float[] p = new float[50];
        ((LargeOutputModel) ModelWarmStart.start(other, source.toBytes(), true)).predictProba(unseen, p);
        assertThat(p).containsExactly(expected);

        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.start(ModelSpec.parse(SPEC), source.toBytes(), false))
                .withMessageStartingWith("key 'seed': expected 3 (the variant's spec), got 99 (the saved model's): "
                        + "the rows of its embedding tables that no step changed are not saved but drawn from the seed");
    }

    @Test
    void aLargeSoftmaxSavedModelOfAnotherShapeIsRefusedNamingTheKey() {
        byte[] saved = LargeOutputModelTest.trained(SPEC, 2).toBytes();

        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.start(ModelSpec.parse(LargeOutputModelTest.spec(60,
                        LargeOutputModelTest.SAMPLED)), saved, true))
                .withMessage("key 'numClasses': expected 60 (the variant's spec), got 50 (the saved model's)");
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.start(ModelSpec.parse(LargeOutputModelTest.spec(50,
                        LargeOutputModelTest.HIERARCHICAL)), saved, true))
                .withMessageStartingWith("key 'output': expected type=hierarchical-softmax, dim=8, combiner=mean "
                        + "(the variant's spec), got type=sampled-softmax, dim=8, combiner=mean");
        byte[] hashed = SparseLinearModel.create(ModelSpec.parse("{\"algorithm\":\"softmax-regression\","
                + "\"numClasses\":50,\"hashing\":{\"bits\":12},\"standardize\":false,"
                + "\"optimizer\":{\"type\":\"ftrl\"}}")).toBytes();
        assertThatIllegalArgumentException()
                .isThrownBy(() -> ModelWarmStart.start(ModelSpec.parse(SPEC), hashed, false))
                .withMessageStartingWith("expected a saved LargeOutputModel (a snapshot of a large-softmax variant), "
                        + "got " + hashed.length + " bytes that do not read: ");
    }
}
