package dev.chorus.core.blas;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/** The implementations a {@link Blas} facade can run on, best first. */
public enum BlasBackend {
  /** netlib's JNI binding over the bundled OpenBLAS or the system {@code libblas.so.3} ({@link NativeBlasLibrary}). */
  NATIVE("native", "native"),
  /** netlib's Java implementation on the incubating Vector API ({@code --add-modules=jdk.incubator.vector}). */
  VECTOR_API("Vector API", "vector-api"),
  /** netlib's scalar pure-Java implementation; always available. */
  JAVA("pure Java", "java");

  private final String label;
  private final String key;

  BlasBackend(String label, String key) {
    this.label = label;
    this.key = key;
  }

  /** The backend whose {@link #key()} is {@code key}, ignoring case. */
  public static Optional<BlasBackend> fromKey(String key) {
    return Arrays.stream(values()).filter(b -> b.key.equalsIgnoreCase(key)).findFirst();
  }

  /** Every {@link #key()}, best backend first. */
  public static List<String> keys() {
    return Arrays.stream(values()).map(BlasBackend::key).toList();
  }

  /** A short human-readable name for logs, e.g. {@code "Vector API"}. */
  public String label() {
    return label;
  }

  /** The name of the backend in settings, e.g. the system property {@code chorus.blas}: {@code "vector-api"}. */
  public String key() {
    return key;
  }
}
