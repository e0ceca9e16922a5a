package dev.chorus.core.model;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.nn.ActivationFunction;
import dev.chorus.core.nn.BatchNorm;
import dev.chorus.core.nn.WeightInit;
import dev.chorus.core.spec.SpecReader;
import java.util.Arrays;
import java.util.List;

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
    requireInitLimit("key 'initLimit'", init, initLimit);
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

  private static final List<String> KEYS = List.of("units", "activation", "init", "initLimit", "batchNorm",
      "batchNormAfterActivation", "batchNormMomentum", "dropout");

  /** Reads a spec's {@code "layers"} array; a missing key takes its default. */
  static List<HiddenLayerSpec> listFromJson(SpecReader json) {
    if (!json.node().isArray()) {
      throw json.error("expected an array of layer objects like [{\"units\":256,\"activation\":\"relu\"}], got "
          + json.node());
    }
    return json.elements().stream().map(HiddenLayerSpec::fromJson).toList();
  }

  private static HiddenLayerSpec fromJson(SpecReader json) {
    json.requireObject("a layer object like {\"units\":256,\"activation\":\"relu\"}");
    json.requireKnownKeys(KEYS);
    int units = json.intValue("units");
    ActivationFunction activation = json.has("activation")
        ? ActivationFunction.byLabel(json.string("activation"))
        : ActivationFunction.RELU;
    if (activation == null) {
      throw json.error("activation", "expected one of "
          + SpecReader.quoted(Arrays.stream(ActivationFunction.values()).map(ActivationFunction::label).toList())
          + ", got " + json.node().get("activation"));
    }
    WeightInit init = json.has("init") ? weightInit(json) : defaultInit(activation);
    double initLimit = json.doubleValue("initLimit", 0);
    boolean batchNorm = json.booleanValue("batchNorm", false);
    boolean afterActivation = json.booleanValue("batchNormAfterActivation", false);
    if (json.has("batchNormMomentum") && !batchNorm) {
      throw json.error("batchNormMomentum", "needs \"batchNorm\":true");
    }
    double momentum = json.doubleValue("batchNormMomentum", BatchNorm.DEFAULT_MOMENTUM);
    double dropout = json.doubleValue("dropout", 0);
    return json.validated(() ->
        new HiddenLayerSpec(units, activation, init, initLimit, batchNorm, afterActivation, momentum, dropout));
  }

  /** The {@code init} key of a layer or of the spec (the output layer's). */
  static WeightInit weightInit(SpecReader json) {
    String name = json.string("init");
    WeightInit init = WeightInit.byLabel(name);
    if (init == null) {
      throw json.error("init", "expected one of "
          + SpecReader.quoted(Arrays.stream(WeightInit.values()).map(WeightInit::label).toList())
          + ", got \"" + name + "\"");
    }
    return init;
  }

  /** Checks the limit of an init, the layer's or the output layer's; {@code key} starts the message. */
  static void requireInitLimit(String key, WeightInit init, double initLimit) {
    if (init == WeightInit.UNIFORM ? !(initLimit > 0) || Double.isInfinite(initLimit) : initLimit != 0) {
      throw new IllegalArgumentException(init == WeightInit.UNIFORM
          ? key + ": expected a finite number > 0 for init \"uniform\", got " + initLimit
          : key + ": only init \"uniform\" takes a limit, got " + initLimit + " with \"" + init.label() + "\"");
    }
  }

  /** Checks a spec's {@code batchSize} against its layers: batch normalisation needs minibatches of 2 or more. */
  static void requireBatchSizeFits(List<HiddenLayerSpec> layers, int batchSize) {
    for (int i = 0; i < layers.size() && batchSize == 1; i++) {
      // A one-row minibatch is normalised with the running statistics, which only larger minibatches move.
      if (layers.get(i).batchNorm()) {
        throw new IllegalArgumentException("ModelSpec key 'batchSize': batch normalisation (layers[" + i
            + "]) learns its statistics from minibatches of at least 2 examples, expected an integer >= 2, got 1");
      }
    }
  }

  /** Writes every key, defaults included; {@code initLimit} only for a uniform init, momentum only with batch norm. */
  void writeJson(ArrayNode layers) {
    ObjectNode json = layers.addObject();
    json.put("units", units);
    json.put("activation", activation.label());
    json.put("init", init.label());
    if (init == WeightInit.UNIFORM) {
      json.put("initLimit", initLimit);
    }
    json.put("batchNorm", batchNorm);
    if (batchNorm) {
      json.put("batchNormAfterActivation", batchNormAfterActivation);
      json.put("batchNormMomentum", batchNormMomentum);
    }
    json.put("dropout", dropout);
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
