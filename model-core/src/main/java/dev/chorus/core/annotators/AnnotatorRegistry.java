package dev.chorus.core.annotators;

import dev.chorus.core.io.BinaryState;
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
 * Dense slots {@code 0, 1, …} for annotator identifiers in order of first appearance, at most
 * {@code maxAnnotators}, with the number of labels trained on per slot.
 */
public final class AnnotatorRegistry {

  private final int maxAnnotators;
  private final List<String> ids = new ArrayList<>();
  private final Map<String, Integer> slots = new HashMap<>();
  private final long[] labelsSeen;
  /** Since the last {@link #mark}: how many annotators there were, and the slot of each label counted. */
  private int markedSize;
  private int[] counted = new int[0];
  private int countedSize;

  public AnnotatorRegistry(int maxAnnotators) {
    if (maxAnnotators < 1) {
      throw new IllegalArgumentException("maxAnnotators must be >= 1, got " + maxAnnotators);
    }
    this.maxAnnotators = maxAnnotators;
    this.labelsSeen = new long[maxAnnotators];
  }

  public int maxAnnotators() {
    return maxAnnotators;
  }

  /** Annotators registered so far. */
  public int size() {
    return ids.size();
  }

  /** Identifiers in slot order. */
  public List<String> ids() {
    return List.copyOf(ids);
  }

  public String id(int slot) {
    return ids.get(slot);
  }

  /** The slot of {@code id}, or -1 if it has not been registered. */
  public int slotOf(String id) {
    Integer slot = slots.get(id);
    return slot == null ? -1 : slot;
  }

  public long labelsSeen(int slot) {
    return labelsSeen[slot];
  }

  /** Labels counted for {@code id}; 0 if it has not been registered. */
  public long labelsSeen(String id) {
    Integer slot = slots.get(id);
    return slot == null ? 0 : labelsSeen[slot];
  }

  /** Counts one more label for {@code slot}. */
  public void countLabel(int slot) {
    labelsSeen[slot]++;
    if (countedSize == counted.length) {
      counted = Arrays.copyOf(counted, Math.max(16, 2 * countedSize));
    }
    counted[countedSize++] = slot;
  }

  /** Remembers the current registrations and counts, so that {@link #rollback} can return to them. */
  public void mark() {
    markedSize = ids.size();
    countedSize = 0;
  }

  /** Forgets the annotators registered and the labels counted since the last {@link #mark}. */
  public void rollback() {
    for (int i = 0; i < countedSize; i++) {
      labelsSeen[counted[i]]--;
    }
    countedSize = 0;
    while (ids.size() > markedSize) {
      slots.remove(ids.remove(ids.size() - 1));
    }
  }

  /**
   * Checks that registering the first {@code n} of {@code annotators} stays within the bound, before anything
   * changes.
   *
   * @throws AnnotatorLimitException naming the first annotator past the bound
   * @throws IllegalArgumentException if an identifier is null
   */
  public void checkCapacity(String[] annotators, int n) {
    Set<String> fresh = new HashSet<>();
    for (int i = 0; i < n; i++) {
      String id = annotators[i];
      if (id == null) {
        throw new IllegalArgumentException("annotator of label " + i + " must be an identifier, got null");
      }
      if (!slots.containsKey(id) && fresh.add(id) && ids.size() + fresh.size() > maxAnnotators) {
        throw new AnnotatorLimitException(id, maxAnnotators);
      }
    }
  }

  /**
   * The slot of {@code id}, registering it if new.
   *
   * @throws AnnotatorLimitException if it is new and every slot is taken
   */
  public int register(String id) {
    Integer slot = slots.get(id);
    if (slot != null) {
      return slot;
    }
    if (ids.size() == maxAnnotators) {
      throw new AnnotatorLimitException(id, maxAnnotators);
    }
    ids.add(id);
    slots.put(id, ids.size() - 1);
    return ids.size() - 1;
  }

  public AnnotatorRegistry copy() {
    AnnotatorRegistry copy = new AnnotatorRegistry(maxAnnotators);
    copy.ids.addAll(ids);
    copy.slots.putAll(slots);
    System.arraycopy(labelsSeen, 0, copy.labelsSeen, 0, maxAnnotators);
    return copy;
  }

  public void writeTo(DataOutput out) throws IOException {
    out.writeInt(maxAnnotators);
    out.writeInt(ids.size());
    for (int s = 0; s < ids.size(); s++) {
      BinaryState.writeString(out, ids.get(s));
      out.writeLong(labelsSeen[s]);
    }
  }

  public static AnnotatorRegistry readFrom(DataInput in) throws IOException {
    int max = in.readInt();
    if (max < 1) {
      throw new IOException("annotator registry: expected maxAnnotators >= 1, stream has " + max);
    }
    // Every saved label model holds a confusion matrix (or averaging weight) per possible annotator after the
    // registry, so a true maxAnnotators cannot exceed what remains: this bounds the counters allocated here.
    BinaryState.requireFits(in, max, Double.BYTES,
        "annotator registry maxAnnotators (a confusion matrix of 8 bytes or more follows for each)");
    AnnotatorRegistry registry = new AnnotatorRegistry(max);
    int size = in.readInt();
    if (size < 0 || size > max) {
      throw new IOException("annotator registry: expected 0.." + max + " annotators, stream has " + size);
    }
    for (int s = 0; s < size; s++) {
      String id = BinaryState.readString(in, "annotator id");
      if (registry.register(id) != s) {
        throw new IOException("annotator registry: expected distinct identifiers, stream repeats \"" + id + "\"");
      }
      registry.labelsSeen[s] = in.readLong();
    }
    return registry;
  }
}
