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

  /** Remembers that the annotator in {@code slot} labelled {@code item} as {@code label}, for its consensus. */
  protected final void remember(long item, int slot, int label) {
    if (remembered != null) {
      remembered.add(item, slot, label);
    }
  }

  protected final void markRemembered() {
    if (remembered != null) {
      remembered.mark();
    }
  }

  protected final void rollbackRemembered() {
    if (remembered != null) {
      remembered.rollback();
    }
  }

  protected final void forgetRemembered(int slot) {
    if (remembered != null) {
      remembered.forgetSlot(slot);
    }
  }

  /** A copy of the remembered labels (for {@link LabelModel#copy}), or an empty one (for a snapshot). */
  protected final ItemLabelHistory remembered(boolean empty) {
    return remembered == null ? null : empty ? remembered.emptyCopy() : remembered.copy();
  }

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
