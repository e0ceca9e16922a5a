package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tables of chorus models and chorus leaderboard: aligned in a terminal, and no way to control it. */
class TextTableTest {

    private static String print(List<String[]> rows) {
        StringWriter text = new StringWriter();
        try (PrintWriter out = new PrintWriter(text)) {
            TextTable.print(out, rows);
        }
        return text.toString();
    }

    @Test
    void aCellsTerminalEscapesArePrintedAsTheirCodes() {
        String table = print(List.of(new String[] {"task", "variant"}, new String[] {"e\u001B[2Jx", "v\u0007\u202E"}));

        assertThat(table).doesNotContain("\u001B", "\u0007", "\u202E");
        assertThat(table.lines()).as("escaped, a cell is as wide as its text").containsExactly(
                "task         variant",
                "e\\u001B[2Jx  v\\u0007\\u202E");
    }

    @Test
    void theNextColumnStartsAtTheSameTerminalColumnAfterWideCharactersAndCombiningMarks() {
        // 数据集: three characters, six columns; 🍎: two UTF-16 units, two columns; e + U+0301: one column.
        String table = print(List.of(new String[] {"task", "variant", "version"},
                new String[] {"数据集", "a", "1"},
                new String[] {"abcdef", "b🍎", "2"},
                new String[] {"🍎x", "cafe\u0301", "3"}));

        assertThat(table.lines()).containsExactly(
                "task    variant  version",
                "数据集  a        1",
                "abcdef  b🍎      2",
                "🍎x     cafe\u0301     3");
    }
}
