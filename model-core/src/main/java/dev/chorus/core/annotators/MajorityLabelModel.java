package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;

/**
 * {@code majority}: each label event trains the classifier on the mode of the labels remembered for its item
 * (ties go to the tied class labelled most recently). Confusions are estimated against the classifier's
 * soft prediction.
 */
public final class MajorityLabelModel extends ClassifierLabelModel {

  public static final String NAME = "majority";

  public MajorityLabelModel(ModelSpec spec, LabelModelSpec config) {
    super(freshParts(spec, config));
  }

  MajorityLabelModel(Parts parts) {
    super(parts);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected void target(float[] predicted, int label, int count, int[] slots, int[] labels, float[] target) {
    oneHot(mode(labels, count, target.length), target);
  }

  /** The most frequent of {@code labels[0 .. count)}; among tied classes, the one whose latest label is latest. */
  public static int mode(int[] labels, int count, int numClasses) {
    int[] votes = new int[numClasses];
    int best = labels[count - 1];
    for (int i = 0; i < count; i++) {
      votes[labels[i]]++;
    }
    for (int i = count - 1; i >= 0; i--) {
      if (votes[labels[i]] > votes[best]) {
        best = labels[i];
      }
    }
    return best;
  }

  @Override
  public MajorityLabelModel copy() {
    return new MajorityLabelModel(copyParts());
  }
}
