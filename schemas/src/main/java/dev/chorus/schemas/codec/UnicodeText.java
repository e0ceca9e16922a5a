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

    /**
     * {@code text} in double quotes, safe to put in a reason, a field's name or a log line: quotes, backslashes, control
     * and format characters (terminal escapes, line and bidi controls) and unpaired surrogates as {@code \\uXXXX} (an
     * astral format character as its two UTF-16 units), at most its first {@code max} characters ({@link #cut}), then
     * how many there were; {@code null} for null.
     */
    public static String quoted(String text, int max) {
        if (text == null) {
            return "null";
        }
        int end = cut(text, max);
        StringBuilder quoted = new StringBuilder(Math.min(text.length(), max) + 2).append('"');
        appendEscaped(quoted, text, end, true);
        quoted.append('"');
        return end == text.length() ? quoted.toString()
                : quoted.append("... (").append(text.length()).append(" characters)").toString();
    }

    /**
     * {@code text} with its control and format characters and unpaired surrogates as {@code \\uXXXX}, as
     * {@link #quoted} writes them, and nothing else changed (quotes and backslashes stay): a message that may quote what
     * a producer wrote, such as a JSON parser's unexpected token, made safe to log, print and write as UTF-8. Null
     * stays null.
     */
    public static String escaped(String text) {
        if (text == null) {
            return null;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        appendEscaped(escaped, text, text.length(), false);
        return escaped.length() == text.length() ? text : escaped.toString();
    }

    /**
     * {@link #escaped} of at most the first {@code max} characters of {@code text} ({@link #cut}), then how many there
     * were: a message that quotes what a producer wrote, such as a parser's, whose length the producer chose. Null stays
     * null.
     */
    public static String escaped(String text, int max) {
        if (text == null) {
            return null;
        }
        int end = cut(text, max);
        StringBuilder escaped = new StringBuilder(end + 32);
        appendEscaped(escaped, text, end, false);
        return end == text.length() ? escaped.toString()
                : escaped.append("... (").append(text.length()).append(" characters)").toString();
    }

    private static void appendEscaped(StringBuilder out, String text, int end, boolean quotes) {
        for (int i = 0; i < end; ) {
            int c = text.codePointAt(i);
            int units = Character.charCount(c);
            if (quotes && (c == '"' || c == '\\') || unprintable(c)) {
                for (int k = i; k < i + units; k++) {
                    out.append(String.format("\\u%04X", (int) text.charAt(k)));
                }
            } else {
                out.appendCodePoint(c);
            }
            i += units;
        }
    }

    /** A control or format character, a line or paragraph separator, or (as a code point of its own) half a pair. */
    private static boolean unprintable(int c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT || type == Character.SURROGATE
                || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR;
    }

    /** "expected Unicode text, got an unpaired surrogate (U+D800 at position 2)", for the one at {@code at}. */
    public static String problem(CharSequence value, int at) {
        return String.format("expected Unicode text, got an unpaired surrogate (U+%04X at position %d)",
                (int) value.charAt(at), at);
    }
}
