package dev.chorus.core.model;

import dev.chorus.core.features.FeatureHasher;
import dev.chorus.core.features.RejectedFieldException;
import dev.chorus.core.features.SparseVector;
import dev.chorus.core.tensor.SparseBatch;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A minibatch of named-field examples for a {@link WideDeepModel}: each example's hashed features for the wide part
 * ({@link FeatureHasher}, one CSR row), its ids per embedding field (one CSR row per field: column the bucket of
 * {@link EmbeddingsSpec#bucket}, value how often it occurs), and its numeric fields (0 when absent). Rows are
 * appended whole or not at all ({@link #add}); the batch is reused ({@link #clear}). Not thread-safe.
 */
public final class WideDeepBatch {

  private final EmbeddingsSpec embeddings;
  private final FeatureHasher hasher;
  private final SparseBatch wide;
  private final SparseBatch[] ids;
  private float[] numeric = new float[0];
  private int rows;

  /** @param spec a {@code wide-deep} spec */
  public WideDeepBatch(ModelSpec spec) {
    if (spec.embeddings() == null) {
      throw new IllegalArgumentException("WideDeepBatch: the spec has no 'embeddings' key: " + spec);
    }
    this.embeddings = spec.embeddings();
    this.hasher = new FeatureHasher(spec.hashing());
    this.wide = new SparseBatch(spec.inputDim());
    this.ids = new SparseBatch[embeddings.fields().size()];
    Arrays.setAll(ids, f -> new SparseBatch(embeddings.buckets()));
  }

  /**
   * Appends one example's {@code fields}.
   *
   * @throws RejectedFieldException naming the field, what was expected and what was found, before anything is
   *     appended: what {@link FeatureHasher#hash} rejects, an embedding field that is not a string or a list of
   *     strings, a numeric field that is not a number
   */
  public void add(Map<String, ?> fields) {
    SparseVector hashed = hasher.hash(fields);
    int[][] bagIds = new int[ids.length][];
    float[][] bagCounts = new float[ids.length][];
    for (int f = 0; f < ids.length; f++) {
      String field = embeddings.fields().get(f);
      int[] buckets = buckets(field, fields.get(field));
      Arrays.sort(buckets);
      int distinct = 0;
      float[] counts = new float[buckets.length];
      for (int i = 0; i < buckets.length; i++) {
        if (distinct > 0 && buckets[distinct - 1] == buckets[i]) {
          counts[distinct - 1]++;
        } else {
          buckets[distinct] = buckets[i];
          counts[distinct++] = 1;
        }
      }
      bagIds[f] = Arrays.copyOf(buckets, distinct);
      bagCounts[f] = Arrays.copyOf(counts, distinct);
    }
    int width = embeddings.numeric().size();
    float[] values = new float[width];
    for (int j = 0; j < width; j++) {
      String field = embeddings.numeric().get(j);
      Object value = fields.get(field);
      if (value != null && !(value instanceof Number)) {
        throw new RejectedFieldException(field, "a number (a numeric field of the embeddings)", String.valueOf(value));
      }
      // The hasher has already refused a number that is not finite in float32.
      values[j] = value == null ? 0f : ((Number) value).floatValue();
    }
    append(hashed.indices(), hashed.values(), bagIds, bagCounts, values, 0);
  }

  /**
   * Appends one example already taken apart (as {@link #add(Map)} did once, before a checkpoint): its hashed
   * features, its ids per embedding field ({@link #ids}'s rows) and its {@code numeric} fields.
   *
   * @throws IllegalArgumentException before anything is appended, if a part is not of this batch's shape
   */
  public void add(SparseVector hashed, SparseVector[] fieldIds, float[] numericFields) {
    String row = "WideDeepBatch row " + rows + ": ";
    if (fieldIds.length != ids.length || numericFields.length != embeddings.numeric().size()) {
      throw new IllegalArgumentException(row + "expected " + ids.length + " embedding fields and "
          + embeddings.numeric().size() + " numeric ones, got " + fieldIds.length + " and " + numericFields.length);
    }
    requireRow(row + "wide part", hashed, wide.columns());
    int[][] bagIds = new int[ids.length][];
    float[][] bagCounts = new float[ids.length][];
    for (int f = 0; f < ids.length; f++) {
      requireRow(row + "field " + embeddings.fields().get(f), fieldIds[f], embeddings.buckets());
      bagIds[f] = fieldIds[f].indices();
      bagCounts[f] = fieldIds[f].values();
    }
    append(hashed.indices(), hashed.values(), bagIds, bagCounts, numericFields, 0);
  }

  /** Appends row {@code r} of {@code from}, a batch of the same spec. */
  public void addRow(WideDeepBatch from, int r) {
    int[][] bagIds = new int[ids.length][];
    float[][] bagCounts = new float[ids.length][];
    for (int f = 0; f < ids.length; f++) {
      SparseBatch bag = from.ids[f];
      bagIds[f] = Arrays.copyOfRange(bag.indices(), bag.rowStart(r), bag.rowStart(r + 1));
      bagCounts[f] = Arrays.copyOfRange(bag.values(), bag.rowStart(r), bag.rowStart(r + 1));
    }
    SparseBatch w = from.wide;
    append(Arrays.copyOfRange(w.indices(), w.rowStart(r), w.rowStart(r + 1)),
        Arrays.copyOfRange(w.values(), w.rowStart(r), w.rowStart(r + 1)), bagIds, bagCounts, from.numeric,
        r * embeddings.numeric().size());
  }

  private static void requireRow(String what, SparseVector x, int columns) {
    int[] indices = x.indices();
    boolean increasing = indices.length == x.values().length;
    for (int i = 0; i < indices.length && increasing; i++) {
      increasing = indices[i] >= 0 && indices[i] < columns && (i == 0 || indices[i] > indices[i - 1]);
    }
    if (!increasing) {
      throw new IllegalArgumentException(what + ": expected strictly increasing indices in [0, " + columns
          + "), got " + Arrays.toString(indices) + " with " + x.values().length + " values");
    }
  }

  private void append(int[] hashedIndices, float[] hashedValues, int[][] bagIds, float[][] bagCounts,
      float[] numericFields, int numericFrom) {
    int width = embeddings.numeric().size();
    wide.add(hashedIndices, hashedValues);
    for (int f = 0; f < ids.length; f++) {
      ids[f].add(bagIds[f], bagCounts[f]);
    }
    if (numeric.length < (rows + 1) * width) {
      numeric = Arrays.copyOf(numeric, Math.max((rows + 1) * width, numeric.length * 2));
    }
    System.arraycopy(numericFields, numericFrom, numeric, rows * width, width);
    rows++;
  }

  /** Hash collisions of the last {@link #add(Map)} ({@link FeatureHasher#collisions}). */
  public int collisions() {
    return hasher.collisions();
  }

  private int[] buckets(String field, Object value) {
    if (value == null) {
      return new int[0];
    }
    if (value instanceof CharSequence text) {
      return new int[] {embeddings.bucket(field, text.toString())};
    }
    if (value instanceof List<?> list) {
      int[] buckets = new int[list.size()];
      for (int i = 0; i < buckets.length; i++) {
        if (!(list.get(i) instanceof CharSequence text)) {
          throw new RejectedFieldException(field, "a list of strings (an embedding field)",
              "an element " + list.get(i));
        }
        buckets[i] = embeddings.bucket(field, text.toString());
      }
      return buckets;
    }
    throw new RejectedFieldException(field, "a string or a list of strings (an embedding field)",
        String.valueOf(value));
  }

  public void clear() {
    wide.clear();
    for (SparseBatch bag : ids) {
      bag.clear();
    }
    rows = 0;
  }

  public int rows() {
    return rows;
  }

  /** The hashed features, one row per example. */
  public SparseBatch wide() {
    return wide;
  }

  /** The ids of embedding field {@code field} (its index in {@link EmbeddingsSpec#fields()}), one row per example. */
  public SparseBatch ids(int field) {
    return ids[field];
  }

  /** The numeric fields, {@code rows × numeric().size()} row-major (the array may be longer). */
  public float[] numeric() {
    return numeric;
  }
}
