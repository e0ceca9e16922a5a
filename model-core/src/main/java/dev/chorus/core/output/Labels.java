package dev.chorus.core.output;

/** The check every output layer runs on a minibatch's labels before it changes any state. */
final class Labels {

  private Labels() {}

  /** @throws IllegalArgumentException naming the first of {@code labels[0..rows)} outside [0, classes) */
  static void requireClasses(int[] labels, int rows, int classes) {
    for (int i = 0; i < rows; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("labels[" + i + "]: expected a class in [0, " + classes + "), got "
            + labels[i]);
      }
    }
  }
}
