package dev.chorus.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The text-format parsing the e2e metrics check relies on. */
class PrometheusScrapeTest {

    @Test
    void parsesNamesEscapedLabelsAndSpecialValues() {
        List<PrometheusScrape.Sample> samples = PrometheusScrape.parse("""
                # HELP flink_x x
                # TYPE flink_x gauge
                flink_x{job_name="chorus-train",task="a \\"b\\"\\\\c",variant="default",} 0.75
                flink_y NaN
                flink_z{field="decode"} 3.0
                """);
        assertThat(samples).containsExactly(
                new PrometheusScrape.Sample("flink_x",
                        Map.of("job_name", "chorus-train", "task", "a \"b\"\\c", "variant", "default"), 0.75),
                new PrometheusScrape.Sample("flink_y", Map.of(), Double.NaN),
                new PrometheusScrape.Sample("flink_z", Map.of("field", "decode"), 3.0));
    }
}
