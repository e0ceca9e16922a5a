package dev.chorus.core.spec;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * One JSON value of a model spec being read, with the key path it sits at ({@code ""} for the document,
 * {@code "optimizer"}, {@code "layers[1]"}), so that each spec record reads its own keys and every message names
 * the full key, what was expected and what was found: {@code ModelSpec key 'optimizer.beta2': expected a number,
 * got "x"}.
 */
public final class SpecReader {

  /** Rejects duplicate keys and trailing content, which a lenient parser would silently resolve or ignore. */
  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();

  private final JsonNode node;
  private final String key;
  /** What the document is, for messages: {@code ModelSpec}, or a document that carries one ({@code VariantSpec}). */
  private final String document;

  private SpecReader(JsonNode node, String key, String document) {
    this.node = node;
    this.key = key;
    this.document = document;
  }

  /**
   * The spec document {@code json}, which must be one JSON object.
   *
   * @throws IllegalArgumentException if it is not valid JSON or not an object
   */
  public static SpecReader document(String json) {
    return document(json, "ModelSpec");
  }

  /** The document {@code json}, one JSON object, whose messages call it {@code document} (e.g. "VariantSpec"). */
  public static SpecReader document(String json, String document) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      String at = e.getLocation() == null ? ""
          : " at line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr();
      throw new IllegalArgumentException(document + ": not valid JSON: " + e.getOriginalMessage() + at, e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(document + ": expected a JSON object, got "
          + (root == null ? "nothing" : root.getNodeType()));
    }
    return new SpecReader(root, "", document);
  }

  /** An empty object for a spec record to write its keys into; specs are written with Jackson's tree model. */
  public static ObjectNode newObject() {
    return JSON.createObjectNode();
  }

  /** The value of key {@code name} of this object (it must be present). */
  public SpecReader at(String name) {
    return new SpecReader(node.get(name), path(name), document);
  }

  /** The elements of this array, each at key {@code key[i]}. */
  public List<SpecReader> elements() {
    return IntStream.range(0, node.size())
        .mapToObj(i -> new SpecReader(node.get(i), key + "[" + i + "]", document)).toList();
  }

  /** The elements of this value, which must be an array. */
  public List<SpecReader> arrayElements() {
    if (!node.isArray()) {
      throw error("expected an array, got " + node);
    }
    return elements();
  }

  /** The strings of this value, which must be an array of names, like {@code ["user","country"]}. */
  public List<String> fieldNames() {
    List<String> names = new ArrayList<>();
    for (SpecReader element : arrayElements()) {
      if (!element.node.isTextual()) {
        throw element.error("expected a field name (a string), got " + element.node);
      }
      names.add(element.node.textValue());
    }
    return names;
  }

  public JsonNode node() {
    return node;
  }

  public boolean has(String name) {
    return node.has(name);
  }

  /** @throws IllegalArgumentException saying this key expected {@code what} (e.g. "an object like {...}") */
  public SpecReader requireObject(String what) {
    if (!node.isObject()) {
      throw error("expected " + what + ", got " + node);
    }
    return this;
  }

  public void requireKnownKeys(List<String> known) {
    for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!known.contains(name)) {
        throw new IllegalArgumentException(document + ": unknown key '" + path(name) + "'; expected one of " + known);
      }
    }
  }

  /** A required string-valued key. */
  public String string(String name) {
    JsonNode value = node.get(name);
    if (value == null || !value.isTextual()) {
      throw error(name, "expected a string, got " + describe(value));
    }
    return value.asText();
  }

  /** A required int-valued key. */
  public int intValue(String name) {
    JsonNode value = node.get(name);
    if (value == null || !value.isIntegralNumber() || !value.canConvertToInt()) {
      throw error(name, "expected an integer, got " + describe(value));
    }
    return value.intValue();
  }

  public int intValue(String name, int defaultValue) {
    return node.has(name) ? intValue(name) : defaultValue;
  }

  public long longValue(String name, long defaultValue) {
    JsonNode value = node.get(name);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw error(name, "expected a 64-bit integer, got " + describe(value));
    }
    return value.longValue();
  }

  public double doubleValue(String name, double defaultValue) {
    JsonNode value = node.get(name);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isNumber()) {
      throw error(name, "expected a number, got " + describe(value));
    }
    return value.doubleValue();
  }

  /** A number-valued key without a default. */
  public double requiredDouble(String name) {
    if (!node.has(name)) {
      throw error(name, "expected a number, got nothing (key missing)");
    }
    return doubleValue(name, 0);
  }

  public boolean booleanValue(String name, boolean defaultValue) {
    JsonNode value = node.get(name);
    if (value == null) {
      return defaultValue;
    }
    if (!value.isBoolean()) {
      throw error(name, "expected true or false, got " + describe(value));
    }
    return value.booleanValue();
  }

  /**
   * Runs a record's own validation, naming this key in its message. Records whose messages name their own key
   * ({@code "key 'units': ..."}) get it qualified with this key's path ({@code 'layers[0].units'}); the qualified
   * message stands in for the record's, so its cause is the record's cause, not the record's exception, whose
   * message a reader of the chain would otherwise meet twice.
   */
  public <T> T validated(Supplier<T> constructor) {
    try {
      return constructor.get();
    } catch (IllegalArgumentException e) {
      String message = e.getMessage();
      if (message.startsWith("key '")) {
        throw new IllegalArgumentException(document + " key '" + key + "." + message.substring(5), e.getCause());
      }
      throw new IllegalArgumentException(document + " key '" + key + "': " + message, e);
    }
  }

  /** An error about this key. */
  public IllegalArgumentException error(String message) {
    return new IllegalArgumentException(document + " key '" + key + "': " + message);
  }

  /** An error about key {@code name} of this object. */
  public IllegalArgumentException error(String name, String message) {
    return new IllegalArgumentException(document + " key '" + path(name) + "': " + message);
  }

  /** {@code ["a", "b"]}: names as a message lists them. */
  public static String quoted(List<String> names) {
    return names.stream().map(n -> "\"" + n + "\"").toList().toString();
  }

  private static String describe(JsonNode value) {
    return value == null ? "nothing (key missing)" : value.toString();
  }

  private String path(String name) {
    return key.isEmpty() ? name : key + "." + name;
  }
}
