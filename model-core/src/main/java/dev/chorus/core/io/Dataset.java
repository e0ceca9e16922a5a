package dev.chorus.core.io;

/**
 * Examples read into memory: {@link #rows()} examples of {@link #dim()} float features, each with a label.
 * Labels are doubles so that one type holds class indices, ±1 binary labels and regression targets;
 * {@link #classLabels()} checks and converts them for classification. {@link #source()} names where the
 * data came from (a file path), for messages.
 */
public sealed interface Dataset permits DenseDataset, SparseDataset {

  String source();

  int rows();

  int dim();

  /** One label per row; the array itself, not a copy. */
  double[] labels();

  /** The same examples with every feature stored (absent sparse features become 0). */
  DenseDataset toDense();

  /**
   * The labels as class indices.
   *
   * @throws IllegalArgumentException naming the first row whose label is not an integer in {@code [0, 2³¹)}
   */
  default int[] classLabels() {
    double[] labels = labels();
    int[] classes = new int[labels.length];
    for (int i = 0; i < labels.length; i++) {
      double label = labels[i];
      if (!(label >= 0 && label <= Integer.MAX_VALUE) || label != Math.rint(label)) {
        throw new IllegalArgumentException(source() + ": label of row " + i + " is " + label
            + "; expected a class index (an integer >= 0)");
      }
      classes[i] = (int) label;
    }
    return classes;
  }
}
