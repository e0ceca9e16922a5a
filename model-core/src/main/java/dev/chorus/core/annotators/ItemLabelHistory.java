package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The labels seen so far per item, as (annotator slot, class) pairs, bounded three ways: at most
 * {@code maxItems} items (the least recently labelled is evicted first), an item not labelled for more than
 * {@code maxAge} label events is evicted, and an item keeps only its last {@code maxLabelsPerItem} labels. An
 * evicted item that is labelled again starts afresh, so its new label is used alone. Evictions are counted.
 */
public final class ItemLabelHistory {

  private final int maxItems;
  private final long maxAge;
  private final int maxLabelsPerItem;
  /** In order of last labelling, oldest first. */
  private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>();
  private long tick;
  private long evictions;

  private static final class Entry {
    int[] slots;
    int[] labels;
    int size;
    long lastTick;

    Entry(int capacity) {
      slots = new int[capacity];
      labels = new int[capacity];
    }

    void growTo(int capacity) {
      slots = Arrays.copyOf(slots, capacity);
      labels = Arrays.copyOf(labels, capacity);
    }
  }

  /** @throws IllegalArgumentException if a bound is below 1 */
  public ItemLabelHistory(int maxItems, long maxAge, int maxLabelsPerItem) {
    if (maxItems < 1 || maxAge < 1 || maxLabelsPerItem < 1) {
      throw new IllegalArgumentException("item label history bounds must be >= 1, got maxItems=" + maxItems
          + ", maxAge=" + maxAge + ", maxLabelsPerItem=" + maxLabelsPerItem);
    }
    this.maxItems = maxItems;
    this.maxAge = maxAge;
    this.maxLabelsPerItem = maxLabelsPerItem;
  }

  public int maxItems() {
    return maxItems;
  }

  public long maxAge() {
    return maxAge;
  }

  public int maxLabelsPerItem() {
    return maxLabelsPerItem;
  }

  /** Items currently remembered. */
  public int size() {
    return entries.size();
  }

  /** Items forgotten so far, for being too old or crowded out. */
  public long evictions() {
    return evictions;
  }

  /**
   * Records that annotator {@code slot} labelled {@code item} as {@code label}, evicting what the bounds
   * require, and returns how many labels the item now has.
   */
  public int add(long item, int slot, int label) {
    tick++;
    // Removed and put back, so that the map stays in order of last labelling.
    Entry entry = entries.remove(item);
    if (entry != null && tick - entry.lastTick > maxAge) {
      evictions++;
      entry = null;
    }
    if (entry == null) {
      entry = new Entry(maxLabelsPerItem);
    }
    entries.put(item, entry);
    if (entry.size == entry.slots.length && entry.size < maxLabelsPerItem) {
      entry.growTo(maxLabelsPerItem);
    }
    if (entry.size == maxLabelsPerItem) {
      System.arraycopy(entry.slots, 1, entry.slots, 0, maxLabelsPerItem - 1);
      System.arraycopy(entry.labels, 1, entry.labels, 0, maxLabelsPerItem - 1);
      entry.size--;
    }
    entry.slots[entry.size] = slot;
    entry.labels[entry.size] = label;
    entry.size++;
    entry.lastTick = tick;
    Iterator<Map.Entry<Long, Entry>> oldest = entries.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<Long, Entry> head = oldest.next();
      if (entries.size() <= maxItems && tick - head.getValue().lastTick <= maxAge) {
        break;
      }
      oldest.remove();
      evictions++;
    }
    return entry.size;
  }

  /**
   * Copies the labels remembered for {@code item}, oldest first, into {@code slots} and {@code labels} (each
   * of length at least {@link #maxLabelsPerItem()}) and returns their number; 0 for an unknown item. Does not
   * count as labelling the item.
   */
  public int labels(long item, int[] slots, int[] labels) {
    Entry entry = entries.get(item);
    if (entry == null) {
      return 0;
    }
    System.arraycopy(entry.slots, 0, slots, 0, entry.size);
    System.arraycopy(entry.labels, 0, labels, 0, entry.size);
    return entry.size;
  }

  /** A history with the same bounds that remembers nothing and has evicted nothing. */
  public ItemLabelHistory emptyCopy() {
    return new ItemLabelHistory(maxItems, maxAge, maxLabelsPerItem);
  }

  public ItemLabelHistory copy() {
    ItemLabelHistory copy = new ItemLabelHistory(maxItems, maxAge, maxLabelsPerItem);
    for (Map.Entry<Long, Entry> e : entries.entrySet()) {
      Entry source = e.getValue();
      Entry target = new Entry(maxLabelsPerItem);
      System.arraycopy(source.slots, 0, target.slots, 0, source.size);
      System.arraycopy(source.labels, 0, target.labels, 0, source.size);
      target.size = source.size;
      target.lastTick = source.lastTick;
      copy.entries.put(e.getKey(), target);
    }
    copy.tick = tick;
    copy.evictions = evictions;
    return copy;
  }

  /** Writes the bounds, counters and items in eviction order, so that {@link #readFrom} continues exactly. */
  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(maxItems);
    out.writeLong(maxAge);
    out.writeInt(maxLabelsPerItem);
    out.writeLong(tick);
    out.writeLong(evictions);
    out.writeInt(entries.size());
    for (Map.Entry<Long, Entry> e : entries.entrySet()) {
      Entry entry = e.getValue();
      out.writeLong(e.getKey());
      out.writeLong(entry.lastTick);
      out.writeInt(entry.size);
      for (int i = 0; i < entry.size; i++) {
        out.writeInt(entry.slots[i]);
        out.writeInt(entry.labels[i]);
      }
    }
  }

  public static ItemLabelHistory readFrom(DataInput in) throws IOException {
    int maxItems = in.readInt();
    long maxAge = in.readLong();
    int maxLabels = in.readInt();
    if (maxItems < 1 || maxAge < 1 || maxLabels < 1) {
      throw new IOException("item label history: expected bounds >= 1, stream has maxItems=" + maxItems
          + ", maxAge=" + maxAge + ", maxLabelsPerItem=" + maxLabels);
    }
    ItemLabelHistory history = new ItemLabelHistory(maxItems, maxAge, maxLabels);
    history.tick = in.readLong();
    history.evictions = in.readLong();
    int size = in.readInt();
    if (size < 0 || size > maxItems) {
      throw new IOException("item label history: expected 0.." + maxItems + " items, stream has " + size);
    }
    for (int n = 0; n < size; n++) {
      long item = in.readLong();
      long lastTick = in.readLong();
      int labels = in.readInt();
      if (labels < 1 || labels > maxLabels) {
        throw new IOException("item label history: expected 1.." + maxLabels + " labels for item " + item
            + ", stream has " + labels);
      }
      // Room for the labels the item has, not for its bound, which add() grows to: a read item costs what
      // its bytes hold, however large a bound the stream declares.
      BinaryState.requireFits(in, labels, 2 * Integer.BYTES, "item label history labels of item " + item);
      Entry entry = new Entry(labels);
      entry.lastTick = lastTick;
      entry.size = labels;
      for (int i = 0; i < entry.size; i++) {
        entry.slots[i] = in.readInt();
        entry.labels[i] = in.readInt();
      }
      history.entries.put(item, entry);
    }
    return history;
  }
}
