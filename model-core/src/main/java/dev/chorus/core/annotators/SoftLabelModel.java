package dev.chorus.core.annotators;

import dev.chorus.core.model.LabelModelSpec;
import dev.chorus.core.model.ModelSpec;
import java.util.Arrays;

/**
 * {@code soft}: each label event trains the classifier on the distribution of the labels remembered for its
 * item. Confusions are estimated against the classifier's soft prediction.
 */
public final class SoftLabelModel extends ClassifierLabelModel {

  public static final String NAME = "soft";

  public SoftLabelModel(ModelSpec spec, LabelModelSpec config) {
    super(freshParts(spec, config));
  }

  SoftLabelModel(Parts parts) {
    super(parts);
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  protected void target(float[] predicted, int label, int count, int[] slots, int[] labels, float[] target) {
    distribution(labels, count, target);
  }

  /**
   * The empirical distribution of {@code labels[0 .. count)} into {@code target}, each entry votes / count so
   * that no entry exceeds 1 by rounding.
   */
  public static void distribution(int[] labels, int count, float[] target) {
    Arrays.fill(target, 0f);
    for (int i = 0; i < count; i++) {
      target[labels[i]]++;
    }
    for (int c = 0; c < target.length; c++) {
      target[c] /= count;
    }
  }

  @Override
  public SoftLabelModel copy() {
    return new SoftLabelModel(copyParts());
  }
}
