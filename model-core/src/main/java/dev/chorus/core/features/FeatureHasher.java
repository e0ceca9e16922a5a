package dev.chorus.core.features;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Hashes an example's named fields into a sparse vector of {@code 2^bits} dimensions, as scikit-learn's
 * {@code FeatureHasher(n_features=2**bits, input_type="dict", alternate_sign=True)} does, so that a producer, a
 * serving client or a peer benchmark in another language reproduces it:
 * <ul>
 *   <li>a string value {@code v} of field {@code f} is the token {@code f=v} with value 1; a list of strings is one
 *       such token per element; a number {@code x} is the token {@code f} with value {@code x};</li>
 *   <li>an interaction {@code [a, b]} adds, for every token {@code ta} of {@code a} and {@code tb} of {@code b}, the
 *       token {@code ta^tb} with the product of their values (so {@code user=u1^country=FR}, weight 1);</li>
 *   <li>a token's hash {@code h} is {@link MurmurHash3} x86_32 of its UTF-8 bytes with seed 0, as a signed int;
 *       its index is {@code |h| mod 2^bits} (with {@code |−2^31| = 2^31}) and its value is multiplied by −1 when
 *       {@code h < 0};</li>
 *   <li>values falling on the same index are summed, in field order (the spec's, else the keys sorted), then
 *       tokens in order, interactions last.</li>
 * </ul>
 * Not thread-safe: it reuses a buffer.
 */
public final class FeatureHasher {

  /** The seed of every token's hash. */
  public static final int SEED = 0;

  private final HashingSpec spec;
  /**
   * The tokens of the example being hashed, in the order they are summed: {@code index << 32 | position} (sorted,
   * it groups each index's tokens in that order, so their sum is the same double as adding them one by one), and
   * each position's token and signed value. Reused, so hashing boxes nothing; the tokens are dropped at the end of
   * each hash.
   */
  private long[] order = new long[16];
  private String[] names = new String[16];
  private double[] signed = new double[16];
  private int added;
  private int collisions;

  public FeatureHasher(HashingSpec spec) {
    this.spec = spec;
  }

  /** The signed hash of {@code token}. */
  public static int hash(String token) {
    byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
    return MurmurHash3.hash32(bytes, bytes.length, SEED);
  }

  /** The index of a token with hash {@code h} in a space of {@code 2^bits} dimensions. */
  public static int index(int h, int bits) {
    return (int) (Math.abs((long) h) & ((1L << bits) - 1));
  }

  /** +1 or −1: the sign a token with hash {@code h} is multiplied by. */
  public static int sign(int h) {
    return h >= 0 ? 1 : -1;
  }

  /**
   * The hashed features of {@code fields}.
   *
   * @throws RejectedFieldException for a field the spec does not list, a number that is not finite in float32, or a
   *     value that is neither a number, a string nor a list of strings
   */
  public SparseVector hash(Map<String, ?> fields) {
    Map<String, List<Token>> tokens = new TreeMap<>();
    for (Map.Entry<String, ?> field : fields.entrySet()) {
      if (!spec.fields().isEmpty() && !spec.fields().contains(field.getKey())) {
        throw new RejectedFieldException(field.getKey(), "one of the spec's fields " + spec.fields(),
            "a field the spec does not list");
      }
      tokens.put(field.getKey(), tokens(field.getKey(), field.getValue()));
    }
    added = 0;
    try {
      List<String> fieldOrder = spec.fields().isEmpty() ? new ArrayList<>(tokens.keySet()) : spec.fields();
      for (String field : fieldOrder) {
        for (Token token : tokens.getOrDefault(field, List.of())) {
          add(token.name, token.value);
        }
      }
      for (List<String> pair : spec.interactions()) {
        for (Token a : tokens.getOrDefault(pair.get(0), List.of())) {
          for (Token b : tokens.getOrDefault(pair.get(1), List.of())) {
            add(a.name + "^" + b.name, a.value * b.value);
          }
        }
      }
      return summed(fields);
    } finally {
      // The buffer outlives the example: drop its strings, or the largest example's stay reachable until overwritten.
      Arrays.fill(names, 0, added, null);
    }
  }

  /** The vector of the {@link #added} tokens: each index's values summed, in the order they were added. */
  private SparseVector summed(Map<String, ?> fields) {
    Arrays.sort(order, 0, added);
    int[] indices = new int[added];
    float[] values = new float[added];
    int n = 0;
    int distinctTokens = 0;
    int distinctIndices = 0;
    for (int start = 0, end; start < added; start = end) {
      int index = (int) (order[start] >>> 32);
      double sum = signed[(int) order[start]];
      for (end = start + 1; end < added && (int) (order[end] >>> 32) == index; end++) {
        sum += signed[(int) order[end]];
      }
      distinctIndices++;
      distinctTokens += distinctNames(start, end);
      float value = (float) sum;
      if (!Float.isFinite(value)) {
        throw new RejectedFieldException(String.join(",", fields.keySet()),
            "hashed values finite in float32", "a sum of " + sum + " at index " + index);
      }
      if (value != 0f) {
        indices[n] = index;
        values[n++] = value;
      }
    }
    collisions = distinctTokens - distinctIndices;
    return n == added ? new SparseVector(indices, values)
        : new SparseVector(Arrays.copyOf(indices, n), Arrays.copyOf(values, n));
  }

  /**
   * Distinct tokens among those of {@code order[start, end)}, which share an index: nearly always one, compared
   * pairwise; a long run (a token repeated in a list, or few bits) through a set, so it stays linear.
   */
  private int distinctNames(int start, int end) {
    if (end - start > 8) {
      Set<String> distinct = new HashSet<>();
      for (int i = start; i < end; i++) {
        distinct.add(names[(int) order[i]]);
      }
      return distinct.size();
    }
    int distinct = 0;
    for (int i = start; i < end; i++) {
      String name = names[(int) order[i]];
      boolean seen = false;
      for (int j = start; j < i && !seen; j++) {
        seen = names[(int) order[j]].equals(name);
      }
      distinct += seen ? 0 : 1;
    }
    return distinct;
  }

  /**
   * Hash collisions of the last {@link #hash(Map)}: distinct tokens minus the distinct indices they landed on (a token
   * repeated in a list is one token). Collisions are expected at small {@code bits}, not errors.
   */
  public int collisions() {
    return collisions;
  }

  /** How many token strings the buffer still references after the last {@link #hash(Map)}, for tests: none. */
  int heldTokens() {
    int held = 0;
    for (String name : names) {
      held += name == null ? 0 : 1;
    }
    return held;
  }

  private void add(String token, double value) {
    if (added == order.length) {
      order = Arrays.copyOf(order, 2 * added);
      names = Arrays.copyOf(names, 2 * added);
      signed = Arrays.copyOf(signed, 2 * added);
    }
    int h = hash(token);
    order[added] = (long) index(h, spec.bits()) << 32 | added;
    names[added] = token;
    signed[added++] = sign(h) * value;
  }

  private static List<Token> tokens(String field, Object value) {
    if (value instanceof Number number) {
      double x = number.doubleValue();
      if (!Float.isFinite((float) x)) {
        throw new RejectedFieldException(field, "a number finite in float32", String.valueOf(x));
      }
      return List.of(new Token(field, x));
    }
    if (value instanceof CharSequence text) {
      return List.of(new Token(field + "=" + text, 1));
    }
    if (value instanceof List<?> list) {
      List<Token> tokens = new ArrayList<>(list.size());
      for (Object element : list) {
        if (!(element instanceof CharSequence text)) {
          throw new RejectedFieldException(field, "a list of strings", "an element " + element);
        }
        tokens.add(new Token(field + "=" + text, 1));
      }
      return tokens;
    }
    throw new RejectedFieldException(field, "a number, a string or a list of strings", String.valueOf(value));
  }

  private record Token(String name, double value) {}
}
