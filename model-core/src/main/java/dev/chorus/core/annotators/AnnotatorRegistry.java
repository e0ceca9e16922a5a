package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * At most {@code maxAnnotators} slots {@code 0, 1, …} for annotator identifiers, with the number of labels trained
 * on per slot and when each slot's annotator was last seen, in label ticks (one per label counted), so that the
 * order is the same on every replay.
 *
 * <p>A new annotator takes the next free slot; when none is free, it takes the slot of the least recently seen
 * annotator with fewer than {@code protectedLabels} labels (the lowest slot on a tie), which is evicted: its id,
 * count and tick go, and the model resets what it kept for the slot. Annotators with at least
 * {@code protectedLabels} labels are never evicted, nor those of the minibatch being trained, so a stream of
 * invented identifiers can only churn the slots of annotators with few labels.
 */
public final class AnnotatorRegistry {

  private final int maxAnnotators;
  private final int protectedLabels;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Integer> slots = new HashMap<>();
  private final long[] labelsSeen;
  private final long[] lastSeen;
  private long tick;
  private long evictions;
  /** Slots of the minibatch being trained ({@link #begin}): not evicted by it. */
  private final boolean[] busy;
  private int[] busySlots = new int[0];
  private int busyCount;
  /**
   * Undo since the last {@link #mark}: how many slots were taken, the tick and evictions then; each label counted
   * (slot and its tick before); each eviction (slot, and the id, count and tick it had).
   */
  private int markedSize;
  private long markedTick;
  private long markedEvictions;
  private int[] counted = new int[0];
  private long[] countedTicks = new long[0];
  private int countedSize;
  private final List<String> evictedIds = new ArrayList<>();
  private int[] evictedSlots = new int[0];
  private long[] evictedCounts = new long[0];
  private long[] evictedTicks = new long[0];

  public AnnotatorRegistry(int maxAnnotators, int protectedLabels) {
    if (maxAnnotators < 1 || protectedLabels < 0) {
      throw new IllegalArgumentException("annotator registry needs maxAnnotators >= 1 and protectedLabels >= 0, got "
          + maxAnnotators + " and " + protectedLabels);
    }
    this.maxAnnotators = maxAnnotators;
    this.protectedLabels = protectedLabels;
    this.labelsSeen = new long[maxAnnotators];
    this.lastSeen = new long[maxAnnotators];
    this.busy = new boolean[maxAnnotators];
  }

  public int maxAnnotators() {
    return maxAnnotators;
  }

  /** Annotators with at least this many labels are never evicted. */
  public int protectedLabels() {
    return protectedLabels;
  }

  /** Annotators registered now. */
  public int size() {
    return ids.size();
  }

  /** Annotators evicted so far. */
  public long evictions() {
    return evictions;
  }

  /** Identifiers in slot order. */
  public List<String> ids() {
    return List.copyOf(ids);
  }

  public String id(int slot) {
    return ids.get(slot);
  }

  /** The slot of {@code id}, or -1 if it is not registered. */
  public int slotOf(String id) {
    Integer slot = slots.get(id);
    return slot == null ? -1 : slot;
  }

  public long labelsSeen(int slot) {
    return labelsSeen[slot];
  }

  /** Labels counted for {@code id}; 0 if it is not registered. */
  public long labelsSeen(String id) {
    Integer slot = slots.get(id);
    return slot == null ? 0 : labelsSeen[slot];
  }

  /** The label tick at which the annotator in {@code slot} was last counted. */
  public long lastSeen(int slot) {
    return lastSeen[slot];
  }

  /** Counts one more label for {@code slot}, which is now the most recently seen. */
  public void countLabel(int slot) {
    if (countedSize == counted.length) {
      counted = Arrays.copyOf(counted, Math.max(16, 2 * countedSize));
      countedTicks = Arrays.copyOf(countedTicks, counted.length);
    }
    counted[countedSize] = slot;
    countedTicks[countedSize++] = lastSeen[slot];
    labelsSeen[slot]++;
    lastSeen[slot] = ++tick;
  }

  /** Remembers the current registrations, counts and ticks, so that {@link #rollback} can return to them. */
  public void mark() {
    markedSize = ids.size();
    markedTick = tick;
    markedEvictions = evictions;
    countedSize = 0;
    evictedIds.clear();
  }

  /** Forgets the annotators registered, evicted and the labels counted since the last {@link #mark}. */
  public void rollback() {
    for (int i = countedSize - 1; i >= 0; i--) {
      labelsSeen[counted[i]]--;
      lastSeen[counted[i]] = countedTicks[i];
    }
    countedSize = 0;
    while (ids.size() > markedSize) {
      slots.remove(ids.remove(ids.size() - 1));
    }
    for (int i = evictedIds.size() - 1; i >= 0; i--) {
      int slot = evictedSlots[i];
      slots.remove(ids.get(slot));
      ids.set(slot, evictedIds.get(i));
      slots.put(evictedIds.get(i), slot);
      labelsSeen[slot] = evictedCounts[i];
      lastSeen[slot] = evictedTicks[i];
    }
    evictedIds.clear();
    tick = markedTick;
    evictions = markedEvictions;
  }

  /**
   * Marks ({@link #mark}) and opens a minibatch whose labels come from the first {@code n} of {@code annotators}:
   * their slots are not evicted until the next one, and it is checked, before anything changes, that the new ones
   * find a slot.
   *
   * @throws AnnotatorLimitException naming the first new annotator that would find none
   * @throws IllegalArgumentException if an identifier is null
   */
  public void begin(String[] annotators, int n) {
    mark();
    for (int i = 0; i < busyCount; i++) {
      busy[busySlots[i]] = false;
    }
    busyCount = 0;
    String refused = firstRefused(annotators, n);
    if (refused != null) {
      throw new AnnotatorLimitException(refused, maxAnnotators, protectedLabels);
    }
    for (int i = 0; i < n; i++) {
      Integer slot = slots.get(annotators[i]);
      if (slot != null && !busy[slot]) {
        hold(slot);
      }
    }
  }

  /**
   * The first of the first {@code n} of {@code annotators} that would find no slot if they came in one minibatch:
   * one new annotator too many for the free slots plus the evictable ones (fewer than {@code protectedLabels}
   * labels and not in these {@code n}); {@code null} if all fit. Changes nothing.
   *
   * @throws IllegalArgumentException if an identifier is null
   */
  public String firstRefused(String[] annotators, int n) {
    List<String> fresh = new ArrayList<>();
    Set<Integer> present = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String id = annotators[i];
      if (id == null) {
        throw new IllegalArgumentException("annotator of label " + i + " must be an identifier, got null");
      }
      Integer slot = slots.get(id);
      if (slot != null) {
        present.add(slot);
      } else if (!fresh.contains(id)) {
        fresh.add(id);
      }
    }
    int room = maxAnnotators - ids.size();
    for (int s = 0; s < ids.size() && room < fresh.size(); s++) {
      if (labelsSeen[s] < protectedLabels && !present.contains(s)) {
        room++;
      }
    }
    return room >= fresh.size() ? null : fresh.get(room);
  }

  private void hold(int slot) {
    if (busyCount == busySlots.length) {
      busySlots = Arrays.copyOf(busySlots, Math.max(16, 2 * busyCount));
    }
    busySlots[busyCount++] = slot;
    busy[slot] = true;
  }

  /**
   * The slot of {@code id}, registering it if new: in a free slot, else in the slot of the least recently seen
   * annotator that is neither protected nor in the open minibatch, which is evicted ({@link #evictions()} grows).
   *
   * @throws AnnotatorLimitException if it is new and no slot is free or evictable
   */
  public int register(String id) {
    Integer known = slots.get(id);
    if (known != null) {
      return known;
    }
    int slot;
    if (ids.size() < maxAnnotators) {
      slot = ids.size();
      ids.add(id);
    } else {
      slot = victim();
      if (slot < 0) {
        throw new AnnotatorLimitException(id, maxAnnotators, protectedLabels);
      }
      int e = evictedIds.size();
      if (e == evictedSlots.length) {
        evictedSlots = Arrays.copyOf(evictedSlots, Math.max(4, 2 * e));
        evictedCounts = Arrays.copyOf(evictedCounts, evictedSlots.length);
        evictedTicks = Arrays.copyOf(evictedTicks, evictedSlots.length);
      }
      evictedIds.add(ids.get(slot));
      evictedSlots[e] = slot;
      evictedCounts[e] = labelsSeen[slot];
      evictedTicks[e] = lastSeen[slot];
      slots.remove(ids.get(slot));
      ids.set(slot, id);
      labelsSeen[slot] = 0;
      evictions++;
    }
    slots.put(id, slot);
    lastSeen[slot] = tick;
    hold(slot);
    return slot;
  }

  /** The slot to evict: the least recently seen of those neither protected nor busy, lowest first; -1 if none. */
  private int victim() {
    int best = -1;
    for (int s = 0; s < ids.size(); s++) {
      if (labelsSeen[s] < protectedLabels && !busy[s] && (best < 0 || lastSeen[s] < lastSeen[best])) {
        best = s;
      }
    }
    return best;
  }

  public AnnotatorRegistry copy() {
    AnnotatorRegistry copy = new AnnotatorRegistry(maxAnnotators, protectedLabels);
    copy.ids.addAll(ids);
    copy.slots.putAll(slots);
    System.arraycopy(labelsSeen, 0, copy.labelsSeen, 0, maxAnnotators);
    System.arraycopy(lastSeen, 0, copy.lastSeen, 0, maxAnnotators);
    copy.tick = tick;
    copy.evictions = evictions;
    return copy;
  }

  /** Writes format 3: bounds, tick and evictions, then each slot's id, count and last tick. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(maxAnnotators);
    out.writeInt(protectedLabels);
    out.writeLong(tick);
    out.writeLong(evictions);
    out.writeInt(ids.size());
    for (int s = 0; s < ids.size(); s++) {
      BinaryState.writeString(out, ids.get(s));
      out.writeLong(labelsSeen[s]);
      out.writeLong(lastSeen[s]);
    }
  }

  /**
   * Reads what {@link #writeTo} wrote in label-model format {@code version}. Formats 1 and 2 had no ticks: the tick
   * reads as the labels counted so far and every slot as last seen at tick 0, so the lowest slot, the first registered, goes first, and
   * {@code protectedLabels} is {@link LabelModelSpec#DEFAULT_PROTECTED_LABELS}.
   */
  public static AnnotatorRegistry readFrom(DataInput in, int version) throws IOException {
    int max = in.readInt();
    if (max < 1) {
      throw new IOException("annotator registry: expected maxAnnotators >= 1, stream has " + max);
    }
    int protectedLabels = LabelModelSpec.DEFAULT_PROTECTED_LABELS;
    long tick = 0;
    long evictions = 0;
    if (version >= 3) {
      protectedLabels = in.readInt();
      tick = in.readLong();
      evictions = in.readLong();
      if (protectedLabels < 0 || tick < 0 || evictions < 0) {
        throw new IOException("annotator registry: expected non-negative protectedLabels, tick and evictions, "
            + "stream has " + protectedLabels + ", " + tick + " and " + evictions);
      }
    }
    // Every saved label model holds a confusion matrix (or averaging weight) per possible annotator after the
    // registry, so a true maxAnnotators cannot exceed what remains: this bounds the counters allocated here.
    BinaryState.requireFits(in, max, Double.BYTES,
        "annotator registry maxAnnotators (a confusion matrix of 8 bytes or more follows for each)");
    AnnotatorRegistry registry = new AnnotatorRegistry(max, protectedLabels);
    registry.tick = tick;
    registry.evictions = evictions;
    int size = in.readInt();
    if (size < 0 || size > max) {
      throw new IOException("annotator registry: expected 0.." + max + " annotators, stream has " + size);
    }
    for (int s = 0; s < size; s++) {
      String id = BinaryState.readString(in, "annotator id");
      if (registry.slots.putIfAbsent(id, s) != null) {
        throw new IOException("annotator registry: expected distinct identifiers, stream repeats \"" + id + "\"");
      }
      registry.ids.add(id);
      registry.labelsSeen[s] = in.readLong();
      if (version >= 3) {
        registry.lastSeen[s] = in.readLong();
        if (registry.lastSeen[s] < 0 || registry.lastSeen[s] > tick) {
          throw new IOException("annotator registry: expected slot " + s + " last seen at a tick in 0.." + tick
              + ", stream has " + registry.lastSeen[s]);
        }
      }
    }
    if (version < 3) {
      // Formats 1 and 2 could not evict, so every label counted so far was one tick: the clock goes on from where
      // a model trained under format 3 from the start would stand.
      for (int s = 0; s < size; s++) {
        registry.tick += registry.labelsSeen[s];
      }
    }
    return registry;
  }
}
