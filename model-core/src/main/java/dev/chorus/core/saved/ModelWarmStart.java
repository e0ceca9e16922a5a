package dev.chorus.core.saved;

import dev.chorus.core.annotators.LabelModelWarmStart;
import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.EmbeddingsSpec;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.LargeOutputSpec;
import dev.chorus.core.model.LearnerWarmStart;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepModel;
import dev.chorus.core.output.SkipGram;
import dev.chorus.core.output.SkipGramSpec;

/**
 * A new variant's model from a saved one (a warm start: a fork of a variant's latest snapshot, or a model file), for
 * each kind that takes one: a dense learner ({@link LearnerWarmStart}); a hashed linear model, which starts from a
 * saved {@link SparseLinearModel} of the same shape (its weights always; its optimizer slots, AdaGrad's accumulators or
 * FTRL's {@code z} and {@code n}, and its optimizer step count, which its schedule follows, with carry, else zero, so
 * that a reset FTRL forgets the gradients it saw and its first step on a coordinate moves from the saved weight, and a
 * carried schedule goes on from the saved model's); a wide and deep model, from a saved {@link WideDeepModel}
 * of the same shape (wide weights, tables and network always; the wide slots, the tables' AdaGrad accumulators and
 * the network's optimizer state with carry; the tables' rates as {@link WideDeepModel#warmStart} allows them); a
 * large-softmax model, from a saved {@link LargeOutputModel} of the same shape (its table and output layer always,
 * the table's AdaGrad accumulators with carry); those two under the saved model's seed, from which their tables' rows
 * never stepped are drawn ({@link LearnerWarmStart#tableSeedDifference}); a skip-gram, from a saved
 * {@link SkipGram} ({@link #startSkipGram}); a label model ({@link LabelModelWarmStart}). Its counts start at 0, so
 * its versions count from 0.
 */
public final class ModelWarmStart {

  private ModelWarmStart() {}

  /**
   * Starts a model of {@code spec} from the saved model {@code model}.
   *
   * @throws IllegalArgumentException if {@code spec}'s kind takes no warm start, the bytes are not a saved model of
   *     its kind, or the saved model's shape differs, naming the key, the expected and the actual value
   */
  public static Predictor start(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    if (hashedLinear(spec)) {
      return startHashed(spec, model, carryOptimizer);
    }
    if (spec.algorithm().equals(ModelSpec.WIDE_DEEP)) {
      return startWideDeep(spec, model, carryOptimizer);
    }
    if (spec.algorithm().equals(ModelSpec.LARGE_SOFTMAX)) {
      return startLargeOutput(spec, model, carryOptimizer);
    }
    if (spec.labelModel() != null && LabelModelWarmStart.METHODS.contains(spec.labelModel().method())) {
      return LabelModelWarmStart.start(spec, model, carryOptimizer);
    }
    if (spec.skipGram() != null) {
      throw new IllegalArgumentException("key 'warmStart': a skip-gram spec starts from a saved SkipGram "
          + "(ModelWarmStart.startSkipGram), not a Predictor, got " + spec.toJson());
    }
    if (spec.labelModel() != null || spec.hashing() != null || spec.embeddings() != null) {
      throw new IllegalArgumentException("key 'warmStart': expected a spec of a kind that takes a warm start (a dense "
          + "learner, a hashed linear model, a wide and deep model, a large-softmax model, a skip-gram, a label "
          + "model but doctor-net's), got " + spec.toJson());
    }
    return LearnerWarmStart.start(spec, model, carryOptimizer);
  }

  /**
   * Why a live model of {@code spec} cannot restart from its own weights with its optimizer afresh (a drift
   * reaction's rewarm, {@link #rewarm}), as the key that says so, or null: a dense learner, a hashed linear, a wide
   * and deep or a large-softmax model can; a label model cannot ({@code labelModel}: its warm start leaves the live
   * per-item label history behind), nor a skip-gram ({@code skipGram}: its plain SGD keeps no optimizer state to
   * restart, and a warm start carries its token counts).
   */
  public static String cannotRewarm(ModelSpec spec) {
    return spec.labelModel() != null ? "labelModel" : spec.skipGram() != null ? "skipGram" : null;
  }

  /**
   * A model of {@code spec} that restarts {@code live}, a model of that spec, from its own weights (and tables,
   * standardiser statistics and layer state), with its optimizer's state carried or not, its counts from 0: what
   * {@link #start} gives from {@code live}'s saved bytes, without the bytes.
   *
   * @throws IllegalArgumentException if the spec's kind cannot rewarm ({@link #cannotRewarm})
   */
  public static Predictor rewarm(ModelSpec spec, Predictor live, boolean carryOptimizer) {
    String cannot = cannotRewarm(spec);
    if (cannot != null) {
      throw new IllegalArgumentException("key '" + cannot + "': expected a spec whose model can restart from its own "
          + "weights, got " + spec.toJson());
    }
    return live instanceof SparseLinearModel hashed ? hashed.warmStart(spec, carryOptimizer)
        : live instanceof WideDeepModel wideDeep ? wideDeep.warmStart(spec, carryOptimizer)
        : live instanceof LargeOutputModel large ? large.warmStart(spec, carryOptimizer)
        : LearnerWarmStart.startFrom(spec, (OnlineLearner) live, carryOptimizer);
  }

  /**
   * Starts a skip-gram of {@code spec} from the saved {@link SkipGram} {@code model} (a skip-gram variant's snapshot)
   * of the same {@code buckets} and {@code dim}: its vectors and token counts, with carry and reset alike, as its
   * plain SGD keeps no optimizer state ({@link SkipGram#warmStart}).
   *
   * @throws IllegalArgumentException if the bytes are no saved skip-gram or its shape differs, naming the key
   */
  public static SkipGram startSkipGram(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    SkipGram source = LearnerWarmStart.saved(model, "SkipGram (a snapshot of a skip-gram variant)",
        bytes -> BinaryState.fromBytes(bytes, "SkipGram", SkipGram::readState));
    String bad = source.firstNonFinite();
    if (bad != null) {
      throw new IllegalArgumentException("expected a saved SkipGram (a snapshot of a skip-gram variant) with finite "
          + "vectors, got one whose " + bad);
    }
    SkipGramSpec wanted = spec.skipGram();
    for (Object[] k : new Object[][] {{"buckets", wanted.buckets(), source.spec().buckets()},
        {"dim", wanted.dim(), source.spec().dim()}}) {
      if (!k[1].equals(k[2])) {
        throw new IllegalArgumentException("key 'skipGram." + k[0] + "': expected " + k[1] + " (the variant's spec), "
            + "got " + k[2] + " (the saved model's)");
      }
    }
    return source.warmStart(wanted, spec.seed());
  }

  private static boolean hashedLinear(ModelSpec spec) {
    return spec.hashing() != null && spec.output() == null && spec.embeddings() == null
        && !spec.algorithm().equals(ModelSpec.WIDE_DEEP);
  }

  private static SparseLinearModel startHashed(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    SparseLinearModel source = LearnerWarmStart.saved(model, "SparseLinearModel (a snapshot of a hashed variant)",
        SparseLinearModel::fromBytes);
    LearnerWarmStart.requireFits(LearnerWarmStart.difference(spec, source.spec(), carryOptimizer,
        new Object[] {"hashing", spec.hashing(), source.spec().hashing()}));
    return source.warmStart(spec, carryOptimizer);
  }

  private static WideDeepModel startWideDeep(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    WideDeepModel source = LearnerWarmStart.saved(model, "WideDeepModel (a snapshot of a wide-deep variant)",
        WideDeepModel::fromBytes);
    ModelSpec saved = source.spec();
    LearnerWarmStart.requireFits(LearnerWarmStart.difference(spec, saved, carryOptimizer,
        new Object[] {"layers", LearnerWarmStart.layers(spec), LearnerWarmStart.layers(saved)},
        new Object[] {"hashing", spec.hashing(), saved.hashing()},
        new Object[] {"embeddings", tables(spec.embeddings()), tables(saved.embeddings())},
        new Object[] {"wideOptimizer.type", carryOptimizer ? spec.wideOptimizer().type() : null,
            carryOptimizer ? saved.wideOptimizer().type() : null}));
    return source.warmStart(spec, carryOptimizer);
  }

  private static LargeOutputModel startLargeOutput(ModelSpec spec, byte[] model, boolean carryOptimizer) {
    LargeOutputModel source = LearnerWarmStart.saved(model, "LargeOutputModel (a snapshot of a large-softmax variant)",
        LargeOutputModel::fromBytes);
    ModelSpec saved = source.spec();
    LearnerWarmStart.requireFits(LearnerWarmStart.difference(spec, saved, carryOptimizer,
        new Object[] {"hashing", spec.hashing(), saved.hashing()},
        new Object[] {"output", output(spec.output()), output(saved.output())}));
    return source.warmStart(spec, carryOptimizer);
  }

  /** What fixes the output layer's shape and the table's meaning (its samples and topK may differ). */
  private static String output(LargeOutputSpec o) {
    return "type=" + o.type().label() + ", dim=" + o.dim() + ", combiner=" + o.combiner().label();
  }

  /**
   * What fixes the tables' shape: their learning rate and l2 may differ, within what {@link WideDeepModel#warmStart}
   * can start exactly.
   */
  private static String tables(EmbeddingsSpec e) {
    return "dim=" + e.dim() + ", buckets=" + e.buckets() + ", combiner=" + e.combiner() + ", fields=" + e.fields()
        + ", numeric=" + e.numeric();
  }
}
