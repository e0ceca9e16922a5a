package dev.chorus.core.annotators;

import dev.chorus.core.testing.GaussianBlobs;

/** Feeds a simulated label stream over Gaussian blobs to a label model, as the train job would, in minibatches. */
final class LabelEvents {

  private LabelEvents() {}

  /** Trains {@code model} on events {@code [from, to)} of {@code stream}, {@code batch} events per call. */
  static void train(LabelModel model, GaussianBlobs data, AnnotatorPool pool, LabelStream stream, int from, int to,
      int batch) {
    int dim = data.dim();
    float[] x = new float[batch * dim];
    long[] items = new long[batch];
    String[] annotators = new String[batch];
    int[] labels = new int[batch];
    for (int start = from; start < to; start += batch) {
      int n = Math.min(batch, to - start);
      for (int e = 0; e < n; e++) {
        int item = stream.items()[start + e];
        System.arraycopy(data.x(), item * dim, x, e * dim, dim);
        items[e] = item;
        annotators[e] = pool.get(stream.annotators()[start + e]).id();
        labels[e] = stream.labels()[start + e];
      }
      model.train(x, items, annotators, labels, n);
    }
  }
}
