package dev.chorus.core.model;

import dev.chorus.core.io.BinaryState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * A new learner that starts from another's weights (a warm start: a fork of a variant's latest snapshot, or a
 * model file trained offline): the weights, the standardiser's statistics and the layers' state come from the saved
 * learner; the optimizer's moments and step count come along ({@code carryOptimizer}) or start afresh; the spec,
 * random generator, step and example counts are the new learner's own, so its versions count from 0. With the
 * spec's {@code averaging}, the average starts at the loaded weights (a saved average is not carried).
 */
public final class LearnerWarmStart {

  private LearnerWarmStart() {}

  /**
   * Starts a learner of {@code spec} from the saved learner {@code model} ({@link OnlineLearner#toBytes}).
   *
   * @throws IllegalArgumentException if the bytes are no saved learner, or its spec does not match {@code spec}'s
   *     shape ({@link #mismatch}), naming the key, the expected and the actual value
   */
  public static OnlineLearner start(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    OnlineLearner source = saved(model, "OnlineLearner (a Chorus model file or a snapshot's parameters)",
        OnlineLearner::fromBytes);
    requireFits(mismatch(spec, source.spec(), carryOptimizer));
    return startFrom(spec, source, carryOptimizer);
  }

  /**
   * The saved model {@code reader} reads from {@code model}.
   *
   * @throws IllegalArgumentException if the bytes do not read, or hold a model with a number that is not finite
   *     ({@link Predictor#firstNonFinite}), saying what was expected ({@code what}) and why
   */
  public static <T> T saved(byte[] model, String what, Function<byte[], T> reader) {
    try {
      T read = reader.apply(model);
      if (read instanceof Predictor predictor) {
        Predictor.requireFinite(predictor);
      }
      return read;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("expected a saved " + what + ", got " + model.length
          + " bytes that do not read: " + e.getMessage(), e);
    }
  }

  /** @throws IllegalArgumentException with {@code mismatch} ({@link #difference}) unless it is null */
  public static void requireFits(String mismatch) {
    if (mismatch != null) {
      throw new IllegalArgumentException(mismatch);
    }
  }

  /**
   * Starts a learner of {@code spec} from {@code source}, whose shape the caller has checked ({@link #difference}):
   * a label model's classifier, whose spec has the label model's key.
   *
   * @throws IllegalArgumentException with {@code carryOptimizer}, if the source's optimizer state holds a value no
   *     step could have left there ({@link dev.chorus.core.optim.Optimizer#firstInvalidState}), naming it
   */
  public static OnlineLearner startFrom(ModelSpec spec, OnlineLearner source, boolean carryOptimizer) {
    String invalid = carryOptimizer ? source.optimizer().firstInvalidState() : null;
    if (invalid != null) {
      throw new IllegalArgumentException("expected a saved model whose optimizer state carries (finite, and >= 0 "
          + "where it sums or averages squares), got one whose " + invalid + "; or say \"optimizer\":\"reset\"");
    }
    OnlineLearner learner = OnlineLearner.create(spec);
    try {
      if (spec.standardize()) {
        learner.model().standardizer()
            .readFrom(new BinaryState.Bytes(BinaryState.toBytes(source.model().standardizer()::writeTo)));
      }
      learner.network().parameters()
          .readValues(new BinaryState.Bytes(BinaryState.toBytes(source.network().parameters()::writeValues)));
      learner.network().readState(new BinaryState.Bytes(BinaryState.toBytes(source.network()::writeState)));
      if (carryOptimizer) {
        learner.optimizer().readState(new BinaryState.Bytes(BinaryState.toBytes(source.optimizer()::writeState)),
            learner.network().parameters());
      }
      learner.restartAverage();
    } catch (IOException e) {
      throw new IllegalArgumentException("saved model of shape " + source.spec().shape()
          + " does not fit a learner of shape " + spec.shape() + ": " + e.getMessage(), e);
    }
    return learner;
  }

  /**
   * Why a learner saved with spec {@code saved} cannot warm-start one of {@code spec}, as {@code key 'K': expected
   * E (the variant's spec), got A (the saved model's)}, or null when it can: same algorithm, input dimension,
   * classes, hidden layers, loss and standardisation, and with {@code carryOptimizer} the same optimizer type. A spec
   * that is no dense learner ({@link #notDense}) takes no saved learner (a hashed one starts from a saved
   * {@link SparseLinearModel}: {@code ModelWarmStart}).
   */
  public static String mismatch(ModelSpec spec, ModelSpec saved, boolean carryOptimizer) {
    if (notDense(spec) != null) {
      return "key 'warmStart': expected a spec of a dense learner (no labelModel, hashing, embeddings or skipGram), "
          + "got " + spec.toJson();
    }
    return difference(spec, saved, carryOptimizer, new Object[] {"layers", layers(spec), layers(saved)});
  }

  /**
   * The key that makes {@code spec} something other than a dense learner, {@code labelModel}, {@code hashing}
   * (wide-deep and large-softmax specs hash too), {@code embeddings} or {@code skipGram}, or null: the specs whose
   * model is an {@link OnlineLearner}, what {@link #startFrom} takes.
   */
  public static String notDense(ModelSpec spec) {
    return spec.labelModel() != null ? "labelModel" : notLearner(spec);
  }

  /**
   * The key that makes {@code spec} the spec of a model other than an {@link OnlineLearner} ({@code hashing}: a hashed
   * linear, wide-deep or large-softmax model; {@code embeddings}; {@code skipGram}), or null: what
   * {@link OnlineLearnerCodec#read} admits, a dense learner's spec or a label model's (its classifier's).
   */
  static String notLearner(ModelSpec spec) {
    return spec.hashing() != null ? "hashing" : spec.embeddings() != null ? "embeddings"
        : spec.skipGram() != null ? "skipGram" : null;
  }

  /**
   * The first key on which a model saved with spec {@code saved} does not fit {@code spec}, as {@link #mismatch}
   * says it, or null: algorithm, input dimension, classes, the kind's own keys {@code kindKeys} (each {@code {key,
   * expected, actual}}), loss and standardisation, and with {@code carryOptimizer} the optimizer type.
   */
  public static String difference(ModelSpec spec, ModelSpec saved, boolean carryOptimizer, Object[]... kindKeys) {
    List<Object[]> keys = new ArrayList<>(List.of(
        new Object[] {"algorithm", spec.algorithm(), saved.algorithm()},
        new Object[] {"inputDim", spec.inputDim(), saved.inputDim()},
        new Object[] {"numClasses", spec.numClasses(), saved.numClasses()}));
    keys.addAll(List.of(kindKeys));
    keys.addAll(List.of(
        new Object[] {"loss", spec.loss(), saved.loss()},
        new Object[] {"standardize", spec.standardize(), saved.standardize()},
        new Object[] {"optimizer.type", carryOptimizer ? spec.optimizer().type() : null,
            carryOptimizer ? saved.optimizer().type() : null}));
    for (Object[] k : keys) {
      String differs = differs(k);
      if (differs != null) {
        return differs + (k[0].equals("optimizer.type") ? ": carry needs the same optimizer, "
            + "or say \"optimizer\":\"reset\"" : "");
      }
    }
    return null;
  }

  /**
   * Why a model whose embedding tables save only the rows a step changed (a wide and deep or a large-softmax model),
   * saved with spec {@code saved}, cannot start one of {@code spec}, as {@link #difference} says it, or null: another
   * {@code seed}. The rows no step changed are drawn from the seed, not saved: under another seed a started model
   * would draw them anew and answer otherwise than the saved one on every id it never stepped.
   */
  public static String tableSeedDifference(ModelSpec spec, ModelSpec saved) {
    String differs = differs(new Object[] {"seed", spec.seed(), saved.seed()});
    return differs == null ? null : differs + ": the rows of its embedding tables that no step changed are not saved "
        + "but drawn from the seed, so a model under another seed would answer otherwise on every id the saved one "
        + "never stepped; give the saved model's seed";
  }

  /** {@code key 'K': expected E (the variant's spec), got A (the saved model's)} for {@code {K, E, A}}, or null. */
  private static String differs(Object[] k) {
    return Objects.equals(k[1], k[2]) ? null
        : "key '" + k[0] + "': expected " + k[1] + " (the variant's spec), got " + k[2] + " (the saved model's)";
  }

  /** The hidden layers of {@code spec} as the shape checks name them: units, activation, batch norm. */
  public static List<String> layers(ModelSpec spec) {
    return spec.layers().stream().map(l -> l.units() + " " + l.activation() + (l.batchNorm() ? " batchNorm" : ""))
        .toList();
  }
}
