package dev.chorus.core.select;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.chorus.core.model.ModelSpec;
import dev.chorus.core.random.SplitMix64;
import dev.chorus.core.spec.SpecReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hyperparameters a search draws: each key a path into the spec's canonical JSON ({@link ModelSpec#toJson()},
 * defaults included), {@code l2}, {@code optimizer.learningRate}, {@code layers[0].units}, and each value a list of
 * values to choose from or a range, {@code {"uniform":[lo,hi]}} or {@code {"logUniform":[lo,hi]}} (0 < lo < hi). A
 * value drawn for an integer key is rounded; a listed value must have the type of the value it replaces (an integer
 * for an integer key, any number for another number, a string for a string, an object for an object).
 *
 * <p>Draws use {@link SplitMix64} and {@link StrictMath}, so a seed gives the same variants on every JVM.
 */
public final class SearchSpace {

  /** How often a point already drawn is drawn again before it is kept: a small grid repeats once exhausted. */
  private static final int REDRAWS = 100;

  private static final Pattern SEGMENT = Pattern.compile("([A-Za-z][A-Za-z0-9]*)((?:\\[\\d{1,9}])*)");
  private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");
  private static final String EXPECTED_VALUES =
      "expected a non-empty list of values or {\"uniform\":[lo,hi]} or {\"logUniform\":[lo,hi]}, got ";

  /** How one path's value is drawn. */
  public sealed interface Dimension permits Choice, Uniform, LogUniform {

    /** A value drawn for the key whose value in the base spec is {@code current}. */
    JsonNode draw(SplitMix64 random, JsonNode current);

    /** The dimension as the spec writes it. */
    JsonNode toJson();

    /**
     * The values at the dimension's edges for the key whose value in the base spec is {@code current}: every listed
     * value, or a range's two ends (rounded for an integer key).
     */
    List<JsonNode> ends(JsonNode current);
  }

  /** One of {@code values}, each equally likely. */
  public record Choice(List<JsonNode> values) implements Dimension {

    public Choice {
      values = List.copyOf(values);
    }

    @Override
    public JsonNode draw(SplitMix64 random, JsonNode current) {
      return fitted(values.get((int) (random.nextDouble() * values.size())), current);
    }

    @Override
    public List<JsonNode> ends(JsonNode current) {
      return values.stream().map(value -> fitted(value, current)).toList();
    }

    /** A number chosen for a floating-point key is a double, so equal values describe equally (0 and 0.0). */
    private static JsonNode fitted(JsonNode value, JsonNode current) {
      return current.isFloatingPointNumber() ? DoubleNode.valueOf(value.doubleValue()) : value;
    }

    @Override
    public JsonNode toJson() {
      ArrayNode array = SpecReader.newObject().arrayNode();
      values.forEach(array::add);
      return array;
    }
  }

  /** Uniform on {@code [lo, hi)}. */
  public record Uniform(double lo, double hi) implements Dimension {

    @Override
    public JsonNode draw(SplitMix64 random, JsonNode current) {
      return number(lo + (hi - lo) * random.nextDouble(), current);
    }

    @Override
    public List<JsonNode> ends(JsonNode current) {
      return List.of(number(lo, current), number(hi, current));
    }

    @Override
    public JsonNode toJson() {
      return range("uniform", lo, hi);
    }
  }

  /** Log-uniform on {@code [lo, hi)}: uniform in the logarithm, for scales such as learning rates. */
  public record LogUniform(double lo, double hi) implements Dimension {

    @Override
    public JsonNode draw(SplitMix64 random, JsonNode current) {
      double log = StrictMath.log(lo) + (StrictMath.log(hi) - StrictMath.log(lo)) * random.nextDouble();
      return number(StrictMath.exp(log), current);
    }

    @Override
    public List<JsonNode> ends(JsonNode current) {
      return List.of(number(lo, current), number(hi, current));
    }

    @Override
    public JsonNode toJson() {
      return range("logUniform", lo, hi);
    }
  }

  private final SortedMap<String, Dimension> dimensions;

  private SearchSpace(SortedMap<String, Dimension> dimensions) {
    this.dimensions = Collections.unmodifiableSortedMap(dimensions);
  }

  /**
   * Reads the space at {@code json} ({@code search.space}) against {@code base}: each key must be a path to a value
   * of the base spec's canonical JSON and each value fit the value it replaces.
   */
  static SearchSpace fromJson(SpecReader json, ModelSpec base) {
    json.requireObject("an object of paths like {\"l2\":[0,1e-5]}");
    if (json.node().isEmpty()) {
      throw json.error("expected at least one path to search, got {}");
    }
    JsonNode canonical = canonical(base);
    SortedMap<String, Dimension> dimensions = new TreeMap<>();
    for (Iterator<String> names = json.node().fieldNames(); names.hasNext(); ) {
      String path = names.next();
      JsonNode current = resolve(json, path, canonical);
      dimensions.put(path, dimension(json.at(path), current));
    }
    // A path inside another one's value ("layers" and "layers[1].units") would be set in whatever the outer draw
    // put there, which may not have it: refused, so that no later draw (a fork's, long after) can fail.
    for (String outer : dimensions.keySet()) {
      List<Object> outerSteps = steps(outer);
      for (String inner : dimensions.keySet()) {
        List<Object> innerSteps = steps(inner);
        if (!inner.equals(outer) && innerSteps.size() > outerSteps.size()
            && innerSteps.subList(0, outerSteps.size()).equals(outerSteps)) {
          throw json.at(inner).error("expected a path outside every other path searched, got '" + inner
              + "', inside '" + outer + "'");
        }
      }
    }
    return new SearchSpace(dimensions);
  }

  /** The paths searched, sorted. */
  public List<String> paths() {
    return List.copyOf(dimensions.keySet());
  }

  public SortedMap<String, Dimension> dimensions() {
    return dimensions;
  }

  /**
   * Draws {@code count} variants named {@code s0}, {@code s1}, ... from {@code seed}: for each variant, each path in
   * sorted order. A point drawn before is redrawn (up to {@value #REDRAWS} times), so a grid is covered before it
   * repeats.
   *
   * @throws IllegalArgumentException if a drawn point is not a valid spec, naming the variant and its point
   */
  List<DrawnVariant> draw(ModelSpec base, int count, long seed) {
    return draw(base, count, seed, i -> "s" + i);
  }

  /** {@link #draw(ModelSpec, int, long)} with the {@code i}-th variant (from 0) named {@code names.apply(i)}. */
  List<DrawnVariant> draw(ModelSpec base, int count, long seed, IntFunction<String> names) {
    JsonNode canonical = canonical(base);
    SplitMix64 random = SplitMix64.seeded(seed);
    Set<Map<String, JsonNode>> drawn = new HashSet<>();
    List<DrawnVariant> variants = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      Map<String, JsonNode> point = drawPoint(random, canonical);
      for (int redraw = 0; redraw < REDRAWS && drawn.contains(point); redraw++) {
        point = drawPoint(random, canonical);
      }
      drawn.add(point);
      variants.add(variant(names.apply(i), canonical, point));
    }
    return variants;
  }

  /**
   * Checks that each value at a dimension's edges ({@link Dimension#ends}), set alone on {@code base}, makes a valid
   * spec: for a space drawn from long after it was read (a drift fork's, {@link DriftSpec#fork}), whose draws cannot
   * all be checked when the spec is read. A spec's rules on one number are ranges, so the ends' validity stands for
   * every value between them.
   *
   * @throws IllegalArgumentException {@code key '<path>': ...}, naming the value and why its spec is invalid
   */
  void requireValidEnds(ModelSpec base) {
    JsonNode canonical = canonical(base);
    dimensions.forEach((path, dimension) -> {
      for (JsonNode value : dimension.ends(find(canonical, path))) {
        ObjectNode tree = (ObjectNode) canonical.deepCopy();
        set(tree, path, value);
        try {
          ModelSpec.parse(tree.toString());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("key '" + path + "': expected values that each make a valid spec, got "
              + value + ", which makes " + e.getMessage(), e);
        }
      }
    });
  }

  private Map<String, JsonNode> drawPoint(SplitMix64 random, JsonNode canonical) {
    Map<String, JsonNode> point = new TreeMap<>();
    dimensions.forEach((path, dimension) -> point.put(path, dimension.draw(random, find(canonical, path))));
    return point;
  }

  private static DrawnVariant variant(String name, JsonNode canonical, Map<String, JsonNode> point) {
    ObjectNode tree = (ObjectNode) canonical.deepCopy();
    SortedMap<String, Object> hyperparameters = new TreeMap<>();
    point.forEach((path, value) -> {
      set(tree, path, value);
      hyperparameters.put(path, plain(value));
    });
    try {
      return new DrawnVariant(name, ModelSpec.parse(tree.toString()), hyperparameters);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("variant " + name + " " + hyperparameters + " is not a valid spec: "
          + e.getMessage(), e);
    }
  }

  void writeJson(ObjectNode json) {
    dimensions.forEach((path, dimension) -> json.set(path, dimension.toJson()));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SearchSpace s && s.dimensions.equals(dimensions);
  }

  @Override
  public int hashCode() {
    return dimensions.hashCode();
  }

  private static Dimension dimension(SpecReader json, JsonNode current) {
    JsonNode node = json.node();
    if (node.isArray() && !node.isEmpty()) {
      for (SpecReader value : json.elements()) {
        requireSameType(value, current);
      }
      List<JsonNode> values = new ArrayList<>();
      node.forEach(values::add);
      return new Choice(values);
    }
    if (node.isObject() && node.size() == 1 && (node.has("uniform") || node.has("logUniform"))) {
      if (!current.isNumber()) {
        throw json.error("expected a list of values for the spec's non-numeric " + current + ", got " + node);
      }
      boolean log = node.has("logUniform");
      SpecReader bounds = json.at(log ? "logUniform" : "uniform");
      JsonNode b = bounds.node();
      boolean valid = b.isArray() && b.size() == 2 && b.get(0).isNumber() && b.get(1).isNumber()
          && Double.isFinite(b.get(0).doubleValue()) && Double.isFinite(b.get(1).doubleValue())
          && b.get(0).doubleValue() < b.get(1).doubleValue() && (!log || b.get(0).doubleValue() > 0);
      if (!valid) {
        throw bounds.error("expected [lo, hi] with " + (log ? "0 < " : "") + "lo < hi, got " + b);
      }
      double lo = b.get(0).doubleValue();
      double hi = b.get(1).doubleValue();
      return log ? new LogUniform(lo, hi) : new Uniform(lo, hi);
    }
    throw json.error(EXPECTED_VALUES + node);
  }

  private static void requireSameType(SpecReader value, JsonNode current) {
    JsonNode v = value.node();
    String expected;
    boolean fits;
    if (current.isIntegralNumber()) {
      expected = "an integer";
      fits = v.isIntegralNumber();
    } else if (current.isNumber()) {
      expected = "a number";
      fits = v.isNumber();
    } else if (current.isTextual()) {
      expected = "a string";
      fits = v.isTextual();
    } else if (current.isBoolean()) {
      expected = "true or false";
      fits = v.isBoolean();
    } else {
      // An object or a list chosen whole, such as a whole optimizer.
      expected = current.isArray() ? "a list" : "an object";
      fits = v.getNodeType() == current.getNodeType();
    }
    if (!fits) {
      throw value.error("expected " + expected + " like the spec's " + current + ", got " + v);
    }
  }

  /** The value at {@code path} of the canonical spec, or an error naming the key {@code path} of {@code space}. */
  private static JsonNode resolve(SpecReader space, String path, JsonNode canonical) {
    String expected = "expected a path to a value of the spec like 'optimizer.learningRate' or 'layers[0].units', "
        + "got '" + path + "' ";
    if (!isPath(path)) {
      throw space.error(path, expected + "(not a path)");
    }
    JsonNode node = canonical;
    StringBuilder walked = new StringBuilder();
    for (Object step : steps(path)) {
      walked.append(step instanceof Integer i ? "[" + i + "]" : (walked.isEmpty() ? "" : ".") + step);
      node = step instanceof Integer i ? node.path(i) : node.path((String) step);
      if (node.isMissingNode() || node.isNull()) {
        throw space.error(path, expected + "(the spec has no key '" + walked + "')");
      }
    }
    return node;
  }

  private static boolean isPath(String path) {
    for (String segment : path.split("\\.", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        return false;
      }
    }
    return true;
  }

  /** {@code layers[0].units} as {@code ["layers", 0, "units"]}. */
  private static List<Object> steps(String path) {
    List<Object> steps = new ArrayList<>();
    for (String segment : path.split("\\.")) {
      Matcher m = SEGMENT.matcher(segment);
      m.matches();
      steps.add(m.group(1));
      Matcher index = INDEX.matcher(m.group(2));
      while (index.find()) {
        steps.add(Integer.parseInt(index.group(1)));
      }
    }
    return steps;
  }

  private static JsonNode find(JsonNode root, String path) {
    JsonNode node = root;
    for (Object step : steps(path)) {
      node = step instanceof Integer i ? node.get(i) : node.get((String) step);
    }
    return node;
  }

  private static void set(ObjectNode root, String path, JsonNode value) {
    List<Object> steps = steps(path);
    JsonNode parent = root;
    for (Object step : steps.subList(0, steps.size() - 1)) {
      parent = parent == null ? null : step instanceof Integer i ? parent.get(i) : parent.get((String) step);
    }
    Object last = steps.get(steps.size() - 1);
    if (last instanceof Integer i && parent instanceof ArrayNode array && i < array.size()) {
      array.set(i, value);
    } else if (last instanceof String key && parent instanceof ObjectNode object) {
      object.set(key, value);
    } else {
      throw new IllegalArgumentException("search path '" + path + "': expected it in the spec drawn, which has no "
          + "place for it");
    }
  }

  private static JsonNode canonical(ModelSpec base) {
    return SpecReader.document(base.toJson()).node();
  }

  private static JsonNode number(double value, JsonNode current) {
    return current.isIntegralNumber() ? LongNode.valueOf(Math.round(value)) : DoubleNode.valueOf(value);
  }

  private static JsonNode range(String name, double lo, double hi) {
    ObjectNode json = SpecReader.newObject();
    json.putArray(name).add(lo).add(hi);
    return json;
  }

  private static Object plain(JsonNode value) {
    if (value.isIntegralNumber()) {
      return value.longValue();
    }
    if (value.isNumber()) {
      return value.doubleValue();
    }
    if (value.isTextual()) {
      return value.textValue();
    }
    return value.isBoolean() ? (Object) value.booleanValue() : value.toString();
  }
}
