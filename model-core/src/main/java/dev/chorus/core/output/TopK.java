package dev.chorus.core.output;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;

/**
 * The {@code k} highest scores of a scan, kept in a min-heap of at most {@code k}: O(n log k) over n offers. The heap is
 * sized for the candidates the scan offers, not for {@code k}, which a caller chooses (a CLI's {@code --k}): a heap of
 * capacity {@code Integer.MAX_VALUE} was an {@link OutOfMemoryError}.
 */
final class TopK {

  /** Ascending by score, ties by descending id, so the heap's head is the first to drop and ties keep low ids. */
  private static final Comparator<Scored> WORST_FIRST =
      Comparator.comparingDouble(Scored::score).thenComparing(Scored::id, Comparator.reverseOrder());

  private final int k;
  private final PriorityQueue<Scored> heap;

  /** The top {@code k} of a scan that offers at most {@code candidates} scores. */
  TopK(int k, int candidates) {
    if (k < 1) {
      throw new IllegalArgumentException("k: expected an integer >= 1, got " + k);
    }
    this.k = k;
    this.heap = new PriorityQueue<>(Math.max(1, Math.min(k, candidates)), WORST_FIRST);
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
