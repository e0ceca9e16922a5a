package dev.chorus.core.optim;

import dev.chorus.core.io.BinaryState;
import dev.chorus.core.nn.Parameter;
import dev.chorus.core.nn.ParameterSet;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An optimizer's per-parameter state: a fixed number of float arrays ("slots") per parameter, each the
 * parameter's size, keyed by parameter name and created on first use. Written as the count of parameters,
 * then per parameter its name and each slot. Read back, every value must be finite, and a slot that sums or averages
 * squares ({@link #nonNegative}) must be {@code >= 0}: a negative second moment or sum would make its parameter NaN
 * at the next step, and every minibatch after it be refused.
 */
final class ParameterSlots {

  private final String owner;
  private final String noun;
  private final String[] slotNames;
  private final boolean[] nonNegative;
  private final Map<String, float[][]> slots = new LinkedHashMap<>();

  /**
   * @param owner the optimizer's type, for messages ({@code "adam"})
   * @param noun what the slots are together, for messages ({@code "moments"})
   * @param slotNames one name per slot, for messages ({@code "first moment"})
   */
  ParameterSlots(String owner, String noun, String... slotNames) {
    this.owner = owner;
    this.noun = noun;
    this.slotNames = slotNames;
    this.nonNegative = new boolean[slotNames.length];
  }

  /** Marks slots {@code indices} as sums or averages of squares, which no valid state holds below 0; returns this. */
  ParameterSlots nonNegative(int... indices) {
    for (int s : indices) {
      nonNegative[s] = true;
    }
    return this;
  }

  /** The slots of {@code parameter}, zero-filled on first use. */
  float[][] of(Parameter parameter) {
    float[][] state = slots.get(parameter.name());
    if (state == null) {
      state = new float[slotNames.length][parameter.size()];
      slots.put(parameter.name(), state);
    } else if (state[0].length != parameter.size()) {
      throw new IllegalStateException(owner + " state for parameter '" + parameter.name() + "' has "
          + state[0].length + " elements, the parameter has " + parameter.size());
    }
    return state;
  }

  /** Where a slot first holds a value that is not finite, for a message; null when every value is finite. */
  String firstNonFinite() {
    for (Map.Entry<String, float[][]> entry : slots.entrySet()) {
      float[][] state = entry.getValue();
      for (int s = 0; s < state.length; s++) {
        for (int i = 0; i < state[s].length; i++) {
          if (!Float.isFinite(state[s][i])) {
            return owner + " " + slotNames[s] + " of parameter '" + entry.getKey() + "' is " + state[s][i]
                + " at index " + i;
          }
        }
      }
    }
    return null;
  }

  /**
   * Where a slot first holds a value no step could have left there, for a message: one that is not finite, or below 0
   * in a slot of squares; null when every value is valid.
   */
  String firstInvalid() {
    for (Map.Entry<String, float[][]> entry : slots.entrySet()) {
      for (int s = 0; s < slotNames.length; s++) {
        String bad = invalid(entry.getKey(), s, entry.getValue()[s], "got");
        if (bad != null) {
          return owner + " " + bad;
        }
      }
    }
    return null;
  }

  /** Why slot {@code s} of parameter {@code name} is invalid at its first invalid index, or null. */
  private String invalid(String name, int s, float[] values, String verb) {
    for (int i = 0; i < values.length; i++) {
      float v = values[i];
      if (!Float.isFinite(v) || nonNegative[s] && v < 0) {
        return slotNames[s] + " of parameter '" + name + "' at index " + i + ": expected a finite number"
            + (nonNegative[s] ? " >= 0" : "") + ", " + verb + " " + v;
      }
    }
    return null;
  }

  /** Copies every slot of {@code other} into this empty instance. */
  void copyFrom(ParameterSlots other) {
    other.slots.forEach((name, state) -> {
      float[][] copy = new float[state.length][];
      for (int s = 0; s < state.length; s++) {
        copy[s] = state[s].clone();
      }
      slots.put(name, copy);
    });
  }

  void clear() {
    slots.clear();
  }

  void write(DataOutput out) throws IOException {
    out.writeInt(slots.size());
    for (Map.Entry<String, float[][]> entry : slots.entrySet()) {
      BinaryState.writeString(out, entry.getKey());
      for (float[] slot : entry.getValue()) {
        BinaryState.writeFloats(out, slot);
      }
    }
  }

  /** Replaces the slots with ones written by {@link #write}; nothing changes if the stream is invalid. */
  void read(DataInput in, ParameterSet parameters) throws IOException {
    int count = in.readInt();
    if (count < 0 || count > parameters.size()) {
      throw new IOException(owner + " state: expected " + noun + " for 0.." + parameters.size()
          + " parameters, stream has " + count);
    }
    Map<String, float[][]> read = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = BinaryState.readString(in, owner + " state parameter name");
      if (!parameters.contains(name)) {
        throw new IOException(owner + " state: " + noun + " for unknown parameter '" + name + "'; parameters are "
            + parameters.names());
      }
      BinaryState.requireFits(in, (long) slotNames.length * parameters.get(name).size(), Float.BYTES,
          owner + " state of '" + name + "'");
      float[][] state = new float[slotNames.length][parameters.get(name).size()];
      for (int s = 0; s < slotNames.length; s++) {
        BinaryState.readFloats(in, state[s], owner + " " + slotNames[s] + " of '" + name + "'");
        String bad = invalid(name, s, state[s], "stream has");
        if (bad != null) {
          throw new IOException(owner + " state: " + bad);
        }
      }
      read.put(name, state);
    }
    slots.clear();
    slots.putAll(read);
  }
}
