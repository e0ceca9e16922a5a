package dev.chorus.core.features;

/**
 * One example's hashed features: strictly increasing {@code indices} and their {@code values}, same length.
 * The arrays are owned by the vector and not copied.
 */
public record SparseVector(int[] indices, float[] values) {

  public int size() {
    return indices.length;
  }
}
