package dev.chorus.core.features;

/**
 * A named field that cannot be hashed; the message names the field, what was expected and what was found, and is
 * what a dead letter's reason says.
 */
public final class RejectedFieldException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final String field;

  public RejectedFieldException(String field, String expected, String actual) {
    super("field 'fields." + field + "': expected " + expected + ", got " + actual);
    this.field = field;
  }

  /** The offending key of the example's {@code fields} map. */
  public String field() {
    return field;
  }
}
