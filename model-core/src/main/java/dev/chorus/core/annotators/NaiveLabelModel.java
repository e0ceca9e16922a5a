package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;

/**
 * {@code naive}: every label trains the classifier as given, whoever gave it. Confusions are estimated against the classifier's soft prediction.
 * Its training ignores an item's earlier labels, but it remembers them all the same (an {@link ItemLabelHistory}), so
 * that a naive task publishes each item's consensus like every other method built on one classifier; a model saved
 * without a history reads back without one.
 */
public final class NaiveLabelModel extends ClassifierLabelModel {

  public static final String NAME = "naive";

  public NaiveLabelModel(ModelSpec spec, LabelModelSpec config) {
    super(freshParts(spec, config));
  }

  NaiveLabelModel(Parts parts) {
    super(parts);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected void target(float[] predicted, int label, int count, int[] slots, int[] labels, float[] target) {
    oneHot(label, target);
  }

  @Override
  public NaiveLabelModel copy() {
    return new NaiveLabelModel(copyParts());
  }
}
