package dev.chorus.core.model;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.preprocess.OnlineStandardizer;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.spec.SpecReader;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.EOFException;
import java.io.IOException;
import java.util.Arrays;

/**
 * The binary format of an {@link OnlineLearner} (format {@value #FORMAT_VERSION}), everything needed to continue
 * training bit for bit: magic and format version, the spec as JSON, step and example counts, the random
 * generator's state, the standardiser's statistics, the parameters, the layers' state (batch-norm running
 * statistics), then the optimizer's type and state, and, only when the spec has {@code averaging}, the averaged
 * parameters (a spec without it writes exactly the bytes it did before averaging existed). Format 1, written before MLPs existed, lacks the layer state
 * and is still read. Scratch buffers are not state, and neither is the model's data source (see
 * {@link Provenance}).
 */
public final class OnlineLearnerCodec {

  /** First int of every saved state: ASCII {@code "CHOL"} (Chorus online learner). */
  public static final int MAGIC = 0x43484F4C;
  /** The binary format this build writes. */
  public static final int FORMAT_VERSION = 2;
  private static final int[] READABLE_VERSIONS = {1, FORMAT_VERSION};

  private OnlineLearnerCodec() {}

  /** Writes the complete state of {@code learner} in format {@link #FORMAT_VERSION}. */
  public static void write(OnlineLearner learner, DataOutput out) throws IOException {
    TrainedModel model = learner.model();
    out.writeInt(MAGIC);
    out.writeInt(FORMAT_VERSION);
    BinaryState.writeString(out, model.spec().toJson());
    out.writeLong(model.steps());
    out.writeLong(model.examplesSeen());
    out.writeLong(learner.rng().state());
    OnlineStandardizer standardizer = model.standardizer();
    out.writeBoolean(standardizer != null);
    if (standardizer != null) {
      standardizer.writeTo(out);
    }
    model.network().parameters().writeValues(out);
    model.network().writeState(out);
    BinaryState.writeString(out, learner.optimizer().spec().type());
    learner.optimizer().writeState(out);
    if (model.spec().averaging() != null) {
      learner.servingModel().network().parameters().writeValues(out);
    }
  }

  /**
   * Reads a state written by {@link #write} in format 1 or 2; the dense layers run on
   * {@link dev.chorus.core.blas.Blas#get()}.
   *
   * @throws IOException if the stream is not a learner state, has a format version this build cannot read
   *     (the message names the version found and the supported ones), is truncated or inconsistent
   */
  public static OnlineLearner read(DataInput in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException(String.format(
          "not an OnlineLearner state: magic 0x%08X, expected 0x%08X", magic, MAGIC));
    }
    int version = in.readInt();
    if (Arrays.stream(READABLE_VERSIONS).noneMatch(v -> v == version)) {
      throw new IOException("unsupported OnlineLearner state format version " + version
          + "; this build reads versions " + Arrays.toString(READABLE_VERSIONS));
    }
    String json = BinaryState.readString(in, "model spec");
    ModelSpec spec;
    try {
      spec = ModelSpec.parse(json);
    } catch (IllegalArgumentException e) {
      throw new IOException("OnlineLearner state holds an invalid model spec: " + e.getMessage(), e);
    }
    // Those models have formats of their own (SavedModels reads them by their magic); built as a dense learner, such a
    // spec would read back as a model it does not describe.
    String other = LearnerWarmStart.notLearner(spec);
    if (other != null) {
      throw new IOException("OnlineLearner state: spec key '" + other + "': expected none (a dense learner's or a label "
          + "model's spec), got " + SpecReader.document(spec.toJson()).node().get(other) + " with algorithm \""
          + spec.algorithm() + "\", whose model is saved in a format of its own");
    }
    // Every weight is in the stream after the spec: a shape the bytes cannot hold is refused before it is built.
    BinaryState.requireFits(in, spec.weightCount(), Float.BYTES, "model spec " + spec.shape() + " weights");
    // A fresh learner gives the right shapes; everything it drew at creation is overwritten below.
    OnlineLearner learner = OnlineLearner.create(spec);
    TrainedModel model = learner.model();
    long steps = readCount(in, "step count");
    learner.restoreCounts(steps, readCount(in, "example count"));
    long rngState = in.readLong();
    boolean standardized = in.readBoolean();
    if (standardized != spec.standardize()) {
      throw new IOException("OnlineLearner state: spec says standardize=" + spec.standardize()
          + " but the stream " + (standardized ? "has" : "lacks") + " standardiser statistics");
    }
    if (model.standardizer() != null) {
      model.standardizer().readFrom(in);
    }
    model.network().parameters().readValues(in);
    // Format 1 knew only softmax regression, whose layers have no state.
    if (version >= 2) {
      model.network().readState(in);
    }
    String optimizerType = BinaryState.readString(in, "optimizer type");
    if (!optimizerType.equals(spec.optimizer().type())) {
      throw new IOException("OnlineLearner state: spec's optimizer is \"" + spec.optimizer().type()
          + "\" but the stream holds \"" + optimizerType + "\" state");
    }
    learner.optimizer().readState(in, model.network().parameters());
    if (spec.averaging() != null) {
      learner.readAverage(in);
    }
    learner.restoreRng(SplitMix64.fromState(rngState));
    return learner;
  }

  private static long readCount(DataInput in, String what) throws IOException {
    long value = in.readLong();
    if (value < 0) {
      throw new IOException("OnlineLearner state: " + what + " must be >= 0, stream has " + value);
    }
    return value;
  }

  /** The state of {@link #write} as a byte array. */
  public static byte[] toBytes(OnlineLearner learner) {
    return BinaryState.toBytes(out -> write(learner, out));
  }

  /**
   * Reads a state produced by {@link #toBytes}.
   *
   * @throws IllegalArgumentException wrapping the {@link IOException} of {@link #read} if the bytes are not a
   *     readable state, or if bytes are left over after it
   */
  public static OnlineLearner fromBytes(byte[] bytes) {
    try (BinaryState.Bytes in = new BinaryState.Bytes(bytes)) {
      OnlineLearner learner = read(in);
      int trailing = in.available();
      if (trailing > 0) {
        throw new IOException("OnlineLearner state: " + trailing + " unexpected bytes after the end");
      }
      return learner;
    } catch (EOFException e) {
      throw new IllegalArgumentException("OnlineLearner state is truncated (" + bytes.length + " bytes)", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }
}
