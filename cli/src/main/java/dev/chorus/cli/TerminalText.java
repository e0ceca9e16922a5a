package dev.chorus.cli;

import java.util.function.IntPredicate;

/**
 * Record content made safe to print to a terminal. Anyone who can write a topic chooses its records' ids, tasks,
 * variants and keys; printed raw, an ESC or OSC sequence among them could clear the operator's screen, set the
 * window's title or write the clipboard, and a bidi override could make one id read as another.
 */
final class TerminalText {
    private TerminalText() {}

    /**
     * {@code text} with each control character (C0, DEL, C1), format character ({@link Character#FORMAT}: bidi
     * controls, zero-width characters) and line or paragraph separator written as {@code \\uXXXX}, as the jobs'
     * {@code ExampleValidator.quoted} writes them (an astral format character as its two UTF-16 units); anything else,
     * accents, CJK and emoji included, as it is. A backslash stays as it is, so a {@code \\u0007} in the output may
     * have been those six characters in the record: readable, never an escape. Null stays null. For text output;
     * JSON output goes through {@link #jsonSafe}.
     */
    static String safe(String text) {
        return escaped(text, TerminalText::unsafe);
    }

    /**
     * One JSON document with each character {@link #safe} escapes written as a JSON {@code \\uXXXX} escape: JSON
     * writers escape C0 controls but leave C1 controls, bidi and zero-width characters and line separators raw in
     * strings. Outside strings valid JSON holds none of them but its whitespace (tab, line feed, carriage return),
     * which stays as it is; inside a string the escape reads back as the same character, so the document means what
     * it meant and {@code jq} or any JSON reader gets the record's text unchanged.
     */
    static String jsonSafe(String json) {
        return escaped(json, TerminalText::unsafeInJson);
    }

    /** {@code text} with each code point {@code escape} picks written as its UTF-16 units' {@code \\uXXXX}. */
    private static String escaped(String text, IntPredicate escape) {
        if (text == null || text.codePoints().noneMatch(escape)) {
            return text;
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        text.codePoints().forEach(c -> {
            if (escape.test(c)) {
                for (char unit : Character.toChars(c)) {
                    escaped.append(String.format("\\u%04X", (int) unit));
                }
            } else {
                escaped.appendCodePoint(c);
            }
        });
        return escaped.toString();
    }

    private static boolean unsafeInJson(int c) {
        return unsafe(c) && c != '\t' && c != '\n' && c != '\r';
    }

    private static boolean unsafe(int c) {
        int type = Character.getType(c);
        return Character.isISOControl(c) || type == Character.FORMAT || type == Character.LINE_SEPARATOR
                || type == Character.PARAGRAPH_SEPARATOR;
    }
}
