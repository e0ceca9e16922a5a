package dev.chorus.core.annotators;

import dev.chorus.core.model.ModelSpec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** The label models built on a {@link DoctorNet}: its dimensions, spec and counts are theirs. */
abstract class DoctorNetModel extends AnnotatorTrackingModel {

  protected final DoctorNet net;
  /**
   * For the methods that train on each label alone ({@code doctor-net}, {@code weighted-doctor-net-paper}): each
   * item's labels, remembered only for its consensus (label-model format 4); {@code null} in a model saved in an
   * earlier format, and for a method that keeps a history of its own.
   */
  private final ItemLabelHistory remembered;

  DoctorNetModel(DoctorNet net, AnnotatorRegistry registry, ConfusionEstimates estimates,
      ItemLabelHistory remembered) {
    super(registry, estimates);
    this.net = net;
    this.remembered = remembered;
  }

  @Override
  public ItemLabelHistory history() {
    return remembered;
  }

  /**
   * The label of the annotator in {@code slot} for {@code item} that the remembered labels hold
   * ({@link ItemLabelHistory#labelOf}), or -1: none, or a model saved before format 4, which remembers none.
   */
  protected final int rememberedLabel(long item, int slot) {
    return remembered == null ? -1 : remembered.labelOf(item, slot);
  }

  /** Remembers that the annotator in {@code slot} labelled {@code item} as {@code label}, for its consensus. */
  protected final void remember(long item, int slot, int label) {
    if (remembered != null) {
      remembered.add(item, slot, label);
    }
  }

  /** The network and the remembered labels as they are; a method with state of its own marks it too. */
  @Override
  protected void mark() {
    net.mark();
    if (remembered != null) {
      remembered.mark();
    }
  }

  /** The network and the remembered labels back as {@link #mark} found them. */
  @Override
  protected void rollback() {
    net.rollback();
    if (remembered != null) {
      remembered.rollback();
    }
  }

  /** A new annotator's head in {@code slot}, and the evicted one's labels out of the remembered ones. */
  @Override
  protected void forget(int slot) {
    net.resetHead(slot);
    if (remembered != null) {
      remembered.forgetSlot(slot);
    }
  }

  /** A copy of the remembered labels (for {@link LabelModel#copy}), or an empty one (for a snapshot). */
  protected final ItemLabelHistory remembered(boolean empty) {
    return remembered == null ? null : empty ? remembered.emptyCopy() : remembered.copy();
  }

  @Override
  public final void writeTo(DataOutput out) throws IOException {
    write(out, false);
  }

  /** A snapshot leaves the item history out (consensus records carry what it knows), as the other methods do. */
  @Override
  public final byte[] toSnapshotBytes() {
    return LabelModels.bytes(out -> write(out, true));
  }

  /** The header, the registry, the estimates, the items' labels ({@link #writeHistory}), the network, the rest. */
  private void write(DataOutput out, boolean snapshot) throws IOException {
    LabelModels.writeHeader(out, name());
    registry.writeTo(out);
    estimates.writeTo(out);
    writeHistory(out, snapshot);
    net.writeTo(out);
    writeAfterNet(out);
  }

  /** The items' labels: format 4's optional remembered history ({@link #writeRemembered}), empty in a snapshot. */
  protected void writeHistory(DataOutput out, boolean snapshot) throws IOException {
    writeRemembered(out, remembered(snapshot));
  }

  /** What a method saves after the network (its own parameters); nothing by default. */
  protected void writeAfterNet(DataOutput out) throws IOException {}

  /** Format 4's optional history: a flag, then the history. */
  protected static void writeRemembered(DataOutput out, ItemLabelHistory history) throws IOException {
    out.writeBoolean(history != null);
    if (history != null) {
      history.writeTo(out);
    }
  }

  /** What {@link #writeRemembered} wrote, in label-model format {@code version}: nothing before format 4. */
  protected static ItemLabelHistory readRemembered(DataInput in, int version) throws IOException {
    return version >= 4 && in.readBoolean() ? ItemLabelHistory.readFrom(in) : null;
  }

  @Override
  protected final String classifierNonFinite() {
    return net.firstNonFinite();
  }

  @Override
  public int numClasses() {
    return net.numClasses();
  }

  @Override
  public int inputDim() {
    return net.inputDim();
  }

  @Override
  public ModelSpec spec() {
    return net.spec();
  }

  @Override
  public long steps() {
    return net.steps();
  }

  @Override
  public long examplesSeen() {
    return net.examplesSeen();
  }
}
