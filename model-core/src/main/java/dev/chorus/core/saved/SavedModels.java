package dev.chorus.core.saved;

import dev.chorus.core.annotators.LabelModel;
import dev.chorus.core.annotators.LabelModels;
import dev.chorus.core.model.LargeOutputModel;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import dev.chorus.core.model.Predictor;
import dev.chorus.core.model.SparseLinearModel;
import dev.chorus.core.model.WideDeepModel;
import java.util.function.Consumer;

/**
 * The one reader of saved model bytes. It sits above both kinds of model, so that the model package need not know
 * the label models built on it. It refuses a model holding a number that is not finite
 * ({@link Predictor#requireFinite}).
 */
public final class SavedModels {

  private SavedModels() {}

  /**
   * Reads an {@link OnlineLearner} ({@link OnlineLearner#toBytes}), a label model ({@link LabelModel#toBytes}), a
   * {@link SparseLinearModel}, a {@link WideDeepModel} or a {@link LargeOutputModel}, whichever the bytes hold: all
   * but the first start with their own magic int.
   *
   * @throws IllegalArgumentException if they hold neither, or are truncated or corrupt
   */
  public static Predictor read(byte[] bytes) {
    return readModel(bytes);
  }

  /**
   * {@link #read(byte[])} with each spec the bytes embed checked by {@code admit} before any model of it is built
   * ({@link ModelSpec#parsingWith}): a hashed model's rows and tables are allocated whole from its spec, whatever few
   * rows the bytes hold, so a reader of untrusted bytes bounds the spec, not the bytes.
   *
   * @throws IllegalArgumentException as {@link #read(byte[])}, or as {@code admit} refuses a spec
   */
  public static Predictor read(byte[] bytes, Consumer<ModelSpec> admit) {
    return ModelSpec.parsingWith(admit, () -> readModel(bytes));
  }

  private static Predictor readModel(byte[] bytes) {
    return Predictor.requireFinite(readAny(bytes));
  }

  private static Predictor readAny(byte[] bytes) {
    int magic = bytes.length < 4 ? 0
        : (bytes[0] & 0xFF) << 24 | (bytes[1] & 0xFF) << 16 | (bytes[2] & 0xFF) << 8 | (bytes[3] & 0xFF);
    if (magic == LabelModels.MAGIC) {
      return LabelModels.fromBytes(bytes);
    }
    if (magic == SparseLinearModel.MAGIC) {
      return SparseLinearModel.fromBytes(bytes);
    }
    if (magic == WideDeepModel.MAGIC) {
      return WideDeepModel.fromBytes(bytes);
    }
    if (magic == LargeOutputModel.MAGIC) {
      return LargeOutputModel.fromBytes(bytes);
    }
    return OnlineLearner.fromBytes(bytes);
  }
}
