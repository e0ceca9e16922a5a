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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
        // The demo's thread is held in the print of the URL line until the page has been read: 500 images may
        // otherwise be trained and the dashboard closed before a starved test thread gets to it.
        CountDownLatch read = new CountDownLatch(1);
        Run run = Run.start(read, "demo", "--dataset", "shipped", "--limit", "500", "--labels-per-item", "0");
        String url;
        try {
            url = run.url().get(DEADLINE.toSeconds(), TimeUnit.SECONDS);
            HttpResponse<String> page = get(url + "api/view");
            assertThat(page.statusCode()).isEqualTo(200);
            JsonNode view = new ObjectMapper().readTree(page.body());
            assertThat(view.has("deadLetters")).as(page.body()).isTrue();
        } catch (TimeoutException | ExecutionException e) {
            throw new AssertionError("no dashboard URL beside Flink's, in: " + run.out(), e);
        } finally {
            read.countDown();
        }
        assertThat(run.await()).as(run.out()).isZero();
    }

    @Test
    void noUiLeavesTheDashboardOut() throws Exception {
        Run run = Run.start(new CountDownLatch(0), "demo", "--dataset", "shipped", "--limit", "500", "--labels-per-item", "0", "--no-ui");
        assertThat(run.await()).as(run.out()).isZero();
        assertThat(run.out()).contains("Flink web UI at").doesNotContain("dashboard");
    }

    private static HttpResponse<String> get(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The demo on its own thread, with what it prints (it prints to System.out, as a user sees it), and the dashboard
     * URL it printed; the print of that line returns once {@code read} is counted down (at most {@link #DEADLINE}).
     */
    private record Run(Thread thread, ByteArrayOutputStream bytes, PrintStream original, AtomicInteger exit,
            CompletableFuture<String> url) {

        static Run start(CountDownLatch read, String... args) {
            PrintStream original = System.out;
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            CompletableFuture<String> url = new CompletableFuture<>();
            System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8) {
                @Override
                public void write(int b) {
                    super.write(b);
                    holdAtTheUrl();
                }

                @Override
                public void write(byte[] buf, int off, int len) {
                    super.write(buf, off, len);
                    holdAtTheUrl();
                }

                private void holdAtTheUrl() {
                    if (url.isDone()) {
                        return;
                    }
                    Matcher m = LINE.matcher(bytes.toString(StandardCharsets.UTF_8));
                    if (m.find()) {
                        url.complete(m.group(1));
                        try {
                            read.await(DEADLINE.toSeconds(), TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            });
            AtomicInteger exit = new AtomicInteger(-1);
            Thread thread = new Thread(() -> {
                exit.set(ChorusCli.commandLine(CliRun.noConfig()).execute(args));
                url.completeExceptionally(new IllegalStateException("the demo ended, exit code " + exit.get()));
            }, "demo-dashboard-it");
            thread.start();
            return new Run(thread, bytes, original, exit, url);
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
