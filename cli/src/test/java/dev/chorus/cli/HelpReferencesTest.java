package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The files a command's help sends a user to are in the repository they have. */
class HelpReferencesTest {

    private static final Path ROOT = Path.of("..");

    @Test
    void everyMarkdownFileTheHelpNamesIsInTheRepository() {
        for (String[] command : new String[][] {{"bench", "crowd", "--help"}, {"produce", "--help"}}) {
            String help = CliRun.run(command).out().replaceAll("\\s+", " ");
            Matcher file = Pattern.compile("[\\w./-]+\\.md").matcher(help);
            int named = 0;
            while (file.find()) {
                named++;
                assertThat(ROOT.resolve(file.group())).as(String.join(" ", command) + " names " + file.group())
                        .satisfies(p -> assertThat(Files.isRegularFile(p)).isTrue());
            }
            assertThat(named).as(String.join(" ", command) + " names the protocol's document").isPositive();
        }
    }
}
