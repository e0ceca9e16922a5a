package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The README's table of the {@code chorus} command line has a row for every command {@code chorus --help} lists. */
class ReadmeCommandTableTest {

    @Test
    void everyCommandHasARow() throws IOException {
        String readme = Files.readString(KcatReadmeIT.README);
        int start = readme.indexOf("## The `chorus` command line");
        assertThat(start).as("README section").isNotNegative();
        String section = readme.substring(start, readme.indexOf("\n## ", start + 1));
        // A row's first cell names one or more commands: | `train`, `serve` | or | `bench learn` |.
        List<String> named = section.lines().filter(l -> l.startsWith("| `"))
                .map(l -> l.substring(1, l.indexOf('|', 1)))
                .flatMap(cell -> {
                    Matcher m = Pattern.compile("`([a-z]+)").matcher(cell);
                    return m.results().map(r -> r.group(1));
                })
                .toList();

        List<String> commands = ChorusCli.commandLine(CliRun.noConfig()).getSubcommands().keySet().stream()
                .filter(name -> !name.equals("help")).toList();

        assertThat(named).as("commands in the README's table").containsAll(commands);
    }
}
