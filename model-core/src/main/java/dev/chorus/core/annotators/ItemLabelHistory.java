package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.model.LabelModelSpec;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The labels seen so far per item, as (annotator slot, class) pairs, bounded three ways: at most
 * {@code maxItems} items (the least recently labelled is evicted first), an item not labelled for more than
 * {@code maxAge} label events is evicted, and an item keeps only its last {@code maxLabelsPerItem} labels. An
 * item keeps one label per annotator: a relabel replaces the annotator's earlier one. An evicted item that is
 * labelled again starts afresh, so its new label is used alone. Evictions are counted.
 *
 * <p>Which items hold a label of each annotator slot is indexed in memory ({@link SlotIndex}, never saved: built from
 * the items when first needed), so that forgetting an evicted annotator's labels visits its items alone, not the
 * whole history: a stream of invented one-label annotators, each evicting another, costs what their labels cost.
 */
public final class ItemLabelHistory {

  private final int maxItems;
  private final long maxAge;
  private final int maxLabelsPerItem;
  /** In order of last labelling, oldest first. */
  private final LinkedHashMap<Long, Entry> entries = new LinkedHashMap<>();
  private long tick;
  private long evictions;
  /**
   * Undo since the last {@link #mark}: the tick and evictions then, and every entry of then that has left the map
   * since (evicted, or replaced by a copy before its first change), with its item; a copy that {@link #forgetSlot}
   * made keeps the entry's tick, so an item may be kept twice, the entry of then first. Entries of then keep
   * {@code lastTick <= markedTick}; those added or copied since have a later one.
   */
  private long markedTick = -1;
  private long markedEvictions;
  private long[] keptItems = new long[0];
  private Entry[] keptEntries = new Entry[0];
  private int keptCount;
  /** The items of each slot, or null until {@link #forgetSlot} needs it (and again after {@link #rollback}). */
  private SlotIndex index;
  /** Items {@link #forgetSlot} has visited through the index, and lists compacted, which tests read; not saved. */
  private long forgetVisits;
  private long compactions;

  private static final class Entry {
    int[] slots;
    int[] labels;
    int size;
    long lastTick;

    Entry(int capacity) {
      slots = new int[capacity];
      labels = new int[capacity];
    }

    Entry copy() {
      Entry copy = new Entry(slots.length);
      System.arraycopy(slots, 0, copy.slots, 0, size);
      System.arraycopy(labels, 0, copy.labels, 0, size);
      copy.size = size;
      copy.lastTick = lastTick;
      return copy;
    }

    /** Where {@code slot}'s label is, or -1. */
    int indexOf(int slot) {
      for (int i = 0; i < size; i++) {
        if (slots[i] == slot) {
          return i;
        }
      }
      return -1;
    }

    void growTo(int capacity) {
      slots = Arrays.copyOf(slots, capacity);
      labels = Arrays.copyOf(labels, capacity);
    }
  }

  /** A history bounded as {@code spec} says. */
  static ItemLabelHistory bounded(LabelModelSpec spec) {
    return new ItemLabelHistory(spec.historyItems(), spec.historyMaxAge(), spec.maxLabelsPerItem());
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

  /** Items {@link #forgetSlot} has visited through its index (not counting a build of the index), for tests. */
  long forgetVisits() {
    return forgetVisits;
  }

  /** Slot lists compacted so far, for tests; not saved. */
  long compactions() {
    return compactions;
  }

  /** Items forgotten so far, for being too old or crowded out. */
  public long evictions() {
    return evictions;
  }

  /**
   * Records that annotator {@code slot} labelled {@code item} as {@code label}, replacing the slot's earlier label
   * of the item, evicting what the bounds require, and returns how many labels the item now has.
   */
  public int add(long item, int slot, int label) {
    tick++;
    // Removed and put back, so that the map stays in order of last labelling.
    Entry entry = entries.remove(item);
    if (entry != null && tick - entry.lastTick > maxAge) {
      evictions++;
      keep(item, entry);
      unindex(entry);
      entry = null;
    }
    if (entry == null) {
      entry = new Entry(maxLabelsPerItem);
    } else if (entry.lastTick <= markedTick) {
      keep(item, entry);
      entry = entry.copy();
    }
    entries.put(item, entry);
    // One label per (item, annotator): a relabel replaces the annotator's earlier label, and goes last as the newest.
    int earlier = 0;
    while (earlier < entry.size && entry.slots[earlier] != slot) {
      earlier++;
    }
    boolean relabel = earlier < entry.size;
    if (relabel) {
      System.arraycopy(entry.slots, earlier + 1, entry.slots, earlier, entry.size - earlier - 1);
      System.arraycopy(entry.labels, earlier + 1, entry.labels, earlier, entry.size - earlier - 1);
      entry.size--;
    }
    if (entry.size == entry.slots.length && entry.size < maxLabelsPerItem) {
      entry.growTo(maxLabelsPerItem);
    }
    if (entry.size == maxLabelsPerItem) {
      if (index != null) {
        index.removed(entry.slots[0]);
      }
      System.arraycopy(entry.slots, 1, entry.slots, 0, maxLabelsPerItem - 1);
      System.arraycopy(entry.labels, 1, entry.labels, 0, maxLabelsPerItem - 1);
      entry.size--;
    }
    entry.slots[entry.size] = slot;
    entry.labels[entry.size] = label;
    entry.size++;
    entry.lastTick = tick;
    if (index != null && !relabel) {
      // A relabel keeps the slot's label of the item, whose index entry stands.
      index.added(slot, item);
    }
    Iterator<Map.Entry<Long, Entry>> oldest = entries.entrySet().iterator();
    while (oldest.hasNext()) {
      Map.Entry<Long, Entry> head = oldest.next();
      if (entries.size() <= maxItems && tick - head.getValue().lastTick <= maxAge) {
        break;
      }
      oldest.remove();
      evictions++;
      keep(head.getKey(), head.getValue());
      unindex(head.getValue());
    }
    return entry.size;
  }

  /**
   * Whether {@link #add add(item, slot, label)} now would find that label already remembered: the item's entry is
   * not too old to be kept and holds annotator {@code slot}'s label {@code label}. Changes nothing.
   */
  public boolean remembers(long item, int slot, int label) {
    return labelOf(item, slot) == label;
  }

  /**
   * The label of annotator {@code slot} for {@code item} that {@link #add} would now find and replace, or -1: none, or
   * the item's entry is too old to be kept. Changes nothing.
   */
  public int labelOf(long item, int slot) {
    Entry entry = entries.get(item);
    if (entry == null || tick + 1 - entry.lastTick > maxAge) {
      return -1;
    }
    for (int i = 0; i < entry.size; i++) {
      if (entry.slots[i] == slot) {
        return entry.labels[i];
      }
    }
    return -1;
  }

  /**
   * Drops every label of annotator {@code slot} from every item, and the items left without a label: the slot's
   * annotator was evicted, and its labels must not be credited to the slot's next annotator. Visits the items the
   * slot labelled ({@link SlotIndex}; the first call after a restore, a copy or a rollback builds the index in one
   * pass over the history).
   */
  public void forgetSlot(int slot) {
    if (index == null) {
      index = new SlotIndex();
    }
    long[] items = index.take(slot);
    forgetVisits += items.length;
    for (long item : items) {
      Entry entry = entries.get(item);
      int at = entry == null ? -1 : entry.indexOf(slot);
      if (at < 0) {
        continue; // the label went since (replaced, crowded out, evicted with its item), or the item is listed twice
      }
      if (entry.lastTick <= markedTick) {
        keep(item, entry);
        entry = entry.copy();
        // Put back in place: the map keeps its order of last labelling.
        entries.put(item, entry);
      }
      System.arraycopy(entry.slots, at + 1, entry.slots, at, entry.size - at - 1);
      System.arraycopy(entry.labels, at + 1, entry.labels, at, entry.size - at - 1);
      entry.size--;
      if (entry.size == 0) {
        entries.remove(item);
      }
    }
  }

  /** Counts {@code entry}'s labels out of the index, if built: the entry left the history. */
  private void unindex(Entry entry) {
    if (index != null) {
      for (int i = 0; i < entry.size; i++) {
        index.removed(entry.slots[i]);
      }
    }
  }

  /**
   * Per annotator slot, the items that hold a label of it: an append-only list that may also name items that no
   * longer do (their label replaced by the slot's relabel is not listed twice, but one crowded out, or evicted with
   * its item, stays listed until the list is next compacted), and the number of labels the slot has in the history.
   * A list longer than twice that number, plus 16, is compacted, so its length stays within a constant factor of the
   * slot's labels and each label costs O(1) amortised.
   */
  private final class SlotIndex {
    private long[][] items = new long[0][];
    private int[] listed = new int[0];
    private int[] labels = new int[0];

    SlotIndex() {
      for (Map.Entry<Long, Entry> e : entries.entrySet()) {
        Entry entry = e.getValue();
        for (int i = 0; i < entry.size; i++) {
          added(entry.slots[i], e.getKey());
        }
      }
    }

    void added(int slot, long item) {
      if (slot < 0) {
        return; // only in a history read from bytes that its model then refuses (firstInvalid)
      }
      if (slot >= items.length) {
        int length = Math.max(slot + 1, 2 * items.length);
        items = Arrays.copyOf(items, length);
        listed = Arrays.copyOf(listed, length);
        labels = Arrays.copyOf(labels, length);
      }
      labels[slot]++;
      if (items[slot] == null) {
        items[slot] = new long[4];
      } else if (listed[slot] == items[slot].length) {
        if (listed[slot] > 2 * labels[slot] + 16) {
          compact(slot);
        }
        if (listed[slot] == items[slot].length) {
          items[slot] = Arrays.copyOf(items[slot], 2 * listed[slot]);
        }
      }
      items[slot][listed[slot]++] = item;
    }

    void removed(int slot) {
      if (slot >= 0 && slot < labels.length) {
        labels[slot]--;
      }
    }

    /** The items listed for {@code slot}, which then has none. */
    long[] take(int slot) {
      if (slot < 0 || slot >= items.length || items[slot] == null) {
        return new long[0];
      }
      long[] taken = Arrays.copyOf(items[slot], listed[slot]);
      items[slot] = null;
      listed[slot] = 0;
      labels[slot] = 0;
      return taken;
    }

    /** Keeps, once each, the listed items that still hold a label of {@code slot}. */
    private void compact(int slot) {
      compactions++;
      long[] list = items[slot];
      Set<Long> seen = new HashSet<>();
      int to = 0;
      for (int i = 0; i < listed[slot]; i++) {
        Entry entry = entries.get(list[i]);
        if (entry != null && entry.indexOf(slot) >= 0 && seen.add(list[i])) {
          list[to++] = list[i];
        }
      }
      listed[slot] = to;
    }
  }

  /** Keeps {@code entry} for {@link #rollback} if it is one of the last {@link #mark}'s. */
  private void keep(long item, Entry entry) {
    if (entry.lastTick > markedTick) {
      return;
    }
    if (keptCount == keptItems.length) {
      keptItems = Arrays.copyOf(keptItems, Math.max(16, 2 * keptCount));
      keptEntries = Arrays.copyOf(keptEntries, keptItems.length);
    }
    keptItems[keptCount] = item;
    keptEntries[keptCount++] = entry;
  }

  /** Remembers the history as it is, so that {@link #rollback} can return to it; costs O(1) here. */
  public void mark() {
    Arrays.fill(keptEntries, 0, keptCount, null);
    keptCount = 0;
    markedTick = tick;
    markedEvictions = evictions;
  }

  /**
   * Returns the history to what it was at the last {@link #mark}, evictions and eviction order included: entries
   * added since go, and those of then come back; the map is rebuilt in order of last labelling, which is the order
   * of {@code lastTick}.
   */
  public void rollback() {
    entries.values().removeIf(entry -> entry.lastTick > markedTick);
    for (int i = 0; i < keptCount; i++) {
      // A copy that {@link #forgetSlot} changed in place of a kept entry keeps its tick: it goes here.
      entries.remove(keptItems[i]);
    }
    if (keptCount > 0) {
      List<Map.Entry<Long, Entry>> all = new ArrayList<>(entries.size() + keptCount);
      for (Map.Entry<Long, Entry> e : entries.entrySet()) {
        all.add(Map.entry(e.getKey(), e.getValue()));
      }
      Set<Long> restored = new HashSet<>();
      for (int i = 0; i < keptCount; i++) {
        // An item's first kept entry is the one of then; a later one is a copy that {@link #forgetSlot} made.
        if (restored.add(keptItems[i])) {
          all.add(Map.entry(keptItems[i], keptEntries[i]));
        }
      }
      all.sort(Comparator.comparingLong(e -> e.getValue().lastTick));
      entries.clear();
      for (Map.Entry<Long, Entry> e : all) {
        entries.put(e.getKey(), e.getValue());
      }
    }
    tick = markedTick;
    evictions = markedEvictions;
    index = null;
    mark();
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
      if (history.entries.put(item, entry) != null) {
        throw new IOException("item label history: expected each item once, stream has item " + item + " twice");
      }
    }
    return history;
  }

  /**
   * What in this history a label model of {@code numClasses} classes whose registry holds slots {@code [0, slots)}
   * could not read (a slot or a label out of range, a slot twice for one item), or null: a history read from bytes
   * is checked against the model it came with, whose E-step indexes confusions by both and whose consensus names
   * each label's annotator.
   */
  public String firstInvalid(int numClasses, int slots) {
    for (Map.Entry<Long, Entry> e : entries.entrySet()) {
      Entry entry = e.getValue();
      for (int i = 0; i < entry.size; i++) {
        int slot = entry.slots[i];
        int label = entry.labels[i];
        if (slot < 0 || slot >= slots) {
          return "item " + e.getKey() + ": expected annotator slots in [0, " + slots + "), got " + slot;
        }
        if (label < 0 || label >= numClasses) {
          return "item " + e.getKey() + ": expected labels in [0, " + numClasses + "), got " + label;
        }
        for (int j = 0; j < i; j++) {
          if (entry.slots[j] == slot) {
            return "item " + e.getKey() + ": expected one label per annotator slot, got slot " + slot + " twice";
          }
        }
      }
    }
    return null;
  }
}
