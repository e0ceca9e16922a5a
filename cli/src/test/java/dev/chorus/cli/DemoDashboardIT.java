package dev.chorus.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code chorus demo} starts the dashboard against its embedded broker and prints its URL beside Flink's web UI;
 * {@code --no-ui} does not. Small runs (500 images, their own labels) of the demo as a user starts it.
 */
class DemoDashboardIT {

    static final Pattern LINE = Pattern.compile("Flink web UI at \\S+; dashboard at (http://127\\.0\\.0\\.1:\\d+/)");
    static final Duration DEADLINE = Duration.ofMinutes(3);

    @Test
    void theDemoServesTheDashboardWhileItRunsAndPrintsItsUrlBesideFlinks() throws Exception {
        Run run = Run.start("demo", "--dataset", "shipped", "--limit", "500", "--labels-per-item", "0");
        String url = null;
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (url == null && run.thread.isAlive() && System.nanoTime() < deadline) {
            Matcher m = LINE.matcher(run.out());
            url = m.find() ? m.group(1) : null;
            Thread.sleep(20);
        }
        assertThat(url).as("dashboard URL beside Flink's, in: " + run.out()).isNotNull();
        HttpResponse<String> page = get(url + "api/view");
        assertThat(page.statusCode()).isEqualTo(200);
        JsonNode view = new ObjectMapper().readTree(page.body());
        assertThat(view.has("deadLetters")).as(page.body()).isTrue();
        assertThat(run.await()).as(run.out()).isZero();
    }

    @Test
    void noUiLeavesTheDashboardOut() throws Exception {
        Run run = Run.start("demo", "--dataset", "shipped", "--limit", "500", "--labels-per-item", "0", "--no-ui");
        assertThat(run.await()).as(run.out()).isZero();
        assertThat(run.out()).contains("Flink web UI at").doesNotContain("dashboard");
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The demo on its own thread, with what it prints (it prints to System.out, as a user sees it). */
    private record Run(Thread thread, ByteArrayOutputStream bytes, PrintStream original, AtomicInteger exit) {

        static Run start(String... args) {
            PrintStream original = System.out;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            AtomicInteger exit = new AtomicInteger(-1);
            Thread thread = new Thread(() -> exit.set(ChorusCli.commandLine(CliRun.noConfig()).execute(args)),
                    "demo-dashboard-it");
            thread.start();
            return new Run(thread, bytes, original, exit);
        }

        String out() {
            return bytes.toString(StandardCharsets.UTF_8);
        }

        int await() throws InterruptedException {
            thread.join(DEADLINE.toMillis());
            System.setOut(original);
            return exit.get();
        }
    }
}
