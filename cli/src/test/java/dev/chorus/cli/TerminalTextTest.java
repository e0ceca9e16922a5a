package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

/** Record content printed to a terminal keeps its text and loses its escapes. */
class TerminalTextTest {

    @Test
    void controlAndFormatCharactersAndSeparatorsAreWrittenAsTheirCodes() {
        assertThat(TerminalText.safe("x\u001B]0;pwned\u0007\u001B[2J")).isEqualTo("x\\u001B]0;pwned\\u0007\\u001B[2J");
        assertThat(TerminalText.safe("a\tb\r\nc\u007F\u009B")).isEqualTo("a\\u0009b\\u000D\\u000Ac\\u007F\\u009B");
        assertThat(TerminalText.safe("abc\u202Edef\u2066")).isEqualTo("abc\\u202Edef\\u2066");
        assertThat(TerminalText.safe("a\u2028b\u2029c")).isEqualTo("a\\u2028b\\u2029c");
        assertThat(TerminalText.safe("tag\uDB40\uDC01")).as("an astral format character, as its UTF-16 units")
                .isEqualTo("tag\\uDB40\\uDC01");
    }

    @Test
    void printableTextStaysAsItIs() {
        for (String text : new String[] {"", "iris", "café", "cafe\u0301", "数据集", "데이터", "🍎 ok 🤖", "a\\u0007b",
            "quote \" and 'apostrophe'"}) {
            assertThat(TerminalText.safe(text)).isSameAs(text);
        }
        assertThat(TerminalText.safe(null)).isNull();
    }

    @Test
    void safeTextIsSafeAlready() {
        String once = TerminalText.safe("e\u001B[2Jx\u202E");
        assertThat(TerminalText.safe(once)).isEqualTo(once);
    }

    /**
     * JSON output: what Jackson and the JSON codec leave raw in a string (C1 controls, DEL, bidi and zero-width
     * characters, separators) becomes a JSON escape, so the document reads back as the same values; JSON's own
     * whitespace and the escapes the writer made stay as they are.
     */
    @Test
    void jsonKeepsItsMeaningAndLosesItsTerminalEscapes() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String id = "a\u009B31mred\u007F\u202Eevil\u2066 \u2028tag\uDB40\uDC01 é 数据 🍎 \u001B[2J";
        String written = mapper.writeValueAsString(mapper.createObjectNode().put("id", id));
        assertThat(written).as("what the writer leaves raw").contains("\u009B", "\u202E");

        String safe = TerminalText.jsonSafe(written);

        assertThat(safe).doesNotContain("\u009B", "\u007F", "\u202E", "\u2066", "\u2028", "\uDB40", "\u001B")
                .contains("\\u009B31mred\\u007F\\u202Eevil\\u2066", "\\uDB40\\uDC01", "é 数据 🍎", "\\u001B[2J");
        assertThat(mapper.readTree(safe).get("id").asText()).isEqualTo(id);
        String pretty = "{\n\t\"id\" : \"x\"\r\n}";
        assertThat(TerminalText.jsonSafe(pretty)).isSameAs(pretty);
        assertThat(TerminalText.jsonSafe(null)).isNull();
    }
}
