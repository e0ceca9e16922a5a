package dev.chorus.core.annotators;

/**
 * A label came from a new annotator when a {@link LabelModel} already tracks as many annotators as it may. The
 * model is unchanged; a streaming job routes the offending minibatch to its dead-letter output.
 */
public final class AnnotatorLimitException extends IllegalStateException {

  public AnnotatorLimitException(String annotator, int maxAnnotators) {
    super("annotator \"" + annotator + "\" is new but the label model already tracks its maximum of " + maxAnnotators
        + " annotators");
  }
}
