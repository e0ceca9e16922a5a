package dev.chorus.core.blas;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The library netlib's JNI backend ({@link BlasBackend#NATIVE}) runs on, chosen once per JVM by the system property
 * {@value #PROPERTY}, else the environment variable {@value #ENVIRONMENT_VARIABLE}, else {@link #BUNDLED}.
 */
public enum NativeBlasLibrary {
  /** OpenBLAS from the {@code org.bytedeco:openblas} jar, unpacked by JavaCPP: needs no system package. */
  BUNDLED("bundled"),
  /** What netlib finds by itself: the system's {@code libblas.so.3} (Debian's {@code libopenblas0-pthread}). */
  SYSTEM("system");

  /** System property naming the library: {@code bundled} or {@code system}. */
  public static final String PROPERTY = "chorus.blas.native";
  /** Environment variable read when {@value #PROPERTY} is unset, e.g. for a TaskManager's container. */
  public static final String ENVIRONMENT_VARIABLE = "CHORUS_BLAS_NATIVE";

  private final String key;

  NativeBlasLibrary(String key) {
    this.key = key;
  }

  /** The value of the setting that names this library. */
  public String key() {
    return key;
  }

  /**
   * The library this JVM's settings name.
   *
   * @throws IllegalArgumentException if the setting names no library; the message says which setting and value
   */
  public static NativeBlasLibrary configured() {
    return fromSettings(System.getProperty(PROPERTY), System.getenv(ENVIRONMENT_VARIABLE));
  }

  static NativeBlasLibrary fromSettings(String property, String environment) {
    if (property != null && !property.isBlank()) {
      return fromKey(property, "system property " + PROPERTY);
    }
    if (environment != null && !environment.isBlank()) {
      return fromKey(environment, "environment variable " + ENVIRONMENT_VARIABLE);
    }
    return BUNDLED;
  }

  private static NativeBlasLibrary fromKey(String value, String setting) {
    String key = value.strip().toLowerCase(Locale.ROOT);
    return Arrays.stream(values()).filter(library -> library.key.equals(key)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(setting + ": expected one of " + keys() + ", got '" + value
            + "'"));
  }

  private static List<String> keys() {
    return Arrays.stream(values()).map(NativeBlasLibrary::key).toList();
  }
}
