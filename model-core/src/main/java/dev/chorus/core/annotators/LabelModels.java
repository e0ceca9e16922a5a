package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.model.OnlineLearner;
import java.io.DataInput;
import java.io.EOFException;
import java.io.DataOutput;
import java.io.IOException;
import java.util.List;

/** Creates {@link LabelModel}s by name and reads their saved state. */
public final class LabelModels {

  /** First int of every saved label model: ASCII {@code "CHLM"}. */
  public static final int MAGIC = 0x43484C4D;
  /**
   * The binary format this build writes. Format 2 adds, after a weighted Doctor Net's averaging logits, its
   * de-noising iterations; the other methods write the same body as in format 1. Format 3 adds to the annotator
   * registry what eviction needs: {@code protectedLabels}, the label tick, the evictions and each slot's last tick
   * ({@link AnnotatorRegistry#writeTo}). Formats 1 and 2 are still read. {@code weighted-doctor-net-paper}, added
   * in format 3, writes the registry, the confusions, the network and its averaging logits. Format 4 adds to
   * {@code doctor-net} and {@code weighted-doctor-net-paper}, after their confusions, an optional item history (a
   * flag, then the history), so that they publish consensus; the other methods write the same body as in format 3.
   * Format 5 adds to {@code naive}, {@code majority}, {@code soft} and {@code dawid-skene}, after their confusions, each
   * slot's count of labels on items that others labelled too ({@link ConfusionEstimates#writeSharedLabels}; only
   * {@code dawid-skene} counts and uses them); formats before it read every annotator that has taken an M-step as fully
   * shaped. The Doctor Nets write the same body as in format 4. Format 6 adds to {@code dawid-skene} with features,
   * after its classifier, the values of the classifier's average that its E-step reads
   * ({@link DawidSkeneLabelModel#TEACHER}), unless the spec's {@code averaging} keeps that average already; formats
   * before it start that average at the classifier's weights. The other methods write the same body as in format 5.
   * Format 7 adds to {@code weighted-doctor-net}, after its network's heads, the values of the network's average that
   * its E-step reads ({@link WeightedDoctorNetLabelModel#TEACHER}), unless the spec's {@code averaging} keeps that
   * average already (and wrote it there before); formats before it start that average at the network's weights. The
   * other methods write the same body as in format 6.
   */
  public static final int FORMAT_VERSION = 7;
  /** The selectable methods: those a spec may name, each built here by its own class's {@code NAME}. */
  public static final List<String> NAMES = LabelModelSpec.METHODS;

  private LabelModels() {}

  /**
   * A fresh label model of {@code config}'s method and bounds whose classifier is {@code spec}.
   *
   * @throws IllegalArgumentException for a spec the method cannot use
   */
  public static LabelModel create(ModelSpec spec, LabelModelSpec config) {
    if (config.halfLifeLabels() > 0 && !config.equals(spec.labelModel())) {
      // The half-life is read back from the saved classifier spec: it must carry it.
      spec = spec.withLabelModel(config);
    }
    return switch (config.method()) {
      case NaiveLabelModel.NAME -> new NaiveLabelModel(spec, config);
      case MajorityLabelModel.NAME -> new MajorityLabelModel(spec, config);
      case SoftLabelModel.NAME -> new SoftLabelModel(spec, config);
      case DawidSkeneLabelModel.NAME -> new DawidSkeneLabelModel(spec, config);
      case DoctorNetLabelModel.NAME -> new DoctorNetLabelModel(spec, config);
      case WeightedDoctorNetLabelModel.NAME -> new WeightedDoctorNetLabelModel(spec, config);
      case WeightedDoctorNetPaperLabelModel.NAME -> new WeightedDoctorNetPaperLabelModel(spec, config);
      default -> throw new IllegalStateException("label model \"" + config.method()
          + "\" is one of LabelModelSpec.METHODS but has no case here");
    };
  }

  /**
   * {@code spec}, checked that its label model, if it names one, can train its classifier. Where a spec is accepted
   * (the jobs' task specs, the CLI, benchmarks) this follows {@link ModelSpec#parse}; the message names the key as
   * the parser's do.
   *
   * @throws IllegalArgumentException naming the key {@code labelModel}, what it needs and what the spec has
   */
  public static ModelSpec check(ModelSpec spec) {
    if (spec.labelModel() != null) {
      try {
        requireSuitable(spec.labelModel().method(), spec);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("ModelSpec key 'labelModel': " + e.getMessage(), e);
      }
    }
    return spec;
  }

  /** A fresh label model of the method and bounds {@code spec} names ({@link ModelSpec#labelModel()}). */
  public static LabelModel create(ModelSpec spec) {
    if (spec.labelModel() == null) {
      throw new IllegalArgumentException("spec names no labelModel: " + spec.toJson());
    }
    return create(spec, spec.labelModel());
  }

  /**
   * Checks, without building anything, that method {@code name} can train {@code spec}'s classifier.
   *
   * @throws IllegalArgumentException naming what does not fit
   */
  public static void requireSuitable(String name, ModelSpec spec) {
    if (!NAMES.contains(name)) {
      throw new IllegalArgumentException("unknown label model \"" + name + "\", expected one of " + NAMES);
    }
    if (name.equals(DoctorNetLabelModel.NAME) || name.equals(WeightedDoctorNetLabelModel.NAME)
        || name.equals(WeightedDoctorNetPaperLabelModel.NAME)) {
      DoctorNet.requireSuitable(spec);
    } else {
      ClassifierLabelModel.requireSuitable(spec);
    }
  }

  /** Reads a label model from {@link LabelModel#toBytes}. */
  public static LabelModel fromBytes(byte[] bytes) {
    try (BinaryState.Bytes in = new BinaryState.Bytes(bytes)) {
      LabelModel model = readFrom(in);
      int trailing = in.available();
      if (trailing > 0) {
        throw new IOException("label model: " + trailing + " unexpected bytes after the end");
      }
      return model;
    } catch (EOFException e) {
      throw new IllegalArgumentException("label model state is truncated (" + bytes.length + " bytes)", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** What a writer writes, as bytes. */
  interface Writer {
    void write(DataOutput out) throws IOException;
  }

  static byte[] bytes(Writer writer) {
    return BinaryState.toBytes(writer::write);
  }

  /** Checks the arguments of {@link LabelModel#train} for a model with {@code d} inputs and {@code k} classes. */
  static void validate(float[] x, int d, int k, long[] items, String[] annotators, int[] labels, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("train: n must be >= 1, got " + n);
    }
    if (items.length < n || annotators.length < n || labels.length < n) {
      throw new IllegalArgumentException("train: items, annotators and labels must hold n=" + n + " entries, have "
          + items.length + ", " + annotators.length + ", " + labels.length);
    }
    if ((long) n * d > x.length) {
      throw new IllegalArgumentException("train: x must hold n × inputDim = " + (long) n * d + " floats, has "
          + x.length);
    }
    for (int e = 0; e < n; e++) {
      if (labels[e] < 0 || labels[e] >= k) {
        throw new IllegalArgumentException("train: label of event " + e + " must be in [0, " + k + "), got "
            + labels[e]);
      }
    }
  }

  static void writeHeader(DataOutput out, String name) throws IOException {
    out.writeInt(MAGIC);
    out.writeInt(FORMAT_VERSION);
    BinaryState.writeString(out, name);
  }

  /** Reads a label model written by {@link LabelModel#writeTo}. */
  public static LabelModel readFrom(DataInput in) throws IOException {
    int magic = in.readInt();
    if (magic != MAGIC) {
      throw new IOException("label model: expected magic 0x" + Integer.toHexString(MAGIC) + ", stream has 0x"
          + Integer.toHexString(magic));
    }
    int version = in.readInt();
    if (version < 1 || version > FORMAT_VERSION) {
      throw new IOException("label model: expected format 1.." + FORMAT_VERSION + ", stream has " + version);
    }
    String name = BinaryState.readString(in, "label model name");
    if (!NAMES.contains(name)) {
      throw new IOException("label model: expected one of " + NAMES + ", stream has \"" + name + "\"");
    }
    LabelModel model = readBody(in, version, name);
    AnnotatorTrackingModel tracking = (AnnotatorTrackingModel) model;
    requireConsistent(tracking);
    LabelModelSpec config = model.spec().labelModel();
    tracking.estimates.forgetWithHalfLife(config == null ? 0 : config.halfLifeLabels());
    return model;
  }

  /**
   * Refuses a model whose parts, read one after another, disagree: confusions over other classes than its spec's,
   * or for another number of annotator slots than its registry's; a Doctor Net without exactly one head per
   * registered annotator (its writer creates a head as it registers one); or a remembered label of another class or
   * of a slot no registered annotator holds. Each part alone is well formed; together they would index each other
   * out of range (or, worse, the wrong cells) when the model next trains or predicts.
   */
  static void requireConsistent(AnnotatorTrackingModel model) throws IOException {
    int classes = model.spec().numClasses();
    int slots = model.registry.maxAnnotators();
    if (model.estimates.numClasses() != classes) {
      throw new IOException("label model: expected confusions over the spec's " + classes + " classes, stream has "
          + model.estimates.numClasses());
    }
    if (model.estimates.maxAnnotators() != slots) {
      throw new IOException("label model: expected confusions for the registry's " + slots + " annotator slots, "
          + "stream has " + model.estimates.maxAnnotators());
    }
    int annotators = model.registry.size();
    if (model instanceof DoctorNetModel doctorNet && doctorNet.net.headCount() != annotators) {
      throw new IOException("label model: expected a head for each of the registry's " + annotators
          + " annotators, stream has " + doctorNet.net.headCount() + " heads");
    }
    ItemLabelHistory history = model.history();
    String invalid = history == null ? null : history.firstInvalid(classes, annotators);
    if (invalid != null) {
      throw new IOException("item label history: " + invalid);
    }
  }

  /**
   * Refuses a history read from a stream whose per-item bound exceeds its spec's: a label model sizes per-item scratch
   * by that bound when it is built, so a forged one (2^31 - 1) would fail the reader with an OutOfMemoryError rather
   * than a refusal. The spec's bound is the one a reader can check ({@code ModelSpec#labelHistorySlots}).
   */
  static void requireHistoryWithin(ItemLabelHistory history, ModelSpec spec) throws IOException {
    LabelModelSpec config = spec.labelModel();
    if (history != null && config != null && history.maxLabelsPerItem() > config.maxLabelsPerItem()) {
      throw new IOException("item label history: expected at most the spec's maxLabelsPerItem "
          + config.maxLabelsPerItem() + " labels per item, stream has " + history.maxLabelsPerItem());
    }
  }

  private static LabelModel readBody(DataInput in, int version, String name) throws IOException {
    if (name.equals(DoctorNetLabelModel.NAME)) {
      return DoctorNetLabelModel.readBody(in, version);
    }
    if (name.equals(WeightedDoctorNetLabelModel.NAME)) {
      return WeightedDoctorNetLabelModel.readBody(in, version);
    }
    if (name.equals(WeightedDoctorNetPaperLabelModel.NAME)) {
      return WeightedDoctorNetPaperLabelModel.readBody(in, version);
    }
    AnnotatorRegistry registry = AnnotatorRegistry.readFrom(in, version);
    ConfusionEstimates estimates = ConfusionEstimates.readFrom(in);
    estimates.readSharedLabels(in, version);
    ItemLabelHistory history = in.readBoolean() ? ItemLabelHistory.readFrom(in) : null;
    OnlineLearner classifier = OnlineLearner.readFrom(in);
    requireHistoryWithin(history, classifier.spec());
    ClassifierLabelModel.Parts parts = new ClassifierLabelModel.Parts(classifier, registry, estimates, history);
    ClassifierLabelModel model = switch (name) {
      case NaiveLabelModel.NAME -> new NaiveLabelModel(parts);
      case MajorityLabelModel.NAME -> new MajorityLabelModel(parts);
      case SoftLabelModel.NAME -> new SoftLabelModel(parts);
      default -> new DawidSkeneLabelModel(parts);
    };
    model.readAfterClassifier(in, version);
    return model;
  }
}
