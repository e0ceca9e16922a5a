package dev.chorus.core.output;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.random.SplitMix64;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * word2vec's noise distribution over a stream: bucket b is drawn with probability proportional to
 * {@code count_b^0.75}, the counts being those the stream has shown so far. The cumulative table is rebuilt from the
 * counts every {@code max(4096, buckets/8)} tokens (so rebuilding costs at most 8 operations per bucket per token
 * amortised) and a draw is a binary search in it, O(log buckets). Its whole state is saved, table included, so a
 * restored sampler draws exactly what the original would. A sequence's observations can be taken back
 * ({@link #mark}, {@link #rollBack}): a rebuild after the mark first copies the table it replaces.
 */
final class UnigramSampler {

  private static final double POWER = 0.75;

  private final double[] counts;
  private final double[] cumulative;
  private final int rebuildEvery;
  private long total;
  private long sinceRebuild;
  private boolean built;
  /** The state at the last {@link #mark}; the table then, once a rebuild has replaced it. */
  private long markedTotal;
  private long markedSinceRebuild;
  private boolean markedBuilt;
  private boolean rebuiltSinceMark;
  private double[] markedCumulative;

  UnigramSampler(int buckets) {
    counts = new double[buckets];
    cumulative = new double[buckets];
    rebuildEvery = Math.max(4096, buckets / 8);
  }

  void observe(int bucket) {
    counts[bucket]++;
    total++;
    if (++sinceRebuild >= rebuildEvery || !built) {
      rebuild();
    }
  }

  double count(int bucket) {
    return counts[bucket];
  }

  long total() {
    return total;
  }

  /** A bucket drawn from the table; only called after at least one {@link #observe}. */
  int sample(SplitMix64 random) {
    double u = random.nextDouble() * cumulative[cumulative.length - 1];
    // The first bucket whose cumulative weight exceeds u, which is never one of weight 0.
    int low = 0;
    int high = cumulative.length - 1;
    while (low < high) {
      int middle = (low + high) >>> 1;
      if (cumulative[middle] > u) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    return low;
  }

  /** Remembers the state to go back to ({@link #rollBack}): before a sequence's observations. */
  void mark() {
    markedTotal = total;
    markedSinceRebuild = sinceRebuild;
    markedBuilt = built;
    rebuiltSinceMark = false;
  }

  /** Takes back {@code observed}, every bucket observed since the last {@link #mark}: the state is as it was then. */
  void rollBack(int[] observed) {
    for (int bucket : observed) {
      counts[bucket]--;
    }
    total = markedTotal;
    sinceRebuild = markedSinceRebuild;
    built = markedBuilt;
    if (rebuiltSinceMark) {
      System.arraycopy(markedCumulative, 0, cumulative, 0, cumulative.length);
      rebuiltSinceMark = false;
    }
  }

  private void rebuild() {
    if (!rebuiltSinceMark) {
      if (markedCumulative == null) {
        markedCumulative = new double[cumulative.length];
      }
      System.arraycopy(cumulative, 0, markedCumulative, 0, cumulative.length);
      rebuiltSinceMark = true;
    }
    double sum = 0;
    for (int b = 0; b < counts.length; b++) {
      sum += counts[b] == 0 ? 0 : Math.pow(counts[b], POWER);
      cumulative[b] = sum;
    }
    sinceRebuild = 0;
    built = true;
  }

  void writeState(DataOutput out) throws IOException {
    out.writeLong(total);
    out.writeLong(sinceRebuild);
    out.writeBoolean(built);
    BinaryState.writeDoubles(out, counts);
    BinaryState.writeDoubles(out, cumulative);
  }

  void readState(DataInput in) throws IOException {
    total = in.readLong();
    sinceRebuild = in.readLong();
    built = in.readBoolean();
    BinaryState.readDoubles(in, counts, "SkipGram counts");
    BinaryState.readDoubles(in, cumulative, "SkipGram noise table");
  }
}
