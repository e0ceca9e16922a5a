package dev.chorus.core.model;

import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.nn.BatchNorm;
import dev.chorus.core.nn.WeightInit;

/**
 * One hidden layer of an MLP: a dense layer of {@code units}, optional batch normalisation (after the affine
 * transform, or after the activation if {@code batchNormAfterActivation}), the activation, then optional
 * inverted dropout. In a model spec:
 * <pre>{@code {"units":256,"activation":"relu","init":"he-normal","batchNorm":false,"dropout":0.0}}</pre>
 *
 * @param units outputs of the dense layer, >= 1
 * @param activation the nonlinearity
 * @param init weight initialisation of the dense layer
 * @param initLimit the {@code a} of {@link WeightInit#UNIFORM} ({@code U(−a, a)}), {@code > 0}; 0 for other schemes
 * @param batchNorm whether to batch-normalise
 * @param batchNormAfterActivation normalise the activation's output instead of its input; needs {@code batchNorm}
 * @param batchNormMomentum retention of the running statistics per minibatch, in {@code [0, 1)}
 * @param dropout probability of zeroing each output in training, in {@code [0, 1)}; 0 disables dropout
 */
public record HiddenLayerSpec(int units, ActivationFunction activation, WeightInit init, double initLimit,
    boolean batchNorm, boolean batchNormAfterActivation, double batchNormMomentum, double dropout) {

  /** @throws IllegalArgumentException naming the field (as its spec key), the expectation and the value */
  public HiddenLayerSpec {
    if (units < 1) {
      throw new IllegalArgumentException("key 'units': expected an integer >= 1, got " + units);
    }
    if (init == WeightInit.UNIFORM ? !(initLimit > 0) || Double.isInfinite(initLimit) : initLimit != 0) {
      throw new IllegalArgumentException(init == WeightInit.UNIFORM
          ? "key 'initLimit': expected a finite number > 0 for init \"uniform\", got " + initLimit
          : "key 'initLimit': only init \"uniform\" takes a limit, got " + initLimit + " with \"" + init.label() + "\"");
    }
    if (batchNormAfterActivation && !batchNorm) {
      throw new IllegalArgumentException("key 'batchNormAfterActivation': needs \"batchNorm\":true");
    }
    if (!(batchNormMomentum >= 0 && batchNormMomentum < 1)) {
      throw new IllegalArgumentException("key 'batchNormMomentum': expected a number in [0, 1), got " + batchNormMomentum);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new IllegalArgumentException("key 'dropout': expected a number in [0, 1), got " + dropout);
    }
  }

  /** A layer with the default initialisation for {@code activation}, no batch norm and no dropout. */
  public static HiddenLayerSpec of(int units, ActivationFunction activation) {
    return new HiddenLayerSpec(units, activation, defaultInit(activation), 0, false, false,
        BatchNorm.DEFAULT_MOMENTUM, 0);
  }

  /** He normal for ReLU (it is derived for rectifiers), Glorot uniform for the others. */
  public static WeightInit defaultInit(ActivationFunction activation) {
    return activation == ActivationFunction.RELU ? WeightInit.HE_NORMAL : WeightInit.GLOROT_UNIFORM;
  }

  /** This layer batch-normalised before the activation. */
  public HiddenLayerSpec withBatchNorm() {
    return new HiddenLayerSpec(units, activation, init, initLimit, true, false, batchNormMomentum, dropout);
  }

  /** This layer batch-normalised after the activation. */
  public HiddenLayerSpec withBatchNormAfterActivation() {
    return new HiddenLayerSpec(units, activation, init, initLimit, true, true, batchNormMomentum, dropout);
  }

  public HiddenLayerSpec withDropout(double dropout) {
    return new HiddenLayerSpec(units, activation, init, initLimit, batchNorm, batchNormAfterActivation,
        batchNormMomentum, dropout);
  }

  /** This layer initialised by {@code init}; {@code initLimit} is for {@link WeightInit#UNIFORM}, else 0. */
  public HiddenLayerSpec withInit(WeightInit init, double initLimit) {
    return new HiddenLayerSpec(units, activation, init, initLimit, batchNorm, batchNormAfterActivation,
        batchNormMomentum, dropout);
  }
}
