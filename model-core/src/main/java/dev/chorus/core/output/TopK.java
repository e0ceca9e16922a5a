package dev.chorus.core.output;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/** The {@code k} highest scores of a scan, kept in a min-heap of size {@code k}: O(n log k) over n offers. */
final class TopK {

  /** Ascending by score, ties by descending id, so the heap's head is the first to drop and ties keep low ids. */
  private static final Comparator<Scored> WORST_FIRST =
      Comparator.comparingDouble(Scored::score).thenComparing(Scored::id, Comparator.reverseOrder());

  private final int k;
  private final PriorityQueue<Scored> heap;

  TopK(int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k: expected an integer >= 1, got " + k);
    }
    this.k = k;
    this.heap = new PriorityQueue<>(k, WORST_FIRST);
  }

  void offer(int id, double score) {
    if (heap.size() < k) {
      heap.add(new Scored(id, score));
    } else if (score > heap.peek().score()) {
      heap.poll();
      heap.add(new Scored(id, score));
    }
  }

  /** The scores kept, highest first. */
  List<Scored> result() {
    List<Scored> result = new ArrayList<>(heap);
    result.sort(WORST_FIRST.reversed());
    return result;
  }
}
