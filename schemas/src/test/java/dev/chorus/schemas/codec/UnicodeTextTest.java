package dev.chorus.schemas.codec;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How reasons quote and escape what a producer wrote. */
class UnicodeTextTest {

    @Test
    void escapedWithABoundKeepsTheStartEscapedAndSaysHowLongTheTextWas() {
        String text = "\uD800\u001b[2J\u0000\"q\"" + "x".repeat(1 << 20);
        assertThat(UnicodeText.escaped(text, 10)).isEqualTo("\\uD800\\u001B[2J\\u0000\"q\"x... (" + text.length()
                + " characters)");
        assertThat(UnicodeText.escaped("a\u202eb", 10)).as("short: whole, as escaped(text)")
                .isEqualTo(UnicodeText.escaped("a\u202eb")).isEqualTo("a\\u202Eb");
        assertThat(UnicodeText.escaped("a\uD83D\uDE00", 2)).as("never half a pair").isEqualTo("a... (3 characters)");
        assertThat(UnicodeText.escaped(null, 10)).isNull();
    }
}
