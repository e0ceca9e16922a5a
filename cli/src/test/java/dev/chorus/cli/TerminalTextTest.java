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

    /**
     * A zero width joiner between two pictographs (an emoji ZWJ sequence) stays, so the sequence prints as one glyph;
     * a base may carry U+FE0F or a skin-tone modifier before the joiner. Anywhere else the joiner is escaped.
     */
    @Test
    void aJoinerBetweenPictographsStaysAndIsEscapedElsewhere() {
        String technologist = "\uD83D\uDC69\u200D\uD83D\uDCBB"; // woman, joiner, laptop
        String rainbowFlag = "\uD83C\uDFF3\uFE0F\u200D\uD83C\uDF08"; // white flag, VS16, joiner, rainbow
        String darkerTechnologist = "\uD83D\uDC69\uD83C\uDFFD\u200D\uD83D\uDCBB"; // woman, medium skin tone, ...
        String heartOnFire = "\u2764\uFE0F\u200D\uD83D\uDD25";
        String handshake = "\uD83E\uDDD1\u200D\uD83E\uDD1D\u200D\uD83E\uDDD1"; // two joiners
        for (String text : new String[] {technologist, rainbowFlag, darkerTechnologist, heartOnFire, handshake,
            "id " + technologist + " ok"}) {
            assertThat(TerminalText.safe(text)).as("%s", text.codePoints().mapToObj(Integer::toHexString).toList())
                    .isSameAs(text);
        }
        String woman = "\uD83D\uDC69";
        String laptop = "\uD83D\uDCBB";
        assertThat(TerminalText.safe("\u200D" + laptop)).as("leading").isEqualTo("\\u200D" + laptop);
        assertThat(TerminalText.safe(woman + "\u200D")).as("trailing").isEqualTo(woman + "\\u200D");
        assertThat(TerminalText.safe("\u200D")).as("alone").isEqualTo("\\u200D");
        assertThat(TerminalText.safe(woman + "\u200D\u0007" + laptop)).as("before a control")
                .isEqualTo(woman + "\\u200D\\u0007" + laptop);
        assertThat(TerminalText.safe(woman + "\u001B\u200D" + laptop)).as("after a control")
                .isEqualTo(woman + "\\u001B\\u200D" + laptop);
        assertThat(TerminalText.safe(woman + "\u200D\u200D" + laptop)).as("doubled")
                .isEqualTo(woman + "\\u200D\\u200D" + laptop);
        assertThat(TerminalText.safe(woman + "\u202E\u200D" + laptop)).as("after a bidi override")
                .isEqualTo(woman + "\\u202E\\u200D" + laptop);
        assertThat(TerminalText.safe("ad\u200Dmin")).as("between letters, where admin would print")
                .isEqualTo("ad\\u200Dmin");
        assertThat(TerminalText.safe(woman + " \u200D" + laptop)).as("after a space").isEqualTo(woman + " \\u200D"
                + laptop);
        assertThat(TerminalText.safe("\uFE0F\u200D" + laptop)).as("a selector with no pictograph before it")
                .isEqualTo("\uFE0F\\u200D" + laptop);
        assertThat(TerminalText.safe(technologist + "\u202E")).as("the sequence stays, the override does not")
                .isEqualTo(technologist + "\\u202E");
    }

    @Test
    void jsonKeepsAJoinerBetweenPictographsAndEscapesOneElsewhere() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        String id = "\uD83D\uDC69\u200D\uD83D\uDCBB ad\u200Dmin";
        String written = mapper.writeValueAsString(mapper.createObjectNode().put("id", id));
        String safe = TerminalText.jsonSafe(written);
        assertThat(safe).isEqualTo("{\"id\":\"\uD83D\uDC69\u200D\uD83D\uDCBB ad\\u200Dmin\"}");
        assertThat(mapper.readTree(safe).get("id").asText()).isEqualTo(id);
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
