package dev.chorus.core.nn;

import dev.chorus.core.io.BinaryState;
import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The trainable parameters of a network, in a fixed order, each reachable by its unique name. Indexed
 * access ({@link #size()}, {@link #get(int)}) lets hot loops iterate without allocating.
 */
public final class ParameterSet {

  private final Parameter[] parameters;
  private final Map<String, Parameter> byName;

  /** @throws IllegalArgumentException if two parameters share a name */
  public ParameterSet(List<Parameter> parameters) {
    this.parameters = parameters.toArray(Parameter[]::new);
    this.byName = new HashMap<>();
    for (Parameter p : this.parameters) {
      if (byName.put(p.name(), p) != null) {
        throw new IllegalArgumentException("duplicate parameter name '" + p.name() + "'");
      }
    }
  }

  public int size() {
    return parameters.length;
  }

  public Parameter get(int index) {
    return parameters[index];
  }

  /** @throws IllegalArgumentException naming the known parameters if {@code name} is not one of them */
  public Parameter get(String name) {
    Parameter p = byName.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no parameter named '" + name + "'; parameters are " + names());
    }
    return p;
  }

  /** Whether a parameter is named {@code name}. */
  public boolean contains(String name) {
    return byName.containsKey(name);
  }

  /** The names, in order. */
  public List<String> names() {
    List<String> names = new ArrayList<>(parameters.length);
    for (Parameter p : parameters) {
      names.add(p.name());
    }
    return names;
  }

  /** Copies {@code from}'s values into this set's, parameter by parameter; both must have the same shapes. */
  public void copyValuesFrom(ParameterSet from) {
    for (int i = 0; i < parameters.length; i++) {
      float[] source = from.get(i).value().data();
      System.arraycopy(source, 0, parameters[i].value().data(), 0, source.length);
    }
  }

  /** Writes each parameter's name, shape and values (not gradients, which are recomputed every step). */
  public void writeValues(DataOutput out) throws IOException {
    out.writeInt(parameters.length);
    for (Parameter p : parameters) {
      BinaryState.writeString(out, p.name());
      out.writeInt(p.value().rows());
      out.writeInt(p.value().cols());
      BinaryState.writeFloats(out, p.value().data());
    }
  }

  /** Reads values written by {@link #writeValues}; names, order and shapes must match this set's. */
  public void readValues(DataInput in) throws IOException {
    int count = in.readInt();
    if (count != parameters.length) {
      throw new IOException("parameters: expected " + parameters.length + " " + names() + ", stream has " + count);
    }
    for (Parameter p : parameters) {
      String name = BinaryState.readString(in, "parameter name");
      if (!name.equals(p.name())) {
        throw new IOException("parameters: expected '" + p.name() + "', stream has '" + name + "'");
      }
      int rows = in.readInt();
      int cols = in.readInt();
      if (rows != p.value().rows() || cols != p.value().cols()) {
        throw new IOException("parameter '" + name + "': expected shape " + p.value().rows() + " × "
            + p.value().cols() + ", stream has " + rows + " × " + cols);
      }
      BinaryState.readFloats(in, p.value().data(), "parameter '" + name + "'");
    }
  }
}
