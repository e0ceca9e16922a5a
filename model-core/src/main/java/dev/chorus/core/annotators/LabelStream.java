package dev.chorus.core.annotators;

/**
 * Simulated label events in stream order: event {@code e} says annotator {@code annotators[e]} (an index into
 * its {@link AnnotatorPool}) labelled item {@code items[e]} (an index into the data set) as {@code labels[e]}.
 */
public record LabelStream(int[] items, int[] annotators, int[] labels) {

  /** Checks that the three arrays have one entry per event. */
  public LabelStream {
    if (items.length != annotators.length || items.length != labels.length) {
      throw new IllegalArgumentException("label stream arrays must have equal lengths, got items=" + items.length
          + ", annotators=" + annotators.length + ", labels=" + labels.length);
    }
  }

  /** Number of label events. */
  public int size() {
    return items.length;
  }
}
