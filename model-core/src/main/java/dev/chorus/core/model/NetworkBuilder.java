package dev.chorus.core.model;

import dev.chorus.core.blas.Blas;
import dev.chorus.core.nn.Activation;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.nn.BatchNorm;
import dev.chorus.core.nn.Dense;
import dev.chorus.core.nn.Dropout;
import dev.chorus.core.nn.Layer;
import dev.chorus.core.nn.Network;
import dev.chorus.core.random.SplitMix64;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds the layers a {@link ModelSpec} describes, drawing their weights from a generator layer by layer, for every
 * learner: the {@link OnlineLearner}'s network, and the Doctor Net's body and heads. Parameter names are stable
 * because saved states are keyed by them.
 */
public final class NetworkBuilder {

  private NetworkBuilder() {}

  /**
   * The learner's network: the hidden layers ({@code hidden<i>.weights}, {@code hidden<i>.bias},
   * {@code hidden<i>.batchNorm.gamma|beta}), then the output layer, {@code output.weights}/{@code output.bias} for an
   * mlp and {@code weights}/{@code bias} for the linear models (as format 1 saved them).
   */
  public static Network network(ModelSpec spec, Blas blas, SplitMix64 rng) {
    int outputDim = spec.isClassifier() ? spec.classificationLoss().outputDim(spec.numClasses()) : 1;
    List<Layer> layers = new ArrayList<>();
    int width = addHiddenLayers(spec, blas, "hidden", rng, layers);
    layers.add(outputLayer(spec, blas, spec.layers().isEmpty() ? "" : "output.", width, outputDim, rng));
    return new Network(layers);
  }

  /**
   * Appends the spec's hidden layers to {@code layers}, layer {@code i} named {@code stem + i + "."}: a dense layer
   * (without bias when batch normalisation follows it), batch normalisation, activation and dropout as the layer's
   * spec asks. Returns the width of the last one, or the input dimension if there is none.
   */
  public static int addHiddenLayers(ModelSpec spec, Blas blas, String stem, SplitMix64 rng, List<Layer> layers) {
    int width = spec.inputDim();
    for (int i = 0; i < spec.layers().size(); i++) {
      HiddenLayerSpec hidden = spec.layers().get(i);
      String prefix = stem + i + ".";
      boolean normalizeAffine = hidden.batchNorm() && !hidden.batchNormAfterActivation();
      Dense dense = Dense.zeros(blas, prefix, width, hidden.units(), !normalizeAffine);
      hidden.init().fill(dense.weights().value(), width, hidden.units(), hidden.initLimit(), rng);
      layers.add(dense);
      if (normalizeAffine) {
        layers.add(BatchNorm.create(prefix + "batchNorm.", hidden.units(), hidden.batchNormMomentum()));
      }
      if (hidden.activation() != ActivationFunction.IDENTITY) {
        layers.add(new Activation(hidden.activation(), hidden.units()));
      }
      if (hidden.batchNormAfterActivation()) {
        layers.add(BatchNorm.create(prefix + "batchNorm.", hidden.units(), hidden.batchNormMomentum()));
      }
      if (hidden.dropout() > 0) {
        layers.add(new Dropout(hidden.units(), hidden.dropout()));
      }
      width = hidden.units();
    }
    return width;
  }

  /** A dense layer with bias from {@code inputDim} to {@code outputDim}, weights from the spec's own initialiser. */
  public static Dense outputLayer(ModelSpec spec, Blas blas, String prefix, int inputDim, int outputDim,
      SplitMix64 rng) {
    Dense output = Dense.zeros(blas, prefix, inputDim, outputDim, true);
    spec.init().fill(output.weights().value(), inputDim, outputDim, spec.initLimit(), rng);
    return output;
  }
}
