package dev.chorus.cli;

import java.io.PrintWriter;
import java.util.List;

/**
 * A plain-text table: columns padded to their widest cell, two spaces apart, the last column unpadded. Cells are made
 * safe for a terminal ({@link TerminalText#safe}) and measured in terminal columns ({@link #width}).
 */
final class TextTable {
    private TextTable() {}

    /** Prints {@code rows} (the header first), each row as one line without trailing blanks. */
    static void print(PrintWriter out, List<String[]> rows) {
        String[][] cells = rows.stream().map(row -> {
            String[] safe = new String[row.length];
            for (int c = 0; c < row.length; c++) {
                safe[c] = TerminalText.safe(row[c]);
            }
            return safe;
        }).toArray(String[][]::new);
        int[] widths = new int[cells[0].length];
        for (String[] row : cells) {
            for (int c = 0; c < row.length; c++) {
                widths[c] = Math.max(widths[c], width(row[c]));
            }
        }
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(c == 0 ? "" : "  ").append(row[c]);
                if (c < row.length - 1) {
                    line.append(" ".repeat(widths[c] - width(row[c])));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    /**
     * The columns {@code text} takes in a terminal: per code point, 2 for East Asian wide and fullwidth characters
     * (the common ranges: Hangul, CJK, fullwidth forms, most emoji), 0 for combining marks and format characters, else
     * 1. {@code String.length()} counts UTF-16 units instead: one for a CJK character that takes two columns, two for
     * an emoji.
     */
    static int width(String text) {
        return text.codePoints().map(TextTable::columns).sum();
    }

    private static int columns(int c) {
        int type = Character.getType(c);
        if (type == Character.NON_SPACING_MARK || type == Character.ENCLOSING_MARK || type == Character.FORMAT) {
            return 0;
        }
        return c >= 0x1100 && c <= 0x115F || c >= 0x2E80 && c <= 0xA4CF || c >= 0xAC00 && c <= 0xD7A3
                || c >= 0xF900 && c <= 0xFAFF || c >= 0xFE30 && c <= 0xFE4F || c >= 0xFF00 && c <= 0xFF60
                || c >= 0xFFE0 && c <= 0xFFE6 || c >= 0x1F300 && c <= 0x1F6FF || c >= 0x1F900 && c <= 0x1F9FF
                || c >= 0x20000 && c <= 0x3FFFD ? 2 : 1;
    }
}
