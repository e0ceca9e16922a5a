package dev.chorus.core.blas;

/** The implementations a {@link Blas} facade can run on, best first. */
public enum BlasBackend {
  /** netlib's JNI binding over the system {@code libblas.so.3} (OpenBLAS on a well-set-up Linux host). */
  NATIVE("native"),
  /** netlib's Java implementation on the incubating Vector API ({@code --add-modules=jdk.incubator.vector}). */
  VECTOR_API("Vector API"),
  /** netlib's scalar pure-Java implementation; always available. */
  JAVA("pure Java");

  private final String label;

  BlasBackend(String label) {
    this.label = label;
  }

  /** A short human-readable name for logs, e.g. {@code "Vector API"}. */
  public String label() {
    return label;
  }
}
