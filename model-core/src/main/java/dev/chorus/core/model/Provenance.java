package dev.chorus.core.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * Where a {@link TrainedModel} came from: its spec, the updates and examples that trained it, the data source it
 * was trained from, the Chorus version and the BLAS backend ({@link dev.chorus.core.blas.BlasBackend#key()}) it
 * runs on. Saved states (format {@value OnlineLearnerCodec#FORMAT_VERSION}) carry only the spec and counts, so a
 * model read from bytes has an {@link #UNKNOWN_DATA_SOURCE} and this build's version and backend.
 */
public record Provenance(ModelSpec spec, long steps, long examplesSeen, String dataSource, String chorusVersion,
    String blasBackend) {

  /** The data source of a model that was not told one, or was read from bytes that do not carry it. */
  public static final String UNKNOWN_DATA_SOURCE = "unknown";

  /** This build's version, as Maven wrote it into {@code chorus-version.properties}. */
  public static final String CHORUS_VERSION = readVersion();

  private static String readVersion() {
    try (InputStream in = Provenance.class.getResourceAsStream("chorus-version.properties")) {
      if (in == null) {
        throw new IllegalStateException("chorus-version.properties is missing from model-core's classes");
      }
      Properties properties = new Properties();
      properties.load(in);
      return properties.getProperty("version");
    } catch (IOException e) {
      throw new UncheckedIOException("reading chorus-version.properties", e);
    }
  }
}
