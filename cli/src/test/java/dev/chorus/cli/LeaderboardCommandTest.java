package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How the leaderboard's table shows a hyperparameter's value. */
class LeaderboardCommandTest {

    @Test
    void aDrawnRateShowsFourSignificantDigitsAndEverythingElseAsTheSpecHasIt() {
        assertThat(LeaderboardCommand.shown("0.001970534265309546")).isEqualTo("0.001971");
        assertThat(LeaderboardCommand.shown("1.2003318080269806E-4")).isEqualTo("0.00012");
        assertThat(LeaderboardCommand.shown("1.0E-5")).isEqualTo("0.00001");
        assertThat(LeaderboardCommand.shown("0.01")).isEqualTo("0.01");
        assertThat(LeaderboardCommand.shown("2.5")).isEqualTo("2.5");
        assertThat(LeaderboardCommand.shown("256")).isEqualTo("256");
        assertThat(LeaderboardCommand.shown("relu")).isEqualTo("relu");
        assertThat(LeaderboardCommand.shown("he.normal")).isEqualTo("he.normal");
        assertThat(LeaderboardCommand.shown("Exponential")).isEqualTo("Exponential");
    }
}
