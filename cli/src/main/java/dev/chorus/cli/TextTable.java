package dev.chorus.cli;

import java.io.PrintWriter;
import java.util.List;

/**
 * A plain-text table: columns padded to their widest cell, two spaces apart, the last column unpadded. Cells are made
 * safe for a terminal ({@link TerminalText#safe}).
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
                widths[c] = Math.max(widths[c], row[c].length());
            }
        }
        for (String[] row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < row.length; c++) {
                line.append(c == 0 ? "" : "  ");
                line.append(c == row.length - 1 ? row[c] : String.format("%-" + widths[c] + "s", row[c]));
            }
            out.println(line.toString().stripTrailing());
        }
    }
}
