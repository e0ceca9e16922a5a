package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;

/**
 * {@code naive}: every label trains the classifier as given, whoever gave it. Confusions are estimated against the classifier's soft prediction.
 */
public final class NaiveLabelModel extends ClassifierLabelModel {

  public static final String NAME = "naive";

  public NaiveLabelModel(ModelSpec spec, LabelModelSpec config) {
    super(freshParts(spec, config, false));
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
