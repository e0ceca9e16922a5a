package dev.chorus.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Activation;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.nn.BatchNorm;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.Dropout;
import dev.chorus.core.nn.Layer;
import dev.chorus.core.nn.Network;
import dev.chorus.core.nn.ParameterSet;
import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one builder of networks from a spec: the layers, their parameter names (saved states are keyed by them) and
 * the weights drawn from the spec's seed, for the learner's network and for a Doctor Net's body and heads.
 */
class NetworkBuilderTest {

  private static final ModelSpec MLP = ModelSpec.mlp(6, 3, List.of(
      HiddenLayerSpec.of(5, ActivationFunction.RELU).withBatchNorm().withDropout(0.25),
      HiddenLayerSpec.of(4, ActivationFunction.TANH).withBatchNormAfterActivation())).withSeed(11);

  @Test
  void anMlpHasItsLayersInTheSpecsOrderUnderStableNames() {
    Network network = NetworkBuilder.network(MLP, Blas.get(), SplitMix64.seeded(MLP.seed()));

    assertThat(network.layers()).extracting(layer -> layer.getClass().getSimpleName()).containsExactly(
        "Dense", "BatchNorm", "Activation", "Dropout", "Dense", "Activation", "BatchNorm", "Dense");
    assertThat(network.parameters().names()).containsExactly(
        "hidden0.weights", "hidden0.batchNorm.gamma", "hidden0.batchNorm.beta",
        "hidden1.weights", "hidden1.bias", "hidden1.batchNorm.gamma", "hidden1.batchNorm.beta",
        "output.weights", "output.bias");
    assertThat(network.inputDim()).isEqualTo(6);
    assertThat(network.outputDim()).isEqualTo(3);
  }

  @Test
  void theLearnersNetworkIsTheBuildersDrawnFromTheSpecsSeed() {
    for (ModelSpec spec : List.of(MLP, ModelSpec.softmaxRegression(6, 3).withSeed(4), ModelSpec.linearRegression(6))) {
      ParameterSet built = NetworkBuilder.network(spec, Blas.get(), SplitMix64.seeded(spec.seed())).parameters();
      ParameterSet learners = OnlineLearner.create(spec).network().parameters();
      assertThat(built.names()).isEqualTo(learners.names());
      for (int p = 0; p < built.size(); p++) {
        assertThat(built.get(p).value().data()).as(built.get(p).name()).isEqualTo(learners.get(p).value().data());
      }
    }
    assertThat(NetworkBuilder.network(ModelSpec.softmaxRegression(6, 3), Blas.get(), SplitMix64.seeded(0))
        .parameters().names()).as("the linear models' names, as format 1 saved them").containsExactly("weights", "bias");
  }

  @Test
  void hiddenLayersUnderAnotherStemDrawTheSameWeightsAndThenAnOutputLayer() {
    ModelSpec spec = ModelSpec.mlp(6, 3, List.of(HiddenLayerSpec.of(5, ActivationFunction.RELU),
        HiddenLayerSpec.of(4, ActivationFunction.IDENTITY))).withSeed(2);
    SplitMix64 rng = SplitMix64.seeded(spec.seed());
    List<Layer> body = new ArrayList<>();

    int width = NetworkBuilder.addHiddenLayers(spec, Blas.get(), "body", rng, body);
    Dense head = NetworkBuilder.outputLayer(spec, Blas.get(), "head.", width, 3, rng);

    assertThat(width).isEqualTo(4);
    assertThat(body).extracting(layer -> layer.getClass().getSimpleName())
        .as("an identity activation adds no layer").containsExactly("Dense", "Activation", "Dense");
    assertThat(new Network(body).parameters().names())
        .containsExactly("body0.weights", "body0.bias", "body1.weights", "body1.bias");
    assertThat(head.parameters()).extracting(p -> p.name()).containsExactly("head.weights", "head.bias");
    ParameterSet learners = OnlineLearner.create(spec).network().parameters();
    assertThat(((Dense) body.get(0)).weights().value().data())
        .isEqualTo(learners.get("hidden0.weights").value().data());
    assertThat(((Dense) body.get(2)).weights().value().data())
        .isEqualTo(learners.get("hidden1.weights").value().data());
    assertThat(head.weights().value().data()).as("drawn after the hidden layers, as the learner's output layer")
        .isEqualTo(learners.get("output.weights").value().data());
    assertThat(head.bias().value().data()).containsOnly(0f);
  }

  @Test
  void unusedLayerTypesAreNotBuilt() {
    Network linear = NetworkBuilder.network(ModelSpec.linearRegression(6), Blas.get(), SplitMix64.seeded(0));
    assertThat(linear.layers()).hasSize(1).first().isInstanceOf(Dense.class);
    assertThat(linear.layers()).noneMatch(l -> l instanceof BatchNorm || l instanceof Dropout || l instanceof Activation);
  }
}
