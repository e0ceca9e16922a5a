package dev.chorus.schemas.codec;

/**
 * Whether a Java string is Unicode text: UTF-8 (the Avro format, Kafka keys, checkpoints) cannot hold half a surrogate
 * pair, which a JSON string's escapes can write, so such a string would turn into '?' wherever it is written again.
 */
public final class UnicodeText {
    private UnicodeText() {}

    /** The position of the first unpaired surrogate in {@code value}, or -1 when there is none. */
    public static int firstUnpairedSurrogate(CharSequence value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Where to cut {@code text} to keep at most its first {@code max} characters without splitting a surrogate pair:
     * {@code max}, or one less when that would leave the high half of a pair at the end; the whole length when it
     * is at most {@code max}.
     */
    public static int cut(CharSequence text, int max) {
        if (text.length() <= max) {
            return text.length();
        }
        return max > 0 && Character.isHighSurrogate(text.charAt(max - 1)) ? max - 1 : max;
    }

    /** "expected Unicode text, got an unpaired surrogate (U+D800 at position 2)", for the one at {@code at}. */
    public static String problem(CharSequence value, int at) {
        return String.format("expected Unicode text, got an unpaired surrogate (U+%04X at position %d)",
                (int) value.charAt(at), at);
    }
}
