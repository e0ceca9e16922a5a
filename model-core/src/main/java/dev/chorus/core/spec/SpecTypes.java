package dev.chorus.core.spec;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The readers of one kind of spec object told apart by its {@code "type"} key (optimizers, schedules): the kind's
 * registry maps each type name to the record's own {@code fromJson}.
 *
 * @param <T> the kind, e.g. {@code OptimizerSpec}
 */
public final class SpecTypes<T> {

  private final String example;
  private final Map<String, Function<SpecReader, ? extends T>> readers = new LinkedHashMap<>();

  /** @param example an object of this kind for messages, e.g. {@code {"type":"adam"}} */
  public SpecTypes(String example) {
    this.example = example;
  }

  /** Registers the reader of type {@code type}; the order of registration is the order messages list them in. */
  public SpecTypes<T> add(String type, Function<SpecReader, ? extends T> reader) {
    if (readers.putIfAbsent(type, reader) != null) {
      throw new IllegalStateException("type \"" + type + "\" registered twice");
    }
    return this;
  }

  public List<String> types() {
    return List.copyOf(readers.keySet());
  }

  /** The object at {@code json}, read by the reader its {@code "type"} names. */
  public T read(SpecReader json) {
    json.requireObject("an object like " + example);
    String type = json.string("type");
    Function<SpecReader, ? extends T> reader = readers.get(type);
    if (reader == null) {
      throw json.error("type", "expected one of " + SpecReader.quoted(types()) + ", got \"" + type + "\"");
    }
    return reader.apply(json);
  }
}
