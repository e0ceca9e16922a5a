package dev.chorus.core.annotators;

/**
 * A label came from a new annotator when every slot of a {@link LabelModel} is held by an annotator that may not be
 * evicted: one with at least {@code protectedLabels} labels, or one of the same minibatch. The model is unchanged; a
 * streaming job routes the offending minibatch to its dead-letter output.
 */
public final class AnnotatorLimitException extends IllegalStateException {

  public AnnotatorLimitException(String annotator, int maxAnnotators, int protectedLabels) {
    super("annotator \"" + annotator + "\" is new but all " + maxAnnotators + " slots of the label model are held "
        + "by annotators with at least protectedLabels=" + protectedLabels + " labels or by the same minibatch");
  }
}
