package dev.chorus.schemas.codec;

/**
 * Bytes that a {@link RecordCodec} could not turn into a record. The message says what was wrong: the field,
 * what was expected and what was found, or why the bytes are not in the codec's format at all. Callers route
 * the original bytes and this message to the dead-letter topic.
 */
public class RecordDecodingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String field;

    /**
     * @param field the offending field (a path such as {@code metrics.accuracy} or {@code indices[3]} for
     *     nested values), or null when no single field is to blame
     */
    public RecordDecodingException(String field, String message) {
        super(message);
        this.field = field;
    }

    /**
     * @param field the offending field, or null when no single field is to blame
     * @param cause the underlying parser or Avro failure
     */
    public RecordDecodingException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The offending field, or null when the input as a whole is malformed. */
    public String field() {
        return field;
    }
}
