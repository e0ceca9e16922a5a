package dev.chorus.cli.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.chorus.cli.DashboardIT;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The page in headless Chromium (as {@link DashboardIT} opens it) against views no {@link DashboardView} writes today:
 * whatever a view holds that the page cannot draw, the page draws the rest and says what it could not.
 */
class DashboardPageIT {

    /**
     * A view as the dashboard wrote it before it sent null for a time no Date holds, beside a task the page cannot
     * draw at all (no variants array) and one it can, whose consensus classes and annotators' matrices the view cut;
     * then the dead letters.
     */
    static final String VIEW = """
            {"topics":[],"tasks":[
             {"task":"broken","variants":null,"annotators":[]},
             {"task":"late","variants":[{"variant":"default","version":1,"examplesSeen":10,
               "algorithm":"softmax-regression","createdAt":9223372036854775807,"snapshots":1,"accuracy":[[10,0.5]]}],
              "annotators":[],"consensus":[{"variant":"default","items":1,"forgotten":0,"classes":[0,1],
               "posteriorMax":{"atLeast90":0.0,"atLeast50":1.0},"meanLabels":1.0,"recent":[{"item":"x","mostLikely":1,
               "previous":null,"posteriorMax":0.8,"labels":1,"version":1,"updatedAt":-9000000000000000}]}]},
             {"task":"fine","variants":[{"variant":"default","version":2,"examplesSeen":20,
               "algorithm":"softmax-regression","createdAt":1700000000000,"snapshots":2,"accuracy":[[20,0.7]]}],
              "annotators":[{"variant":"default","annotator":"busy","version":1,"numClasses":2,"labelsSeen":9,
                "updatedAt":1700000000000,"reliability":0.9,"weight":null,"confusion":[[0.9,0.1],[0.2,0.8]]},
               {"variant":"default","annotator":"idle","version":1,"numClasses":2,"labelsSeen":1,
                "updatedAt":1700000000000,"reliability":0.5,"weight":null,"confusion":null,"matrixHidden":true}],
              "matricesHidden":1,
              "consensus":[{"variant":"default","items":10,"forgotten":0,"classes":[6,3],"classIds":[4095,7],
               "otherClasses":{"classes":1,"items":1},"posteriorMax":{"atLeast90":0.5,"atLeast50":1.0},
               "meanLabels":1.0,"recent":[]}]}],
             "deadLetters":{"total":3,"byField":[{"field":"label","count":3,"otherReasons":0,
               "reasons":[{"reason":"label: expected 0..9, got 42","count":3}],"recent":[]}]},
             "dropped":[{"bound":"model snapshots of tasks past the first 100","count":7}]}""";

    @Test
    void aTaskThePageCannotDrawLeavesTheOthersAndTheDeadLettersDrawnAndTheStatusSaysWhich() throws Exception {
        DashboardIT.requireBrowser();
        DashboardView view = new DashboardView() {
            @Override
            public synchronized Rendered rendered() {
                return new Rendered(1, VIEW.replace("\n", ""));
            }
        };
        WebDriver driver = null;
        try (Dashboard dashboard = Dashboard.serving(view, "127.0.0.1", 0, Duration.ofMillis(500))) {
            driver = DashboardIT.chromium();
            driver.get(dashboard.url().toString());
            new WebDriverWait(driver, Duration.ofMinutes(1))
                    .until(d -> "3".equals(d.findElement(By.id("dead-letter-total")).getText()));

            assertThat(driver.findElement(By.id("dead-letters")).getText()).contains("label: expected 0..9, got 42");
            assertThat(driver.findElement(By.cssSelector("[data-task='fine'] .models")).getText())
                    .contains("2023-11-14T22:13:20.000Z");
            assertThat(driver.findElements(By.cssSelector("[data-task='fine'] .heatmap"))).as("busy's matrix only")
                    .hasSize(1);
            assertThat(driver.findElement(By.cssSelector("[data-task='fine'] .matrices-hidden")).getText())
                    .startsWith("Confusion matrices of 1 less active annotators are not drawn");
            assertThat(driver.findElement(By.cssSelector("[data-task='fine'] .classes-cut")).getText())
                    .isEqualTo("The 2 classes of most items are drawn; 1 other classes, of 1 items, are the bar "
                            + "\"other\".");
            assertThat(driver.findElement(By.cssSelector("[data-task='late'] .classes-cut")).isDisplayed())
                    .as("every class drawn").isFalse();
            assertThat(driver.findElement(By.cssSelector("[data-task='late'] .models")).getText())
                    .as("a creation time no Date holds").contains("softmax-regression 1 –");
            assertThat(driver.findElements(By.cssSelector("[data-task='late'] .changes tr")).get(1).getText())
                    .as("an update time no Date holds").endsWith(" –");
            assertThat(driver.findElement(By.cssSelector("[data-task='broken'] .render-error")).getText())
                    .startsWith("Task broken cannot be shown: TypeError");
            assertThat(driver.findElement(By.id("status")).getText())
                    .startsWith("updated ").contains("could not show: task broken (TypeError");
            assertThat(driver.findElement(By.id("dropped")).getText())
                    .isEqualTo("7 model snapshots of tasks past the first 100 not shown");
            DashboardIT.assertNoPolicyViolations(driver);
        } finally {
            if (driver != null) {
                driver.quit();
            }
        }
    }
}
