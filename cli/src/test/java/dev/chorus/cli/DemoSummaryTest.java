package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoSummaryTest {

    @Test
    void everyValueOfTheSummaryStartsInOneColumn() {
        var summary = new DemoSummary(10_000, 30_000, "dawid-skene", 30_000, 3, 3, 412, 9, 0.8125, List.of(),
                "native", "shipped", "127.0.0.1:9092", List.of("chorus.examples", "chorus.predictions"),
                List.of("field 'features': expected 784 values, got 3"), 42.5);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        summary.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));

        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines()
                .filter(l -> l.startsWith("  ") && !l.strip().startsWith("- ")).toList();
        int column = lines.get(0).indexOf("10,000");
        assertThat(lines).hasSize(11).allSatisfy(line -> assertThat(line.charAt(column - 1)).as(line).isEqualTo(' '))
                .allSatisfy(line -> assertThat(line.charAt(column)).as(line).isNotEqualTo(' '));
    }
}
