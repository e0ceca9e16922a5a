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
     *
     * <p>One format character stays where it does its visible work: a zero width joiner (U+200D) that joins two
     * pictographs, as in every emoji ZWJ sequence (woman U+1F469, joiner, laptop U+1F4BB: a woman technologist), so
     * the sequence prints as the one glyph it is rather than as three parts, one escaped. A pictograph is a code point of category So (other symbol, as this JDK's
     * Unicode version knows it); the one before the joiner may carry a variation selector (U+FE0F) or a skin-tone
     * modifier (U+1F3FB..U+1F3FF) between them. Anywhere else a joiner is escaped: leading, trailing, beside a
     * control or another format character, and between letters, where one would make an id print as another
     * ("ad", joiner, "min" as "admin").
     */
    static String safe(String text) {
        return escaped(text, TerminalText::unsafe);
    }

    /**
     * One JSON document with each character {@link #safe} escapes written as a JSON {@code \\uXXXX} escape (a zero
     * width joiner between pictographs stays, as there): JSON writers escape C0 controls but leave C1 controls, bidi
     * and zero-width characters and line separators raw in strings. Outside strings valid JSON holds none of them but its whitespace (tab, line feed, carriage return),
     * which stays as it is; inside a string the escape reads back as the same character, so the document means what
     * it meant and {@code jq} or any JSON reader gets the record's text unchanged.
     */
    static String jsonSafe(String json) {
        return escaped(json, TerminalText::unsafeInJson);
    }

    /**
     * {@code text} with each code point {@code escape} picks written as its UTF-16 units' {@code \\uXXXX}, but for a
     * zero width joiner that joins two pictographs ({@link #safe}).
     */
    private static String escaped(String text, IntPredicate escape) {
        if (text == null || text.codePoints().noneMatch(escape)) {
            return text;
        }
        int[] points = text.codePoints().toArray();
        StringBuilder escaped = new StringBuilder(text.length() + 16);
        boolean changed = false;
        for (int i = 0; i < points.length; i++) {
            int c = points[i];
            if (escape.test(c) && !joinsPictographs(points, i)) {
                changed = true;
                for (char unit : Character.toChars(c)) {
                    escaped.append(String.format("\\u%04X", (int) unit));
                }
            } else {
                escaped.appendCodePoint(c);
            }
        }
        return changed ? escaped.toString() : text;
    }

    private static final int ZERO_WIDTH_JOINER = 0x200D;
    private static final int EMOJI_PRESENTATION_SELECTOR = 0xFE0F;

    /** Whether {@code points[i]} is a zero width joiner between two pictographs, as {@link #safe} says. */
    private static boolean joinsPictographs(int[] points, int i) {
        if (points[i] != ZERO_WIDTH_JOINER || i + 1 == points.length || !pictograph(points[i + 1])) {
            return false;
        }
        int before = i - 1;
        if (before >= 0 && skinToneModifier(points[before])) {
            before--;
        }
        if (before >= 0 && points[before] == EMOJI_PRESENTATION_SELECTOR) {
            before--;
        }
        return before >= 0 && pictograph(points[before]);
    }

    private static boolean pictograph(int c) {
        return Character.getType(c) == Character.OTHER_SYMBOL;
    }

    private static boolean skinToneModifier(int c) {
        return c >= 0x1F3FB && c <= 0x1F3FF;
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
